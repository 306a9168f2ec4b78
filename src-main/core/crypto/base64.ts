/**
 * Strict base64 helpers for Fernet.
 *
 * Two flavours, for two jobs:
 * - Token-sized data (up to megabytes) goes through Node's native 'base64url' codec, which is fast but lenient;
 *   decodeBase64UrlStrict closes each leniency so only the one canonical spelling of each byte string passes.
 * - Key text (44 bytes) is coded by hand, byte to byte, so the secret never becomes a JavaScript string.
 *
 * Canonical means: URL-safe alphabet only (A-Z a-z 0-9 - _), '=' padding present and exactly as long as needed,
 * unused low bits of the last character zero, nothing else (no whitespace, no line breaks, no '+' or '/').
 */

const PAD = 0x3d; // '='
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** Byte -> digit value, -1 outside the URL-safe alphabet. */
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ENCODE.length; i++) DECODE[ENCODE[i]!] = i;

/** Encodes bytes as padded URL-safe base64, returned as ASCII bytes (a Fernet token or key text). */
export function encodeBase64UrlPadded(bytes: Uint8Array): Buffer {
  const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = view.toString('base64url'); // unpadded; the one string copy we cannot avoid with Node's API
  const padding = (4 - (text.length % 4)) % 4;
  const out = Buffer.allocUnsafe(text.length + padding);
  out.write(text, 0, 'latin1');
  if (padding) out.fill(PAD, text.length);
  return out;
}

/**
 * Decodes token text (a string, or ASCII bytes) that must be canonical padded URL-safe base64; undefined if not.
 * Tokens are public, so turning their bytes into a string for Node's native decoder exposes nothing.
 */
export function decodeTokenText(input: Uint8Array | string): Buffer | undefined {
  const text = asciiText(input);
  return text === undefined ? undefined : decodeBase64UrlStrict(text);
}

/**
 * The text as a one-byte JavaScript string, or undefined if a string holds anything beyond ASCII. That check
 * matters: Node's decoder reads only the low byte of each UTF-16 unit, so 'Ł' (U+0141) would decode as 'A'
 * (0x41). Bytes 0x80-0xFF from a Buffer become latin1 characters, which the decoder skips (caught below).
 */
function asciiText(input: Uint8Array | string): string | undefined {
  if (typeof input === 'string') return Buffer.byteLength(input, 'utf8') === input.length ? input : undefined;
  const view = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return view.toString('latin1');
}

/**
 * Decodes canonical padded URL-safe base64; returns undefined for anything else.
 *
 * Node's native decoder is fast but lenient, so each leniency is closed here without a second pass in JS:
 * - it skips characters outside the alphabet and stops at a '=' inside the text: either leaves the result
 *   shorter than the length the text implies, which is checked;
 * - it also accepts the standard alphabet's '+' and '/': searched for (a native memchr-like scan);
 * - it ignores the unused low bits of the last character: checked on that one character.
 * test/unit/crypto/base64.test.ts holds this against a byte-by-byte reference decoder for every byte value.
 */
function decodeBase64UrlStrict(text: string): Buffer | undefined {
  const length = text.length;
  if (length === 0 || length % 4 !== 0) return undefined;
  let padding = 0;
  if (text.charCodeAt(length - 1) === PAD) padding = text.charCodeAt(length - 2) === PAD ? 2 : 1;
  const body = padding ? text.slice(0, length - padding) : text;
  const decoded = Buffer.from(body, 'base64url');
  if (decoded.length !== (length / 4) * 3 - padding) return undefined;
  if (body.indexOf('+') !== -1 || body.indexOf('/') !== -1) return undefined;
  if (padding) {
    const last = DECODE[body.charCodeAt(body.length - 1)] ?? -1;
    const unusedBits = padding === 1 ? 0b11 : 0b1111;
    if (last < 0 || (last & unusedBits) !== 0) return undefined;
  }
  return decoded;
}

// ---- key text: small, by hand, never through a string ----

/** Why a piece of key text is not canonical URL-safe base64 (safe to show: it never quotes the text). */
export type Base64Problem = 'length' | 'whitespace' | 'standard-alphabet' | 'character' | 'padding' | 'trailing-bits';

/** Encodes small secrets (keys) byte by byte into padded URL-safe base64 ASCII bytes. */
export function encodeSecretBase64Url(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(bytes.length / 3) * 4, PAD);
  let o = 0;
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[(n >> 18) & 63]!;
    out[o++] = ENCODE[(n >> 12) & 63]!;
    out[o++] = ENCODE[(n >> 6) & 63]!;
    out[o++] = ENCODE[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = ENCODE[(n >> 18) & 63]!;
    out[o++] = ENCODE[(n >> 12) & 63]!;
    if (rest === 2) out[o++] = ENCODE[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes small secrets (keys) from canonical padded URL-safe base64 ASCII bytes without making a string.
 * Returns the bytes, or the first problem found, checked in this order: whitespace, characters outside the
 * alphabet, '=' anywhere but at the end, length, unused bits.
 */
export function decodeSecretBase64Url(text: Uint8Array): Buffer | Base64Problem {
  let padding = 0;
  let problem: Base64Problem | undefined;
  for (let i = 0; i < text.length && problem !== 'whitespace'; i++) {
    const byte = text[i]!;
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) problem = 'whitespace';
    else if (problem) continue;
    else if (byte === PAD) padding++;
    else if (DECODE[byte]! < 0) problem = byte === 0x2b || byte === 0x2f ? 'standard-alphabet' : 'character';
    else if (padding) problem = 'padding'; // a data character after '='
  }
  if (problem) return problem;
  if (padding > 2) return 'padding';
  if (text.length === 0 || text.length % 4 !== 0) return 'length';
  const chars = text.length - padding;
  const out = Buffer.alloc((text.length / 4) * 3 - padding);
  let value = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < chars; i++) {
    value = ((value << 6) | DECODE[text[i]!]!) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  const leftover = value & ((1 << bits) - 1);
  value = 0;
  if (leftover !== 0) {
    out.fill(0);
    return 'trailing-bits';
  }
  return out;
}
