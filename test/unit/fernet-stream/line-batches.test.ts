/**
 * The streaming reader behind `custodian fernet rotate`: whatever the chunking of the input, the batches hold
 * exactly the input's lines, in order, numbered from 1, with the token-file rules (one LF or CRLF per line
 * dropped, a final line without newline still a line); a line longer than the limit is refused with its number
 * before the reader holds much more than the limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import { type LineBatch, lineBatches } from '../../../src-main/core/fernet-stream/line-batches.js';
import { tokenLines } from '../../../src-main/core/token-file.js';

async function* chunked(input: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < input.length; offset += size) yield input.subarray(offset, offset + size);
}

async function collect(source: AsyncIterable<Buffer>, options: { batchBytes?: number; maxLineBytes?: number } = {}): Promise<LineBatch[]> {
  const batches: LineBatch[] = [];
  for await (const batch of lineBatches(source, options)) batches.push(batch);
  return batches;
}

/** The lines as token-file readers see them, with the line number each batch gave them. */
function numbered(batches: LineBatch[]): Array<[number, string]> {
  return batches.flatMap((batch) => {
    const lines = tokenLines(batch.data);
    assert.equal(lines.length, batch.count, 'count matches the lines in the batch');
    return lines.map((line, index): [number, string] => [batch.firstLine + index, line.toString()]);
  });
}

const expected = (lines: string[]): Array<[number, string]> => lines.map((line, index) => [index + 1, line]);

test('LF, CRLF and a missing final newline: the same lines, numbered in order, for every chunk size', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => `token-${i}-${'x'.repeat(i % 7)}`);
  const input = Buffer.from(lines.map((line, i) => line + (i % 3 === 0 ? '\r\n' : '\n')).join('').replace(/\n$/, ''));
  assert.ok(!input.toString().endsWith('\n'), 'the input ends without a newline');
  for (const chunk of [1, 2, 3, 7, 64, input.length]) {
    for (const batchBytes of [1, 16, 100, 1 << 20]) {
      const batches = await collect(chunked(input, chunk), { batchBytes });
      assert.deepEqual(numbered(batches), expected(lines), `chunks of ${chunk}, batches of ${batchBytes}`);
      assert.equal(batches.at(-1)!.firstLine + batches.at(-1)!.count - 1, 40);
    }
  }
});

test('a final newline (LF or CRLF) does not start another line; an empty line inside is a line', async () => {
  assert.deepEqual(numbered(await collect(chunked(Buffer.from('a\nb\n'), 1))), expected(['a', 'b']));
  assert.deepEqual(numbered(await collect(chunked(Buffer.from('a\r\nb\r\n'), 3))), expected(['a', 'b']));
  assert.deepEqual(numbered(await collect(chunked(Buffer.from('a\n\nb'), 2))), expected(['a', '', 'b']));
  assert.deepEqual(await collect(chunked(Buffer.alloc(0), 1)), [], 'no input, no batch');
});

test('each batch owns its memory (it is transferred to a worker), so later chunks cannot change it', async () => {
  const source = Buffer.from('one\ntwo\nthree\n');
  const batches = await collect(chunked(source, 5), { batchBytes: 4 });
  source.fill(0x21);
  assert.deepEqual(numbered(batches), expected(['one', 'two', 'three']));
  for (const batch of batches) assert.equal(batch.data.buffer.byteLength, batch.data.length, 'a Buffer over its own ArrayBuffer');
});

test('a line longer than the limit is INVALID_TOKEN naming its line, found without reading the rest', async () => {
  const max = 100;
  const atLimit = `${'a'.repeat(max)}\r\n`;
  assert.equal(numbered(await collect(chunked(Buffer.from(`x\n${atLimit}y`), 7), { maxLineBytes: max }))[1]![1].length, max, 'exactly the limit is fine, CRLF not counted');
  // Too long, with its line end arriving in the same chunk as the start of the next line.
  await assert.rejects(collect(chunked(Buffer.from(`x\ny\n${'b'.repeat(max + 1)}\nz\n`), 1000), { maxLineBytes: max }), (error: unknown) => {
    assert.ok(error instanceof CustodianError);
    assert.equal(error.code, 'INVALID_TOKEN');
    assert.match(error.message, /line 3\b/);
    assert.deepEqual(error.details, { line: 3 });
    return true;
  });
  // A line that never ends: refused once it passes the limit; the endless source is not read to its end.
  let read = 0;
  async function* endless(): AsyncGenerator<Buffer> {
    yield Buffer.from('ok\n');
    for (;;) {
      read += 10;
      if (read > 100_000) throw new Error('the reader kept reading a line that was already too long');
      yield Buffer.alloc(10, 0x41);
    }
  }
  await assert.rejects(collect(endless(), { maxLineBytes: max }), /line 2\b/);
  assert.ok(read <= max + 20, `read ${read} bytes of the long line`);
});
