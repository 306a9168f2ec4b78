import { useId, type ReactNode } from 'react';
import type { ErrorView, Feature } from '../../src-shared/contract.js';
import { t } from '../i18n/index.js';

/** What went wrong and what to do next; announced to screen readers. */
export function ErrorNotice({ error, onDismiss }: { error: ErrorView | undefined; onDismiss?: () => void }): ReactNode {
  if (!error) return null;
  return (
    <div className="notice error" role="alert" data-code={error.code}>
      <p><strong>{error.message}</strong></p>
      {error.hint ? <p>{error.hint}</p> : null}
      <p className="code">{t('common.errorCode')}{error.code}</p>
      {onDismiss ? <button type="button" className="link" onClick={onDismiss}>{t('common.dismiss')}</button> : null}
    </div>
  );
}

/** A long operation in progress. */
export function Busy({ label }: { label: string }): ReactNode {
  return (
    <div className="busy" role="status" aria-live="polite">
      <progress aria-label={label} />
      <span>{label}{t('common.ellipsis')}</span>
    </div>
  );
}

export function NotAvailable({ feature, title }: { feature: Feature | undefined; title: string }): ReactNode {
  return (
    <section className="card not-available" role="status" aria-label={t('common.notAvailableLabel', { title })}>
      <h2>{t('common.notAvailableTitle', { title })}</h2>
      <p>{feature?.reason ?? t('common.theCoreModuleBehindThis')}</p>
      <p>{t('common.nothingShownHereIsSimulated')}</p>
    </section>
  );
}

/** A labelled input; `secret` masks it and keeps browsers from remembering or correcting it. */
export function Field(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  secret?: boolean;
  multiline?: boolean;
  placeholder?: string;
  hint?: string;
  autoFocus?: boolean;
  type?: string;
  name?: string;
  /** A sentence saying what is wrong with this field (shown under it, announced, and marks it invalid). */
  error?: string;
}): ReactNode {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.error ? errorId : undefined, props.hint ? hintId : undefined].filter(Boolean).join(' ');
  const common = {
    id,
    name: props.name,
    value: props.value,
    placeholder: props.placeholder,
    autoFocus: props.autoFocus,
    autoComplete: 'off',
    spellCheck: false,
    autoCorrect: 'off',
    autoCapitalize: 'off',
    'aria-describedby': describedBy || undefined,
    'aria-invalid': props.error ? true : undefined,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.multiline && !props.secret
        ? <textarea {...common} rows={4} onChange={(e) => props.onChange(e.target.value)} />
        : <input {...common} type={props.secret ? 'password' : (props.type ?? 'text')} onChange={(e) => props.onChange(e.target.value)} />}
      {props.error ? <small id={errorId} className="field-error">{props.error}</small> : null}
      {props.hint ? <small id={hintId}>{props.hint}</small> : null}
    </div>
  );
}

export function Meter({ label, value, max }: { label: string; value: number; max: number }): ReactNode {
  return (
    <div className="meter">
      <span>{label}</span>
      <progress aria-label={label} value={value} max={Math.max(max, 1)} />
      <span className="count">{value} / {max}</span>
    </div>
  );
}

export function StateBadge({ state }: { state: 'sealed' | 'unsealed' | 'locked' | 'unlocked' | 'unreachable' | 'uninitialized' | 'unknown' }): ReactNode {
  return <span className={`badge ${state}`}>{t(`state.${state}`)}</span>;
}

/** The schema's sentence for each field of an INVALID_INPUT error (dispatch.ts puts them in details.issues). */
export function fieldErrors(error: ErrorView | undefined): Record<string, string> {
  const issues = error?.code === 'INVALID_INPUT' ? error.details?.['issues'] : undefined;
  const byField: Record<string, string> = {};
  if (!Array.isArray(issues)) return byField;
  for (const issue of issues as Array<{ path?: unknown; message?: unknown }>) {
    if (typeof issue.path === 'string' && typeof issue.message === 'string' && !byField[issue.path]) byField[issue.path] = issue.message;
  }
  return byField;
}
