import { useState, type ReactNode } from 'react';
import type { SessionState, Settings } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, Field, fieldErrors } from '../components/common.js';
import { PassphraseForm } from '../components/PassphraseForm.js';
import { useTask } from '../hooks.js';

export function SettingsScreen({ settings, onSaved, session, onSession }: {
  settings: Settings;
  onSaved: (settings: Settings) => void;
  session: SessionState | undefined;
  onSession: (state: SessionState) => void;
}): ReactNode {
  const [idle, setIdle] = useState(String(settings.idleLockMinutes));
  const [clipboard, setClipboard] = useState(String(settings.clipboardClearSeconds));
  const [watch, setWatch] = useState(String(settings.watchIntervalSeconds));
  const [saved, setSaved] = useState(false);
  const task = useTask();
  const errors = fieldErrors(task.error);
  return (
    <div className="screen">
      <h1>Settings</h1>
      <form className="card narrow" aria-label="Settings" onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const next = await task.run(() => call('saveSettings', {
          idleLockMinutes: Number(idle),
          clipboardClearSeconds: Number(clipboard),
          watchIntervalSeconds: Number(watch),
        }));
        if (next) { onSaved(next); setSaved(true); }
      }}>
        <Field label="Lock after idle (minutes)" type="number" value={idle} onChange={setIdle} error={errors['idleLockMinutes']}
          hint="After this long without input the window locks: revealed keys and typed shares are cleared." />
        <Field label="Clear clipboard after (seconds)" type="number" value={clipboard} onChange={setClipboard} error={errors['clipboardClearSeconds']}
          hint="Anything Key Custodian copies is removed from the clipboard after this delay (unless you copied something else)." />
        <Field label="Refresh status every (seconds)" type="number" value={watch} onChange={setWatch} error={errors['watchIntervalSeconds']}
          hint="How often Key Custodian checks servers and the Vault nodes of saved profiles (also while locked, whatever screen is open)." />
        <button type="submit" disabled={task.busy}>Save settings</button>
        {task.busy ? <Busy label="Saving" /> : null}
        {saved ? <p role="status" className="notice ok">Settings saved.</p> : null}
        {/* A field error is shown under its field; the notice is for everything else (a keychain or disk failure). */}
        {task.error && Object.keys(errors).length === 0 ? <ErrorNotice error={task.error} /> : null}
        {Object.keys(errors).length > 0 ? <p className="notice error" role="alert" data-code="INVALID_INPUT">Nothing was saved: correct the {Object.keys(errors).length === 1 ? 'field' : 'fields'} marked above.</p> : null}
      </form>
      <section className="card narrow" aria-labelledby="presence-settings">
        <h2 id="presence-settings">Unlock passphrase</h2>
        {session?.presence.method === 'touch-id'
          ? <p>This Mac confirms with Touch ID. The passphrase below is used when Touch ID is not available.</p>
          : <p>Asked before a key or a share is revealed or copied, and to resume after a lock. (Windows Hello and the
            Linux account password have no Electron API; this passphrase stands in for them.)</p>}
        <PassphraseForm key={String(session?.presence.passphraseSet)} passphraseSet={session?.presence.passphraseSet ?? false} onDone={onSession} />
      </section>
    </div>
  );
}
