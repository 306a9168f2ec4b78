import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withoutLineEnding } from '../../../src-main/core/line-ending.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

test('one trailing LF or CRLF goes, nothing else does', () => {
  assert.equal(text(withoutLineEnding(Buffer.from('secret\n'))), 'secret');
  assert.equal(text(withoutLineEnding(Buffer.from('secret\r\n'))), 'secret');
  assert.equal(text(withoutLineEnding(Buffer.from('secret\n\n'))), 'secret\n', 'only one line ending');
  assert.equal(text(withoutLineEnding(Buffer.from('secret \t'))), 'secret \t', 'spaces belong to the secret');
  assert.equal(text(withoutLineEnding(Buffer.from('secret\r'))), 'secret', 'a lone CR from an old Mac editor');
  assert.equal(withoutLineEnding(Buffer.alloc(0)).length, 0);
});

test('it is a view: wiping the input wipes what it returned', () => {
  const input = Buffer.from('abc\n');
  const view = withoutLineEnding(input);
  input.fill(0);
  assert.deepEqual([...view], [0, 0, 0]);
});
