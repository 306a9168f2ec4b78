/**
 * rotateTokenStream with real worker threads: output in input order whatever the batching, every token
 * decrypts under the new key with its plaintext and timestamp, the workers confirm they wiped their keys, and a
 * bad line rejects naming it while the sink is aborted (nothing committed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Fernet, generateFernetKey } from '../../../src-main/core/crypto/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import { AtomicFileSink, CollectSink, rotateTokenStream, type TokenSink } from '../../../src-main/core/fernet-stream/rotate-stream.js';
import { tokenLines } from '../../../src-main/core/token-file.js';

const dir = mkdtempSync(join(tmpdir(), 'custodian-rotate-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const oldKey = generateFernetKey();
const newKey = generateFernetKey();
const plaintexts = Array.from({ length: 3000 }, (_, i) => Buffer.from(`message ${i} ${'.'.repeat(i % 50)}`));
const times = plaintexts.map((_, i) => 1_700_000_000 + i);
const input = Buffer.concat(plaintexts.flatMap((p, i) => [new Fernet(oldKey).encrypt(p, { time: times[i]! }), Buffer.from('\n')]));

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

test('two workers, small batches: every line rotated, in order, timestamps kept; the workers wiped their keys', async () => {
  const sink = new CollectSink();
  const result = await rotateTokenStream({ input: chunks(input, 4093), rawKeys: [newKey, oldKey], sink, workers: 2, batchBytes: 5000 });
  assert.equal(result.count, plaintexts.length);
  assert.equal(result.keysWiped, true, 'each worker confirmed the wipe');
  const lines = tokenLines(Buffer.concat(sink.chunks));
  assert.equal(lines.length, plaintexts.length);
  const fresh = new Fernet(newKey);
  for (const [index, line] of lines.entries()) {
    assert.deepEqual(fresh.decrypt(line), plaintexts[index], `line ${index + 1} in place`);
    assert.equal(fresh.extractTimestamp(line), times[index]);
  }
  assert.throws(() => new Fernet(oldKey).decrypt(lines[0]!), /invalid token/);
});

test('a bad line: INVALID_TOKEN with its number, the sink is aborted and never committed', async () => {
  const lines = input.toString().split('\n');
  lines[1234] = new Fernet(generateFernetKey()).encrypt(Buffer.from('foreign')).toString();
  const events: string[] = [];
  const sink: TokenSink = {
    write: async () => { events.push('write'); },
    commit: async () => { events.push('commit'); },
    abort: async () => { events.push('abort'); },
  };
  await assert.rejects(rotateTokenStream({ input: chunks(Buffer.from(lines.join('\n')), 1000), rawKeys: [newKey, oldKey], sink, workers: 2, batchBytes: 2000 }), (error: unknown) => {
    assert.ok(error instanceof CustodianError);
    assert.equal(error.code, 'INVALID_TOKEN');
    assert.equal(error.message, 'invalid token on line 1235; nothing was written');
    assert.deepEqual(error.details, { line: 1235 });
    return true;
  });
  assert.equal(events.at(-1), 'abort');
  assert.ok(!events.includes('commit'));
});

test('AtomicFileSink: the file appears (0600) only on commit; abort leaves the old file and no temporary file', async () => {
  const target = join(dir, 'tokens.out');
  writeFileSync(target, 'previous content\n');
  const failing = await AtomicFileSink.open(target);
  await failing.write(Buffer.from('partial\n'));
  await failing.abort();
  assert.equal(readFileSync(target, 'utf8'), 'previous content\n');
  assert.deepEqual(readdirSync(dir), ['tokens.out'], 'no temporary file left');
  const sink = await AtomicFileSink.open(target);
  await sink.write(Buffer.from('new content\n'));
  assert.equal(readFileSync(target, 'utf8'), 'previous content\n', 'nothing visible before commit');
  await sink.commit();
  assert.equal(readFileSync(target, 'utf8'), 'new content\n');
  assert.equal(statSync(target).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['tokens.out']);
  await assert.rejects(AtomicFileSink.open(join(dir, 'missing-dir', 'x')), /OUTPUT_UNWRITABLE|cannot be written/);
});
