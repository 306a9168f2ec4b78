/**
 * Fernet (https://github.com/fernet/spec) on node:crypto: AES-128-CBC with PKCS#7 padding, then HMAC-SHA256
 * over version, timestamp, IV and ciphertext. Compatible with Python's `cryptography` Fernet, but stricter on
 * input (see docs/fernet.md): canonical URL-safe base64 only, and the HMAC is checked before anything else
 * that depends on the key, the clock or the plaintext.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CustodianError } from '../errors.js';
import { AesCbc } from './aes-cbc.js';
import { encodeBase64UrlPadded } from './base64.js';
import { assertRawKey } from './fernet-key.js';
import { randomIv } from './random-iv.js';
import {
  BLOCK_SIZE, CIPHERTEXT_OFFSET, HMAC_LENGTH, IV_LENGTH, IV_OFFSET, MAX_CLOCK_SKEW_SECONDS, VERSION,
  invalidToken, parseToken, readTimestamp, writeTimestamp,
} from './token-format.js';

export interface FernetOptions {
  /** Clock in milliseconds since the epoch (default Date.now); used for new tokens' timestamps and for TTLs. */
  now?: () => number;
  /** Source of IVs (default: the CSPRNG, through a pool; see random-iv.ts). */
  randomBytes?: (size: number) => Buffer;
}

export interface EncryptOptions {
  /** Timestamp to put in the token, in whole seconds (default: the clock). */
  time?: number;
  /** The 16-byte IV (default: random). Only tests and the spec vectors should set this. */
  iv?: Uint8Array;
}

export interface DecryptOptions {
  /** Maximum token age in seconds. Without it, age is not checked (as in Python). */
  ttl?: number;
}

/** What #open checks about time: the TTL and the current time in whole seconds. */
export interface TimeCheck {
  ttl: number;
  nowSeconds: number;
}

/** Hooks for MultiFernet, which parses a token once and tries several keys on it. Not part of the public API. */
export interface FernetInternals {
  open(fernet: Fernet, data: Buffer, timeCheck: TimeCheck | undefined): Buffer;
  /** open(), but undefined when the HMAC does not match (another key may): no exception on the common path. */
  tryOpen(fernet: Fernet, data: Buffer, timeCheck: TimeCheck | undefined): Buffer | undefined;
  seal(fernet: Fernet, plaintext: Uint8Array, time: number | Uint8Array): Buffer;
  /** Validates a TTL and reads this Fernet's clock. */
  timeCheck(fernet: Fernet, ttl: number | undefined): TimeCheck | undefined;
}
export let fernetInternals: FernetInternals;

const SIGNING_KEY_LENGTH = 16;

export class Fernet {
  readonly #signingKey: Buffer;
  readonly #encryptionKey: Buffer;
  readonly #aes: AesCbc;
  readonly #now: () => number;
  readonly #randomBytes: (size: number) => Buffer;
  #wiped = false;

  constructor(rawKey: Uint8Array, options: FernetOptions = {}) {
    assertRawKey(rawKey);
    // Own copies, so the caller can wipe its buffer as soon as this is built; wipe() zeroes these.
    this.#signingKey = Buffer.from(rawKey.subarray(0, SIGNING_KEY_LENGTH));
    this.#encryptionKey = Buffer.from(rawKey.subarray(SIGNING_KEY_LENGTH));
    this.#aes = new AesCbc(this.#encryptionKey);
    this.#now = options.now ?? Date.now;
    this.#randomBytes = options.randomBytes ?? randomIv;
  }

  /** Encrypts bytes into a token (ASCII bytes of padded URL-safe base64). */
  encrypt(plaintext: Uint8Array, options: EncryptOptions = {}): Buffer {
    this.#assertUsable();
    if (!(plaintext instanceof Uint8Array)) {
      throw new CustodianError('INVALID_INPUT', 'plaintext must be bytes', { hint: 'Pass a Buffer or Uint8Array; encode text first (for example Buffer.from(text, "utf8")).' });
    }
    const time = options.time ?? this.#nowSeconds();
    if (!Number.isSafeInteger(time) || time < 0) {
      throw new CustodianError('INVALID_INPUT', 'invalid token time', { hint: 'The time is whole seconds since 1970, zero or more.' });
    }
    return this.#seal(plaintext, time, options.iv);
  }

  /** Decrypts a token; throws INVALID_TOKEN for any bad token and TOKEN_EXPIRED for an authentic one older than ttl. */
  decrypt(token: Uint8Array | string, options: DecryptOptions = {}): Buffer {
    this.#assertUsable();
    const timeCheck = this.#timeCheck(options.ttl);
    return this.#open(parseToken(token), timeCheck);
  }

  /** The token's timestamp in seconds, after checking that the token is authentic under this key. */
  extractTimestamp(token: Uint8Array | string): number {
    this.#assertUsable();
    const data = parseToken(token);
    this.#verify(data);
    return readTimestamp(data);
  }

  /** Zeroes this object's copies of the key; it cannot be used afterwards. */
  wipe(): void {
    this.#signingKey.fill(0);
    this.#encryptionKey.fill(0);
    this.#aes.wipe();
    this.#wiped = true;
  }

  #assertUsable(): void {
    if (this.#wiped) {
      throw new CustodianError('INVALID_KEY', 'this key was wiped from memory', { hint: 'Load the key again for another operation.' });
    }
  }

  #nowSeconds(): number {
    const now = this.#now();
    if (!Number.isFinite(now)) throw new CustodianError('INTERNAL', 'the clock returned no time');
    return Math.floor(now / 1000);
  }

  #timeCheck(ttl: number | undefined): TimeCheck | undefined {
    if (ttl === undefined) return undefined;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
      throw new CustodianError('INVALID_INPUT', 'invalid TTL', { hint: 'The TTL is a number of seconds, zero or more.' });
    }
    return { ttl, nowSeconds: this.#nowSeconds() };
  }

  #seal(plaintext: Uint8Array, time: number | Uint8Array, givenIv?: Uint8Array): Buffer {
    const iv = givenIv ?? this.#randomBytes(IV_LENGTH);
    if (!(iv instanceof Uint8Array) || iv.length !== IV_LENGTH) {
      throw new CustodianError('INVALID_INPUT', 'invalid IV', { hint: `The IV is exactly ${IV_LENGTH} bytes.` });
    }
    const macOffset = CIPHERTEXT_OFFSET + AesCbc.ciphertextLength(plaintext.length);
    const body = Buffer.allocUnsafe(macOffset + HMAC_LENGTH);
    body[0] = VERSION;
    writeTimestamp(body, time);
    body.set(iv, IV_OFFSET);
    this.#aes.encryptInto(plaintext, iv, body, CIPHERTEXT_OFFSET);
    const mac = createHmac('sha256', this.#signingKey).update(body.subarray(0, macOffset)).digest();
    body.set(mac, macOffset);
    return encodeBase64UrlPadded(body);
  }

  #verify(data: Buffer): void {
    if (!this.#authentic(data)) throw invalidToken();
  }

  #authentic(data: Buffer): boolean {
    const macOffset = data.length - HMAC_LENGTH;
    const expected = createHmac('sha256', this.#signingKey).update(data.subarray(0, macOffset)).digest();
    return timingSafeEqual(expected, data.subarray(macOffset));
  }

  /** HMAC first, then time, then decryption and padding: a forged token learns nothing from the order. */
  #open(data: Buffer, timeCheck: TimeCheck | undefined): Buffer {
    this.#verify(data);
    return this.#openAuthentic(data, timeCheck);
  }

  #openAuthentic(data: Buffer, timeCheck: TimeCheck | undefined): Buffer {
    if (timeCheck) {
      const timestamp = readTimestamp(data);
      if (timestamp + timeCheck.ttl < timeCheck.nowSeconds) throw tokenExpired(timeCheck.ttl);
      if (timeCheck.nowSeconds + MAX_CLOCK_SKEW_SECONDS < timestamp) throw invalidToken();
    }
    // Padding is checked here rather than by OpenSSL: the HMAC already proved the token authentic, and this
    // avoids copying the plaintext once more.
    const padded = this.#aes.decrypt(data.subarray(CIPHERTEXT_OFFSET, data.length - HMAC_LENGTH), data.subarray(IV_OFFSET, CIPHERTEXT_OFFSET));
    const padding = padded[padded.length - 1]!;
    let bad = padding === 0 || padding > BLOCK_SIZE ? 1 : 0;
    for (let i = padded.length - Math.min(padding, BLOCK_SIZE); i < padded.length; i++) bad |= padded[i]! ^ padding;
    if (bad !== 0) {
      padded.fill(0);
      throw invalidToken();
    }
    return padded.subarray(0, padded.length - padding);
  }

  static {
    fernetInternals = {
      open: (fernet, data, timeCheck) => {
        fernet.#assertUsable();
        return fernet.#open(data, timeCheck);
      },
      tryOpen: (fernet, data, timeCheck) => {
        fernet.#assertUsable();
        // MultiFernet tries keys in turn: a mismatch is expected, and building an error per try (a stack trace
        // each) cost rotation about 40% of its time.
        return fernet.#authentic(data) ? fernet.#openAuthentic(data, timeCheck) : undefined;
      },
      seal: (fernet, plaintext, time) => {
        fernet.#assertUsable();
        return fernet.#seal(plaintext, time);
      },
      timeCheck: (fernet, ttl) => fernet.#timeCheck(ttl),
    };
  }
}

function tokenExpired(ttl: number): CustodianError {
  return new CustodianError('TOKEN_EXPIRED', 'token expired', {
    hint: `The token is authentic but older than the allowed ${ttl} seconds. Ask for a fresh token, or allow a longer TTL if that is intended.`,
  });
}

/** Fernet objects on the raw keys for the length of `use`; their own copies of the keys are wiped afterwards. */
export function withFernets<T>(rawKeys: readonly Buffer[], use: (fernets: Fernet[]) => T): T {
  const fernets = rawKeys.map((raw) => new Fernet(raw));
  try {
    return use(fernets);
  } finally {
    for (const fernet of fernets) fernet.wipe();
  }
}
