/**
 * The Node demo receiver's revision 2 features as an operator runs them, each against a real process on
 * loopback: remote lock (and its log line), the key-order rule and --allow-older-current-key, custodian
 * statements kept in --custodian-statements and replayed at restart, `rotate-identity` with
 * --identity-handovers, the protected identity key (--identity-key-credential, systemd's credential directory)
 * and --metrics.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keyIdOf } from '../../receivers/node/src/index.js';
import { nodeReceiverCommand, startReceiver, type ReceiverProcess, type StartReceiverOptions } from '../support/receivers.js';
import {
  handoverStatement, http, lockBody, newSigner, openJws, readStatus, revocationStatement, signerFromPemFile,
  statementBody, unlockBody, type TestSigner,
} from '../unit/protocol/receiver-node-client.js';

const alice: TestSigner = newSigner();
const bob: TestSigner = newSigner();
const carol: TestSigner = newSigner();
const keys = { current: randomBytes(32), previous: randomBytes(32) };
const ids = { current: keyIdOf(keys.current), previous: keyIdOf(keys.previous) };
const started: ReceiverProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-node-cli-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(started.map((r) => r.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function receiver(options: Partial<StartReceiverOptions> = {}): Promise<ReceiverProcess> {
  const r = await startReceiver({
    authorizedCustodians: `${alice.fingerprint} alice\n${bob.fingerprint} bob\n`,
    keyChecks: [ids.current, ids.previous],
    serverId: 'app-1',
    ...options,
  });
  started.push(r);
  return r;
}

/** Runs `custodian-receiver ARGS` to completion (bounded): exit status, stdout, stderr. */
function runReceiverCli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [program, ...lead] = nodeReceiverCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(program!, [...lead, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

const codeOf = (answer: { json(): Record<string, unknown> }) => (answer.json()['error'] as { code?: string } | undefined)?.code ?? null;

async function unlock(r: ReceiverProcess, by: TestSigner, which: Buffer[] = [keys.current, keys.previous]) {
  const status = await readStatus(r.url, r.identity);
  return http(`${r.url}/unlock`, { body: await unlockBody(status, by, which, which.map((k) => keyIdOf(k))) });
}

describe('remote lock (§12.4) on the real process', () => {
  it('a custodian locks an unlocked receiver: signed lock receipt, new boot, log line, old requests useless', async () => {
    const r = await receiver();
    assert.equal((await unlock(r, alice)).status, 200);
    const unlocked = await readStatus(r.url, r.identity);
    assert.equal(unlocked.payload['state'], 'unlocked');
    assert.equal(typeof unlocked.payload['challenge'], 'string', 'an unlocked receiver issues challenges (for lock)');
    const body = lockBody(unlocked, bob);
    const answer = await http(`${r.url}/lock`, { body });
    assert.equal(answer.status, 200, answer.text);
    const receipt = openJws(String(answer.json()['receipt']));
    assert.equal(receipt.typ, 'custodian-lock-receipt+jws');
    assert.equal(receipt.signer, r.identity);
    assert.equal(receipt.payload['boot_id'], unlocked.payload['boot_id']);
    assert.equal(receipt.payload['custodian'], bob.fingerprint);
    const after = await readStatus(r.url, r.identity);
    assert.equal(after.payload['state'], 'locked');
    assert.notEqual(after.payload['boot_id'], unlocked.payload['boot_id']);
    const replay = await http(`${r.url}/lock`, { body });
    assert.equal(codeOf(replay), 'WRONG_BOOT');
    const line = await r.waitFor((e) => e.event === 'lock' && e['ok'] === true);
    assert.deepEqual(line, { event: 'lock', ok: true, custodian: bob.fingerprint, boot_id: unlocked.payload['boot_id'] });
    await r.waitFor((e) => e.event === 'lock' && e['ok'] === false && e['error'] === 'WRONG_BOOT');
    assert.ok(!r.stdout().includes(keys.current.toString('base64url')) && !r.stdout().includes(body.slice(40, 120)), 'no key and no request in the log');
  });

  it('an unauthorized custodian cannot lock', async () => {
    const r = await receiver();
    assert.equal((await unlock(r, alice)).status, 200);
    const answer = await http(`${r.url}/lock`, { body: lockBody(await readStatus(r.url, r.identity), carol) });
    assert.deepEqual([answer.status, codeOf(answer)], [403, 'UNKNOWN_CUSTODIAN']);
    assert.equal((await readStatus(r.url, r.identity)).payload['state'], 'unlocked');
  });
});

describe('key order (§12.3 step 10a, issue 10 §5 rotation order)', () => {
  it('[previous, current] and [previous] are refused by default, and the challenge is not spent', async () => {
    const r = await receiver();
    const status = await readStatus(r.url, r.identity);
    for (const order of [[keys.previous, keys.current], [keys.previous]]) {
      const answer = await http(`${r.url}/unlock`, { body: await unlockBody(status, alice, order, order.map((k) => keyIdOf(k))) });
      assert.deepEqual([answer.status, codeOf(answer)], [422, 'KEY_ORDER_REFUSED']);
    }
    const good = await http(`${r.url}/unlock`, { body: await unlockBody(status, alice, [keys.current], [ids.current]) });
    assert.equal(good.status, 200, 'the same challenge still works');
  });

  it('--allow-older-current-key accepts [previous, current]', async () => {
    const r = await receiver({ args: ['--allow-older-current-key'] });
    assert.equal((await unlock(r, alice, [keys.previous, keys.current])).status, 200);
  });
});

describe('custodian statements (§12.5) with --custodian-statements', () => {
  it('without the flag: 409 STATEMENTS_DISABLED', async () => {
    const r = await receiver();
    const answer = await http(`${r.url}/custodians`, { body: statementBody(handoverStatement(alice, carol.fingerprint, 'carol')) });
    assert.deepEqual([answer.status, codeOf(answer)], [409, 'STATEMENTS_DISABLED']);
  });

  it('a hand-over and a revocation are written 0600 before they apply, replayed at restart, and a tampered file stops the start naming the line', async () => {
    const dir = tempDir();
    const file = join(dir, 'statements');
    const r = await receiver({ dir, args: ['--custodian-statements', file] });
    assert.equal(statSync(file).mode & 0o777, 0o600, 'created 0600');
    const handover = handoverStatement(alice, carol.fingerprint, 'carol (laptop 2027)');
    let answer = await http(`${r.url}/custodians`, { body: statementBody(handover) });
    assert.equal(answer.text, '{"protocol":"custodian-unlock/1","applied":true}');
    answer = await http(`${r.url}/custodians`, { body: statementBody(handover) });
    assert.equal(answer.text, '{"protocol":"custodian-unlock/1","applied":false}', 'replaying it is harmless');
    const revocation = revocationStatement(carol, bob.fingerprint);
    assert.equal((await http(`${r.url}/custodians`, { body: statementBody(revocation) })).json()['applied'], true);
    const last = await http(`${r.url}/custodians`, { body: statementBody(revocationStatement(carol, carol.fingerprint)) });
    assert.deepEqual([last.status, codeOf(last)], [409, 'LAST_CUSTODIAN']);
    assert.equal(readFileSync(file, 'utf8'), `${handover}\n${revocation}\n`);
    await r.waitFor((e) => e.event === 'statement' && e['type'] === 'revocation' && e['applied'] === true);

    // After a restart the file is replayed: alice and bob are out, carol is in.
    await r.restart();
    assert.deepEqual([(await unlock(r, alice)).status, codeOf(await unlock(r, bob))], [403, 'UNKNOWN_CUSTODIAN']);
    assert.equal((await unlock(r, carol)).status, 200);

    // A line that no longer verifies: the receiver refuses to start and names it, without quoting it.
    await r.stop();
    const tampered = `${handover}\n${revocation.slice(0, -6)}AAAAAA\n`;
    writeFileSync(file, tampered, { mode: 0o600 });
    await assert.rejects(r.restart(), (error: Error) => /custodian statements file line 2 is refused/.test(error.message) && !error.message.includes(revocation.slice(0, 30)));
    // A file others can read is refused like the identity key.
    writeFileSync(file, `${handover}\n`);
    chmodSync(file, 0o644);
    await assert.rejects(r.restart(), /INSECURE_FILE/);
  });
});

describe('receiver identity rotation (§12.6): rotate-identity and --identity-handovers', () => {
  it('rotates, serves the chain, and refuses to start on a chain that does not end at its key', async () => {
    const dir = tempDir();
    const r = await receiver({ dir });
    const oldIdentity = r.identity;
    const oldKey = join(dir, 'identity.key');
    const newKey = join(dir, 'identity-2.key');
    const run = await runReceiverCli(['rotate-identity', '--identity-key', oldKey, '--new-identity-key', newKey, '--server-id', 'app-1']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(statSync(newKey).mode & 0o777, 0o600);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'exactly one line: the hand-over');
    const link = openJws(lines[0]!);
    assert.equal(link.typ, 'custodian-receiver-handover+jws');
    assert.equal(link.signer, oldIdentity);
    const newSigner = signerFromPemFile(readFileSync(newKey));
    assert.deepEqual(Object.keys(link.payload), ['protocol', 'type', 'server_id', 'old_identity', 'new_identity', 'issued_at']);
    assert.equal(link.payload['old_identity'], oldIdentity);
    assert.equal(link.payload['new_identity'], newSigner.fingerprint);
    assert.ok(!run.stdout.includes('PRIVATE KEY') && !run.stderr.includes('PRIVATE KEY'));

    // Never overwrites NEW: a second run makes the same link target, and OLD = NEW is refused.
    const before = readFileSync(newKey);
    const again = await runReceiverCli(['rotate-identity', '--identity-key', oldKey, '--new-identity-key', newKey, '--server-id', 'app-1']);
    assert.equal(again.status, 0);
    assert.deepEqual(readFileSync(newKey), before);
    const same = await runReceiverCli(['rotate-identity', '--identity-key', oldKey, '--new-identity-key', oldKey, '--server-id', 'app-1']);
    assert.equal(same.status, 2);
    const missing = await runReceiverCli(['rotate-identity', '--identity-key', join(dir, 'nope.key'), '--new-identity-key', join(dir, 'n3.key'), '--server-id', 'app-1']);
    assert.equal(missing.status, 2);
    assert.equal(existsSync(join(dir, 'n3.key')), false, 'a refused rotation creates nothing');

    const handovers = join(dir, 'handovers');
    writeFileSync(handovers, run.stdout);
    await r.stop();
    const rotated = await receiver({ dir, identityKeyFile: newKey, args: ['--identity-handovers', handovers] });
    assert.equal(rotated.identity, newSigner.fingerprint);
    assert.deepEqual((await http(`${rotated.url}/identity`)).json(), { protocol: 'custodian-unlock/1', handovers: [lines[0]] });
    await rotated.stop();
    // The old key with the chain: it does not end at this receiver, so it does not start.
    await assert.rejects(receiver({ dir, args: ['--identity-handovers', handovers] }), /identity hand-overs file line 1 does not end at this receiver/);
    // Another server id in the link: refused.
    writeFileSync(handovers, `${(await runReceiverCli(['rotate-identity', '--identity-key', oldKey, '--new-identity-key', newKey, '--server-id', 'app-2'])).stdout}`);
    await assert.rejects(receiver({ dir, identityKeyFile: newKey, args: ['--identity-handovers', handovers] }), /line 1 is not a valid hand-over/);
  });
});

describe('the protected identity key: --identity-key-credential (systemd LoadCredentialEncrypted=)', () => {
  it('reads $CREDENTIALS_DIRECTORY/NAME, never writes it, and says clearly what is missing', async () => {
    const dir = tempDir();
    // The key as `systemd-creds decrypt` leaves it for the service: a 0400 file in a private directory.
    const keyDir = tempDir();
    const source = await receiver({ dir: keyDir });
    await source.stop();
    const credentials = join(dir, 'credentials');
    mkdirSync(credentials, { mode: 0o700 });
    writeFileSync(join(credentials, 'receiver-identity'), readFileSync(join(keyDir, 'identity.key')), { mode: 0o400 });
    const r = await receiver({ dir, identityKeyCredential: 'receiver-identity', env: { CREDENTIALS_DIRECTORY: credentials } });
    assert.equal(r.identity, source.identity);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.key')), [], 'no identity key file was created');
    assert.deepEqual(readdirSync(credentials), ['receiver-identity']);
    await r.stop();

    const base = ['--authorized-custodians', join(dir, 'authorized-custodians'), '--key-check', ids.current, '--port', '0'];
    const noVariable = await runReceiverCli(['--identity-key-credential', 'receiver-identity', ...base], { CREDENTIALS_DIRECTORY: '' });
    assert.equal(noVariable.status, 2);
    assert.match(noVariable.stderr, /CREDENTIALS_DIRECTORY is not set.*LoadCredentialEncrypted=/);
    const noFile = await runReceiverCli(['--identity-key-credential', 'other', ...base], { CREDENTIALS_DIRECTORY: credentials });
    assert.equal(noFile.status, 2);
    assert.match(noFile.stderr, /the credential other is missing in \$CREDENTIALS_DIRECTORY/);
    assert.deepEqual(readdirSync(credentials), ['receiver-identity'], 'nothing created');
    const both = await runReceiverCli(['--identity-key-credential', 'receiver-identity', '--identity-key', join(dir, 'x.key'), ...base], { CREDENTIALS_DIRECTORY: credentials });
    assert.equal(both.status, 2);
    assert.equal(existsSync(join(dir, 'x.key')), false);
    const traversal = await runReceiverCli(['--identity-key-credential', '../identity.key', ...base], { CREDENTIALS_DIRECTORY: credentials });
    assert.equal(traversal.status, 2);
    for (const out of [noVariable, noFile, both, traversal]) assert.ok(!`${out.stdout}${out.stderr}`.includes('PRIVATE KEY'));
  });
});

describe('--metrics (§12.7)', () => {
  it('404 without the flag; with it, Prometheus text with state, boot time and refusals by code, nothing secret', async () => {
    const plain = await receiver();
    assert.equal((await http(`${plain.url}/metrics`)).status, 404);
    const r = await receiver({ args: ['--metrics'] });
    await http(`${r.url}/unlock`, { body: '{"protocol":"custodian-unlock/1","request":"x"}' });
    await http(`${r.url}/unlock`, { body: '{}', contentType: 'text/plain' });
    assert.equal((await unlock(r, alice)).status, 200);
    const answer = await http(`${r.url}/metrics`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const text = answer.text;
    assert.match(text, new RegExp(`^custodian_receiver_info\\{server_id="app-1",identity="${r.identity}",protocol="custodian-unlock/1"\\} 1$`, 'm'));
    assert.match(text, /^custodian_receiver_unlocked 1$/m);
    assert.match(text, /^custodian_receiver_boot_time_seconds \d{10}$/m);
    assert.match(text, /^custodian_receiver_unlocks_total 1$/m);
    assert.match(text, /^custodian_receiver_refused_total\{code="BAD_REQUEST"\} 1$/m);
    assert.match(text, /^custodian_receiver_refused_total\{code="UNSUPPORTED_MEDIA_TYPE"\} 1$/m);
    for (const key of Object.values(keys)) assert.ok(!text.includes(key.toString('base64url')) && !text.includes(key.toString('hex')));
    for (const line of text.trim().split('\n')) assert.match(line, /^(# (HELP|TYPE) \S+ .+|[a-z_]+(\{[^}]*\})? \d+)$/, line);
  });
});
