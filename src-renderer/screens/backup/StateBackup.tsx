import { useRef, useState, type ReactNode } from 'react';
import type { StateRestored } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { IdentityFields, readTarget, TargetFields, type IdentityChoice } from './AgeFiles.js';
import { takeSecret } from './SecretField.js';

/**
 * The custodian's own state (identities, pinned servers, Vault profiles, receipts, audit log; keys only when
 * asked) in one age file, and its restore on a replacement machine.
 */
export function StateBackup({ onChanged }: { onChanged: () => void }): ReactNode {
  return (
    <div className="columns">
      <SaveState onSaved={onChanged} />
      <RestoreState onRestored={onChanged} />
    </div>
  );
}

function SaveState({ onSaved }: { onSaved: () => void }): ReactNode {
  const [recipients, setRecipients] = useState('');
  const [usePassphrase, setUsePassphrase] = useState(true);
  const [withKeys, setWithKeys] = useState(false);
  const passphrase = useRef<HTMLInputElement>(null);
  const repeat = useRef<HTMLInputElement>(null);
  const [notice, setNotice] = useState<string | undefined>();
  const [mismatch, setMismatch] = useState(false);
  const task = useTask();
  return (
    <form className="card" aria-labelledby="state-save-title" onSubmit={async (e) => {
      e.preventDefault();
      setNotice(undefined);
      const target = readTarget(usePassphrase, recipients, passphrase, repeat);
      setMismatch(target === undefined);
      if (!target) return;
      const saved = await task.run(() => call('stateBackup', { ...target, withKeys }));
      if (!saved) return;
      setNotice(saved.saved
        ? `Saved the state backup to ${saved.path}${saved.keys && saved.keys.length > 0 ? ` with ${saved.keys.length} key${saved.keys.length === 1 ? '' : 's'}` : ''}.`
        : 'No file chosen; nothing was saved.');
      if (saved.saved) onSaved();
    }}>
      <h2 id="state-save-title">Back up this custodian</h2>
      <p>Identities, pinned servers, Vault profiles, receipts and the audit log in one encrypted file: a replacement laptop is set up in minutes.</p>
      <TargetFields prefix="state" recipients={recipients} setRecipients={setRecipients} usePassphrase={usePassphrase}
        setUsePassphrase={setUsePassphrase} passphrase={passphrase} repeat={repeat} />
      <label className="check"><input type="checkbox" checked={withKeys} onChange={(e) => setWithKeys(e.target.checked)} /> Include the data keys</label>
      {mismatch ? <p className="notice error" role="alert">The two passphrases differ; type them again.</p> : null}
      <button type="submit" disabled={task.busy}>Save the state backup…</button>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {task.busy ? <Busy label="Encrypting the state" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function RestoreState({ onRestored }: { onRestored: () => void }): ReactNode {
  const [identity, setIdentity] = useState<IdentityChoice>('passphrase');
  const passphrase = useRef<HTMLInputElement>(null);
  const [replace, setReplace] = useState(false);
  const [confirm, setConfirm] = useState('');
  const [result, setResult] = useState<StateRestored | undefined>();
  const task = useTask();
  return (
    <form className="card" aria-labelledby="state-restore-title" onSubmit={async (e) => {
      e.preventDefault();
      const secret = identity === 'passphrase' ? takeSecret(passphrase) ?? '' : undefined;
      const done = await task.run(() => call('stateRestore', { identity, replace, ...(secret !== undefined ? { passphrase: secret } : {}) }));
      if (!done) return;
      setResult(done);
      setConfirm('');
      if (done.restored) onRestored();
    }}>
      <h2 id="state-restore-title">Restore a custodian from its state backup</h2>
      <IdentityFields prefix="state-restore" identity={identity} setIdentity={setIdentity} passphrase={passphrase} />
      <label className="check"><input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> This machine already has custodian state: replace it (the current state is moved aside, not deleted)</label>
      {replace ? <Field label='Type "replace" to confirm' value={confirm} onChange={setConfirm} /> : null}
      <button type="submit" disabled={task.busy || (replace && confirm.trim().toLowerCase() !== 'replace')}>Choose the backup and restore…</button>
      {result ? <RestoredSummary result={result} /> : null}
      {task.busy ? <Busy label="Restoring" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function RestoredSummary({ result }: { result: StateRestored }): ReactNode {
  if (!result.restored) return <p className="notice ok" role="status">No file chosen; nothing was changed.</p>;
  return (
    <div className="notice ok" role="status">
      <p><strong>Restored.</strong> Files: {result.files.join(', ') || 'none'}.</p>
      {result.signingIdentity ? <p>Signing identity: <code>{result.signingIdentity}</code></p> : null}
      {result.ageRecipient ? <p>Age recipient: <code className="wrap">{result.ageRecipient}</code></p> : null}
      <p>{result.keys.length} key{result.keys.length === 1 ? '' : 's'} restored into the keychain.</p>
      {result.keysNotInKeychain.length > 0 ? <p>Listed but not in the keychain (restore them from their own backups): {result.keysNotInKeychain.join(', ')}.</p> : null}
      {result.previousHome ? <p>The previous state was moved to <code className="wrap">{result.previousHome}</code>.</p> : null}
    </div>
  );
}
