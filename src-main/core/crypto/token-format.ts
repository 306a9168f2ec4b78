/**
 * The Fernet token layout (https://github.com/fernet/spec/blob/master/Spec.md), all offsets in decoded bytes:
 *
 *   0       version 0x80
 *   1..8    timestamp, seconds since the epoch, unsigned 64-bit big-endian
 *   9..24   IV (16 bytes)
 *   25..    AES-128-CBC ciphertext of the PKCS#7-padded plaintext (a non-zero multiple of 16 bytes)
 *   last 32 HMAC-SHA256 over everything before it, keyed with the signing key
 *
 * This module checks the structure only (no key needed); fernet.ts checks the HMAC and the rest.
 */
import { CustodianError } from '../errors.js';
import { decodeTokenText } from './base64.js';

export const VERSION = 0x80;
export const TIMESTAMP_OFFSET = 1;
export const IV_OFFSET = 9;
export const IV_LENGTH = 16;
export const CIPHERTEXT_OFFSET = IV_OFFSET + IV_LENGTH;
export const BLOCK_SIZE = 16;
export const HMAC_LENGTH = 32;
/** Version + timestamp + IV + one block + HMAC. */
export const MIN_TOKEN_BYTES = CIPHERTEXT_OFFSET + BLOCK_SIZE + HMAC_LENGTH;
/** Python's `_MAX_CLOCK_SKEW`: with a TTL, a timestamp further in the future than this is refused. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

/**
 * The one error for every kind of bad token. It deliberately does not say which check failed: telling
 * "bad padding" from "bad MAC" is how padding-oracle attacks start, and the token may be attacker-made.
 */
export function invalidToken(): CustodianError {
  return new CustodianError('INVALID_TOKEN', 'invalid token', {
    hint: 'The token is damaged, was made with another key, or is not a Fernet token. Check that you use the right key and pass the token unchanged.',
  });
}

/**
 * Decodes a token and checks its structure: canonical URL-safe base64 with padding and nothing around it,
 * version byte, minimum length, ciphertext a whole number of blocks. Returns the decoded bytes.
 */
export function parseToken(token: Uint8Array | string): Buffer {
  if (typeof token !== 'string' && !(token instanceof Uint8Array)) throw invalidToken();
  const data = decodeTokenText(token);
  if (data === undefined || data.length < MIN_TOKEN_BYTES || data[0] !== VERSION) throw invalidToken();
  if ((data.length - CIPHERTEXT_OFFSET - HMAC_LENGTH) % BLOCK_SIZE !== 0) throw invalidToken();
  return data;
}

/** The token's timestamp in seconds (exact up to 2^53; larger values, far beyond any real clock, are rounded). */
export function readTimestamp(data: Buffer): number {
  return data.readUInt32BE(TIMESTAMP_OFFSET) * 2 ** 32 + data.readUInt32BE(TIMESTAMP_OFFSET + 4);
}

/** The 8 raw timestamp bytes of a parsed token (rotate copies them unchanged, whatever their value). */
export function timestampBytes(data: Buffer): Buffer {
  return data.subarray(TIMESTAMP_OFFSET, TIMESTAMP_OFFSET + 8);
}

/** Writes the timestamp: seconds (a safe non-negative integer) or 8 raw bytes taken from another token. */
export function writeTimestamp(target: Buffer, seconds: number | Uint8Array): void {
  if (typeof seconds !== 'number') {
    target.set(seconds, TIMESTAMP_OFFSET);
    return;
  }
  target.writeUInt32BE(Math.floor(seconds / 2 ** 32), TIMESTAMP_OFFSET);
  target.writeUInt32BE(seconds >>> 0, TIMESTAMP_OFFSET + 4);
}
