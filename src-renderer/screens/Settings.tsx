import { useState, type ReactNode } from 'react';
import type { Settings } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, Field } from '../components/common.js';
import { useTask } from '../hooks.js';

export function SettingsScreen({ settings, onSaved }: { settings: Settings; onSaved: (settings: Settings) => void }): ReactNode {
  const [idle, setIdle] = useState(String(settings.idleLockMinutes));
  const [clipboard, setClipboard] = useState(String(settings.clipboardClearSeconds));
  const [watch, setWatch] = useState(String(settings.watchIntervalSeconds));
  const [saved, setSaved] = useState(false);
  const task = useTask();
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
        <Field label="Lock after idle (minutes)" type="number" value={idle} onChange={setIdle}
          hint="After this long without input the window locks: revealed keys and typed shares are cleared." />
        <Field label="Clear clipboard after (seconds)" type="number" value={clipboard} onChange={setClipboard}
          hint="Anything Key Custodian copies is removed from the clipboard after this delay (unless you copied something else)." />
        <Field label="Refresh status every (seconds)" type="number" value={watch} onChange={setWatch}
          hint="How often the dashboard checks Vault nodes and servers." />
        <button type="submit" disabled={task.busy}>Save settings</button>
        {task.busy ? <Busy label="Saving" /> : null}
        {saved ? <p role="status" className="notice ok">Settings saved.</p> : null}
        <ErrorNotice error={task.error} />
      </form>
    </div>
  );
}
