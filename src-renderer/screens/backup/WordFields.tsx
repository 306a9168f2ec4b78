import { useCallback, useId, useRef, useState, type Dispatch, type KeyboardEvent, type MutableRefObject, type ReactNode, type SetStateAction } from 'react';
import { useWordList, wordState, type WordList, type WordState } from './words.js';
import { t } from '../../i18n/index.js';

/**
 * One field per word of a SLIP-39 share, checked against the word list as the holder types, with completions.
 *
 * Secrets: the inputs are uncontrolled. What was typed lives only in each input's live value (never in a DOM
 * `value` attribute, never in React state): the parent reads the words through `read()` at submission and calls
 * `clear()` at once. React state holds only per-field verdicts and the completions of the focused field (list
 * words, public). Spellcheck, autofill, autocorrect and autocapitalise are off on every field.
 */
export interface WordFieldsHandle {
  /** The typed words, in order (then call clear()). */
  read(): string[];
  clear(): void;
  /** Every field holds a word of the list. */
  complete(): boolean;
  focusFirst(): void;
}

export interface WordFieldsState {
  handle: WordFieldsHandle;
  inputs: MutableRefObject<Array<HTMLInputElement | null>>;
  states: WordState[];
  setStates: Dispatch<SetStateAction<WordState[]>>;
  list: WordList | undefined;
}

export function useWordFields(count: number): WordFieldsState {
  const inputs = useRef<Array<HTMLInputElement | null>>([]);
  const [states, setStates] = useState<WordState[]>(() => Array.from({ length: count }, () => 'empty'));
  const list = useWordList();
  const handle: WordFieldsHandle = {
    read: () => inputs.current.slice(0, count).map((input) => (input?.value ?? '').trim().toLowerCase()),
    clear: () => {
      for (const input of inputs.current) if (input) input.value = '';
      setStates(Array.from({ length: count }, () => 'empty'));
    },
    complete: () => inputs.current.slice(0, count).every((input) => wordState(input?.value ?? '', list) === 'valid'),
    focusFirst: () => inputs.current[0]?.focus(),
  };
  return { handle, inputs, states, setStates, list };
}

export function WordFields({ count, label, fields, masked = false, startPosition = 1, positions }: {
  count: number;
  /** Accessible name of the group, e.g. "Words of the share". */
  label: string;
  fields: WordFieldsState;
  masked?: boolean;
  /** Number of the first field (1 for a whole share). */
  startPosition?: number;
  /** The word positions the fields stand for (type-back check); defaults to startPosition, startPosition+1, ... */
  positions?: number[];
}): ReactNode {
  const id = useId();
  const { inputs, states, setStates, list } = fields;
  const [focused, setFocused] = useState<number | undefined>();
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const positionOf = (i: number): number => positions?.[i] ?? startPosition + i;

  // Functional update: several fields may change between two renders (typing on, a blur, a paste).
  const check = useCallback((indices: number[]) => {
    setStates((previous) => previous.map((state, i) => (indices.includes(i) ? wordState(inputs.current[i]?.value ?? '', list) : state)));
  }, [list, inputs, setStates]);

  const suggest = (i: number): void => {
    const prefix = (inputs.current[i]?.value ?? '').trim().toLowerCase();
    const found = list && prefix.length > 0 && !list.has(prefix) ? list.startingWith(prefix, 6) : [];
    setSuggestions(found);
  };

  const accept = (i: number, word: string): void => {
    const input = inputs.current[i];
    if (!input) return;
    input.value = word;
    check([i]);
    setSuggestions([]);
    const next = inputs.current[i + 1];
    if (next) next.focus();
  };

  const onInput = (i: number): void => {
    const input = inputs.current[i];
    if (!input) return;
    const text = input.value;
    if (/\s/.test(text)) {
      // A space moves on; a pasted or scanned share fills the following fields in order.
      const words = text.trim().split(/\s+/).filter(Boolean);
      const touched: number[] = [];
      words.slice(0, count - i).forEach((word, j) => {
        const target = inputs.current[i + j];
        if (target) { target.value = word.toLowerCase(); touched.push(i + j); }
      });
      if (words.length === 0) input.value = '';
      check(touched.length > 0 ? touched : [i]);
      setSuggestions([]);
      const after = inputs.current[Math.min(i + Math.max(words.length, 1), count - 1)];
      if (words.length > 0 && after && after !== input) after.focus();
      return;
    }
    check([i]);
    suggest(i);
  };

  const onKeyDown = (i: number, event: KeyboardEvent<HTMLInputElement>): void => {
    const input = inputs.current[i];
    if (!input) return;
    if (event.key === 'Enter' || event.key === 'Tab') {
      const word = input.value.trim().toLowerCase();
      const first = suggestions[0];
      if (word.length > 0 && list && !list.has(word) && first) {
        // Completes to the first matching word (SLIP-39 words are unique in their first four letters).
        event.preventDefault();
        accept(i, first);
        return;
      }
      if (event.key === 'Enter' && i < count - 1) {
        event.preventDefault();
        inputs.current[i + 1]?.focus();
      }
    } else if (event.key === 'Backspace' && input.value === '' && i > 0) {
      event.preventDefault();
      inputs.current[i - 1]?.focus();
    }
  };

  const unknown = states.map((state, i) => (state === 'unknown' ? positionOf(i) : 0)).filter((n) => n > 0);
  const valid = states.filter((state) => state === 'valid').length;
  return (
    <div className={`word-fields${masked ? ' masked' : ''}`} role="group" aria-label={label} aria-describedby={`${id}-summary`}>
      <ol className="word-grid">
        {Array.from({ length: count }, (_, i) => (
          <li key={i} className={`word ${states[i] ?? 'empty'}`}>
            <label htmlFor={`${id}-${i}`}>{positionOf(i)}</label>
            <input
              id={`${id}-${i}`}
              ref={(el) => { inputs.current[i] = el; }}
              type="text"
              aria-label={t('wordFields.wordN', { n: positionOf(i) })}
              aria-invalid={states[i] === 'unknown' ? true : undefined}
              aria-describedby={focused === i && suggestions.length > 0 ? `${id}-suggestions` : undefined}
              autoComplete="off"
              autoCorrect="off"
              autoCapitalize="off"
              spellCheck={false}
              data-lpignore="true"
              data-1p-ignore="true"
              maxLength={400}
              onInput={() => onInput(i)}
              onKeyDown={(event) => onKeyDown(i, event)}
              onFocus={() => { setFocused(i); suggest(i); }}
              onBlur={() => { setFocused(undefined); setSuggestions([]); check([i]); }}
            />
            {focused === i && suggestions.length > 0 ? (
              <ul className="suggestions" id={`${id}-suggestions`} aria-label={t('wordFields.suggestionsFor', { n: positionOf(i) })}>
                {suggestions.map((word) => (
                  <li key={word}>
                    <button type="button" tabIndex={-1} onMouseDown={(event) => { event.preventDefault(); accept(i, word); }}>{word}</button>
                  </li>
                ))}
              </ul>
            ) : null}
          </li>
        ))}
      </ol>
      <p id={`${id}-summary`} className="muted" aria-live="polite">
        {t(count === 1 ? 'wordFields.recognisedOne' : 'wordFields.recognisedMany', { valid, count })}{unknown.length > 0 ? ` ${t('wordFields.notInList', { words: unknown.join(', ') })}` : ''}
      </p>
    </div>
  );
}
