import { useRef, useState, type ReactNode } from 'react';
import type { ErrorView, SessionState } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { useTask } from '../hooks.js';
import { ErrorNotice } from './common.js';
import { t } from '../i18n/index.js';

/**
 * Choose or change the local unlock passphrase. Main keeps only a scrypt verifier of it, in the OS keychain.
 * The fields are uncontrolled: their text is read once on submit and cleared, never kept in React state.
 */
export function PassphraseForm({ passphraseSet, onDone }: { passphraseSet: boolean; onDone: (state: SessionState) => void }): ReactNode {
  const current = useRef<HTMLInputElement>(null);
  const next = useRef<HTMLInputElement>(null);
  const repeat = useRef<HTMLInputElement>(null);
  const [mismatch, setMismatch] = useState<ErrorView | undefined>();
  const [saved, setSaved] = useState(false);
  const task = useTask();
  const field = (id: string, label: string, ref: React.RefObject<HTMLInputElement | null>, hint?: string): ReactNode => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} ref={ref} type="password" autoComplete="off" spellCheck={false} aria-describedby={hint ? `${id}-hint` : undefined} />
      {hint ? <small id={`${id}-hint`}>{hint}</small> : null}
    </div>
  );
  return (
    <form aria-label={t('lockScreen.unlockPassphrase')} onSubmit={async (e) => {
      e.preventDefault();
      setSaved(false);
      const values = [current, next, repeat].map((ref) => ref.current?.value ?? '');
      for (const ref of [current, next, repeat]) if (ref.current) ref.current.value = '';
      const [now, passphrase, again] = values as [string, string, string];
      if (passphrase !== again) {
        setMismatch({ code: 'INVALID_INPUT', message: t('passphraseForm.differ'), hint: t('passphraseForm.differHint') });
        return;
      }
      setMismatch(undefined);
      const state = await task.run(() => call('setUnlockPassphrase', passphraseSet ? { passphrase, current: now } : { passphrase }));
      if (state) { setSaved(true); onDone(state); }
    }}>
      {passphraseSet ? field('passphrase-current', t('passphraseForm.current'), current) : null}
      {field('passphrase-new', t('passphraseForm.new'), next, t('passphraseForm.newHint'))}
      {field('passphrase-repeat', t('passphraseForm.repeat'), repeat)}
      <button type="submit" disabled={task.busy}>{passphraseSet ? t('passphraseForm.changePassphrase') : t('passphraseForm.setPassphrase')}</button>
      {saved ? <p role="status" className="notice ok">{t('passphraseForm.unlockPassphraseSaved')}</p> : null}
      <ErrorNotice error={mismatch ?? task.error} />
    </form>
  );
}
