/**
 * Main's IPC validation layer (src-main/app/dispatch.ts, what ipcMain.handle calls): a call from an unknown
 * sender is refused, a payload failing its schema is refused, neither reaches the core, and no error
 * echoes what was sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTIONS, channelOf, type ActionName } from '../../src-shared/actions.js';
import { APP_ORIGIN } from '../../src-shared/csp.js';
import { createDispatcher, isTrustedSender, type HandlerTable, type SenderInfo } from '../../src-main/app/dispatch.js';
import { CustodianError } from '../../src-main/core/errors.js';

const SECRET_SHARE = 'c2VjcmV0LXNoYXJlLXRoYXQtbXVzdC1uZXZlci1sZWFr';

function recordingTable(): { table: HandlerTable; calls: Array<{ action: ActionName; request: unknown }> } {
  const calls: Array<{ action: ActionName; request: unknown }> = [];
  const table = Object.fromEntries(ACTIONS.map((action) => [action, async (request: unknown) => {
    calls.push({ action, request });
    if ((request as { name?: string } | undefined)?.name === 'explode') throw new Error(`boom with ${SECRET_SHARE}`);
    if ((request as { name?: string } | undefined)?.name === 'refuse') throw new CustodianError('KEY_NOT_FOUND', 'No key named refuse.', { hint: 'Check the name.' });
    return { handled: action };
  }])) as unknown as HandlerTable;
  return { table, calls };
}

const windowIds = new Set([7]);
const trusted: SenderInfo = { url: `${APP_ORIGIN}/index.html`, isMainFrame: true, webContentsId: 7 };

test('a valid call from our window reaches the handler with the parsed payload', async () => {
  const { table, calls } = recordingTable();
  const dispatcher = createDispatcher(table, { origin: APP_ORIGIN, webContentsIds: windowIds });
  const result = await dispatcher.handle(channelOf('generateKey'), { name: '  mail-helper ' }, trusted);
  assert.deepEqual(result, { ok: true, value: { handled: 'generateKey' } });
  assert.deepEqual(calls, [{ action: 'generateKey', request: { name: 'mail-helper' } }]);
});

test('calls from unknown senders are refused before any schema or handler', async () => {
  const { table, calls } = recordingTable();
  const dispatcher = createDispatcher(table, { origin: APP_ORIGIN, webContentsIds: windowIds });
  const strangers: SenderInfo[] = [
    { url: 'https://evil.example/index.html', isMainFrame: true, webContentsId: 7 },
    { url: 'file:///tmp/index.html', isMainFrame: true, webContentsId: 7 },
    { url: 'app://custodian.evil/index.html', isMainFrame: true, webContentsId: 7 },
    { url: 'app://other/index.html', isMainFrame: true, webContentsId: 7 },
    { url: `${APP_ORIGIN}/index.html`, isMainFrame: false, webContentsId: 7 },
    { url: `${APP_ORIGIN}/index.html`, isMainFrame: true, webContentsId: 8 },
    { url: `${APP_ORIGIN}/index.html`, isMainFrame: true },
    { url: undefined, isMainFrame: true, webContentsId: 7 },
    { url: 'not a url', isMainFrame: true, webContentsId: 7 },
  ];
  for (const sender of strangers) {
    const result = await dispatcher.handle(channelOf('listKeys'), {}, sender);
    assert.equal(result.ok, false, JSON.stringify(sender));
    assert.equal(!result.ok && result.error.code, 'FORBIDDEN_SENDER', JSON.stringify(sender));
  }
  assert.equal(calls.length, 0);
});

test('the bridge policy (no window ids) still checks the origin', () => {
  assert.equal(isTrustedSender({ url: 'http://127.0.0.1:4000', isMainFrame: true }, { origin: 'http://127.0.0.1:4000' }), true);
  assert.equal(isTrustedSender({ url: 'http://127.0.0.1:4001', isMainFrame: true }, { origin: 'http://127.0.0.1:4000' }), false);
  assert.equal(isTrustedSender({ url: 'http://localhost:4000', isMainFrame: true }, { origin: 'http://127.0.0.1:4000' }), false);
});

test('channels outside the contract are refused', async () => {
  const { table, calls } = recordingTable();
  const dispatcher = createDispatcher(table, { origin: APP_ORIGIN, webContentsIds: windowIds });
  for (const channel of ['custodian:exec', 'listKeys', 'custodian:__proto__', 'custodian:constructor', 42, undefined, 'ELECTRON_BROWSER_REQUIRE']) {
    const result = await dispatcher.handle(channel, {}, trusted);
    assert.equal(!result.ok && result.error.code, 'USAGE', String(channel));
  }
  assert.equal(calls.length, 0);
});

test('payloads failing their schema are refused, never reach the core, and are not echoed', async () => {
  const { table, calls } = recordingTable();
  const dispatcher = createDispatcher(table, { origin: APP_ORIGIN, webContentsIds: windowIds });
  const bad: Array<[ActionName, unknown]> = [
    ['generateKey', {}],
    ['generateKey', { name: 42 }],
    ['generateKey', { name: 'ok', extra: true }],
    ['generateKey', { name: '../../etc/passwd' }],
    ['generateKey', null],
    ['generateKey', 'mail-helper'],
    ['importKey', { name: 'k', keyText: 'x'.repeat(5000) }],
    ['unsealSubmit', { ceremonyId: 'abcdefgh12', share: SECRET_SHARE, extra: SECRET_SHARE }],
    ['unsealSubmit', { ceremonyId: '../../x', share: SECRET_SHARE }],
    ['unsealSubmit', { ceremonyId: 'abcdefgh12', share: 'x'.repeat(30_000) }],
    ['vaultStatus', { addrs: ['file:///etc/passwd'] }],
    ['vaultStatus', { addrs: [`https://user:${SECRET_SHARE}@vault:8200`] }],
    ['vaultStatus', { addrs: [] }],
    ['vaultInit', { addrs: ['https://v:8200'], shares: 3, threshold: 5 }],
    ['pushKey', { key: 'K1', servers: [] }],
    ['saveSettings', { idleLockMinutes: 0, clipboardClearSeconds: 30, watchIntervalSeconds: 10 }],
    ['listKeys', { sneaky: true }],
  ];
  for (const [action, payload] of bad) {
    const result = await dispatcher.handle(channelOf(action), payload, trusted);
    assert.equal(result.ok, false, `${action} ${JSON.stringify(payload).slice(0, 80)}`);
    if (!result.ok) {
      assert.equal(result.error.code, 'INVALID_INPUT');
      assert.doesNotMatch(JSON.stringify(result.error), new RegExp(SECRET_SHARE), 'the error does not echo the payload');
      assert.doesNotMatch(JSON.stringify(result.error), /x{100}/);
    }
  }
  // Every action refuses a payload that is not an object at all.
  for (const action of ACTIONS) {
    const result = await dispatcher.handle(channelOf(action), [SECRET_SHARE], trusted);
    assert.equal(!result.ok && result.error.code, 'INVALID_INPUT', action);
  }
  assert.equal(calls.length, 0);
});

test('core errors keep their code and hint; unexpected errors become a generic INTERNAL without their message', async () => {
  const { table } = recordingTable();
  const dispatcher = createDispatcher(table, { origin: APP_ORIGIN, webContentsIds: windowIds });
  const refused = await dispatcher.handle(channelOf('generateKey'), { name: 'refuse' }, trusted);
  assert.deepEqual(refused, { ok: false, error: { code: 'KEY_NOT_FOUND', message: 'No key named refuse.', hint: 'Check the name.' } });
  const exploded = await dispatcher.handle(channelOf('generateKey'), { name: 'explode' }, trusted);
  assert.equal(!exploded.ok && exploded.error.code, 'INTERNAL');
  assert.doesNotMatch(JSON.stringify(exploded), new RegExp(SECRET_SHARE));
});
