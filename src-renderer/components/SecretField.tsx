import { useId, useImperativeHandle, useRef, useState, type ReactNode, type RefObject } from 'react';
import { t } from '../i18n/index.js';

/** What the form around a SecretField can do with it: read once on submit, then clear. */
export interface SecretHandle {
  /** The text as typed (group spaces included; main drops them). */
  read(): string;
  clear(): void;
  focus(): void;
}

/**
 * A secret input (a share, a key, a passphrase) that keeps what is typed out of React and out of the DOM tree:
 * it is uncontrolled (no `value` prop, so React never mirrors the text into the `value` attribute), the form
 * reads it through `handle` on submit and clears it at once. Only "is something typed" reaches React state,
 * to enable the submit button.
 *
 * "Show" reveals the text in the field itself; with `group`, it is regrouped as the holder types (for example
 * "AbCd EfGh …"), which is how shares are printed and easier to compare. The groups live in the field's value
 * property only, never in an attribute or a text node.
 */
export function SecretField({ label, hint, handle, onFilledChange, multiline = false, group, autoFocus = false }: {
  label: string;
  hint?: string;
  handle: RefObject<SecretHandle | null>;
  onFilledChange?: (filled: boolean) => void;
  multiline?: boolean;
  /** Characters per group when shown; none: shown as typed. */
  group?: number;
  autoFocus?: boolean;
}): ReactNode {
  const id = useId();
  const element = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [shown, setShown] = useState(false);
  const filled = useRef(false);

  const report = (): void => {
    const now = (element.current?.value ?? '').trim() !== '';
    if (now !== filled.current) {
      filled.current = now;
      onFilledChange?.(now);
    }
  };
  useImperativeHandle(handle, () => ({
    read: () => element.current?.value ?? '',
    clear: () => {
      if (element.current) element.current.value = '';
      report();
    },
    focus: () => element.current?.focus(),
  }));

  const onInput = (): void => {
    if (shown && group && element.current) regroup(element.current, group);
    report();
  };
  const toggle = (): void => {
    const next = !shown;
    setShown(next);
    if (next && group && element.current) regroup(element.current, group);
  };

  const common = {
    id,
    ref: element,
    autoFocus,
    autoComplete: 'off',
    autoCorrect: 'off',
    autoCapitalize: 'off',
    spellCheck: false,
    'aria-describedby': hint ? `${id}-hint` : undefined,
    onInput,
  };
  return (
    <div className="field secret-field">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        {multiline
          ? <textarea {...common} rows={4} className={shown ? undefined : 'masked'} />
          : <input {...common} type={shown ? 'text' : 'password'} className={shown && group ? 'grouped' : undefined} />}
        <button type="button" className="toggle" aria-pressed={shown} aria-controls={id} onClick={toggle}>
          {shown ? t('secretField.hide') : t('secretField.show')}<span className="visually-hidden"> {label}</span>
        </button>
      </div>
      {hint ? <small id={`${id}-hint`}>{hint}</small> : null}
    </div>
  );
}

/** Rewrites the field's value in groups of `size`, keeping the caret after the same typed character. */
function regroup(element: HTMLInputElement | HTMLTextAreaElement, size: number): void {
  const value = element.value;
  const caret = element.selectionStart ?? value.length;
  const typedBefore = value.slice(0, caret).replace(/\s+/g, '').length;
  const compact = value.replace(/\s+/g, '');
  const grouped = compact.replace(new RegExp(`(.{${size}})(?=.)`, 'g'), '$1 ');
  if (grouped === value) return;
  element.value = grouped;
  const position = typedBefore === 0 ? 0 : typedBefore + Math.floor((typedBefore - 1) / size);
  element.setSelectionRange(position, position);
}
