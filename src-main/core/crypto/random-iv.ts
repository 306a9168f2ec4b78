/**
 * IVs for new tokens, from a pool refilled from the CSPRNG 4 KiB at a time: one randomBytes() call per token
 * cost more than the rest of encrypting 100 bytes. IVs are public (they are in the token), so pooling them
 * exposes nothing; each pooled byte is handed out once.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

export function randomIv(size: number): Buffer {
  if (size > POOL_SIZE) return randomBytes(size);
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const iv = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return iv;
}
