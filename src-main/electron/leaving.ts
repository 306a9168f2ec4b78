/**
 * What stands between an officer and losing an open ceremony: reload and devtools shortcuts are blocked, and
 * closing or unloading the window while main holds an open ceremony or hand-out asks first. The count comes
 * from the app core (AppCore.openCeremonies), asked at that moment, not from the window.
 */
import { dialog, type BrowserWindow, type Event, type Input, type WebContents } from 'electron';

/** Ctrl/Cmd+R, Ctrl/Cmd+Shift+R, F5 (with any modifier), Ctrl/Cmd+Shift+I, Cmd+Alt+I, F12. */
export function isBlockedShortcut(input: Pick<Input, 'type' | 'key' | 'control' | 'meta' | 'shift' | 'alt'>): boolean {
  if (input.type !== 'keyDown') return false;
  const key = input.key.toLowerCase();
  const command = input.control || input.meta;
  if (key === 'f5' || key === 'f12') return true;
  if (command && key === 'r') return true;
  if (command && key === 'i' && (input.shift || input.alt)) return true;
  return false;
}

export function blockReloadShortcuts(contents: WebContents): void {
  contents.on('before-input-event', (event, input) => {
    if (isBlockedShortcut(input)) event.preventDefault();
  });
}

export interface LeaveGuard {
  /** true when leaving may go ahead: nothing is open, or the officer confirmed. */
  mayLeave(): boolean;
  /** The officer already confirmed (or nothing needs confirming) for the quit under way. */
  confirmed: boolean;
}

export function leaveGuard(window: BrowserWindow, openCeremonies: () => number): LeaveGuard {
  const guard: LeaveGuard = {
    confirmed: false,
    mayLeave() {
      if (guard.confirmed) return true;
      const open = openCeremonies();
      if (open === 0) return true;
      const answer = dialog.showMessageBoxSync(window, {
        type: 'warning',
        buttons: ['Stay', 'Close and end them'],
        defaultId: 0,
        cancelId: 0,
        noLink: true,
        title: 'A ceremony is open',
        message: open === 1 ? 'A ceremony is open in Key Custodian.' : `${open} ceremonies are open in Key Custodian.`,
        detail: 'Closing ends it: shares not yet handed out are lost, and the holders must start again. Stay to finish it first.',
      });
      guard.confirmed = answer === 1;
      return guard.confirmed;
    },
  };
  // The window's own close button, Alt+F4, Cmd+W.
  window.on('close', (event: Event) => {
    if (!guard.mayLeave()) event.preventDefault();
  });
  // The renderer's beforeunload asks main while a ceremony is open; preventDefault here lets the unload happen.
  window.webContents.on('will-prevent-unload', (event: Event) => {
    if (guard.mayLeave()) event.preventDefault();
  });
  return guard;
}
