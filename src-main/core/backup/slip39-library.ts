import { createRequire } from 'node:module';

/**
 * The npm `slip39` package (0.1.9, MIT), typed. It passes the 45 official SLIP-39 vectors (our tests check that),
 * and it does the format's cryptography: the Feistel encryption of the master secret (PBKDF2-SHA256), Shamir
 * splitting over GF(256) with the digest share, and the RS1024 checksum. We never re-implement any of that.
 *
 * Loaded with createRequire and typed here, instead of an ambient `declare module`, so every tsconfig that
 * compiles the core (CLI, Electron main) sees the same types without another .d.ts in its include list.
 *
 * Caveats of the library, worked around in slip39.ts:
 * - On load it adds methods to Array.prototype and String.prototype (slip39EncodeHex, slip39Generate, ...).
 * - It works on JavaScript arrays of numbers and JS strings: the master secret, the passphrase and the mnemonics
 *   pass through values we cannot wipe. We wipe our own copies; docs/threat-model.md says what JS cannot promise.
 * - Its error messages may quote a mnemonic or a word: they are never shown, only mapped to our own codes.
 */
interface Slip39Node {
  readonly mnemonics: string[];
}

interface Slip39Instance {
  fromPath(path: string): Slip39Node;
}

interface Slip39Class {
  fromArray(masterSecret: number[], options: {
    passphrase?: string;
    threshold?: number;
    groups?: Array<[number, number, string?]>;
    iterationExponent?: number;
    extendableBackupFlag?: 0 | 1;
    title?: string;
  }): Slip39Instance;
  recoverSecret(mnemonics: string[], passphrase?: string): number[];
  validateMnemonic(mnemonic: string): boolean;
}

interface Slip39Helper {
  WORD_LIST: readonly string[];
}

const require = createRequire(import.meta.url);

export const Slip39 = require('slip39') as Slip39Class;

/** The SLIP-39 word list, straight from the library (1024 words, 4-8 letters, unique in their first 4 letters). */
export const WORD_LIST: readonly string[] = Object.freeze([...(require('slip39/src/slip39_helper.js') as Slip39Helper).WORD_LIST]);
