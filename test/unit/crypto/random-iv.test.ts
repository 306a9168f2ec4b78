import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomIv } from '../../../src-main/core/crypto/random-iv.js';

test('pooled IVs are 16 fresh bytes each, across several pool refills, and independent buffers', () => {
  const seen = new Set<string>();
  const ivs: Buffer[] = [];
  for (let i = 0; i < 1000; i++) {
    const iv = randomIv(16);
    assert.equal(iv.length, 16);
    seen.add(iv.toString('hex'));
    ivs.push(iv);
  }
  assert.equal(seen.size, 1000);
  const copy = Buffer.from(ivs[0]!);
  for (let i = 0; i < 600; i++) randomIv(16); // refills the pool: earlier IVs must not change
  assert.deepEqual(ivs[0], copy);
  assert.equal(randomIv(5000).length, 5000);
});
