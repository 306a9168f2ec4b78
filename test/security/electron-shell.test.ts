/**
 * The Electron shell around the window, against the recording stand-in for the electron module: the clipboard
 * port writes the concealed formats in the same item as the text; the production menu has no Reload, Force
 * Reload or DevTools; reload and devtools shortcuts are blocked; closing with a ceremony open asks, and says no
 * more than that; quitting clears the clipboard first and quits only after the clearing finished.
 */
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { test } from 'node:test';

register(new URL('./support/electron-hooks.js', import.meta.url));
const { recorded, FakeBrowserWindow, app } = await import('./support/fake-electron.js');
const { electronClipboard, osFormat } = await import('../../src-main/electron/clipboard.js');
const { menuTemplate, installMenu } = await import('../../src-main/electron/menu.js');
const { blockReloadShortcuts, isBlockedShortcut, leaveGuard } = await import('../../src-main/electron/leaving.js');
const { clearClipboardBeforeQuit } = await import('../../src-main/electron/quit.js');

async function bytesOf(value: unknown): Promise<number[]> {
  assert.ok(value instanceof Blob, 'a raw format is written as a Blob');
  return [...new Uint8Array(await value.arrayBuffer())];
}

test('clipboard: one atomic item with the text and the concealed formats, per platform', async () => {
  const cases: Array<[NodeJS.Platform, Record<string, number[]>]> = [
    ['win32', {
      ExcludeClipboardContentFromMonitorProcessing: [0, 0, 0, 0],
      CanIncludeInClipboardHistory: [0, 0, 0, 0],
      CanUploadToCloudClipboard: [0, 0, 0, 0],
    }],
    ['darwin', { 'org.nspasteboard.ConcealedType': [] }],
    ['linux', { 'x-kde-passwordManagerHint': [...Buffer.from('secret')] }],
  ];
  for (const [platform, expected] of cases) {
    recorded.clipboardWrites.length = 0;
    const port = electronClipboard(platform);
    await port.writeText('K1-SECRET-TEXT');
    assert.equal(recorded.clipboardWrites.length, 1, `${platform}: one write, so the marks cannot lag behind the text`);
    const item = recorded.clipboardWrites[0]!;
    assert.equal(item['text/plain'], 'K1-SECRET-TEXT');
    assert.deepEqual(Object.keys(item).sort(), ['text/plain', ...Object.keys(expected).map(osFormat)].sort(), platform);
    for (const [name, bytes] of Object.entries(expected)) assert.deepEqual(await bytesOf(item[osFormat(name)]), bytes, `${platform} ${name}`);
    // The marks never carry a copy of the secret.
    for (const [type, value] of Object.entries(item)) {
      if (type !== 'text/plain') assert.doesNotMatch(Buffer.from(await bytesOf(value)).toString('latin1'), /SECRET/);
    }
    assert.equal(await port.readText(), 'K1-SECRET-TEXT');
    await port.clear();
    assert.equal(await port.readText(), '');
  }
});

test('menu: no Reload, Force Reload or DevTools in production; development keeps them', () => {
  const roles = (template: ReturnType<typeof menuTemplate>): string[] => template.flatMap((item) => [
    String(item.role ?? item.label),
    ...((Array.isArray(item.submenu) ? item.submenu : []) as Array<{ role?: string }>).map((sub) => String(sub.role ?? '')),
  ]);
  for (const platform of ['darwin', 'win32', 'linux'] as const) {
    const production = roles(menuTemplate({ development: false, platform }));
    for (const role of ['reload', 'forceReload', 'toggleDevTools']) assert.ok(!production.includes(role), `${platform}: ${role}`);
    for (const role of ['copy', 'paste', 'selectAll', 'quit']) assert.ok(production.includes(role), `${platform} keeps ${role}`);
    const development = roles(menuTemplate({ development: true, platform }));
    assert.ok(development.includes('reload') && development.includes('toggleDevTools'));
  }
  installMenu({ development: false, platform: 'linux' });
  assert.ok(recorded.applicationMenu, 'the menu replaces Electron\'s default one');
});

test('shortcuts: reload and devtools keys are blocked before they reach the page; typing is not', () => {
  const key = (k: string, mods: Partial<Record<'control' | 'meta' | 'shift' | 'alt', boolean>> = {}) => ({
    type: 'keyDown' as const, key: k, control: false, meta: false, shift: false, alt: false, ...mods,
  });
  const blocked = [key('r', { control: true }), key('R', { control: true, shift: true }), key('r', { meta: true }), key('F5'),
    key('F5', { control: true }), key('I', { control: true, shift: true }), key('i', { meta: true, alt: true }), key('F12')];
  const allowed = [key('r'), key('R', { shift: true }), key('c', { control: true }), key('v', { meta: true }), key('i', { control: true }), key('1', { alt: true })];
  for (const input of blocked) assert.equal(isBlockedShortcut(input), true, JSON.stringify(input));
  for (const input of allowed) assert.equal(isBlockedShortcut(input), false, JSON.stringify(input));
  assert.equal(isBlockedShortcut({ ...key('r', { control: true }), type: 'keyUp' as never }), false);

  const window = new FakeBrowserWindow({});
  blockReloadShortcuts(window.webContents as never);
  let prevented = 0;
  window.webContents.emit('before-input-event', { preventDefault: () => { prevented += 1; } }, key('F5'));
  window.webContents.emit('before-input-event', { preventDefault: () => { prevented += 1; } }, key('a'));
  assert.equal(prevented, 1);
});

test('leaving: nothing open closes at once; an open ceremony asks, and "Stay" keeps the window', () => {
  let open = 0;
  const window = new FakeBrowserWindow({});
  const guard = leaveGuard(window as never, () => open);
  const emit = (target: { emit(event: string, ...args: unknown[]): void }, event: string): boolean => {
    let prevented = false;
    target.emit(event, { preventDefault: () => { prevented = true; } });
    return prevented;
  };
  recorded.dialogs.length = 0;
  assert.equal(emit(window, 'close'), false, 'no ceremony: the window closes');
  // will-prevent-unload: preventDefault *allows* the unload (it overrides the page's beforeunload).
  assert.equal(emit(window.webContents, 'will-prevent-unload'), true, 'no ceremony: the unload goes ahead');
  assert.equal(recorded.dialogs.length, 0, 'nothing asked');

  open = 2;
  recorded.dialogAnswer = 0; // Stay
  assert.equal(emit(window, 'close'), true, 'the close is cancelled');
  assert.equal(emit(window.webContents, 'will-prevent-unload'), false, 'the unload stays blocked');
  assert.equal(recorded.dialogs.length, 2);
  assert.match(String(recorded.dialogs[0]!['message']), /2 ceremonies are open/);
  assert.equal(recorded.dialogs[0]!['cancelId'], 0, 'Escape means Stay');

  recorded.dialogAnswer = 1; // Close and end them
  assert.equal(emit(window, 'close'), false);
  assert.equal(guard.confirmed, true);
  assert.equal(emit(window.webContents, 'will-prevent-unload'), true, 'asked once per leave');
  assert.equal(recorded.dialogs.length, 3);
});

test('quit: cancelled once, the clipboard cleared and awaited, then the real quit; a refused leave quits nothing', async () => {
  const order: string[] = [];
  let release: () => void = () => {};
  const listeners = new Map<string, (event: { preventDefault(): void }) => void>();
  const fakeApp = {
    on: (event: string, listener: (event: { preventDefault(): void }) => void) => { listeners.set(event, listener); return fakeApp; },
    quit: () => { order.push('quit'); listeners.get('before-quit')!({ preventDefault: () => order.push('prevented again') }); },
  };
  let may = false;
  clearClipboardBeforeQuit(fakeApp as never, {
    mayQuit: () => may,
    clearClipboard: () => new Promise<void>((resolve) => { order.push('clearing'); release = () => { order.push('cleared'); resolve(); }; }),
  });
  const beforeQuit = (): boolean => {
    let prevented = false;
    listeners.get('before-quit')!({ preventDefault: () => { prevented = true; } });
    return prevented;
  };
  assert.equal(beforeQuit(), true, 'a refused leave (Stay) cancels the quit');
  assert.deepEqual(order, []);
  may = true;
  assert.equal(beforeQuit(), true, 'the first quit is held back');
  assert.equal(beforeQuit(), true, 'a second Cmd+Q while clearing is held back too');
  assert.deepEqual(order, ['clearing']);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['clearing', 'cleared', 'quit'], 'quit only after the clipboard is cleared, and then not held back');
  assert.equal(typeof app.quit, 'function');
});
