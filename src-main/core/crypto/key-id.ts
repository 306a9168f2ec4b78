/**
 * Key ids: a public name for a Fernet key that doubles as a key check value (docs/key-id.md).
 *
 *   id = "K1-" + groups of 4 of Crockford-base32( first 10 bytes of HMAC-SHA256(key = raw 32-byte key,
 *                                                          message = ASCII "key-custodian key-id v1") )
 *
 * HMAC under the key itself means the id says nothing about the key without the key, and anyone holding the
 * key (a receiver, Python or Node) recomputes it to check they were given the right one.
 */
import { createHmac } from 'node:crypto';
import { assertRawKey } from './fernet-key.js';

export const KEY_ID_LABEL = 'key-custodian key-id v1';
export const KEY_ID_PREFIX = 'K1-';
/** Crockford's base32 alphabet: digits and capitals without I, L, O and U. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ID_BYTES = 10; // 80 bits = 16 base32 characters
const GROUP = 4;

const KEY_ID_PATTERN = /^K1-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** The key's public id, `K1-XXXX-XXXX-XXXX-XXXX`. */
export function keyId(rawKey: Uint8Array): string {
  assertRawKey(rawKey);
  const mac = createHmac('sha256', rawKey).update(KEY_ID_LABEL, 'ascii').digest();
  let characters = '';
  // 10 bytes = 80 bits, read 5 bits at a time from the most significant end.
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < ID_BYTES; i++) {
    buffer = ((buffer << 8) | mac[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      characters += CROCKFORD_ALPHABET[(buffer >> bits) & 31];
    }
  }
  mac.fill(0);
  const groups = characters.match(new RegExp(`.{${GROUP}}`, 'g'))!;
  return KEY_ID_PREFIX + groups.join('-');
}

/** True for a well-formed key id in its canonical form (upper case, with the dashes). */
export function isKeyId(text: string): boolean {
  return typeof text === 'string' && KEY_ID_PATTERN.test(text);
}
