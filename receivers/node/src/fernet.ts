/**
 * A small Fernet (https://github.com/fernet/spec) and MultiFernet for the application, on node:crypto.
 * Keys are the raw 32 bytes (16 signing + 16 encryption) held in Buffers the receiver owns and wipes on lock().
 * Decryption tries every installed key, current first, like `cryptography`'s MultiFernet; encryption uses the
 * current key. Failures say only "invalid token".
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 0x80;
const HEADER = 1 + 8 + 16; // version, timestamp, IV
const MAC = 32;
const MAX_CLOCK_SKEW = 60;

export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
  constructor() {
    super('invalid token');
  }
}

function decodeToken(token: Uint8Array | string): Buffer {
  const text = typeof token === 'string' ? token : Buffer.from(token).toString('latin1');
  // Only the canonical spelling, like the app's Fernet (docs/fernet.md): urlsafe alphabet, exact '=' padding,
  // zero unused bits, no whitespace. Re-encoding must give back the same text, so one token has one spelling.
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9_-]+={0,2}$/.test(text)) throw new InvalidToken();
  const data = Buffer.from(text, 'base64url');
  if (encodeToken(data).toString('latin1') !== text) throw new InvalidToken();
  if (data.length < HEADER + 16 + MAC || (data.length - HEADER - MAC) % 16 !== 0 || data[0] !== VERSION) throw new InvalidToken();
  return data;
}

function encodeToken(data: Buffer): Buffer {
  const text = data.toString('base64url');
  return Buffer.from(text + '='.repeat((4 - (text.length % 4)) % 4), 'ascii');
}

/** Decrypts with one raw key; throws InvalidToken. `now` in seconds. */
export function fernetDecrypt(rawKey: Buffer, token: Uint8Array | string, now: number, ttl?: number): Buffer {
  const data = decodeToken(token);
  const signed = data.subarray(0, data.length - MAC);
  const expected = createHmac('sha256', rawKey.subarray(0, 16)).update(signed).digest();
  if (!timingSafeEqual(expected, data.subarray(data.length - MAC))) throw new InvalidToken();
  const timestamp = Number(data.readBigUInt64BE(1));
  if (ttl !== undefined && timestamp + ttl < now) throw new InvalidToken();
  if (timestamp > now + MAX_CLOCK_SKEW) throw new InvalidToken();
  try {
    const decipher = createDecipheriv('aes-128-cbc', rawKey.subarray(16, 32), data.subarray(9, HEADER));
    return Buffer.concat([decipher.update(data.subarray(HEADER, data.length - MAC)), decipher.final()]);
  } catch {
    throw new InvalidToken();
  }
}

export function fernetEncrypt(rawKey: Buffer, plaintext: Uint8Array, now: number, iv: Buffer = randomBytes(16)): Buffer {
  const cipher = createCipheriv('aes-128-cbc', rawKey.subarray(16, 32), iv);
  const header = Buffer.alloc(9);
  header[0] = VERSION;
  header.writeBigUInt64BE(BigInt(Math.floor(now)), 1);
  const body = Buffer.concat([header, iv, cipher.update(plaintext), cipher.final()]);
  const mac = createHmac('sha256', rawKey.subarray(0, 16)).update(body).digest();
  return encodeToken(Buffer.concat([body, mac]));
}

/** The application's view of the installed keys. Valid until the receiver locks; then every call throws. */
export class ReceiverFernet {
  constructor(private readonly keys: () => readonly Buffer[], private readonly now: () => number) {}

  /** Token (ASCII bytes) under the current key. */
  encrypt(plaintext: Uint8Array): Buffer {
    const [current] = this.keys();
    if (!current) throw new Error('receiver is locked');
    return fernetEncrypt(current, plaintext, this.now());
  }

  /** Plaintext of a token made with any installed key; throws InvalidToken ("invalid token"). */
  decrypt(token: Uint8Array | string, options: { ttl?: number } = {}): Buffer {
    const keys = this.keys();
    if (keys.length === 0) throw new Error('receiver is locked');
    for (const key of keys) {
      try {
        return fernetDecrypt(key, token, this.now(), options.ttl);
      } catch {
        // try the next key
      }
    }
    throw new InvalidToken();
  }
}
