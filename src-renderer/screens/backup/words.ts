/**
 * The SLIP-39 word list in the window, fetched once from main (it is public: the SLIP-39 standard's 1024 words,
 * from the slip39 package main uses), for checking and completing words as they are typed.
 */
import { useEffect, useState } from 'react';
import { call } from '../../api.js';

export interface WordList {
  has(word: string): boolean;
  /** Words that start with `prefix` (lower case), at most `limit`. */
  startingWith(prefix: string, limit?: number): string[];
}

let loading: Promise<WordList> | undefined;

function load(): Promise<WordList> {
  loading ??= call('backupWords', {}).then((words): WordList => {
    const set = new Set(words);
    return {
      has: (word: string) => set.has(word),
      startingWith: (prefix: string, limit = 6) => {
        if (prefix.length === 0) return [];
        const found: string[] = [];
        for (const word of words) {
          if (word.startsWith(prefix)) found.push(word);
          if (found.length >= limit) break;
        }
        return found;
      },
    };
  }).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** The word list, or undefined while it loads (fields then only check letters). */
export function useWordList(): WordList | undefined {
  const [list, setList] = useState<WordList | undefined>();
  useEffect(() => {
    let alive = true;
    void load().then((loaded) => { if (alive) setList(loaded); }).catch(() => undefined);
    return () => { alive = false; };
  }, []);
  return list;
}

/** What a field's text is, as far as the word list can tell. Only this verdict is kept in React state, never the text. */
export type WordState = 'empty' | 'partial' | 'valid' | 'unknown';

export function wordState(text: string, list: WordList | undefined): WordState {
  const word = text.trim().toLowerCase();
  if (word.length === 0) return 'empty';
  if (!list) return /^[a-z]+$/.test(word) ? 'partial' : 'unknown';
  if (list.has(word)) return 'valid';
  return list.startingWith(word, 1).length > 0 ? 'partial' : 'unknown';
}
