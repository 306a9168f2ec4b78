import { lazyRequire } from '../lazy.js';

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

// Loaded on first use, not at import: every CLI command imports the core (the backup commands included), and
// loading the library costs ~30 ms and patches Array/String prototypes (see above) in processes that never need
// it (docs/benchmarks.md, test/unit/cli-startup.test.ts).
const loadLibrary = lazyRequire<Slip39Class>('slip39');
const loadHelper = lazyRequire<Slip39Helper>('slip39/src/slip39_helper.js');
let words: string[] | undefined;

function loadWords(): string[] {
  return words ??= [...loadHelper().WORD_LIST];
}

/** The library's class; its static methods load the library when first called. */
export const Slip39: Slip39Class = {
  fromArray: (masterSecret, options) => loadLibrary().fromArray(masterSecret, options),
  recoverSecret: (mnemonics, passphrase) => loadLibrary().recoverSecret(mnemonics, passphrase),
  validateMnemonic: (mnemonic) => loadLibrary().validateMnemonic(mnemonic),
};

/**
 * The SLIP-39 word list, straight from the library (1024 words, 4-8 letters, unique in their first 4 letters).
 * A read-only view that loads the list on first access; it behaves as a frozen array (index, length, iteration,
 * array methods) and refuses writes.
 */
export const WORD_LIST: readonly string[] = new Proxy<string[]>([], {
  get: (_target, key) => Reflect.get(loadWords(), key),
  has: (_target, key) => Reflect.has(loadWords(), key),
  ownKeys: () => Reflect.ownKeys(loadWords()),
  getOwnPropertyDescriptor: (_target, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(loadWords(), key);
    // 'length' is the one property the (empty) proxy target also has; report it as the target must allow.
    return descriptor && key !== 'length' ? { ...descriptor, writable: false } : descriptor;
  },
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
});
