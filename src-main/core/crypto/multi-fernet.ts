/**
 * MultiFernet with the semantics of Python's `cryptography`: the first key encrypts, any key decrypts, and
 * rotate() re-encrypts under the first key while keeping the token's original timestamp. The token is parsed
 * once; each key then checks its HMAC on the same bytes.
 */
import { CustodianError } from '../errors.js';
import { Fernet, type TimeCheck, fernetInternals } from './fernet.js';
import { invalidToken, parseToken, timestampBytes } from './token-format.js';

export class MultiFernet {
  readonly #fernets: readonly Fernet[];

  /** `fernets[0]` encrypts and supplies the clock and IVs; the others only decrypt. */
  constructor(fernets: Fernet[]) {
    if (!Array.isArray(fernets) || fernets.length === 0 || !fernets.every((f) => f instanceof Fernet)) {
      throw new CustodianError('INVALID_INPUT', 'MultiFernet needs at least one Fernet key', {
        hint: 'Pass a non-empty list of Fernet instances, the key to encrypt with first.',
      });
    }
    this.#fernets = [...fernets];
  }

  get #primary(): Fernet {
    return this.#fernets[0]!;
  }

  encrypt(plaintext: Uint8Array): Buffer {
    return this.#primary.encrypt(plaintext);
  }

  /**
   * Decrypts with the first key whose HMAC matches. An authentic but expired token is TOKEN_EXPIRED at once:
   * no other key could make it younger.
   */
  decrypt(token: Uint8Array | string, options: { ttl?: number } = {}): Buffer {
    const timeCheck = fernetInternals.timeCheck(this.#primary, options.ttl);
    return this.#openWithAnyKey(parseToken(token), timeCheck);
  }

  /**
   * Re-encrypts a token under the first key, keeping its timestamp bytes as they are (so a TTL still counts from
   * the original encryption). No TTL is applied, as in Python: rotation is for stored data of any age.
   */
  rotate(token: Uint8Array | string): Buffer {
    const data = parseToken(token);
    const plaintext = this.#openWithAnyKey(data, undefined);
    try {
      return fernetInternals.seal(this.#primary, plaintext, timestampBytes(data));
    } finally {
      plaintext.fill(0);
    }
  }

  #openWithAnyKey(data: Buffer, timeCheck: TimeCheck | undefined): Buffer {
    for (const fernet of this.#fernets) {
      try {
        const plaintext = fernetInternals.tryOpen(fernet, data, timeCheck);
        if (plaintext) return plaintext;
      } catch (error) {
        // Authentic under this key but bad padding: as Python does, let the other keys try.
        if (!(error instanceof CustodianError) || error.code !== 'INVALID_TOKEN') throw error;
      }
    }
    throw invalidToken();
  }
}
