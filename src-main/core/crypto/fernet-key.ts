/**
 * Fernet keys: 32 random bytes (16 signing + 16 encryption), written as 44 characters of padded URL-safe base64.
 * Key text is coded byte by byte (see base64.ts) so a key never becomes a JavaScript string here.
 */
import { randomBytes } from 'node:crypto';
import { CustodianError } from '../errors.js';
import { type Base64Problem, decodeSecretBase64Url, encodeSecretBase64Url } from './base64.js';

export const FERNET_KEY_LENGTH = 32;
/** Length of the key text: 44 ASCII characters, the last one '='. */
export const FERNET_KEY_TEXT_LENGTH = 44;

/** A new key from the operating system's CSPRNG. */
export function generateFernetKey(): Buffer {
  return randomBytes(FERNET_KEY_LENGTH);
}

/** The usual Fernet key text (what Python's Fernet.generate_key() returns), as ASCII bytes. */
export function encodeFernetKey(raw: Uint8Array): Buffer {
  assertRawKey(raw);
  return encodeSecretBase64Url(raw);
}

const problemHints: Record<Base64Problem, string> = {
  length: `A Fernet key is exactly ${FERNET_KEY_TEXT_LENGTH} characters of URL-safe base64 ending in '='; this text has another length.`,
  whitespace: 'The key text contains spaces or line breaks; pass the 44 characters alone.',
  'standard-alphabet': "The key text uses standard base64 ('+' or '/'); Fernet keys use the URL-safe alphabet ('-' and '_').",
  character: 'The key text contains a character outside URL-safe base64 (A-Z a-z 0-9 - _ and a final =).',
  padding: "The key text has misplaced or missing '=' padding; a Fernet key ends in exactly one '='.",
  'trailing-bits': 'The key text is not canonical base64 (its last character before the = has non-zero unused bits); it was probably mistyped.',
};

/**
 * Parses Fernet key text (44 ASCII characters) into the 32 raw key bytes. Strict: no whitespace, no standard
 * base64 alphabet, exact padding, canonical last character. Throws CustodianError('INVALID_KEY'); the error
 * never quotes the text.
 */
export function decodeFernetKey(text: Uint8Array | string): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  try {
    const decoded = decodeSecretBase64Url(bytes);
    if (typeof decoded !== 'string' && decoded.length === FERNET_KEY_LENGTH) return decoded;
    if (typeof decoded !== 'string') decoded.fill(0);
    throw invalidKeyText(keyTextProblem(bytes, decoded));
  } finally {
    // The temporary copy made from a string holds the key text: wipe it (the caller owns its own bytes).
    if (bytes !== text) bytes.fill(0);
  }
}

/** The most useful thing to tell about key text that did not decode to 32 bytes. */
function keyTextProblem(bytes: Uint8Array, decoded: Buffer | Base64Problem): Base64Problem {
  if (decoded === 'whitespace' || decoded === 'standard-alphabet' || decoded === 'character') return decoded;
  if (bytes.length !== FERNET_KEY_TEXT_LENGTH) return 'length';
  if (bytes[FERNET_KEY_TEXT_LENGTH - 1] !== 0x3d || bytes[FERNET_KEY_TEXT_LENGTH - 2] === 0x3d) return 'padding';
  return typeof decoded === 'string' ? decoded : 'length';
}

function invalidKeyText(problem: Base64Problem): CustodianError {
  return new CustodianError('INVALID_KEY', 'invalid Fernet key', { hint: problemHints[problem] });
}

/** Throws INVALID_KEY unless `raw` is 32 bytes. */
export function assertRawKey(raw: unknown): asserts raw is Uint8Array {
  if (!(raw instanceof Uint8Array) || raw.length !== FERNET_KEY_LENGTH) {
    throw new CustodianError('INVALID_KEY', 'invalid Fernet key', {
      hint: `A raw Fernet key is exactly ${FERNET_KEY_LENGTH} bytes; decode key text with decodeFernetKey() first.`,
    });
  }
}
