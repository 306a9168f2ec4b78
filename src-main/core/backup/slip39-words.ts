import { WORD_LIST } from './slip39-library.js';

/** The SLIP-39 word list (1024 words). Public: the desktop restore wizard autocompletes from it. */
export const SLIP39_WORDS: readonly string[] = WORD_LIST;

// Built on first use: the list loads with the slip39 library, which the CLI does not load at start-up.
let index: Map<string, number> | undefined;

/** The word's index in the list (0-1023), or undefined when it is not a SLIP-39 word. Expects lower case. */
export function wordIndex(word: string): number | undefined {
  index ??= new Map<string, number>(WORD_LIST.map((entry, position) => [entry, position]));
  return index.get(word);
}

/** Every word of the list that starts with `prefix` (lower case), for autocompletion. */
export function wordsStartingWith(prefix: string, limit = 8): string[] {
  if (prefix.length === 0) return [];
  const found: string[] = [];
  for (const word of WORD_LIST) {
    if (word.startsWith(prefix)) found.push(word);
    if (found.length >= limit) break;
  }
  return found;
}

/**
 * The valid words nearest to a word that is not in the list, best first: the word with the same first four
 * letters (SLIP-39 words are unique in their first four letters, so that one is almost surely meant), then words
 * at the smallest edit distance (a letter wrong, missing, added, or two letters swapped).
 */
export function nearestWords(typed: string, count = 3): string[] {
  const word = typed.toLowerCase();
  const scored: Array<{ word: string; score: number }> = [];
  for (const candidate of WORD_LIST) {
    const distance = editDistance(word, candidate);
    // Same 4-letter prefix first; beyond distance 3 a suggestion is a guess, not a correction.
    const score = word.length >= 4 && candidate.startsWith(word.slice(0, 4)) ? -1 : distance;
    if (score <= 3) scored.push({ word: candidate, score });
  }
  scored.sort((a, b) => a.score - b.score || a.word.localeCompare(b.word));
  return scored.slice(0, count).map((entry) => entry.word);
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}
