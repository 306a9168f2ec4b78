import { CustodianError } from '../errors.js';
import { Slip39 } from './slip39-library.js';
import { nearestWords, wordIndex } from './slip39-words.js';

/**
 * One SLIP-39 share, checked on its own: every word in the word list, a valid length, the RS1024 checksum (by the
 * library), and the public header fields that tell which set it belongs to. Errors say what is wrong and where,
 * and never quote what was typed (a misspelt word is still most of a share word).
 */
export interface DecodedShare {
  /** 15-bit random identifier of the split: every share of one split has the same. */
  identifier: number;
  extendable: boolean;
  iterationExponent: number;
  /** 0-based group index (always 0 for Key Custodian's one-group splits). */
  groupIndex: number;
  groupThreshold: number;
  groupCount: number;
  /** 0-based member index: share k of n has memberIndex k-1. */
  memberIndex: number;
  /** Shares of this group needed to recover (T of T-of-N). */
  memberThreshold: number;
  wordCount: number;
  /** Length in bytes of the secret the set recovers (32 for a Fernet key: 33-word shares). */
  secretLength: number;
  /**
   * The share, normalised (lower case, single spaces). SECRET. A JS string because the library takes strings;
   * it cannot be wiped, so keep it only as long as the recovery needs it.
   */
  mnemonic: string;
}

/** Words in a Key Custodian share: a 32-byte key gives 26 value words + 7 header/checksum words. */
export const KEY_SHARE_WORDS = 33;

const MIN_WORDS = 20;
const HEADER_WORDS = 4;
const CHECKSUM_WORDS = 3;

/** Splits typed or scanned text into lower-case words (any whitespace separates words). */
export function shareWords(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().split(/\s+/).filter((word) => word.length > 0);
}

/**
 * Decodes and checks one share. `wordCount` (33 for a Fernet key) makes a share of another length an error that
 * says how many words are missing or extra; without it any valid SLIP-39 length is accepted (the official vectors).
 */
export function decodeShare(text: string, options: { wordCount?: number } = {}): DecodedShare {
  const words = shareWords(text);
  if (words.length === 0) {
    throw new CustodianError('MNEMONIC_INVALID', 'The share is empty.', { hint: 'Type or scan the words of one share, separated by spaces.' });
  }
  const indices = checkWords(words);
  checkLength(words.length, options.wordCount);
  const mnemonic = words.join(' ');
  const header = parseHeader(indices);
  // The checksum (and the library's own structure checks) are the library's: validateMnemonic decodes the share.
  if (!Slip39.validateMnemonic(mnemonic)) throw structureError(indices, header);
  return { ...header, wordCount: words.length, secretLength: secretLength(words.length), mnemonic };
}

/** Every word must be a SLIP-39 word; the error lists each bad position with the nearest valid words. */
function checkWords(words: string[]): number[] {
  const indices: number[] = [];
  const problems: Array<{ position: number; suggestions: string[] }> = [];
  words.forEach((word, i) => {
    const index = wordIndex(word);
    if (index === undefined) problems.push({ position: i + 1, suggestions: nearestWords(word) });
    else indices.push(index);
  });
  if (problems.length === 0) return indices;
  const describe = (problem: { position: number; suggestions: string[] }): string =>
    `word ${problem.position}${problem.suggestions.length > 0 ? ` (nearest: ${problem.suggestions.join(', ')})` : ' (no word in the list is close)'}`;
  const listed = problems.slice(0, 5).map(describe).join('; ');
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
  throw new CustodianError('MNEMONIC_INVALID',
    `${problems.length === 1 ? 'A word is' : `${problems.length} words are`} not in the SLIP-39 word list: ${listed}${more}.`, {
      hint: 'Compare that word with the holder\'s sheet; SLIP-39 words are unique in their first four letters.',
      details: { problem: 'unknown-word', words: problems },
    });
}

function checkLength(count: number, expected: number | undefined): void {
  if (expected !== undefined) {
    if (count === expected) return;
    const difference = count < expected ? `${expected - count} missing` : `${count - expected} too many`;
    throw new CustodianError('MNEMONIC_INVALID', `The share has ${count} words; a key share has ${expected} (${difference}).`, {
      hint: 'Compare the words one by one with the sheet: a word was skipped or typed twice.',
      details: { problem: 'word-count', count, expected },
    });
  }
  const padding = (10 * (count - HEADER_WORDS - CHECKSUM_WORDS)) % 16;
  if (count < MIN_WORDS || padding > 8) {
    throw new CustodianError('MNEMONIC_INVALID', `The share has ${count} words, which is not a valid SLIP-39 share length.`, {
      hint: 'A SLIP-39 share has 20 words (128-bit secret) or 33 words (256-bit secret); a word was skipped or typed twice.',
      details: { problem: 'word-count', count },
    });
  }
}

type Header = Omit<DecodedShare, 'wordCount' | 'secretLength' | 'mnemonic'>;

/** The public header in the first four words (SLIP-39 "Format of the share mnemonic"): 2 x 20 bits. */
function parseHeader(indices: number[]): Header {
  const first = (indices[0] as number) * 1024 + (indices[1] as number);
  const second = (indices[2] as number) * 1024 + (indices[3] as number);
  return {
    identifier: first >> 5,
    extendable: ((first >> 4) & 1) === 1,
    iterationExponent: first & 0xf,
    groupIndex: (second >> 16) & 0xf,
    groupThreshold: ((second >> 12) & 0xf) + 1,
    groupCount: ((second >> 8) & 0xf) + 1,
    memberIndex: (second >> 4) & 0xf,
    memberThreshold: (second & 0xf) + 1,
  };
}

function secretLength(count: number): number {
  const bits = 10 * (count - HEADER_WORDS - CHECKSUM_WORDS);
  return (bits - (bits % 16)) / 8;
}

/**
 * The library rejected a share whose words and length are fine. Its checksum is checked first; the only other
 * reasons are a header that contradicts itself or non-zero padding bits, which we can name from the header.
 */
function structureError(indices: number[], header: Header): CustodianError {
  const paddingBits = (10 * (indices.length - HEADER_WORDS - CHECKSUM_WORDS)) % 16;
  const firstValueWord = indices[HEADER_WORDS] as number;
  const paddingSet = paddingBits > 0 && firstValueWord >> (10 - paddingBits) !== 0;
  if (header.groupThreshold > header.groupCount || paddingSet) {
    return new CustodianError('MNEMONIC_INVALID', 'The share\'s words do not form a valid SLIP-39 share (its checksum or its structure is wrong).', {
      hint: 'Compare every word with the sheet; if they all match, this sheet was not made by a SLIP-39 tool.',
      details: { problem: 'structure' },
    });
  }
  return new CustodianError('MNEMONIC_INVALID', 'The share\'s checksum does not match: a word is wrong, or two words are swapped.', {
    hint: 'Compare every word and its position with the sheet.',
    details: { problem: 'checksum' },
  });
}
