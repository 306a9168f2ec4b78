// The SLIP-39 core on its own (no I/O): splitting a Fernet key, recombining every threshold subset, and the
// share checker's verdicts, each error class with what it says (and what it never says: the typed words).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SLIP39_WORDS, ShareCollector, checkCounts, decodeShare, nearestWords, pickCheckPositions, recoverKey, restoreKey, splitKey, wordsStartingWith,
} from '../../../src-main/core/backup/slip39.js';
import { generateFernetKey, keyId } from '../../../src-main/core/crypto/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';

const key = generateFernetKey();
const id = keyId(key);
const set = splitKey(key, { threshold: 3, shares: 5 });
const mnemonics = set.shares.map((share) => share.mnemonic);

function rejects(action: () => unknown, code: string, check?: (error: CustodianError) => void): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof CustodianError, `a CustodianError, not ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.hint && error.hint.length > 0, 'every error has a hint');
    check?.(error);
    return true;
  });
}

function combinations<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]];
  return items.flatMap((item, i) => combinations(items.slice(i + 1), k - 1).map((rest) => [item, ...rest]));
}

/** A share with word `position` (1-based) replaced. */
function withWord(mnemonic: string, position: number, word: string): string {
  const words = mnemonic.split(' ');
  words[position - 1] = word;
  return words.join(' ');
}

describe('splitting a key', () => {
  test('3-of-5: five 33-word shares of the SLIP-39 list, numbered 1..5, with the key id', () => {
    assert.equal(set.keyId, id);
    assert.deepEqual([set.threshold, set.total, set.passphraseProtected], [3, 5, false]);
    assert.deepEqual(set.shares.map((share) => share.index), [1, 2, 3, 4, 5]);
    for (const share of set.shares) {
      assert.equal(share.words.length, 33);
      assert.equal(share.mnemonic, share.words.join(' '));
      assert.ok(share.words.every((word) => SLIP39_WORDS.includes(word)));
      const decoded = decodeShare(share.mnemonic);
      assert.deepEqual([decoded.memberIndex + 1, decoded.memberThreshold, decoded.groupThreshold, decoded.groupCount, decoded.secretLength, decoded.iterationExponent, decoded.extendable],
        [share.index, 3, 1, 1, 32, 1, true]);
    }
    assert.equal(new Set(set.shares.map((share) => decodeShare(share.mnemonic).identifier)).size, 1, 'one identifier for the set');
  });

  test('every 3 of the 5 shares, in any order, recover exactly the key; no 2 do', () => {
    for (const subset of combinations(mnemonics, 3)) {
      const restored = recoverKey([...subset].reverse());
      assert.ok(restored.rawKey.equals(key));
      assert.equal(restored.id, id);
    }
    for (const subset of combinations(mnemonics, 2)) {
      rejects(() => recoverKey(subset), 'MNEMONIC_INSUFFICIENT', (error) => assert.match(error.message, /2 share\(s\) given; 1 more needed/));
    }
  });

  test('a passphrase: the right one recovers the key; a wrong one silently gives another key, caught by the id', () => {
    const protectedSet = splitKey(key, { threshold: 2, shares: 3, passphrase: Buffer.from('correct horse') });
    assert.equal(protectedSet.passphraseProtected, true);
    const two = protectedSet.shares.slice(1).map((share) => share.mnemonic);
    assert.equal(recoverKey(two, 'correct horse').id, id);
    const wrong = recoverKey(two, 'correct hors');
    assert.notEqual(wrong.id, id, 'SLIP-39 cannot tell a wrong passphrase: it yields another key');
    const collector = new ShareCollector();
    for (const mnemonic of two) collector.add(mnemonic);
    rejects(() => restoreKey(collector, 'correct hors', id), 'RESTORE_MISMATCH', (error) => {
      assert.match(error.message, /wrong SLIP-39 passphrase does not fail/);
      assert.deepEqual(error.details, { expected: id, recovered: wrong.id });
    });
    rejects(() => restoreKey(collector, undefined, id), 'RESTORE_MISMATCH', (error) => assert.match(error.message, /split with a passphrase/));
  });

  test('1-of-1 is allowed; 1-of-N, T > N, N > 16 and non-ASCII passphrases are refused', () => {
    const single = splitKey(key, { threshold: 1, shares: 1 });
    assert.equal(recoverKey([single.shares[0]!.mnemonic]).id, id);
    rejects(() => checkCounts(1, 3), 'INVALID_INPUT', (error) => assert.match(error.message, /each share would be the whole key/));
    rejects(() => checkCounts(4, 3), 'INVALID_INPUT');
    rejects(() => checkCounts(2, 17), 'INVALID_INPUT');
    rejects(() => checkCounts(0, 3), 'INVALID_INPUT');
    rejects(() => splitKey(key, { threshold: 2, shares: 3, passphrase: 'pässword' }), 'INVALID_INPUT', (error) => assert.match(error.message, /printable ASCII/));
    rejects(() => splitKey(key.subarray(0, 16), { threshold: 2, shares: 3 }), 'INVALID_KEY');
  });
});

describe('checking shares as they arrive', () => {
  test('a word not in the list: its position and the nearest words, never the typed word', () => {
    const word = set.shares[0]!.words[6]!;
    const typo = `${word.slice(0, -1)}${word.endsWith('x') ? 'y' : 'x'}q`; // two letters off, not a list word
    assert.ok(!SLIP39_WORDS.includes(typo));
    rejects(() => decodeShare(withWord(mnemonics[0]!, 7, typo)), 'MNEMONIC_INVALID', (error) => {
      assert.match(error.message, /not in the SLIP-39 word list: word 7 \(nearest: /);
      assert.ok(!error.message.includes(typo), 'the typed word is not echoed');
      const details = error.details as { problem: string; words: Array<{ position: number; suggestions: string[] }> };
      assert.equal(details.problem, 'unknown-word');
      assert.equal(details.words[0]!.position, 7);
      assert.ok(details.words[0]!.suggestions.includes(word), `the meant word is among ${details.words[0]!.suggestions.join(', ')}`);
    });
    rejects(() => decodeShare(withWord(withWord(mnemonics[0]!, 2, 'qqqqqqqq'), 30, 'zzzz')), 'MNEMONIC_INVALID', (error) => {
      assert.match(error.message, /^2 words are not in the SLIP-39 word list: word 2 .*; word 30 /);
    });
  });

  test('nearest words put the word with the same first four letters first; autocomplete by prefix', () => {
    assert.equal(nearestWords('academy')[0], 'academic');
    assert.deepEqual(nearestWords('acne'.replace('n', 'm')).includes('acne'), true);
    assert.deepEqual(nearestWords('qqqqqqqqqq'), []);
    assert.deepEqual(wordsStartingWith('acad'), ['academic']);
    assert.equal(SLIP39_WORDS.length, 1024);
  });

  test('a wrong word count says how many are missing or extra', () => {
    const words = set.shares[1]!.words;
    rejects(() => decodeShare(words.slice(0, 32).join(' '), { wordCount: 33 }), 'MNEMONIC_INVALID', (error) => assert.match(error.message, /has 32 words; a key share has 33 \(1 missing\)/));
    rejects(() => decodeShare([...words, words[0]].join(' '), { wordCount: 33 }), 'MNEMONIC_INVALID', (error) => assert.match(error.message, /1 too many/));
    rejects(() => new ShareCollector().add(words.slice(0, 20).join(' ')), 'MNEMONIC_INVALID', (error) => assert.match(error.message, /20 words/));
  });

  test('a bad checksum: one word changed to another list word, or two words swapped', () => {
    const words = set.shares[2]!.words;
    const other = SLIP39_WORDS.find((candidate) => candidate !== words[12])!;
    rejects(() => decodeShare(withWord(mnemonics[2]!, 13, other)), 'MNEMONIC_INVALID', (error) => {
      assert.match(error.message, /checksum does not match/);
      assert.equal((error.details as { problem: string }).problem, 'checksum');
    });
    const i = words.findIndex((word, n) => n > 5 && word !== words[n + 1]);
    const swapped = [...words];
    [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    rejects(() => decodeShare(swapped.join(' ')), 'MNEMONIC_INVALID', (error) => assert.match(error.message, /checksum/));
  });

  test('case, extra spaces and line breaks do not matter (a QR scan or a sheet typed in capitals)', () => {
    const collector = new ShareCollector();
    collector.add(`  ${mnemonics[0]!.toUpperCase().replace(/ /g, '  ')}\n`);
    collector.add(mnemonics[3]!.replace(/ /g, '\t'));
    assert.equal(collector.add(mnemonics[4]!).complete, true);
    assert.equal(restoreKey(collector).id, id);
  });

  test('a share of another split, even of the same key, is MNEMONIC_SET_MISMATCH and is not kept', () => {
    const other = splitKey(key, { threshold: 3, shares: 5 });
    const collector = new ShareCollector();
    collector.add(mnemonics[0]!);
    rejects(() => collector.add(other.shares[1]!.mnemonic), 'MNEMONIC_SET_MISMATCH', (error) => assert.match(error.message, /another split: its identifier/));
    const twoOfThree = splitKey(key, { threshold: 2, shares: 3 });
    rejects(() => collector.add(twoOfThree.shares[1]!.mnemonic), 'MNEMONIC_SET_MISMATCH');
    assert.equal(collector.progress().accepted, 1, 'the refused shares were not kept');
    collector.add(mnemonics[1]!);
    assert.equal(collector.add(mnemonics[2]!).complete, true);
    assert.equal(restoreKey(collector).id, id);
  });

  test('the same share twice is MNEMONIC_DUPLICATE, naming the share number', () => {
    const collector = new ShareCollector();
    collector.add(mnemonics[1]!);
    rejects(() => collector.add(mnemonics[1]!), 'MNEMONIC_DUPLICATE', (error) => assert.match(error.message, /^Share 2 was already given\.$/));
    assert.deepEqual(collector.progress(), { accepted: 1, missing: 2, threshold: 3, complete: false });
  });

  test('too few shares is MNEMONIC_INSUFFICIENT with the counts; an empty collection says no share was given', () => {
    rejects(() => new ShareCollector().assertComplete(), 'MNEMONIC_INSUFFICIENT', (error) => assert.match(error.message, /No share was given/));
    const collector = new ShareCollector();
    collector.add(mnemonics[4]!);
    rejects(() => restoreKey(collector), 'MNEMONIC_INSUFFICIENT', (error) => assert.deepEqual(error.details, { accepted: 1, missing: 2 }));
  });

  test('an empty share is MNEMONIC_INVALID', () => {
    rejects(() => decodeShare(' \n '), 'MNEMONIC_INVALID', (error) => assert.match(error.message, /empty/));
  });

  test('check positions for the hand-out: two distinct positions within the share', () => {
    for (let i = 0; i < 200; i++) {
      const positions = pickCheckPositions(33);
      assert.equal(positions.length, 2);
      assert.notEqual(positions[0], positions[1]);
      assert.ok(positions.every((position) => position >= 1 && position <= 33));
    }
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) for (const position of pickCheckPositions(33)) seen.add(position);
    assert.equal(seen.size, 33, 'every position gets picked');
  });
});
