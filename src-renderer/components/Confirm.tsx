import { useId, useState, type ReactNode } from 'react';
import { t } from '../i18n/index.js';

/**
 * A destructive action behind a confirmation: the button opens a small dialog that says what will be lost;
 * with `phrase`, the officer must type it (for example the holders who will not get their share) first.
 * Escape or "Keep" closes the dialog without doing anything.
 */
export function ConfirmButton({ label, ariaLabel, title, message, confirmLabel, onConfirm, disabled = false, phrase }: {
  label: string;
  /** The button's accessible name when the visible label alone is ambiguous (one button per table row). */
  ariaLabel?: string;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: (typed: string) => void | Promise<void>;
  disabled?: boolean;
  phrase?: string;
}): ReactNode {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const matches = !phrase || normalise(typed) === normalise(phrase);
  if (!open) {
    return <button type="button" className="danger" aria-label={ariaLabel} disabled={disabled} onClick={() => { setTyped(''); setOpen(true); }}>{label}</button>;
  }
  const close = (): void => { setOpen(false); setTyped(''); };
  return (
    <div className="dialog danger" role="alertdialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-message`}
      onKeyDown={(e) => { if (e.key === 'Escape') close(); }}>
      <h3 id={`${id}-title`}>{title}</h3>
      <div id={`${id}-message`}>{message}</div>
      {phrase ? (
        <div className="field">
          <label htmlFor={`${id}-phrase`}>{t('confirm.type')}<kbd>{phrase}</kbd>{t('confirm.toConfirm')}</label>
          <input id={`${id}-phrase`} value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" spellCheck={false} />
        </div>
      ) : null}
      <button type="button" className="danger" disabled={!matches || disabled}
        onClick={() => { const text = typed; close(); void onConfirm(text); }}>{confirmLabel}</button>
      <button type="button" className="secondary" autoFocus={!phrase} onClick={close}>{t('confirm.keep')}</button>
    </div>
  );
}

function normalise(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\s*([,-])\s*/g, '$1');
}
