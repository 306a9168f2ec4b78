// Prevents: an error code that users meet without documentation of what it means and what to do.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES, exitStatusOf } from '../../src-main/core/errors.js';

test('docs/errors.md lists every error code with its exit status, and nothing else', () => {
  const rows = new Map<string, number>();
  for (const match of readFileSync('docs/errors.md', 'utf8').matchAll(/^\| `([A-Z_]+)` \| (\d) \|/gm)) rows.set(match[1]!, Number(match[2]));
  for (const code of ERROR_CODES) assert.equal(rows.get(code), exitStatusOf(code), `${code} in docs/errors.md`);
  assert.deepEqual([...rows.keys()].sort(), [...ERROR_CODES].sort());
});
