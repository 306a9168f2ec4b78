/**
 * Quitting clears the clipboard first and waits for it: before-quit is cancelled once, the clearing is awaited
 * (whether it succeeds or not), then the app quits for real. Electron would otherwise end the process before an
 * asynchronous clipboard call has run, and a copied key would outlive the app.
 */
import type { App, Event } from 'electron';

export function clearClipboardBeforeQuit(app: Pick<App, 'on' | 'quit'>, steps: { mayQuit(): boolean; clearClipboard(): Promise<void> }): void {
  let state: 'running' | 'clearing' | 'done' = 'running';
  app.on('before-quit', (event: Event) => {
    if (state === 'done') return;
    event.preventDefault();
    if (state === 'clearing') return;
    if (!steps.mayQuit()) return;
    state = 'clearing';
    void steps.clearClipboard().catch(() => undefined).finally(() => {
      state = 'done';
      app.quit();
    });
  });
}
