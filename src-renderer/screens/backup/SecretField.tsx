import { useId, useState, type ReactNode, type RefObject } from 'react';
import { t } from '../../i18n/index.js';

/**
 * A passphrase input that React does not control: the typed text stays in the input's live value (never in
 * state, never in a DOM `value` attribute). The form reads it through the ref when it submits, then clears it.
 * A show/hide toggle helps with long passphrases.
 */
export function SecretField({ label, inputRef, hint, name }: { label: string; inputRef: RefObject<HTMLInputElement | null>; hint?: string; name?: string }): ReactNode {
  const id = useId();
  const [shown, setShown] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input id={id} ref={inputRef} name={name} type={shown ? 'text' : 'password'} autoComplete="off" autoCorrect="off" autoCapitalize="off"
          spellCheck={false} data-lpignore="true" data-1p-ignore="true" maxLength={1024} aria-describedby={hint ? `${id}-hint` : undefined} />
        <button type="button" className="link" aria-pressed={shown} aria-label={t(shown ? 'secretField.hideLabel' : 'secretField.showLabel', { label: label.toLowerCase() })} onClick={() => setShown(!shown)}>
          {shown ? t('secretField.hide') : t('secretField.show')}
        </button>
      </div>
      {hint ? <small id={`${id}-hint`}>{hint}</small> : null}
    </div>
  );
}

/** Reads a secret input and empties it; undefined when nothing was typed. */
export function takeSecret(ref: RefObject<HTMLInputElement | null>): string | undefined {
  const input = ref.current;
  if (!input) return undefined;
  const value = input.value;
  input.value = '';
  return value.length > 0 ? value : undefined;
}
