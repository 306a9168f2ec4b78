/**
 * Wire encodings of docs/protocol.md (custodian-unlock/1): strict base64url, fingerprints, key ids, formats.
 * This receiver implements the protocol on its own (it imports nothing of the Key Custodian app).
 */
import { createHash, createHmac } from 'node:crypto';
import { parseStrictJson } from './strict-json.js';

export const PROTOCOL = 'custodian-unlock/1';
export const MAX_BODY_BYTES = 16384;
export const MAX_KEYS = 9;
export const CHALLENGE_TTL_SECONDS = 60;
export const KEY_BYTES = 32;

const B64U = /^[A-Za-z0-9_-]*$/;

/** base64url without padding; null for anything else (padding, '+', '/', whitespace, impossible lengths). */
export function decodeB64u(text: unknown, expectedLength?: number): Buffer | null {
  if (typeof text !== 'string' || !B64U.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  // Reject non-canonical trailing bits, so one value has exactly one encoding.
  if (bytes.toString('base64url') !== text) return null;
  if (expectedLength !== undefined && bytes.length !== expectedLength) return null;
  return bytes;
}

export function encodeB64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export const FINGERPRINT_PATTERN = /^ed25519:[A-Za-z0-9_-]{43}$/;

/** "ed25519:" + b64u(SHA-256(raw public key)). */
export function fingerprintOf(rawPublicKey: Uint8Array): string {
  return `ed25519:${createHash('sha256').update(rawPublicKey).digest('base64url')}`;
}

export function isFingerprint(text: unknown): text is string {
  return typeof text === 'string' && FINGERPRINT_PATTERN.test(text) && decodeB64u(text.slice(8), 32) !== null;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_ID_PATTERN = /^K1-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export function isKeyId(text: unknown): text is string {
  return typeof text === 'string' && KEY_ID_PATTERN.test(text);
}

/** The key check value of docs/key-id.md, recomputed here so a pushed key is checked before it is installed. */
export function keyIdOf(rawKey: Uint8Array): string {
  const mac = createHmac('sha256', rawKey).update('key-custodian key-id v1', 'ascii').digest();
  let bits = 0n;
  for (let i = 0; i < 10; i++) bits = (bits << 8n) | BigInt(mac[i]!);
  mac.fill(0);
  let text = '';
  for (let shift = 75n; shift >= 0n; shift -= 5n) text += CROCKFORD[Number((bits >> shift) & 31n)];
  return `K1-${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}-${text.slice(12)}`;
}

export const SERVER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isServerId(text: unknown): text is string {
  return typeof text === 'string' && SERVER_ID_PATTERN.test(text);
}

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when the object has exactly these member names. */
export function hasExactly(value: Record<string, unknown>, names: readonly string[]): boolean {
  const keys = Object.keys(value);
  return keys.length === names.length && names.every((name) => Object.prototype.hasOwnProperty.call(value, name));
}

/** A JSON object read with the strict reader of protocol §12.3 (duplicates and non-integer numbers refused). */
export function parseJsonObject(bytes: Uint8Array | string): Record<string, unknown> | null {
  const value = parseStrictJson(bytes);
  return isObject(value) ? value : null;
}

/** A non-negative integer as the protocol writes times (the strict reader already refused other numbers). */
export function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** 1-64 printable ASCII characters (a custodian's label in a hand-over statement). */
export function isLabel(value: unknown): value is string {
  return typeof value === 'string' && /^[\x20-\x7e]{1,64}$/.test(value);
}
