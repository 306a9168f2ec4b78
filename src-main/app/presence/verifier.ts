/**
 * The local unlock passphrase, kept only as a verifier: scrypt (RFC 7914, node:crypto) of the passphrase with a
 * random 16-byte salt. The text form carries its parameters, so they can be raised later without breaking stored
 * verifiers: `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 *
 * Default cost N=2^17, r=8, p=1 (OWASP's scrypt recommendation; 128 MiB, about 0.3-0.5 s here): slow enough to
 * make guessing from a stolen verifier expensive, fast enough for a person waiting at the lock screen.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost { log2N: number; r: number; p: number }
export const DEFAULT_COST: ScryptCost = { log2N: 17, r: 8, p: 1 };
const HASH_BYTES = 32;
const SALT_BYTES = 16;

function scrypt(passphrase: Uint8Array, salt: Uint8Array, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  // Node refuses more than 32 MiB by default; scrypt needs 128 * N * r bytes (plus headroom).
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 128 * N * cost.r * 2 };
  return new Promise((resolve, reject) => {
    scryptCallback(passphrase, salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A verifier for `passphrase` (the caller wipes its buffer). */
export async function makeVerifier(passphrase: Uint8Array, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(passphrase, salt, cost);
  const text = ['scrypt', cost.log2N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
  hash.fill(0);
  return text;
}

/** Whether `passphrase` matches; false (never an exception) for a malformed verifier. Constant-time compare. */
export async function checkVerifier(verifier: string, passphrase: Uint8Array): Promise<boolean> {
  const parsed = parseVerifier(verifier);
  if (!parsed) return false;
  const hash = await scrypt(passphrase, parsed.salt, parsed.cost);
  try {
    return hash.length === parsed.hash.length && timingSafeEqual(hash, parsed.hash);
  } finally {
    hash.fill(0);
  }
}

function parseVerifier(text: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | undefined {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [log2N, r, p] = parts.slice(1, 4).map((n) => Number.parseInt(n!, 10)) as [number, number, number];
  // Bounds keep a tampered verifier from asking for gigabytes of memory.
  if (!(log2N >= 10 && log2N <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const hash = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || hash.length !== HASH_BYTES) return undefined;
  return { cost: { log2N, r, p }, salt, hash };
}
