/**
 * The Merkle tree of RFC 6962 / RFC 9162 §2.1 over SHA-256: leaf hash SHA-256(0x00 || entry), node hash
 * SHA-256(0x01 || left || right), the empty tree's hash SHA-256(""). Inclusion and consistency proofs and their
 * verification follow RFC 9162 §2.1.3 and §2.1.4 (the same trees and proofs as Go's golang.org/x/mod/sumdb/tlog).
 */
import { hash } from 'node:crypto';

export const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

function sha256(...parts: Uint8Array[]): Buffer {
  return hash('sha256', Buffer.concat(parts), 'buffer');
}

export function leafHash(entry: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, entry);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

export function emptyRoot(): Buffer {
  return sha256();
}

/** Largest power of two strictly smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]) from the leaf hashes. */
export function treeHash(leaves: readonly Buffer[], start = 0, end = leaves.length): Buffer {
  const n = end - start;
  if (n === 0) return emptyRoot();
  if (n === 1) return leaves[start]!;
  const k = split(n);
  return nodeHash(treeHash(leaves, start, start + k), treeHash(leaves, start + k, end));
}

/**
 * The right edge of the tree (the hashes of its full subtrees, largest first): enough to append a leaf and get
 * the new root without the earlier leaves. The appender keeps it next to the log.
 */
export class CompactRange {
  constructor(public size: number, readonly edge: Buffer[]) {}

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  append(leaf: Buffer): void {
    let hashValue = leaf;
    for (let s = this.size; s & 1; s >>>= 1) hashValue = nodeHash(this.edge.pop()!, hashValue);
    this.edge.push(hashValue);
    this.size += 1;
  }

  root(): Buffer {
    if (this.edge.length === 0) return emptyRoot();
    let value = this.edge[this.edge.length - 1]!;
    for (let i = this.edge.length - 2; i >= 0; i -= 1) value = nodeHash(this.edge[i]!, value);
    return value;
  }
}

/** RFC 9162 §2.1.3.1 PATH(m, D[start:end]): the inclusion proof of leaf m in the tree of the given leaves. */
export function inclusionProof(leaves: readonly Buffer[], index: number, start = 0, end = leaves.length): Buffer[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = split(n);
  if (index < k) return [...inclusionProof(leaves, index, start, start + k), treeHash(leaves, start + k, end)];
  return [...inclusionProof(leaves, index - k, start + k, end), treeHash(leaves, start, start + k)];
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) for 0 < m <= n. */
export function consistencyProof(leaves: readonly Buffer[], oldSize: number, newSize = leaves.length): Buffer[] {
  if (oldSize <= 0 || oldSize >= newSize) return [];
  return subproof(leaves, oldSize, 0, newSize, true);
}

function subproof(leaves: readonly Buffer[], m: number, start: number, end: number, complete: boolean): Buffer[] {
  const n = end - start;
  if (m === n) return complete ? [] : [treeHash(leaves, start, end)];
  const k = split(n);
  if (m <= k) return [...subproof(leaves, m, start, start + k, complete), treeHash(leaves, start + k, end)];
  return [...subproof(leaves, m - k, start + k, end, false), treeHash(leaves, start, start + k)];
}

/** RFC 9162 §2.1.3.2: does `proof` show leaf `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(leaf: Buffer, index: number, size: number, proof: readonly Buffer[], root: Buffer): boolean {
  if (index >= size || index < 0) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      [fn, sn] = shiftToLeftChild(fn, sn);
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree (oldSize, oldRoot) is a prefix of (newSize, newRoot)? */
export function verifyConsistency(oldSize: number, newSize: number, proof: readonly Buffer[], oldRoot: Buffer, newRoot: Buffer): boolean {
  if (oldSize > newSize || oldSize < 0) return false;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  if (oldSize === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  let path = [...proof];
  if (isPowerOfTwo(oldSize)) path = [oldRoot, ...path];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      [fn, sn] = shiftToLeftChild(fn, sn);
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(oldRoot) && sr.equals(newRoot) && sn === 0;
}

/** RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0". */
function shiftToLeftChild(fn: number, sn: number): [number, number] {
  while (fn % 2 === 0 && fn !== 0) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return [fn, sn];
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}
