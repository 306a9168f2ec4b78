import { useRef, type ReactNode } from 'react';
import type { SessionState } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { useTask } from '../hooks.js';
import { Busy, ErrorNotice } from './common.js';

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
      <h1 id="lock-title">Key Custodian is locked</h1>
      <p>No activity for {minutes} minute{minutes === 1 ? '' : 's'} (or you locked it). Revealed keys, typed shares and
        open forms were cleared from this window, and so was anything Key Custodian put on the clipboard. Ceremonies
        open in Key Custodian keep their progress; servers and Vault nodes are still watched.</p>
      <form onSubmit={async (e) => {
        e.preventDefault();
        const passphrase = input.current?.value ?? '';
        if (input.current) input.current.value = '';
        const state = await task.run(() => call('unlock', touchId ? {} : { passphrase }));
        if (state && !state.locked) onUnlocked(state);
      }}>
        {touchId ? null : (
          <div className="field">
            <label htmlFor="unlock-passphrase">Unlock passphrase</label>
            <input id="unlock-passphrase" ref={input} type="password" autoComplete="off" spellCheck={false} autoFocus />
          </div>
        )}
        <button type="submit" disabled={task.busy}>{touchId ? 'Unlock with Touch ID' : 'Unlock'}</button>
        {task.busy ? <Busy label="Checking" /> : null}
      </form>
      <ErrorNotice error={task.error} />
    </section>
  );
}
