// The receipt log (src-main/core/push/receipts.ts) on a real temp directory: append-only JSON Lines with group
// commit, the legacy receipts.json still read (and moved into the log), the cap with compaction, and a torn last
// line (a crash mid-append) that neither makes the log unreadable nor damages the next receipt.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import { LEGACY_RECEIPTS_FILE, MAX_RECEIPTS, RECEIPTS_FILE, ReceiptLog, type StoredReceipt } from '../../../src-main/core/push/receipts.js';

const homes: string[] = [];
const freshHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'custodian-receipts-unit-'));
  homes.push(home);
  return home;
};
after(() => { for (const home of homes) rmSync(home, { recursive: true, force: true }); });

const receipt = (n: number, kind?: 'lock'): StoredReceipt => ({
  ...(kind ? { kind } : {}),
  server: `app-${n}`, url: `http://127.0.0.1:${8000 + (n % 1000)}/custodian`, serverId: `app-${n}`, identity: `ed25519:${'A'.repeat(43)}`,
  bootId: 'b'.repeat(22), custodian: `ed25519:${'C'.repeat(43)}`, keyIds: kind ? [] : ['K1-AAAA-BBBB-CCCC-DDDD'], installedAt: 1_700_000_000 + n,
  receivedAt: new Date(1_700_000_000_000 + n).toISOString(), jws: `h.p${n}.s`,
});
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

describe('the receipt log', () => {
  it('appends one JSON line per receipt to receipts.jsonl (mode 0600), newest last, and reads them back', async () => {
    const home = freshHome();
    const log = new ReceiptLog(home);
    assert.equal(log.path, join(home, RECEIPTS_FILE));
    assert.deepEqual(await log.list(), [], 'no file yet: no receipts');
    await log.add([receipt(1)]);
    await log.add([receipt(2, 'lock'), receipt(3)]);
    assert.equal(statSync(log.path).mode & 0o777, 0o600);
    assert.deepEqual(lines(log.path).map((l) => (JSON.parse(l) as StoredReceipt).server), ['app-1', 'app-2', 'app-3']);
    assert.deepEqual(await new ReceiptLog(home).list(), [receipt(1), receipt(2, 'lock'), receipt(3)], 'another instance (process) reads the same');
    await log.add([]);
    assert.equal(lines(log.path).length, 3, 'nothing to add writes nothing');
  });

  it('group commit: receipts added while an append is in flight go into ONE next append; each add resolves once on disk', async () => {
    const home = freshHome();
    const log = new ReceiptLog(home);
    const writes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    // The private append, wrapped: counts the appends and holds the first one "in flight" until released.
    const target = log as unknown as { append: (batch: readonly StoredReceipt[]) => Promise<void> };
    const original = target.append.bind(log);
    target.append = async (batch) => {
      writes.push(batch.length);
      if (writes.length === 1) await gate;
      return original(batch);
    };
    let firstDone = false;
    const first = log.add([receipt(0)]).then(() => { firstDone = true; });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(writes, [1], 'the first append started');
    // 99 more while the first append is in flight.
    const rest = Array.from({ length: 99 }, (_, i) => log.add([receipt(i + 1)]));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(firstDone, false);
    release();
    await first;
    assert.ok(lines(log.path).length >= 1, 'the first receipt is on disk when its add resolves');
    await Promise.all(rest);
    assert.deepEqual(writes, [1, 99], 'one append for the first, one for everything that arrived meanwhile');
    assert.deepEqual((await log.list()).map((r) => r.server), Array.from({ length: 100 }, (_, i) => `app-${i}`));
  });

  it('a failed append rejects every add of that batch with STORAGE_FAILED, and the log works again afterwards', async () => {
    const home = freshHome();
    const log = new ReceiptLog(home);
    await log.add([receipt(1)]);
    rmSync(log.path);
    // A directory where the file should be: open(O_APPEND) fails with EISDIR.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(log.path);
    const adds = [log.add([receipt(2)]), log.add([receipt(3)])];
    for (const add of adds) await assert.rejects(add, (error: unknown) => error instanceof CustodianError && error.code === 'STORAGE_FAILED' && Boolean(error.hint));
    rmSync(log.path, { recursive: true });
    await log.add([receipt(4)]);
    assert.deepEqual((await log.list()).map((r) => r.server), ['app-4']);
  });

  it('reads the legacy receipts.json with the log, and moves it into the log on the first append', async () => {
    const home = freshHome();
    const legacy = join(home, LEGACY_RECEIPTS_FILE);
    writeFileSync(legacy, JSON.stringify({ version: 1, receipts: [receipt(1), receipt(2, 'lock')] }, null, 2), { mode: 0o600 });
    const log = new ReceiptLog(home);
    assert.deepEqual(await log.list(), [receipt(1), receipt(2, 'lock')], 'legacy only');
    await log.add([receipt(3)]);
    assert.equal(existsSync(legacy), false, 'receipts.json was moved into the log');
    assert.deepEqual(lines(log.path).map((l) => (JSON.parse(l) as StoredReceipt).server), ['app-1', 'app-2', 'app-3']);
    assert.deepEqual(await log.list(), [receipt(1), receipt(2, 'lock'), receipt(3)]);

    // A crash between writing the new log and removing receipts.json leaves both: read once each, not twice.
    writeFileSync(legacy, JSON.stringify({ version: 1, receipts: [receipt(1), receipt(2, 'lock')] }));
    assert.deepEqual(await new ReceiptLog(home).list(), [receipt(1), receipt(2, 'lock'), receipt(3)]);
  });

  it('a damaged legacy file is METADATA_CORRUPT and left untouched', async () => {
    const home = freshHome();
    writeFileSync(join(home, LEGACY_RECEIPTS_FILE), '{"version": 1, "receipts": [');
    const log = new ReceiptLog(home);
    await assert.rejects(log.list(), (error: unknown) => error instanceof CustodianError && error.code === 'METADATA_CORRUPT');
    await assert.rejects(log.add([receipt(1)]), (error: unknown) => error instanceof CustodianError && error.code === 'METADATA_CORRUPT');
    assert.equal(readFileSync(join(home, LEGACY_RECEIPTS_FILE), 'utf8'), '{"version": 1, "receipts": [');
  });

  it('a torn last line (crash mid-append) is skipped, and the next append does not glue onto it', async () => {
    const home = freshHome();
    const first = new ReceiptLog(home);
    await first.add([receipt(1), receipt(2)]);
    const whole = JSON.stringify(receipt(3));
    appendFileSync(first.path, whole.slice(0, 40)); // the process died here: no newline
    const contents = await new ReceiptLog(home).read();
    assert.deepEqual(contents.receipts.map((r) => r.server), ['app-1', 'app-2'], 'readable, the torn line skipped');
    assert.equal(contents.torn, 1);

    const next = new ReceiptLog(home); // the next process
    await next.add([receipt(4)]);
    await next.add([receipt(5)]);
    const after = await next.read();
    assert.deepEqual(after.receipts.map((r) => r.server), ['app-1', 'app-2', 'app-4', 'app-5'], 'receipt 4 is intact');
    assert.equal(after.torn, 1);
    await next.compact();
    assert.equal((await next.read()).torn, 0, 'compaction drops the torn line');
    assert.equal(lines(next.path).length, 4);
  });

  it('a line that is JSON but not a receipt is METADATA_CORRUPT (not written by us), never rewritten', async () => {
    const home = freshHome();
    const log = new ReceiptLog(home);
    await log.add([receipt(1)]);
    appendFileSync(log.path, '{"server": 42}\n');
    const before = readFileSync(log.path, 'utf8');
    await assert.rejects(log.list(), (error: unknown) => error instanceof CustodianError && error.code === 'METADATA_CORRUPT' && /line \(2\)/.test(error.message));
    await assert.rejects(new ReceiptLog(home).add([receipt(2)]), (error: unknown) => error instanceof CustodianError && error.code === 'METADATA_CORRUPT');
    assert.equal(readFileSync(log.path, 'utf8'), before);
  });

  it(`keeps the newest ${MAX_RECEIPTS}: reads cap at once, the file is compacted once it passes 1.5 x the cap`, async () => {
    const home = freshHome();
    const log = new ReceiptLog(home);
    const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) => receipt(from + i));
    await log.add(batch(0, MAX_RECEIPTS));
    await log.add(batch(MAX_RECEIPTS, 2_000));
    assert.equal(lines(log.path).length, MAX_RECEIPTS + 2_000, 'not compacted below 1.5 x the cap');
    const listed = await log.list();
    assert.equal(listed.length, MAX_RECEIPTS);
    assert.equal(listed[0]!.server, 'app-2000', 'the oldest dropped first');
    await log.add(batch(MAX_RECEIPTS + 2_000, 3_001));
    assert.equal(lines(log.path).length, MAX_RECEIPTS, 'compacted to the cap');
    assert.equal(statSync(log.path).mode & 0o777, 0o600);
    const after = await log.list();
    assert.equal(after.at(-1)!.server, `app-${MAX_RECEIPTS + 5_000}`);
    assert.equal(after[0]!.server, 'app-5001');
    await log.add([receipt(99_999)]);
    assert.equal(lines(log.path).length, MAX_RECEIPTS + 1, 'appends continue after compaction');
  });
});
