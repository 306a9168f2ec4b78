/**
 * SLIP-39 backups of data keys: the 32 raw bytes of a Fernet key are the SLIP-39 master secret, split into one
 * group of T-of-N mnemonic shares (optionally under a SLIP-39 passphrase), so any SLIP-39 tool (Trezor's
 * `shamir-mnemonic`, hardware wallets) recovers exactly the key. The format's cryptography is the npm `slip39`
 * library's (slip39-library.ts); this module chooses the parameters, checks shares as they arrive, and compares
 * the recovered key with the expected key id.
 *
 * Secrets: keys come in and go out as Buffers we wipe. The library works on JS arrays and strings (master secret,
 * passphrase, mnemonics); those copies cannot be wiped and are left to the garbage collector.
 */
import { randomInt } from 'node:crypto';
import { keyId } from '../crypto/index.js';
import { CustodianError } from '../errors.js';
import { Slip39 } from './slip39-library.js';
import { KEY_SHARE_WORDS, decodeShare, type DecodedShare } from './slip39-share.js';

export { KEY_SHARE_WORDS, decodeShare, shareWords, type DecodedShare } from './slip39-share.js';
export { SLIP39_WORDS, nearestWords, wordIndex, wordsStartingWith } from './slip39-words.js';

/** SLIP-39 allows at most 16 shares in a group. */
export const MAX_SHARES = 16;
const KEY_LENGTH = 32;
/** PBKDF2 iterations are 10000 << e; e = 1 is the reference implementation's default (about 10 ms here). */
const ITERATION_EXPONENT = 1;

export interface SplitOptions {
  /** Shares needed to recover (T). 2..N, or 1 for a single 1-of-1 share. */
  threshold: number;
  /** Shares made (N), 1..16. */
  shares: number;
  /** SLIP-39 passphrase, printable ASCII. Empty or absent: none. A wrong one at restore yields ANOTHER key. */
  passphrase?: Uint8Array | string;
}

export interface Slip39Share {
  /** 1-based share number k (of `total`). */
  index: number;
  /** The mnemonic's words in order. SECRET. */
  words: string[];
  /** The words joined by single spaces (what a QR code on the sheet holds). SECRET. */
  mnemonic: string;
}

export interface Slip39Split {
  /** Key id of the key that was split (what a restore must give back). */
  keyId: string;
  threshold: number;
  total: number;
  passphraseProtected: boolean;
  shares: Slip39Share[];
}

/**
 * Splits a 32-byte key into `shares` SLIP-39 mnemonics of which any `threshold` recover it. Before returning it
 * recombines two different threshold subsets and checks they give the key back, so a split that would not
 * restore is never handed out.
 */
export function splitKey(rawKey: Uint8Array, options: SplitOptions): Slip39Split {
  if (rawKey.length !== KEY_LENGTH) throw new CustodianError('INVALID_KEY', 'invalid Fernet key', { hint: 'A Fernet key is 32 bytes.' });
  checkCounts(options.threshold, options.shares);
  const passphrase = passphraseText(options.passphrase);
  const id = keyId(Buffer.from(rawKey));
  const secret = Array.from(rawKey);
  let mnemonics: string[];
  try {
    mnemonics = Slip39.fromArray(secret, {
      passphrase,
      threshold: 1,
      groups: [[options.threshold, options.shares]],
      iterationExponent: ITERATION_EXPONENT,
      extendableBackupFlag: 1,
      title: '',
    }).fromPath('r/0').mnemonics;
  } finally {
    secret.fill(0);
  }
  if (mnemonics.length !== options.shares) throw new CustodianError('INTERNAL', 'The SLIP-39 library made the wrong number of shares.');
  const shares = mnemonics.map((mnemonic, i) => ({ index: i + 1, words: mnemonic.split(' '), mnemonic }));
  const subsets = [shares.slice(0, options.threshold), shares.slice(shares.length - options.threshold)];
  for (const subset of subsets) {
    const recovered = recoverKey(subset.map((share) => share.mnemonic), passphrase);
    const matches = recovered.id === id;
    recovered.rawKey.fill(0);
    if (!matches) throw new CustodianError('INTERNAL', 'The shares just made do not recombine to the key; nothing was handed out.');
  }
  return { keyId: id, threshold: options.threshold, total: options.shares, passphraseProtected: passphrase.length > 0, shares };
}

/** T and N as SLIP-39 allows them: 1 <= T <= N <= 16, and T = 1 only for a single share (1-of-N would make N copies). */
export function checkCounts(threshold: number, shares: number): void {
  const usage = (message: string, hint: string): CustodianError => new CustodianError('INVALID_INPUT', message, { hint });
  if (!Number.isInteger(shares) || shares < 1 || shares > MAX_SHARES) throw usage(`SLIP-39 makes 1 to ${MAX_SHARES} shares, not ${shares}.`, 'Choose --shares from 1 to 16.');
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > shares) throw usage(`The threshold must be from 1 to the number of shares (${shares}).`, 'Choose --threshold at most --shares.');
  if (threshold === 1 && shares > 1) {
    throw usage('SLIP-39 does not allow a threshold of 1 with several shares: each share would be the whole key.', 'Use --threshold 2 or more, or --shares 1 --threshold 1 for a single copy.');
  }
}

/** A passphrase as the library needs it: a JS string (it cannot be wiped), printable ASCII as SLIP-39 requires. */
function passphraseText(passphrase: Uint8Array | string | undefined): string {
  if (passphrase === undefined) return '';
  const bytes = typeof passphrase === 'string' ? Buffer.from(passphrase, 'utf8') : passphrase;
  for (const byte of bytes) {
    if (byte < 0x20 || byte > 0x7e) {
      throw new CustodianError('INVALID_INPUT', 'A SLIP-39 passphrase may contain only printable ASCII characters (letters, digits, punctuation, space).', {
        hint: 'Choose a passphrase without accents, emoji or control characters.',
      });
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

/** Progress of a share collection: how many shares were accepted and how many the set needs. */
export interface ShareProgress {
  accepted: number;
  /** Shares still needed (0 when the set can be recovered). Counted for the groups that are nearest to done. */
  missing: number;
  /** T of the first share's group (Key Custodian splits have one group). */
  threshold: number;
  complete: boolean;
}

/**
 * Collects the shares of one set as they arrive and says exactly what is wrong with each: MNEMONIC_INVALID (a
 * word, the length or the checksum), MNEMONIC_SET_MISMATCH (another split: identifier, threshold, iteration
 * exponent or share length differ), MNEMONIC_DUPLICATE (the same share number again). A rejected share leaves
 * the collection as it was. `recover` says MNEMONIC_INSUFFICIENT while shares are missing.
 *
 * `anyLength: true` accepts every valid SLIP-39 share length and multi-group sets (the official vectors); by
 * default only 33-word shares (32-byte keys) are accepted.
 */
export class ShareCollector {
  private readonly shares: DecodedShare[] = [];
  private readonly wordCount: number | undefined;

  constructor(options: { anyLength?: boolean } = {}) {
    this.wordCount = options.anyLength ? undefined : KEY_SHARE_WORDS;
  }

  /** Checks one share against the word list, its checksum and the shares so far; keeps it if it fits. */
  add(text: string): ShareProgress {
    const share = decodeShare(text, this.wordCount === undefined ? {} : { wordCount: this.wordCount });
    const first = this.shares[0];
    if (first) checkSameSet(first, share, this.shares);
    this.shares.push(share);
    return this.progress();
  }

  progress(): ShareProgress {
    const first = this.shares[0];
    if (!first) return { accepted: 0, missing: 1, threshold: 0, complete: false };
    const missing = this.missingShares();
    return { accepted: this.shares.length, missing, threshold: first.memberThreshold, complete: missing === 0 };
  }

  get complete(): boolean {
    return this.progress().complete;
  }

  /**
   * Recombines the set. The result is whatever secret the shares and passphrase give: SLIP-39 has no way to tell
   * a wrong passphrase (it silently yields another secret), so callers compare key ids (restoreKey does).
   */
  recoverSecret(passphrase?: Uint8Array | string): Buffer {
    const selected = this.selection();
    let recovered: number[] | undefined;
    try {
      recovered = Slip39.recoverSecret(selected, passphraseText(passphrase));
      return Buffer.from(recovered);
    } catch (error) {
      if (error instanceof CustodianError) throw error;
      // The shares passed every check on their own, so the digest did not match: one is from another split
      // that happens to share the identifier, or was altered in a way its checksum did not catch.
      throw new CustodianError('MNEMONIC_SET_MISMATCH', 'The shares passed their checks but do not recombine (the digest does not match): they are not all from the same split.', {
        hint: 'Use only shares from one sheet set; if they are, one sheet was altered.',
        cause: error,
      });
    } finally {
      recovered?.fill(0);
    }
  }

  /** Throws MNEMONIC_INSUFFICIENT (with how many shares are missing) unless the set can be recombined. */
  assertComplete(): void {
    this.selection();
  }

  /** Forgets the shares (the strings themselves cannot be wiped; this drops our references). */
  clear(): void {
    this.shares.length = 0;
  }

  /** Exactly groupThreshold complete groups with exactly memberThreshold members each: what the library needs. */
  private selection(): string[] {
    const first = this.shares[0];
    if (!first || this.missingShares() > 0) {
      const progress = this.progress();
      throw new CustodianError('MNEMONIC_INSUFFICIENT', first
        ? `${progress.accepted} share(s) given; ${progress.missing} more needed.`
        : 'No share was given.', {
        hint: first ? `Any ${first.memberThreshold} different shares of the set recover the key; collect more holders' shares.` : 'Give the holders\' shares, one per line.',
        details: { accepted: progress.accepted, missing: progress.missing },
      });
    }
    const selected: string[] = [];
    const groups = this.groups();
    let usedGroups = 0;
    for (const members of groups.values()) {
      const threshold = (members[0] as DecodedShare).memberThreshold;
      if (members.length < threshold || usedGroups >= first.groupThreshold) continue;
      usedGroups++;
      for (const member of members.slice(0, threshold)) selected.push(member.mnemonic);
    }
    return selected;
  }

  private groups(): Map<number, DecodedShare[]> {
    const groups = new Map<number, DecodedShare[]>();
    for (const share of this.shares) groups.set(share.groupIndex, [...(groups.get(share.groupIndex) ?? []), share]);
    return groups;
  }

  /** Shares still missing: for the groupThreshold groups nearest to complete, what each still lacks. */
  private missingShares(): number {
    const first = this.shares[0];
    if (!first) return 1;
    const lacking = [...this.groups().values()].map((members) => Math.max(0, (members[0] as DecodedShare).memberThreshold - members.length));
    lacking.sort((a, b) => a - b);
    const absentGroups = Math.max(0, first.groupThreshold - lacking.length);
    // A group with no share yet counts as one missing share: its threshold is unknown until a share arrives.
    return lacking.slice(0, first.groupThreshold).reduce((sum, n) => sum + n, 0) + absentGroups;
  }
}

function checkSameSet(first: DecodedShare, share: DecodedShare, accepted: DecodedShare[]): void {
  const differs: string[] = [];
  if (share.identifier !== first.identifier || share.extendable !== first.extendable) differs.push('its identifier (first words)');
  if (share.iterationExponent !== first.iterationExponent) differs.push('its iteration exponent');
  if (share.groupThreshold !== first.groupThreshold || share.groupCount !== first.groupCount) differs.push('its group settings');
  if (share.wordCount !== first.wordCount) differs.push(`its length (${share.wordCount} words, not ${first.wordCount})`);
  const sameGroup = accepted.find((other) => other.groupIndex === share.groupIndex);
  if (differs.length === 0 && sameGroup && sameGroup.memberThreshold !== share.memberThreshold) {
    differs.push(`its threshold (${share.memberThreshold}, not ${sameGroup.memberThreshold})`);
  }
  if (differs.length > 0) {
    throw new CustodianError('MNEMONIC_SET_MISMATCH', `This share is from another split: ${differs.join(', ')} ${differs.length === 1 ? 'differs' : 'differ'} from the first share's.`, {
      hint: 'Use only shares from the same sheet set (same key, same split date).',
      details: { differs: differs.length },
    });
  }
  const duplicate = accepted.find((other) => other.groupIndex === share.groupIndex && other.memberIndex === share.memberIndex);
  if (duplicate) {
    const same = duplicate.mnemonic === share.mnemonic;
    throw new CustodianError('MNEMONIC_DUPLICATE', `Share ${share.memberIndex + 1} was already given${same ? '' : ' (with different words: one of the two copies is wrong)'}.`, {
      hint: 'Ask the next holder for their share; each share counts once.',
      details: { share: share.memberIndex + 1 },
    });
  }
}

/** A recovered key and its id. The caller wipes rawKey. */
export interface RestoredKey {
  rawKey: Buffer;
  id: string;
}

/** Recombines mnemonics (any order) to a 32-byte key; every share is checked as in ShareCollector. */
export function recoverKey(mnemonics: string[], passphrase?: Uint8Array | string): RestoredKey {
  const collector = new ShareCollector();
  for (const mnemonic of mnemonics) collector.add(mnemonic);
  return restoreKey(collector, passphrase);
}

/**
 * Recovers the key from a complete collection and, when `expectedId` is given, checks it: a different id is
 * RESTORE_MISMATCH, and the recovered key is wiped before the error is thrown. With a passphrase the likely
 * cause is a wrong passphrase, which by SLIP-39's design silently yields another key.
 */
export function restoreKey(collector: ShareCollector, passphrase?: Uint8Array | string, expectedId?: string): RestoredKey {
  const rawKey = collector.recoverSecret(passphrase);
  if (rawKey.length !== KEY_LENGTH) {
    rawKey.fill(0);
    throw new CustodianError('INVALID_KEY', `The shares hold a ${rawKey.length}-byte secret, not a 32-byte Fernet key.`, { hint: 'These shares are not a Key Custodian key backup.' });
  }
  const id = keyId(rawKey);
  if (expectedId !== undefined && id !== expectedId) {
    rawKey.fill(0);
    throw restoreMismatch(expectedId, id, passphrase !== undefined && passphrase.length > 0);
  }
  return { rawKey, id };
}

export function restoreMismatch(expectedId: string, recoveredId: string, withPassphrase: boolean): CustodianError {
  return new CustodianError('RESTORE_MISMATCH', `The shares recombine to key ${recoveredId}, not the expected ${expectedId}.${withPassphrase
    ? ' A wrong SLIP-39 passphrase does not fail: by design it silently gives another key, so the passphrase is the likely cause.'
    : ' Without a passphrase, these are shares of another key (or the key was split with a passphrase).'}`, {
    hint: withPassphrase ? 'Check the passphrase (case, spaces) and try again.' : 'Check that the sheets belong to this key; if it was split with a passphrase, give it.',
    details: { expected: expectedId, recovered: recoveredId },
  });
}

/** Any-length recovery for the official vectors and other SLIP-39 tools' sets (multi-group allowed). */
export function recoverMasterSecret(mnemonics: string[], passphrase?: Uint8Array | string): Buffer {
  const collector = new ShareCollector({ anyLength: true });
  for (const mnemonic of mnemonics) collector.add(mnemonic);
  return collector.recoverSecret(passphrase);
}

/** Two distinct random word positions (1-based) a holder types back to prove the share was written down. */
export function pickCheckPositions(wordCount: number, count = 2): number[] {
  const positions = new Set<number>();
  while (positions.size < Math.min(count, wordCount)) positions.add(randomInt(1, wordCount + 1));
  return [...positions].sort((a, b) => a - b);
}
