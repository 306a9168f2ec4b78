/**
 * End-to-end: the key rotation of docs/rotation.md from the desktop app (issue 11 §5), in Debian's Chromium against
 * the real core (test bridge), a real gnome-keyring, two real Python mail-helper apps (`python -m mail_helper`,
 * ENCRYPTION_KEY_SOURCE=custodian) with rows in their SQLite databases, and a real OpenBao with the KV v2 entry
 * `secret/mail-helper/encryption` kept in step. The CLI only sets the scene (key, pins, first push); every
 * rotation step is made in the window. Screenshots: test-results/screenshots/rotation-*.png.
 *
 * Begin (refused while the new key has no backup, the generated key offered; then started without the check),
 * the servers accept the new id (redeployed with it as first key check), push both keys, re-encryption by the
 * apps' own job (as test/integration/rotation.test.ts does it), finish behind a confirmation and presence; then
 * each app runs the new key alone, every row opens with it alone, the old key is retired, Vault holds the new
 * key with an empty previous_key, and nothing secret is in the home's files or the bridge's output.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { kvRead, resolveConnection, VaultCluster, VaultProfiles } from '../../src-main/core/vault/index.js';
import { httpGet } from '../support/http-get.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startKvVault } from '../support/kv-vault.js';
import { appUrl, reencrypt, rowsOpeningWith, seedRows, startMailHelper } from '../support/mail-helper.js';
import { assertNoSecrets, filesUnder, type BaoCluster } from '../support/openbao.js';
import type { ReceiverProcess } from '../support/receivers.js';
import { jsonOf, ok as cliOk, runCustodian } from '../support/run-cli.js';
import { expectAxeClean } from './specs/accessibility.js';
import { alertWithCode, confirmPresence, E2E_UNLOCK_PASSPHRASE, goTo, waitForText, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';

const ROWS = 12;
const PROFILE = 'prod';
let keyring: KeyringSession;
let bao: BaoCluster;
let rootToken: Buffer;
let bridge: Bridge;
let window: Window;
let context: SpecContext;
const dirs: string[] = [];
const apps: Array<{ name: string; dir: string; receiver: ReceiverProcess }> = [];
let entry = '';
let oldId = '';
let oldText = '';
let newId = '';

const cli = async (args: string[], input?: string) => cliOk(await runCustodian(args, { env: context.env, ...(input ? { input } : {}), timeoutMs: 60_000 }));
const keyText = async (ref: string): Promise<string> => (await cli(['key', 'export', ref, '--reveal'])).stdout.toString('ascii').trim();

async function readEntry(): Promise<Record<string, string>> {
  const cluster = new VaultCluster(resolveConnection({ addresses: bao.addresses, caCert: bao.ca.caCert, token: rootToken }, {}));
  try {
    const secret = await kvRead(cluster, 'secret', 'mail-helper/encryption');
    assert.ok(secret, 'the entry exists');
    return Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, v.toString('utf8')]));
  } finally {
    cluster.close();
  }
}

before(async () => {
  keyring = await startKeyring();
  const vault = await startKvVault();
  bao = vault.server;
  rootToken = vault.rootToken;
  for (const share of vault.shares) share.fill(0);
  await new VaultProfiles(keyring.env['CUSTODIAN_HOME']!).save(PROFILE, { addresses: bao.addresses, caCert: bao.ca.caCert });
  const env = { ...keyring.env };
  // As in incident.test.ts: the second bridge starts without the minute of presence that setting the passphrase
  // gives, so finishing must ask for it.
  await (await startBridge(env)).stop();
  bridge = await startBridge(env, { unlockPassphrase: null });
  window = await openWindow(bridge);
  context = { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: E2E_UNLOCK_PASSPHRASE };

  entry = (await cli(['identity', 'show'])).stdout.toString().trimEnd();
  oldId = jsonOf(await cli(['--json', 'key', 'generate', '--name', 'mail-data']))['id'] as string;
  oldText = await keyText(oldId);
  // Two apps with rows under the old key, pinned and unlocked with it: the fleet before a rotation.
  for (const name of ['mail-1', 'mail-2']) {
    const dir = mkdtempSync(join(tmpdir(), `custodian-e2e-rotation-${name}-`));
    dirs.push(dir);
    seedRows(dir, oldText, ROWS);
    const receiver = await startMailHelper(name, dir, `${entry}\n`, [oldId]);
    apps.push({ name, dir, receiver });
    await cli(['server', 'add', name, receiver.url, '--identity', receiver.identity]);
  }
  await cli(['--json', 'push', '--key', oldId, '--server', 'mail-1', 'mail-2']);
});

after(async () => {
  await window?.close();
  await bridge?.stop();
  for (const app of apps) await app.receiver.stop();
  await Promise.all([bao?.stop(), keyring?.stop()]);
  rootToken?.fill(0);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const section = () => context.page.getByRole('region', { name: 'Rotate a key' });
const serverRow = (name: string) => section().getByRole('table', { name: 'Servers of the rotation' }).locator(`tr[data-server="${name}"]`);
const keyRow = (name: string) => context.page.getByRole('table', { name: 'Keys' }).getByRole('row').filter({ has: context.page.getByRole('cell', { name, exact: true }) });

async function refresh(): Promise<void> {
  await section().getByRole('button', { name: 'Refresh rotation status' }).click();
  await section().getByText('Asking the servers').waitFor({ state: 'detached', timeout: 30_000 });
}

test('begin: refused while the generated key has no backup (it is offered next), then started; Vault entry written, key list and Dashboard show it', () => withDiagnostics(context, 'rotation-begin', async () => {
  const { page } = context;
  await goTo(page, 'Keys');
  await waitForText(keyRow('mail-data'), /\d+ days/);
  const form = section().getByRole('form', { name: 'Begin a rotation' });
  await form.getByLabel('Key in use now').selectOption({ label: `mail-data (${oldId})` });
  await form.getByLabel('Name of the new key').fill('mail-data-2027');
  await form.getByLabel('Vault KV entry to keep in step (optional)').fill('secret/mail-helper/encryption');
  await form.getByLabel('Vault profile (optional)').fill(PROFILE);
  await form.getByLabel('Vault token').fill(rootToken.toString('utf8'));
  await form.getByRole('button', { name: 'Begin rotation' }).click();
  const refusal = await alertWithCode(form, 'ROTATION_BACKUP_MISSING');
  assert.match(refusal, /has no backup yet; no rotation was started/);
  const listed = jsonOf(await cli(['--json', 'key', 'list'])) as { keys: Array<{ id: string; name: string; state: string | null }> };
  newId = listed.keys.find((k) => k.name === 'mail-data-2027')?.id ?? '';
  assert.match(newId, /^K1-/, 'the generated key is in the keychain');
  assert.equal(jsonOf(await cli(['--json', 'rotate', 'status', '--no-vault']))['open'], null, 'nothing recorded');
  await waitForText(form.getByLabel('Rotate to'), new RegExp(`mail-data-2027 \\(${newId}\\)`));
  assert.equal(await form.getByLabel('Rotate to').inputValue(), newId, 'the generated key is offered for the next attempt');

  await form.getByLabel('Start even though the new key has no backup yet (the keychain holds its only copy)').check();
  await form.getByRole('button', { name: 'Begin rotation' }).click();
  await section().getByRole('heading', { name: `Rotation mail-data (${oldId}) → mail-data-2027 (${newId})` }).waitFor({ timeout: 30_000 });
  // The old key is still the current one there, so no token is under a previous key yet.
  for (const name of ['mail-1', 'mail-2']) await waitForText(serverRow(name), new RegExp(`${name}\\s+unlocked\\s+${oldId}\\s+no\\s+0\\s+${name} does not accept the new key`), 30_000);
  await waitForText(section().getByRole('note').filter({ hasText: 'Not accepting' }), /Not accepting .* yet: mail-1, mail-2\./);
  await waitForText(section().getByTestId('grace-countdown'), /Grace period: (29 d 23 h|30 d 0 h) \d+ min left/);
  assert.equal(await section().getByRole('list', { name: 'Rotation steps' }).locator('[aria-current="step"]').innerText(), `Every server accepts ${newId} (deploy it as the first key check)`);

  const kv = await readEntry();
  assert.deepEqual([kv['current_key_id'], kv['previous_key_id']], [newId, oldId]);
  assert.equal(kv['current_key'], await keyText(newId));
  assert.equal(kv['previous_key'], oldText);
  await waitForText(keyRow('mail-data'), /previous/);
  await waitForText(keyRow('mail-data-2027'), /current/);
  await expectAxeClean(page, 'rotation-open');
  await context.shot('rotation-begun');

  await goTo(page, 'Dashboard');
  await waitForText(page.getByTestId('dash-rotation'), new RegExp(`Rotation open: ${oldId} → ${newId}; the grace period ends .* \\(30 days left\\)\\.`));
}));

test('the servers accept the new id, push both keys, re-encrypt, finish (confirmation and presence): new key alone everywhere, old key retired', () => withDiagnostics(context, 'rotation-finish', async () => {
  const { page } = context;
  // "Deploy" the new id: each app restarts with it as first key check (same files and port: same identity), locked.
  for (const app of apps) {
    const port = app.receiver.port;
    await app.receiver.stop();
    app.receiver = await startMailHelper(app.name, app.dir, `${entry}\n`, [newId, oldId], port);
  }
  await goTo(page, 'Keys');
  await section().getByLabel('Vault token').fill(rootToken.toString('utf8'));
  await refresh();
  for (const name of ['mail-1', 'mail-2']) await waitForText(serverRow(name), new RegExp(`${name}\\s+locked\\s+—\\s+yes[\\s\\S]*is locked`), 30_000);
  await waitForText(section().getByTestId('rotation-vault'), new RegExp(`Vault entry secret/mail-helper/encryption: version 1, current key ${newId}, previous key ${oldId}\\.`));

  await section().getByRole('button', { name: 'Push both keys' }).click();
  const pushed = await waitForText(section().getByRole('list', { name: 'Push results' }), /mail-1: unlocked[\s\S]*mail-2: unlocked/, 60_000);
  assert.ok(pushed.includes(`${newId}, ${oldId}`), pushed);
  for (const name of ['mail-1', 'mail-2']) await waitForText(serverRow(name), new RegExp(`unlocked\\s+${newId}, ${oldId}\\s+yes\\s+${ROWS}[\\s\\S]*still holds ${ROWS} token`), 30_000);
  for (const app of apps) assert.equal((await httpGet(`${appUrl(app.receiver)}/api/messages`)).status, 200, 'the app serves its rows with both keys');
  await waitForText(section().getByTestId('rotation-ready'), /Not ready to finish yet/);
  await context.shot('rotation-pushed');

  // Re-encryption runs on the servers, as the integration test runs it: the apps' own job.
  for (const app of apps) {
    const run = reencrypt(app.receiver);
    assert.equal(run.status, 0, run.stderr);
  }
  await refresh();
  for (const name of ['mail-1', 'mail-2']) await waitForText(serverRow(name), /yes\s+0\s+Ready/, 30_000);
  await waitForText(section().getByTestId('rotation-ready'), /Ready to finish/);
  assert.equal(await section().getByRole('list', { name: 'Rotation steps' }).locator('[aria-current="step"]').innerText(), 'Finish: each server on the new key alone');

  await section().getByRole('button', { name: 'Finish rotation' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Finish the rotation?' });
  await waitForText(dialog, new RegExp(`switches to ${newId} alone and ${oldId} is retired`));
  await dialog.getByRole('button', { name: 'Finish and retire the old key' }).click();
  assert.equal(await confirmPresence(context, 30_000), true, 'finishing asked for presence');
  const outcome = await waitForText(section().getByRole('status', { name: 'Rotation outcome' }), /Rotation finished/, 60_000);
  assert.match(outcome, new RegExp(`${newId} is current, ${oldId} is retired`));
  assert.match(outcome, new RegExp(`mail-1: now ${newId}[\\s\\S]*mail-2: now ${newId}`));
  assert.match(outcome, /Vault entry written: version 2 \(previous_key empty\)\./);
  await section().getByRole('form', { name: 'Begin a rotation' }).waitFor();
  await waitForText(keyRow('mail-data'), /retired/);
  await context.shot('rotation-finished');

  // The final state, seen from outside the app: servers, rows, the CLI's view of rotation.json, Vault.
  const servers = jsonOf(await cli(['--json', 'server', 'status', 'mail-1', 'mail-2'])) as { servers: Array<{ installedKeyIds: string[] }> };
  for (const s of servers.servers) assert.deepEqual(s.installedKeyIds, [newId], 'the server reports only the new key');
  const newText = await keyText(newId);
  for (const app of apps) assert.deepEqual(rowsOpeningWith(app.dir, newText), { opened: ROWS, total: ROWS });
  const status = jsonOf(await cli(['--json', 'rotate', 'status', '--no-vault'])) as { open: unknown; last: { outcome: string; oldKeyId: string; newKeyId: string } };
  assert.equal(status.open, null);
  assert.deepEqual([status.last.outcome, status.last.oldKeyId, status.last.newKeyId], ['finished', oldId, newId]);
  const listed = jsonOf(await cli(['--json', 'key', 'list'])) as { keys: Array<{ id: string; state: string | null }> };
  assert.deepEqual([oldId, newId].map((id) => listed.keys.find((k) => k.id === id)?.state), ['retired', 'current']);
  const kv = await readEntry();
  assert.deepEqual([kv['current_key_id'], kv['previous_key'], kv['current_key']], [newId, '', newText]);

  const home = keyring.env['CUSTODIAN_HOME']!;
  const log = filesUnder(home).filter((f) => !f.endsWith('.sock'));
  assertNoSecrets([Buffer.from(oldText), Buffer.from(newText), rootToken], { files: log, texts: { 'bridge stderr': bridge.stderr() } });
  const problems = window.console.filter((line) => /Content Security Policy|pageerror|Refused to/i.test(line));
  assert.deepEqual(problems, []);
}));
