/**
 * End-to-end: incident response from the desktop app (issue 10 §2), in Debian's Chromium against the real core
 * (test bridge), a real gnome-keyring and real Node receiver processes on loopback, with the real CLI pinning the
 * servers and making the receiver's own identity hand-over. Screenshots: test-results/screenshots/incident-*.png.
 *
 * One officer's session, in order: lock an unlocked receiver (it answers locked afterwards), then lock all;
 * rotate the custodian identity while one receiver is down (it is listed as pending, gets the hand-over with
 * "Send again"), then push with the new identity; revoke a second custodian; accept a receiver's new identity
 * after `custodian-receiver rotate-identity` (refused without the proof, with the core's sentence; accepted with
 * it); axe on the new views in both schemes; nothing secret in the audit log or the bridge's output.
 */
import { ReceiptLog } from '../../src-main/core/push/receipts.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fingerprintOf } from '../../src-main/core/push/index.js';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { assertNoSecrets, filesUnder } from '../support/openbao.js';
import { nodeReceiverCommand, startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { jsonOf, ok as cliOk, runCustodian } from '../support/run-cli.js';
import { expectAxeCleanBothSchemes } from './specs/accessibility.js';
import { E2E_UNLOCK_PASSPHRASE, goTo, waitForText, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { acceptIdentitySpec, lockAllSpec, lockOneSpec, openIdentity, revokeSpec, rotateSpec, sendAgainSpec } from './specs/incident.js';
import { pushSpec } from './specs/push.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';

let keyring: KeyringSession;
let bridge: Bridge;
let window: Window;
let context: SpecContext;
const receivers: ReceiverProcess[] = [];
const dirs: string[] = [];
const KEY = 'orders-db';
const KEY_TEXT = encodeFernetKey(randomBytes(32));
let keyId = '';
let original = '';
/** A second custodian, listed on app-1 next to this one, to be revoked. */
const bob = fingerprintOf(Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string, 'base64url'));

const cli = async (args: string[], input?: string) => cliOk(await runCustodian(args, { env: context.env, ...(input ? { input } : {}), timeoutMs: 30_000 }));

/** A Node receiver in a directory of ours (kept across restarts), pinned with the CLI. */
async function receiver(name: string, custodians: string, args: string[] = ['--custodian-statements', 'statements'], prepare?: (dir: string) => void): Promise<ReceiverProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-e2e-incident-'));
  dirs.push(dir);
  prepare?.(dir);
  const r = await startReceiver({ serverId: name, dir, authorizedCustodians: custodians, keyChecks: [keyId], args });
  receivers.push(r);
  await cli(['server', 'add', name, r.url, '--identity', r.identity]);
  return r;
}

/** What the receiver itself says (its signed status, read without the app). */
function stateOf(r: ReceiverProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    request(`${r.url}/status`, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => {
        try {
          const token = (JSON.parse(text) as { status: string }).status;
          resolve((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { state: string }).state);
        } catch (error) { reject(error as Error); }
      });
    }).on('error', reject).end();
  });
}

const unlockedBy = (r: ReceiverProcess): unknown[] => r.events().filter((e) => e.event === 'unlock' && e['ok'] === true).map((e) => e['custodian']);

before(async () => {
  keyring = await startKeyring();
  const env = { ...keyring.env };
  // Setting the passphrase counts as presence for a minute; the second bridge (passphrase kept in the keyring)
  // starts without it, so the first lock must ask, as an officer's next session would.
  await (await startBridge(env)).stop();
  bridge = await startBridge(env, { unlockPassphrase: null });
  window = await openWindow(bridge);
  context = { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: E2E_UNLOCK_PASSPHRASE };
  keyId = jsonOf(await cli(['--json', 'key', 'import', '--name', KEY], KEY_TEXT.toString('ascii')))['id'] as string;
});

after(async () => {
  await window?.close();
  await bridge?.stop();
  for (const r of receivers) await r.stop();
  await keyring?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('lock: an unlocked receiver locked from the app answers locked (new boot, lock receipt); "Lock all" names every server', () => withDiagnostics(context, 'incident-lock', async () => {
  const section = await openIdentity(context);
  original = (await section.getByTestId('custodian-fingerprint').innerText()).trim();
  const entry = (await section.getByLabel('Authorized-custodians entry').innerText()).trim();
  const app1 = await receiver('app-1', `${entry}\n${bob} bob\n`);
  const app2 = await receiver('app-2', `${entry}\n`);
  await goTo(context.page, 'Servers');
  await context.page.getByRole('button', { name: 'Refresh status' }).click();
  await pushSpec(context, KEY, keyId, 'app-1');
  assert.equal(await stateOf(app1), 'unlocked');
  const line = await lockOneSpec(context, 'app-1', true);
  assert.match(line, /app-1: locked \(was unlocked;/);
  assert.equal(await stateOf(app1), 'locked', 'the receiver itself answers locked');
  assert.equal(await stateOf(app2), 'locked');
  await context.shot('incident-locked');
  const all = await lockAllSpec(context, ['app-1', 'app-2']);
  assert.match(all, /app-1: locked \(was locked;[\s\S]*app-2: locked \(was locked;/);
  const log = readFileSync(join(context.env['CUSTODIAN_HOME']!, 'audit.log'), 'utf8');
  assert.equal(log.match(/"action":"server.lock"[^\n]*"outcome":"ok"/g)?.length, 3);
  const receipts = await new ReceiptLog(context.env['CUSTODIAN_HOME']!).list();
  assert.equal(receipts.filter((r) => r.kind === 'lock').length, 3, 'every lock receipt kept');
}));

test('rotate the identity with app-2 down: listed as pending with why, "Send again" delivers; a push then signs with the new identity', () => withDiagnostics(context, 'incident-rotate', async () => {
  const [app1, app2] = receivers;
  await app2!.stop();
  const { line, result } = await rotateSpec(context, 'alice (2027 laptop)');
  const fresh = line.split(' ')[0]!;
  assert.notEqual(fresh, original);
  assert.equal(line, `${fresh} alice (2027 laptop)`);
  assert.match(result, new RegExp(`Hand-over from ${original} signed`));
  assert.match(result, /app-1: applied/);
  assert.match(result, /app-2: not delivered[\s\S]*SERVER_UNREACHABLE/);
  assert.match(result, /The old identity stays in the keychain/);
  await waitForText(context.page.getByRole('list', { name: 'Statements not acknowledged by every server' }), /app-2: not acknowledged/);
  await context.shot('incident-rotated');
  await app2!.restart();
  const { before } = await sendAgainSpec(context, 'app-2');
  assert.match(before, new RegExp(`Hand-over ${original} → ${fresh}`));
  const section = await openIdentity(context);
  assert.equal((await section.getByTestId('custodian-fingerprint').innerText()).trim(), fresh);
  await pushSpec(context, KEY, keyId, 'app-1');
  assert.deepEqual(unlockedBy(app1!), [original, fresh], 'the first push by the old identity, this one by the new');
  const cliShow = jsonOf(await cli(['--json', 'identity', 'show'])) as { fingerprint: string; pending: unknown[] };
  assert.deepEqual([cliShow.fingerprint, cliShow.pending], [fresh, []], 'the CLI sees the same identity, nothing pending');
}));

test('revoke a second custodian: typed fingerprint, typed phrase, presence; app-1 applies it', () => withDiagnostics(context, 'incident-revoke', async () => {
  const text = await revokeSpec(context, bob);
  assert.match(text, /app-1: applied/);
  const statements = readFileSync(join(receivers[0]!.dir, 'statements'), 'utf8').trim().split('\n');
  assert.equal(statements.length, 2, 'app-1 wrote the hand-over and the revocation to its statements file');
  const log = readFileSync(join(context.env['CUSTODIAN_HOME']!, 'audit.log'), 'utf8');
  assert.match(log, new RegExp(`"action":"identity.revoke"[^\\n]*"outcome":"ok"[^\\n]*"revoked":"${bob}"`));
  await context.shot('incident-revoked');
}));

test('accept a receiver\'s new identity: refused without the hand-over (the core\'s sentence), accepted with it (old and new shown, 1 link)', () => withDiagnostics(context, 'incident-accept', async () => {
  const current = (await openIdentity(context)).getByTestId('custodian-fingerprint');
  const entry = `${(await current.innerText()).trim()} alice\n`;
  const r = await receiver('app-3', entry, ['--identity-handovers', 'handovers'], (dir) => writeFileSync(join(dir, 'handovers'), ''));
  const pinned = r.identity;
  // The receiver rotates its key with its own command; restarted with the new key but without the proof first.
  const [program, ...rest] = nodeReceiverCommand();
  const rotate = spawnSync(program!, [...rest, 'rotate-identity', '--identity-key', join(r.dir, 'identity.key'), '--new-identity-key', join(r.dir, 'identity-new.key'), '--server-id', 'app-3'], { encoding: 'utf8' });
  assert.equal(rotate.status, 0, rotate.stderr);
  await r.stop();
  renameSync(join(r.dir, 'identity.key'), join(r.dir, 'identity-old.key'));
  renameSync(join(r.dir, 'identity-new.key'), join(r.dir, 'identity.key'));
  await r.restart();
  assert.notEqual(r.identity, pinned);
  const refused = await acceptIdentitySpec(context, 'app-3', pinned);
  assert.equal(refused.ok, false);
  assert.match(refused.text, new RegExp(`app-3 presents identity ${r.identity}, and it serves no readable hand-over list|no chain of hand-overs signed by its pinned identity leads to it`));
  assert.match(refused.text, /the pin \(.*\) was not changed\./);
  assert.match(refused.text, /Error code: IDENTITY_MISMATCH/);
  // With the hand-over line in place (and a restart), the same button re-pins.
  await r.stop();
  appendFileSync(join(r.dir, 'handovers'), rotate.stdout);
  await r.restart();
  const accepted = await acceptIdentitySpec(context, 'app-3', pinned);
  assert.equal(accepted.ok, true, accepted.text);
  assert.match(accepted.text, new RegExp(`Re-pinned app-3\\.[\\s\\S]*Old identity: ${pinned}[\\s\\S]*New identity: ${r.identity}[\\s\\S]*1 hand-over link verified\\.`));
  const row = context.page.getByRole('table', { name: 'Servers' }).getByRole('row').filter({ hasText: 'app-3' });
  await waitForText(row, /\blocked\b/i, 30_000);
  assert.equal(await row.getByRole('button', { name: 'Accept new identity of app-3' }).count(), 0, 'offered only on a mismatch');
  await context.shot('incident-accepted');
  const pinnedNow = (jsonOf(await cli(['--json', 'server', 'list']))['servers'] as { name: string; identity: string }[]).find((s) => s.name === 'app-3');
  assert.equal(pinnedNow?.identity, r.identity, 'the CLI sees the new pin');
}));

test('the new views pass axe in both schemes: identity section, lock results, the Lock all confirmation; nothing secret leaks', () => withDiagnostics(context, 'incident-axe', async () => {
  const { page } = context;
  await lockOneSpec(context, 'app-3');
  await openIdentity(context);
  await expectAxeCleanBothSchemes(page, 'servers-identity-and-lock-results', context.shot);
  await page.getByRole('button', { name: 'Lock all', exact: true }).click();
  await page.getByRole('alertdialog', { name: /Lock every pinned server/ }).waitFor();
  await expectAxeCleanBothSchemes(page, 'servers-lock-all-confirm', context.shot);
  await page.getByRole('alertdialog', { name: /Lock every pinned server/ }).getByRole('button', { name: 'Keep' }).click();
  const problems = window.console.filter((line) => /Content Security Policy|pageerror|Refused to/i.test(line));
  assert.deepEqual(problems, []);
  const home = keyring.env['CUSTODIAN_HOME']!;
  assertNoSecrets([KEY_TEXT, Buffer.from(KEY_TEXT.toString('ascii'))], { files: filesUnder(home).filter((f) => !f.endsWith('.sock')), texts: { 'bridge stderr': bridge.stderr() } });
}));
