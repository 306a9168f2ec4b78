/**
 * AES-128-CBC with PKCS#7 padding for many messages under one key, on two long-lived OpenSSL contexts.
 *
 * Why: creating a cipher context in Node costs about 8 µs, more than encrypting a 100-byte message, so a fresh
 * createCipheriv() per token made small tokens slower than Python's `cryptography`.
 *
 * How, without changing one output byte: a CBC context carries a chaining value V, the last ciphertext block it
 * produced (encrypting) or consumed (decrypting). To start a new message with its own IV on the same context:
 * - encrypt: CBC computes C1 = E(P1 xor V). Feeding P1 xor IV xor V yields E(P1 xor IV), which is exactly what a
 *   fresh context with that IV computes; the following blocks chain as usual.
 * - decrypt: CBC computes D(C1) xor V. XOR-ing that first output block with V xor IV yields D(C1) xor IV;
 *   the following blocks are untouched.
 * V is the last ciphertext block of the previous message, which this class keeps. If OpenSSL ever throws
 * mid-message, the context is dropped and rebuilt rather than trusted. test/unit/crypto/aes-cbc.test.ts checks
 * every length against fresh node:crypto contexts.
 */
import { type Cipher, type Decipher, createCipheriv, createDecipheriv } from 'node:crypto';
import { CustodianError } from '../errors.js';

const ALGORITHM = 'aes-128-cbc';
const BLOCK_SIZE = 16;
/** Up to this ciphertext length a message is copied once and encrypted in a single OpenSSL call. */
const SMALL_MESSAGE = 4096;

/** Whole blocks in, as many bytes out: anything else means the context is not in the state we think. */
function checkedUpdate(cipher: Cipher | Decipher, input: Uint8Array): Buffer {
  const output = cipher.update(input);
  if (output.length !== input.length) throw new CustodianError('INTERNAL', 'the cipher returned an unexpected length');
  return output;
}

export class AesCbc {
  readonly #key: Buffer;
  #encryptor: Cipher | undefined;
  #decryptor: Decipher | undefined;
  readonly #encryptChain = Buffer.alloc(BLOCK_SIZE);
  readonly #decryptChain = Buffer.alloc(BLOCK_SIZE);
  /** Padded copies of small plaintexts (wiped after each use). */
  readonly #scratch = Buffer.alloc(SMALL_MESSAGE);

  /** `key` is borrowed, not copied: the owner wipes it (and calls wipe() here). */
  constructor(key: Buffer) {
    this.#key = key;
  }

  /** Length of the padded ciphertext of an n-byte plaintext. */
  static ciphertextLength(plaintextLength: number): number {
    return plaintextLength - (plaintextLength % BLOCK_SIZE) + BLOCK_SIZE;
  }

  /** Pads and encrypts `plaintext` with `iv`, writing the ciphertext into `target` at `offset`. */
  encryptInto(plaintext: Uint8Array, iv: Uint8Array, target: Buffer, offset: number): void {
    const length = AesCbc.ciphertextLength(plaintext.length);
    const encryptor = (this.#encryptor ??= this.#newEncryptor());
    try {
      if (length <= SMALL_MESSAGE) this.#encryptSmall(encryptor, plaintext, iv, target, offset);
      else this.#encryptLarge(encryptor, plaintext, iv, target, offset);
    } catch (error) {
      this.#encryptor = undefined; // its chaining value is unknown now
      throw error;
    }
    this.#encryptChain.set(target.subarray(offset + length - BLOCK_SIZE, offset + length));
  }

  /** Small messages: one padded copy in a scratch buffer, one OpenSSL call. */
  #encryptSmall(encryptor: Cipher, plaintext: Uint8Array, iv: Uint8Array, target: Buffer, offset: number): void {
    const length = AesCbc.ciphertextLength(plaintext.length);
    const block = this.#scratch.subarray(0, length);
    block.set(plaintext);
    block.fill(length - plaintext.length, plaintext.length);
    this.#startMessage(block, iv);
    try {
      target.set(checkedUpdate(encryptor, block), offset);
    } finally {
      block.fill(0); // it held plaintext
    }
  }

  /** Large messages: the middle goes to OpenSSL straight from the caller's buffer, without a copy. */
  #encryptLarge(encryptor: Cipher, plaintext: Uint8Array, iv: Uint8Array, target: Buffer, offset: number): void {
    const fullLength = plaintext.length - (plaintext.length % BLOCK_SIZE);
    const first = this.#scratch.subarray(0, BLOCK_SIZE);
    const last = this.#scratch.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE);
    first.set(plaintext.subarray(0, BLOCK_SIZE));
    last.fill(BLOCK_SIZE - (plaintext.length % BLOCK_SIZE));
    last.set(plaintext.subarray(fullLength));
    this.#startMessage(first, iv);
    try {
      target.set(checkedUpdate(encryptor, first), offset);
      target.set(checkedUpdate(encryptor, plaintext.subarray(BLOCK_SIZE, fullLength)), offset + BLOCK_SIZE);
      target.set(checkedUpdate(encryptor, last), offset + fullLength);
    } finally {
      first.fill(0);
      last.fill(0);
    }
  }

  /** Turns the context's chaining value into `iv` for this message (see the top of this file). */
  #startMessage(firstBlock: Buffer, iv: Uint8Array): void {
    const chain = this.#encryptChain;
    for (let i = 0; i < BLOCK_SIZE; i++) firstBlock[i]! ^= iv[i]! ^ chain[i]!;
  }

  /** Decrypts whole blocks with `iv`; returns the still padded plaintext (the caller checks the padding). */
  decrypt(ciphertext: Uint8Array, iv: Uint8Array): Buffer {
    if (ciphertext.length === 0 || ciphertext.length % BLOCK_SIZE !== 0) {
      throw new CustodianError('INTERNAL', 'the ciphertext is not whole blocks');
    }
    const decryptor = (this.#decryptor ??= this.#newDecryptor());
    let plaintext: Buffer;
    try {
      plaintext = checkedUpdate(decryptor, ciphertext);
    } catch (error) {
      this.#decryptor = undefined;
      throw error;
    }
    const chain = this.#decryptChain;
    for (let i = 0; i < BLOCK_SIZE; i++) plaintext[i]! ^= chain[i]! ^ iv[i]!;
    chain.set(ciphertext.subarray(ciphertext.length - BLOCK_SIZE));
    return plaintext;
  }

  /** Drops the OpenSSL contexts (their copies of the key schedule are freed by the garbage collector). */
  wipe(): void {
    this.#encryptor = undefined;
    this.#decryptor = undefined;
    this.#encryptChain.fill(0);
    this.#decryptChain.fill(0);
    this.#scratch.fill(0);
  }

  #newEncryptor(): Cipher {
    this.#encryptChain.fill(0);
    const cipher = createCipheriv(ALGORITHM, this.#key, this.#encryptChain);
    cipher.setAutoPadding(false); // padding is added above, so every update() is whole blocks in, whole blocks out
    return cipher;
  }

  #newDecryptor(): Decipher {
    this.#decryptChain.fill(0);
    const decipher = createDecipheriv(ALGORITHM, this.#key, this.#decryptChain);
    decipher.setAutoPadding(false);
    return decipher;
  }
}
