/**
 * FileAuditLog and verification in a temp custodian home with an in-memory keychain: every tamper case names the
 * first failing entry and why; crash leftovers are reported and set aside; a locked keychain or a full disk
 * refuses the append; concurrent appends lose nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileAuditLog } from '../../../src-main/core/audit.js';
import { CHECKPOINT_ACCOUNT } from '../../../src-main/core/audit/files.js';
import { readSnapshot, verifySnapshot } from '../../../src-main/core/audit/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import { MemorySecretStore, type SecretStore } from '../../../src-main/core/keystore/index.js';

function setup(): { home: string; secrets: MemorySecretStore; log: FileAuditLog; done: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'custodian-audit-'));
  const secrets = new MemorySecretStore();
  return { home, secrets, log: new FileAuditLog(home, { secrets }), done: () => rmSync(home, { recursive: true, force: true }) };
}

async function fill(log: FileAuditLog, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) await log.record({ action: 'key.generate', outcome: 'ok', keyId: `K1-TEST-${i}` });
}

async function verify(home: string, secrets: SecretStore) {
  return verifySnapshot(await readSnapshot(home, secrets));
}

function lines(home: string): string[] {
  return readFileSync(join(home, 'audit.log'), 'utf8').split('\n').filter(Boolean);
}

function rewrite(home: string, edit: (lines: string[]) => string[]): void {
  writeFileSync(join(home, 'audit.log'), `${edit(lines(home)).join('\n')}\n`);
}

test('entries: canonical JSON lines with seq, prev, time, who and the event; the log verifies', async () => {
  const { home, secrets, log, done } = setup();
  try {
    await fill(log, 5);
    const entries = lines(home).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(entries.map((e) => e['seq']), [0, 1, 2, 3, 4]);
    assert.equal(entries[0]!['prev'], undefined);
    assert.equal(typeof entries[1]!['prev'], 'string');
    const by = entries[0]!['by'] as Record<string, unknown>;
    assert.equal(by['source'], 'cli');
    assert.ok(by['user'] && by['host']);
    assert.equal(by['custodian'], undefined, 'no identity yet, so no fingerprint');
    assert.ok(lines(home)[0]!.startsWith('{"action":"key.generate","by":{'), 'members sorted (JCS)');
    const report = await verify(home, secrets);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.checkpointSize, 5);
    assert.equal(report.keychainSize, 5);
    assert.ok((await secrets.get(CHECKPOINT_ACCOUNT))?.toString().startsWith('key-custodian/audit-'));
  } finally {
    done();
  }
});

const tamperCases: [string, (home: string) => void, { entry: number | null; reason: string }][] = [
  ['an edited middle entry', (home) => rewrite(home, (l) => l.map((line, i) => (i === 3 ? line.replace('K1-TEST-3', 'K1-TEST-X') : line))), { entry: 3, reason: 'edited' }],
  ['an edited last entry', (home) => rewrite(home, (l) => l.map((line, i) => (i === 7 ? line.replace('K1-TEST-7', 'K1-TEST-X') : line))), { entry: 7, reason: 'edited' }],
  ['a hand-edited (non-canonical) entry', (home) => rewrite(home, (l) => l.map((line, i) => (i === 2 ? line.replace('"outcome":"ok"', '"outcome": "ok"') : line))), { entry: 2, reason: 'edited' }],
  ['a missing entry', (home) => rewrite(home, (l) => l.filter((_, i) => i !== 4)), { entry: 4, reason: 'missing' }],
  ['reordered entries', (home) => rewrite(home, (l) => { const c = [...l]; [c[2], c[5]] = [c[5]!, c[2]!]; return c; }), { entry: 2, reason: 'reordered' }],
  ['a truncated log', (home) => rewrite(home, (l) => l.slice(0, 6)), { entry: 6, reason: 'truncated' }],
  ['a torn line in the middle', (home) => rewrite(home, (l) => l.map((line, i) => (i === 1 ? line.slice(0, 20) : line))), { entry: 1, reason: 'torn' }],
];

for (const [name, tamper, expected] of tamperCases) {
  test(`verify names ${name}`, async () => {
    const { home, secrets, log, done } = setup();
    try {
      await fill(log, 8);
      tamper(home);
      const report = await verify(home, secrets);
      assert.equal(report.ok, false);
      assert.equal(report.failure?.reason, expected.reason, JSON.stringify(report.failure));
      assert.equal(report.failure?.entry, expected.entry, JSON.stringify(report.failure));
    } finally {
      done();
    }
  });
}

test('a log rolled back together with its checkpoint is caught by the keychain checkpoint', async () => {
  const { home, secrets, log, done } = setup();
  try {
    await fill(log, 3);
    copyFileSync(join(home, 'audit.log'), join(home, 'old.log'));
    copyFileSync(join(home, 'audit.checkpoint'), join(home, 'old.checkpoint'));
    await fill(log, 2);
    copyFileSync(join(home, 'old.log'), join(home, 'audit.log'));
    copyFileSync(join(home, 'old.checkpoint'), join(home, 'audit.checkpoint'));
    const report = await verify(home, secrets);
    assert.equal(report.failure?.reason, 'rolled-back', JSON.stringify(report));
    assert.equal(report.failure?.entry, 3);
    // The next append does not continue the rolled-back log: it is renamed aside and the new log says why.
    await log.record({ action: 'key.list', outcome: 'ok' });
    const first = JSON.parse(lines(home)[0]!) as Record<string, unknown>;
    assert.equal(first['action'], 'audit.log-restarted');
    assert.match(String(first['reason']), /rolled back/);
    const after = await verify(home, secrets);
    assert.equal(after.ok, true);
    assert.ok(after.warnings.some((w) => /restarted/.test(w)));
  } finally {
    done();
  }
});

test('a log and checkpoint from another custodian (another audit key) is a foreign key', async () => {
  const a = setup();
  const b = setup();
  try {
    await fill(a.log, 2);
    await fill(b.log, 2);
    copyFileSync(join(b.home, 'audit.log'), join(a.home, 'audit.log'));
    copyFileSync(join(b.home, 'audit.checkpoint'), join(a.home, 'audit.checkpoint'));
    const report = await verify(a.home, a.secrets);
    assert.equal(report.failure?.reason, 'foreign-key', JSON.stringify(report));
    // a checkpoint signed by another key over this very log
    const c = setup();
    await fill(c.log, 2);
    await c.secrets.set(CHECKPOINT_ACCOUNT, (await b.secrets.get(CHECKPOINT_ACCOUNT))!);
    assert.equal((await verify(c.home, c.secrets)).failure?.reason, 'foreign-key');
    c.done();
  } finally {
    a.done();
    b.done();
  }
});

test('a torn last line (crash mid-write) still verifies with a warning, and the next append sets it aside', async () => {
  const { home, secrets, log, done } = setup();
  try {
    await fill(log, 3);
    appendFileSync(join(home, 'audit.log'), '{"action":"key.gen');
    const report = await verify(home, secrets);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.ok(report.warnings.some((w) => /torn last line/.test(w)));
    await log.record({ action: 'key.list', outcome: 'ok' });
    const entries = lines(home).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(entries.map((e) => e['action']), ['key.generate', 'key.generate', 'key.generate', 'audit.set-aside', 'key.list']);
    assert.match(readFileSync(join(home, 'audit.set-aside'), 'utf8'), /\{"action":"key\.gen\n$/);
    assert.equal((await verify(home, secrets)).ok, true);
  } finally {
    done();
  }
});

test('an entry written but never signed (crash before the checkpoint) is reported, then set aside, never merged', async () => {
  const { home, secrets, log, done } = setup();
  try {
    await fill(log, 2);
    appendFileSync(join(home, 'audit.log'), '{"action":"forged","outcome":"ok","seq":2}\n');
    const report = await verify(home, secrets);
    assert.equal(report.ok, true);
    assert.ok(report.warnings.some((w) => /not covered by a signed checkpoint/.test(w)));
    await log.record({ action: 'key.list', outcome: 'ok' });
    assert.ok(!readFileSync(join(home, 'audit.log'), 'utf8').includes('forged'));
    assert.equal((await verify(home, secrets)).ok, true);
  } finally {
    done();
  }
});

test('a locked keychain makes record() throw the keychain error and writes nothing', async () => {
  const { home, done } = setup();
  try {
    const locked: SecretStore = {
      get: async () => { throw new CustodianError('KEYCHAIN_LOCKED', 'The OS keychain is locked.'); },
      set: async () => { throw new CustodianError('KEYCHAIN_LOCKED', 'The OS keychain is locked.'); },
      delete: async () => false,
    };
    await assert.rejects(new FileAuditLog(home, { secrets: locked }).record({ action: 'key.generate', outcome: 'ok' }), { code: 'KEYCHAIN_LOCKED' });
    assert.throws(() => readFileSync(join(home, 'audit.log')), /ENOENT/);
  } finally {
    done();
  }
});

test('a full disk (the checkpoint written onto /dev/full) refuses the append with AUDIT_WRITE_FAILED; the unsigned entry is set aside next time', async () => {
  const { home, secrets, log, done } = setup();
  try {
    await fill(log, 2);
    const temp = join(home, `audit.checkpoint.${process.pid}.tmp`);
    symlinkSync('/dev/full', temp);
    await assert.rejects(log.record({ action: 'key.generate', outcome: 'ok', keyId: 'K1-FULL' }), (error: CustodianError) => error.code === 'AUDIT_WRITE_FAILED' && /disk is full/.test(error.message));
    unlinkSync(temp);
    const report = await verify(home, secrets);
    assert.equal(report.ok, true);
    assert.ok(report.warnings.some((w) => /not covered by a signed checkpoint/.test(w)));
    await log.record({ action: 'key.list', outcome: 'ok' });
    assert.deepEqual(lines(home).map((line) => (JSON.parse(line) as Record<string, unknown>)['action']), ['key.generate', 'key.generate', 'audit.set-aside', 'key.list']);
    assert.match(readFileSync(join(home, 'audit.set-aside'), 'utf8'), /K1-FULL/);
  } finally {
    done();
  }
});

test('concurrent appends from two log instances (same keychain) lose and interleave nothing', async () => {
  const { home, secrets, log, done } = setup();
  try {
    const other = new FileAuditLog(home, { secrets });
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? log : other).record({ action: 'push', outcome: 'ok', server: `s${i}` })));
    const servers = lines(home).map((line) => (JSON.parse(line) as Record<string, unknown>)['server']).sort();
    assert.equal(servers.length, 60);
    assert.equal(new Set(servers).size, 60);
    assert.equal((await verify(home, secrets)).ok, true);
  } finally {
    done();
  }
});
