/** RFC 6962/9162 tree hashes and proofs: the incremental root equals the recursive one; proofs verify and fail when changed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactRange, consistencyProof, emptyRoot, inclusionProof, leafHash, treeHash, verifyConsistency, verifyInclusion } from '../../../src-main/core/audit/merkle.js';

const leaves = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

test('known values: the empty tree is SHA-256(""), a leaf is SHA-256(0x00 || data)', () => {
  assert.equal(emptyRoot().toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(leafHash(Buffer.alloc(0)).toString('hex'), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
});

test('the compact range gives the RFC 6962 root at every size', () => {
  const range = CompactRange.empty();
  assert.ok(range.root().equals(emptyRoot()));
  for (let n = 1; n <= leaves.length; n += 1) {
    range.append(leaves[n - 1]!);
    assert.ok(range.root().equals(treeHash(leaves.slice(0, n))), `size ${n}`);
  }
});

test('every inclusion proof verifies, and not for another leaf, index or root', () => {
  for (let n = 1; n <= 20; n += 1) {
    const tree = leaves.slice(0, n);
    const root = treeHash(tree);
    for (let m = 0; m < n; m += 1) {
      const proof = inclusionProof(tree, m);
      assert.ok(verifyInclusion(tree[m]!, m, n, proof, root), `leaf ${m} of ${n}`);
      assert.ok(!verifyInclusion(leaves[39]!, m, n, proof, root), 'another leaf');
      if (n > 1) assert.ok(!verifyInclusion(tree[m]!, (m + 1) % n, n, proof, root), 'another index');
      assert.ok(!verifyInclusion(tree[m]!, m, n, proof, leaves[39]!), 'another root');
    }
  }
});

test('every consistency proof verifies, and not against another old root', () => {
  for (let n = 1; n <= 20; n += 1) {
    const root = treeHash(leaves.slice(0, n));
    for (let m = 1; m <= n; m += 1) {
      const oldRoot = treeHash(leaves.slice(0, m));
      const proof = consistencyProof(leaves.slice(0, n), m);
      assert.ok(verifyConsistency(m, n, proof, oldRoot, root), `${m} -> ${n}`);
      if (m < n) assert.ok(!verifyConsistency(m, n, proof, leaves[39]!, root), `${m} -> ${n} with a wrong old root`);
    }
  }
});
