/**
 * End-to-end: the push guard of issue 11 (protocol §12.12) in the desktop app, in Debian's Chromium against the
 * real core (test bridge), a real gnome-keyring and a real Node receiver process on loopback, unlocked with a new
 * and an older key. Pushing the new key alone is refused with REKEY_KEY_IN_USE (the receiver does not report its
 * data count) and nothing is sent; the "drop previous" confirmation then retires the old key on purpose, in place.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { jsonOf, ok as cliOk, runCustodian } from '../support/run-cli.js';
import { E2E_UNLOCK_PASSPHRASE, goTo, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { openIdentity } from './specs/incident.js';
import { dropPreviousSpec } from './specs/push.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';

let keyring: KeyringSession;
let bridge: Bridge;
let window: Window;
let context: SpecContext;
let receiver: ReceiverProcess | undefined;
const ids = { next: '', old: '' };

const cli = async (args: string[], input?: string) => cliOk(await runCustodian(args, { env: context.env, ...(input ? { input } : {}), timeoutMs: 30_000 }));

before(async () => {
  keyring = await startKeyring();
  const env = { ...keyring.env };
  bridge = await startBridge(env);
  window = await openWindow(bridge);
  context = { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: E2E_UNLOCK_PASSPHRASE };
  ids.old = jsonOf(await cli(['--json', 'key', 'import', '--name', 'orders-2026'], encodeFernetKey(randomBytes(32)).toString('ascii')))['id'] as string;
  ids.next = jsonOf(await cli(['--json', 'key', 'import', '--name', 'orders-2027'], encodeFernetKey(randomBytes(32)).toString('ascii')))['id'] as string;
});

after(async () => {
  await window?.close();
  await bridge?.stop();
  await receiver?.stop();
  await keyring?.stop();
});

test('push guard: the new key alone is refused while the server holds the older key; "drop previous" retires it on purpose', () => withDiagnostics(context, 'rekey-guard', async () => {
  const section = await openIdentity(context);
  const entry = (await section.getByLabel('Authorized-custodians entry').innerText()).trim();
  receiver = await startReceiver({ serverId: 'app-1', authorizedCustodians: `${entry}\n`, keyChecks: [ids.next, ids.old] });
  await cli(['server', 'add', 'app-1', receiver.url, '--identity', receiver.identity]);
  await cli(['push', '--key', 'orders-2027', '--previous', 'orders-2026', '--server', 'app-1']);
  await goTo(context.page, 'Servers');
  await context.page.getByRole('button', { name: 'Refresh status' }).click();
  await dropPreviousSpec(context, 'orders-2027', 'app-1');
  const rekeys = receiver.events().filter((e) => e.event === 'rekey');
  assert.deepEqual(rekeys.map((e) => [e['ok'], e['key_ids'], e['retired']]), [[true, [ids.next], [ids.old]]], 'the refused push sent nothing; the confirmed one retired the old key');
}));
