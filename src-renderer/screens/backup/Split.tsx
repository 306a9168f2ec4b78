import { useRef, useState, type ReactNode } from 'react';
import type { BackupHandoutView, KeyView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { SecretField, takeSecret } from './SecretField.js';

/**
 * Split a key into SLIP-39 shares: which key, T of N, one name per holder, an optional SLIP-39 passphrase. The
 * shares are made and kept in main; the hand-out (Handout.tsx) then shows them one holder at a time.
 */
export function SplitForm({ keys, onStarted }: { keys: KeyView[]; onStarted: (view: BackupHandoutView) => void }): ReactNode {
  const [key, setKey] = useState('');
  const [shares, setShares] = useState('5');
  const [threshold, setThreshold] = useState('3');
  const [holders, setHolders] = useState<string[]>([]);
  const [usePassphrase, setUsePassphrase] = useState(false);
  const passphrase = useRef<HTMLInputElement>(null);
  const repeat = useRef<HTMLInputElement>(null);
  const [mismatch, setMismatch] = useState(false);
  const task = useTask();
  const count = Math.max(0, Math.min(16, Number.parseInt(shares, 10) || 0));

  return (
    <form className="wizard" aria-label="Split a key" onSubmit={async (e) => {
      e.preventDefault();
      let secret: string | undefined;
      if (usePassphrase) {
        secret = takeSecret(passphrase);
        const again = takeSecret(repeat);
        if (secret !== again) { setMismatch(true); return; }
      }
      setMismatch(false);
      const request = {
        key, shares: Number(shares), threshold: Number(threshold),
        holders: Array.from({ length: count }, (_, i) => holders[i] ?? ''),
        ...(secret ? { passphrase: secret } : {}),
      };
      const started = await task.run(() => call('backupSplitBegin', request));
      if (started) onStarted(started);
    }}>
      <h2>Split a key into paper shares (SLIP-39)</h2>
      <p>Any <strong>T</strong> of the <strong>N</strong> holders together recover the key; fewer learn nothing about it.
        The shares are SLIP-39 mnemonics, so any SLIP-39 tool (Trezor's <code>shamir-mnemonic</code>) recovers the key too.</p>
      <div className="field">
        <label htmlFor="split-key">Key to split</label>
        <select id="split-key" value={key} onChange={(e) => setKey(e.target.value)} required>
          <option value="">Choose a key…</option>
          {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <div className="columns">
        <Field label="Number of shares (N)" type="number" value={shares} onChange={setShares} hint="1 to 16 holders." />
        <Field label="Shares needed (T)" type="number" value={threshold} onChange={setThreshold} hint="2 or more (1 only for a single share)." />
      </div>
      <fieldset>
        <legend>Holders, in hand-out order</legend>
        {Array.from({ length: count }, (_, i) => (
          <Field key={i} label={`Holder ${i + 1}`} value={holders[i] ?? ''} placeholder={`Holder ${i + 1}`}
            onChange={(value) => { const next = [...holders]; next[i] = value; setHolders(next); }} />
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={usePassphrase} onChange={(e) => setUsePassphrase(e.target.checked)} /> Protect the shares with a SLIP-39 passphrase
      </label>
      {usePassphrase ? (
        <>
          <p className="muted">Restoring then needs the shares <em>and</em> the passphrase. A wrong passphrase gives another key without an
            error (that is SLIP-39's design): keep it as safely as the shares. Printable ASCII only.</p>
          <SecretField label="SLIP-39 passphrase" inputRef={passphrase} />
          <SecretField label="Passphrase again" inputRef={repeat} />
          {mismatch ? <p className="notice error" role="alert">The two passphrases differ; type them again.</p> : null}
        </>
      ) : null}
      <button type="submit" disabled={task.busy || key === '' || count === 0}>Split and start the hand-out</button>
      {task.busy ? <Busy label="Splitting the key" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
