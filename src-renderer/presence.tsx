/**
 * Presence before a secret is revealed or copied, on the renderer's side. Main decides (src-main/app/guard.ts):
 * an action that needs presence fails with PRESENCE_REQUIRED; `withPresence` then asks the officer (the unlock
 * passphrase, or Touch ID again), confirms with main, and retries the action once.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ErrorView } from '../src-shared/contract.js';
import { ActionError, call } from './api.js';
import { ErrorNotice } from './components/common.js';
import { useTask } from './hooks.js';
import { t } from './i18n/index.js';

type Asker = (why: ErrorView) => Promise<boolean>;
let asker: Asker | undefined;

export async function withPresence<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const view = error instanceof ActionError ? error.view : undefined;
    if (!view || view.code !== 'PRESENCE_REQUIRED' || view.details?.['locked'] === true || !asker) throw error;
    if (!(await asker(view))) throw error;
    return operation();
  }
}

/** The dialog `withPresence` opens; mounted once by App. */
export function PresenceDialog(): ReactNode {
  const [asking, setAsking] = useState<{ why: ErrorView; answer: (ok: boolean) => void } | undefined>();
  const input = useRef<HTMLInputElement>(null);
  const task = useTask();
  useEffect(() => {
    asker = (why) => new Promise<boolean>((resolve) => setAsking({ why, answer: resolve }));
    return () => { asker = undefined; };
  }, []);
  if (!asking) return null;
  const touchId = asking.why.details?.['method'] === 'touch-id';
  const close = (ok: boolean): void => {
    if (input.current) input.current.value = '';
    asking.answer(ok);
    setAsking(undefined);
  };
  return (
    <div className="overlay">
      <form className="card dialog" role="dialog" aria-modal="true" aria-labelledby="presence-title" onSubmit={async (e) => {
        e.preventDefault();
        // Read once from the field and clear it: the passphrase is never kept in React state or the DOM.
        const passphrase = input.current?.value ?? '';
        if (input.current) input.current.value = '';
        const done = await task.run(() => call('confirmPresence', touchId ? {} : { passphrase }));
        if (done) close(true);
      }}>
        <h2 id="presence-title">{t('presence.confirmItIsYou')}</h2>
        <p>{asking.why.message}</p>
        {touchId ? null : (
          <div className="field">
            <label htmlFor="presence-passphrase">{t('lockScreen.unlockPassphrase')}</label>
            <input id="presence-passphrase" ref={input} type="password" autoComplete="off" spellCheck={false} autoFocus />
          </div>
        )}
        <div className="buttons">
          <button type="submit" disabled={task.busy}>{touchId ? t('presence.tryTouchIdAgain') : t('presence.confirm')}</button>
          <button type="button" onClick={() => close(false)}>{t('presence.cancel')}</button>
        </div>
        <ErrorNotice error={task.error} />
      </form>
    </div>
  );
}
