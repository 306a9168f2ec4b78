import { useRef, type ReactNode } from 'react';
import type { SessionState } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { useTask } from '../hooks.js';
import { Busy, ErrorNotice } from './common.js';
import { t } from '../i18n/index.js';

/**
 * The lock screen. The lock itself is in main: this screen only asks to lift it, with Touch ID or the unlock
 * passphrase (read from the field once, then cleared). A reload shows it again.
 */
export function LockScreen({ session, minutes, onUnlocked }: { session: SessionState; minutes: number; onUnlocked: (state: SessionState) => void }): ReactNode {
  const input = useRef<HTMLInputElement>(null);
  const task = useTask();
  const touchId = session.presence.method === 'touch-id';
  return (
    <section className="card lock" aria-labelledby="lock-title">
      <h1 id="lock-title">{t('lockScreen.keyCustodianIsLocked')}</h1>
      <p>{minutes === 1 ? t('lockScreen.idleOne') : t('lockScreen.idleMany', { minutes })} {t('lockScreen.orYouLockedItRevealed')}</p>
      <form onSubmit={async (e) => {
        e.preventDefault();
        const passphrase = input.current?.value ?? '';
        if (input.current) input.current.value = '';
        const state = await task.run(() => call('unlock', touchId ? {} : { passphrase }));
        if (state && !state.locked) onUnlocked(state);
      }}>
        {touchId ? null : (
          <div className="field">
            <label htmlFor="unlock-passphrase">{t('lockScreen.unlockPassphrase')}</label>
            <input id="unlock-passphrase" ref={input} type="password" autoComplete="off" spellCheck={false} autoFocus />
          </div>
        )}
        <button type="submit" disabled={task.busy}>{touchId ? t('lockScreen.unlockWithTouchId') : t('lockScreen.unlock')}</button>
        {task.busy ? <Busy label={t('lockScreen.checking')} /> : null}
      </form>
      <ErrorNotice error={task.error} />
    </section>
  );
}
