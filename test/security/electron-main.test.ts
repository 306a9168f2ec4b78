/**
 * The Electron main process as written (src-main/electron/*.js), run against a recording stand-in for the
 * electron module: the one window factory's hardening, the session's deny-all permission and network
 * handlers, the app:// scheme, and ipcMain handlers that refuse unknown senders and bad payloads.
 */
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ACTIONS, channelOf } from '../../src-shared/actions.js';
import { APP_ORIGIN } from '../../src-shared/csp.js';

register(new URL('./support/electron-hooks.js', import.meta.url));
const { recorded, nativeTheme } = await import('./support/fake-electron.js');
const { WINDOW_BACKGROUND } = await import('../../src-shared/theme.js');

const home = mkdtempSync(join(tmpdir(), 'custodian-main-test-'));
before(async () => {
  process.env['CUSTODIAN_HOME'] = home;
  // The desktop is dark when the app starts: the window must open dark, not flash white.
  nativeTheme.shouldUseDarkColors = true;
  await import('../../src-main/electron/main.js');
  assert.ok(recorded.ready, 'main waits for app.whenReady()');
  recorded.ready();
  await new Promise((resolve) => setTimeout(resolve, 50));
});
after(() => rmSync(home, { recursive: true, force: true }));

test('one window, sandboxed, isolated, no Node, our preload, content protection, devtools off', () => {
  assert.equal(recorded.windows.length, 1);
  const window = recorded.windows[0]!;
  const prefs = window.options['webPreferences'] as Record<string, unknown>;
  assert.equal(prefs['sandbox'], true);
  assert.equal(prefs['contextIsolation'], true);
  assert.equal(prefs['nodeIntegration'], false);
  assert.equal(prefs['nodeIntegrationInWorker'], false);
  assert.equal(prefs['nodeIntegrationInSubFrames'], false);
  assert.equal(prefs['webSecurity'], true);
  assert.equal(prefs['allowRunningInsecureContent'], false);
  assert.equal(prefs['webviewTag'], false);
  assert.equal(prefs['devTools'], false);
  assert.match(String(prefs['preload']), /preload\.cjs$/);
  assert.equal(window.contentProtection, true);
  assert.equal(window.webContents.loadedUrl, `${APP_ORIGIN}/index.html`);
});

test('the colour scheme follows the OS: themeSource system, the window background in the OS scheme from the first paint', () => {
  assert.equal(nativeTheme.themeSource, 'system');
  const window = recorded.windows[0]!;
  assert.equal(window.options['backgroundColor'], WINDOW_BACKGROUND.dark);
  nativeTheme.shouldUseDarkColors = false;
  nativeTheme.emit('updated');
  assert.deepEqual(window.backgroundColors, [WINDOW_BACKGROUND.light]);
  nativeTheme.shouldUseDarkColors = true;
  nativeTheme.emit('updated');
  assert.deepEqual(window.backgroundColors, [WINDOW_BACKGROUND.light, WINDOW_BACKGROUND.dark]);
});

test('window.open is denied and navigation away from the app is prevented', () => {
  const contents = recorded.windows[0]!.webContents;
  assert.deepEqual(contents.windowOpenHandler?.({ url: 'https://example.com' }), { action: 'deny' });
  assert.deepEqual(contents.windowOpenHandler?.({ url: `${APP_ORIGIN}/index.html` }), { action: 'deny' });
  for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://custodian.evil/']) {
    let prevented = false;
    contents.emit('will-navigate', { preventDefault: () => { prevented = true; } }, url);
    assert.equal(prevented, true, url);
  }
  let prevented = false;
  contents.emit('will-navigate', { preventDefault: () => { prevented = true; } }, `${APP_ORIGIN}/index.html`);
  assert.equal(prevented, false);
  let webview = false;
  contents.emit('will-attach-webview', { preventDefault: () => { webview = true; } });
  assert.equal(webview, true);
});

test('every permission is denied and the renderer cannot reach the network', () => {
  let granted: boolean | undefined;
  recorded.permissionRequestHandler?.({}, 'notifications', (answer: boolean) => { granted = answer; });
  assert.equal(granted, false);
  recorded.permissionRequestHandler?.({}, 'media', (answer: boolean) => { granted = answer; });
  assert.equal(granted, false);
  assert.equal(recorded.permissionCheckHandler?.({}, 'clipboard-read'), false);
  assert.equal(recorded.devicePermissionHandler?.({}), false);
  let cancelled: unknown;
  recorded.beforeRequest?.listener({ url: 'https://evil.example/' }, (answer: unknown) => { cancelled = answer; });
  assert.deepEqual(cancelled, { cancel: true });
});

test('app:// is a privileged standard scheme served by our handler only', async () => {
  assert.deepEqual(recorded.schemes.map((s) => (s as { scheme: string }).scheme), ['app']);
  const handler = recorded.protocolHandlers.get('app');
  assert.ok(handler);
  const outside = await handler({ url: 'app://custodian/../../../../etc/passwd' }) as Response;
  assert.equal(outside.status, 404);
  const otherHost = await handler({ url: 'app://elsewhere/index.html' }) as Response;
  assert.equal(otherHost.status, 404);
});

test('ipcMain has exactly the contract channels, and they refuse strangers and bad payloads', async () => {
  assert.deepEqual([...recorded.ipcHandlers.keys()].sort(), ACTIONS.map(channelOf).sort());
  const id = recorded.windows[0]!.webContents.id;
  const event = (url: string, webContentsId = id, parent: unknown = null) => ({ sender: { id: webContentsId }, senderFrame: { url, parent } });
  const handler = recorded.ipcHandlers.get(channelOf('appInfo'))!;

  const ok = await handler(event(`${APP_ORIGIN}/index.html`), {}) as { ok: boolean; value?: { version: string } };
  assert.equal(ok.ok, true);
  assert.match(ok.value?.version ?? '', /^\d+\.\d+\.\d+/);

  for (const stranger of [event('https://evil.example/'), event(`${APP_ORIGIN}/index.html`, id + 100), event(`${APP_ORIGIN}/index.html`, id, {})]) {
    const refused = await handler(stranger, {}) as { ok: boolean; error?: { code: string } };
    assert.deepEqual([refused.ok, refused.error?.code], [false, 'FORBIDDEN_SENDER']);
  }
  const bad = await handler(event(`${APP_ORIGIN}/index.html`), { unexpected: 1 }) as { ok: boolean; error?: { code: string } };
  assert.deepEqual([bad.ok, bad.error?.code], [false, 'INVALID_INPUT']);
});

test('main wires the shell: its own menu, reload shortcuts blocked, quit clears first, the OS lock locks the app', () => {
  const menu = recorded.applicationMenu as { template: Array<{ submenu?: Array<{ role?: string }> }> } | undefined;
  assert.ok(menu, 'Menu.setApplicationMenu replaced the default menu');
  const roles = menu.template.flatMap((item) => (item.submenu ?? []).map((sub) => sub.role));
  assert.ok(!roles.includes('reload') && !roles.includes('toggleDevTools'));
  const contents = recorded.windows[0]!.webContents;
  let prevented = false;
  contents.emit('before-input-event', { preventDefault: () => { prevented = true; } }, { type: 'keyDown', key: 'r', control: true, meta: false, shift: false, alt: false });
  assert.equal(prevented, true, 'Ctrl+R never reaches the page');
  assert.equal(contents.listeners.get('will-prevent-unload')?.length, 1);
  assert.equal(recorded.appListeners.get('before-quit')?.length, 1);
  assert.ok(recorded.powerListeners.get('lock-screen')?.length, 'the OS screen lock locks the app');
});
