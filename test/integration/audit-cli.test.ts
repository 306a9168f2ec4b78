/**
 * The audit log through the real CLI and the real OS keychain (gnome-keyring on a private bus): commands record
 * and verify; tampering fails `audit verify` with exit 8 naming the entry; two CLI processes and the app's log
 * appending at once lose nothing; kill -9 in the middle of appends leaves a log that verifies; a locked keychain
 * refuses; no secret ends up in the log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { failed, jsonError, jsonOf, ok, runCustodian } from '../support/run-cli.js';

let session: KeyringSession;
let home: string;
const cli = (args: string[], input?: string) => runCustodian(args, { env: session.env, ...(input === undefined ? {} : { input }), timeoutMs: 60_000 });
const logLines = () => readFileSync(join(home, 'audit.log'), 'utf8').split('\n').filter(Boolean);

before(async () => {
  session = await startKeyring();
  home = session.env['CUSTODIAN_HOME']!;
});
after(async () => {
  await session?.stop();
});

test('commands record signed entries; log, verify, checkpoint, verifier-key, prove and consistency answer', async () => {
  ok(await cli(['key', 'generate', '--name', 'orders-db']));
  ok(await cli(['key', 'generate', '--name', 'billing']));
  ok(await cli(['key', 'list']));
  const entries = jsonOf(ok(await cli(['--json', 'audit', 'log', '--action', 'key']))).entries as Record<string, unknown>[];
  assert.ok(entries.length >= 2, 'key generates are recorded');
  assert.deepEqual((entries[0]!['by'] as Record<string, unknown>)['source'], 'cli');
  const report = jsonOf(ok(await cli(['--json', 'audit', 'verify'])));
  assert.equal(report.ok, true);
  assert.equal(report.keychainSize, report.checkpointSize);
  const checkpoint = ok(await cli(['audit', 'checkpoint'])).stdout.toString();
  assert.match(checkpoint, /^key-custodian\/audit-[0-9a-f]{16}\n\d+\n[A-Za-z0-9+/=]{44}\n\n\u2014 key-custodian\/audit-/);
  const key = ok(await cli(['audit', 'verifier-key'])).stdout.toString().trim();
  assert.match(key, /^key-custodian\/audit-[0-9a-f]{16}\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  const proof = jsonOf(ok(await cli(['audit', 'prove', '0'])));
  assert.equal(proof.index, 0);
  assert.ok(Array.isArray(proof.inclusion_path));
  const consistency = jsonOf(ok(await cli(['audit', 'consistency', '1'])));
  assert.equal(consistency.old_size, 1);
  failed(await cli(['audit', 'prove', '9999']), 4, 'AUDIT_ENTRY_NOT_FOUND');
  assert.ok(!readFileSync(join(home, 'audit.log'), 'utf8').match(/[A-Za-z0-9_-]{43}=/), 'no Fernet key text in the log');
});

test('two CLI processes and the app appending at once: no entry lost, none interleaved, the log verifies', async () => {
  const before = logLines().length;
  Object.assign(process.env, session.env); // the in-process (app) log reaches the same keychain
  const { FileAuditLog } = await import('../../src-main/core/audit.js');
  const app = new FileAuditLog(home, { source: 'app' });
  const cliRuns = (name: string) => (async () => {
    for (let i = 0; i < 4; i += 1) ok(await cli(['key', 'generate', '--name', `${name}-${i}`]));
  })();
  await Promise.all([cliRuns('a'), cliRuns('b'), Promise.all(Array.from({ length: 20 }, (_, i) => app.record({ action: 'settings.change', outcome: 'ok', setting: `s${i}` })))]);
  const added = logLines().slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(added.filter((e) => e['action'] === 'settings.change').length, 20);
  assert.equal(added.filter((e) => e['action'] === 'key.generate').length, 8);
  assert.ok(added.some((e) => (e['by'] as Record<string, unknown>)['source'] === 'app'));
  ok(await cli(['audit', 'verify']));
});

test('kill -9 during large appends leaves a log that verifies (a torn tail is reported, then set aside)', async () => {
  const audit = fileURLToPath(new URL('../../src-main/core/audit.js', import.meta.url));
  const script = `import { FileAuditLog } from ${JSON.stringify(audit)};
const log = new FileAuditLog(process.env.CUSTODIAN_HOME);
for (let i = 0; i < 1000; i++) await log.record({ action: 'bulk', outcome: 'ok', filler: 'x'.repeat(400000), i });`;
  for (let round = 0; round < 3; round += 1) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: session.env, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 700 + round * 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    const report = jsonOf(ok(await cli(['--json', 'audit', 'verify'])));
    assert.equal(report.ok, true, JSON.stringify(report));
  }
  ok(await cli(['key', 'generate', '--name', 'after-crash']));
  const report = jsonOf(ok(await cli(['--json', 'audit', 'verify'])));
  assert.equal(report.ok, true);
});

test('tampering: an edited entry fails verify with exit 8 naming it; a locked keychain refuses with exit 3', async () => {
  const lines = logLines();
  const original = readFileSync(join(home, 'audit.log'));
  writeFileSync(join(home, 'audit.log'), `${lines.map((line, i) => (i === 1 ? line.replace('"outcome":"ok"', '"outcome":"error"') : line)).join('\n')}\n`);
  failed(await cli(['audit', 'verify']), 8, 'AUDIT_VERIFY_FAILED');
  const run = await cli(['--json', 'audit', 'verify']);
  assert.equal(run.status, 8);
  const error = jsonError(run);
  assert.deepEqual((error.details?.['failure'] as Record<string, unknown>)['entry'], 1);
  assert.equal((error.details?.['failure'] as Record<string, unknown>)['reason'], 'edited');
  writeFileSync(join(home, 'audit.log'), original);
  ok(await cli(['audit', 'verify']));
  await session.lock();
  const { FileAuditLog } = await import('../../src-main/core/audit.js');
  const sizeBefore = readFileSync(join(home, 'audit.log')).length;
  await assert.rejects(new FileAuditLog(home, { source: 'app' }).record({ action: 'key.delete', outcome: 'ok' }), { code: 'KEYCHAIN_LOCKED' });
  assert.equal(readFileSync(join(home, 'audit.log')).length, sizeBefore, 'nothing was appended');
  failed(await cli(['audit', 'verify']), 3, 'KEYCHAIN_LOCKED');
});
