import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AppInfo, KeyView, Settings } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, Field, NotAvailable } from '../components/common.js';
import { SecretField, type SecretHandle } from '../components/SecretField.js';
import { useTask } from '../hooks.js';
import { withPresence } from '../presence.js';

export function Keys({ info, settings }: { info: AppInfo | undefined; settings: Settings }): ReactNode {
  const [keys, setKeys] = useState<KeyView[] | undefined>();
  // The outcome of the last action only: any new action on this screen clears it, so it never describes an older one.
  const [notice, setNotice] = useState<string | undefined>();
  const clearNotice = useCallback(() => setNotice(undefined), []);
  const list = useTask();
  const refresh = useCallback(() => list.run(async () => setKeys(await call('listKeys', {}))), [list.run]);
  useEffect(() => { void refresh(); }, [refresh]);

  if (info && !info.features.keys.available) return <NotAvailable feature={info.features.keys} title="Keys" />;
  return (
    <div className="screen">
      <h1>Keys</h1>
      <p className="lead">Fernet data-encryption keys in the OS keychain. Only key ids leave the keychain, unless you export one.</p>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      <div className="columns">
        <GenerateKey onStart={clearNotice} onDone={(key) => { setNotice(`Generated "${key.name}" (${key.id}).`); void refresh(); }} />
        <ImportKey onStart={clearNotice} onDone={(key) => { setNotice(`Imported "${key.name}" (${key.id}).`); void refresh(); }} />
      </div>
      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys in the keychain</h2>
        {list.busy && !keys ? <Busy label="Reading the keychain" /> : null}
        <ErrorNotice error={list.error} />
        {keys && keys.length === 0 ? <p>No keys yet. Generate one above.</p> : null}
        {keys && keys.length > 0 ? (
          <table aria-label="Keys">
            <thead><tr><th scope="col">Name</th><th scope="col">Key id</th><th scope="col">Created</th><th scope="col">Origin</th><th scope="col">Backup</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {keys.map((key) => (
                <KeyRow key={key.id} keyView={key} settings={settings} onStart={clearNotice} onChanged={(message) => { setNotice(message); void refresh(); }} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}

function GenerateKey({ onStart, onDone }: { onStart: () => void; onDone: (key: KeyView) => void }): ReactNode {
  const [name, setName] = useState('');
  const task = useTask();
  return (
    <form className="card" aria-labelledby="generate-title" onSubmit={async (e) => {
      e.preventDefault();
      onStart();
      const key = await task.run(() => call('generateKey', { name }));
      if (key) { setName(''); onDone(key); }
    }}>
      <h2 id="generate-title">Generate a key</h2>
      <Field label="Key name" name="generate-name" value={name} onChange={setName} placeholder="mail-helper 2026" />
      <button type="submit" disabled={task.busy}>Generate key</button>
      {task.busy ? <Busy label="Generating and storing the key" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function ImportKey({ onStart, onDone }: { onStart: () => void; onDone: (key: KeyView) => void }): ReactNode {
  const [name, setName] = useState('');
  // Uncontrolled: the key is read once on submit and cleared, never in React state or the DOM tree.
  const keyText = useRef<SecretHandle>(null);
  const task = useTask();
  return (
    <form className="card" aria-labelledby="import-title" onSubmit={async (e) => {
      e.preventDefault();
      onStart();
      const text = keyText.current?.read().trim() ?? '';
      keyText.current?.clear();
      const key = await task.run(() => call('importKey', { name, keyText: text }));
      if (key) { setName(''); onDone(key); }
    }}>
      <h2 id="import-title">Import a key</h2>
      <Field label="Imported key name" name="import-name" value={name} onChange={setName} />
      <SecretField label="Fernet key" handle={keyText} hint="44 characters of url-safe base64. It goes straight to the keychain." />
      <button type="submit" disabled={task.busy}>Import key</button>
      {task.busy ? <Busy label="Checking and storing the key" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

/** When the key was last backed up and drilled; a key with no backup gets a visible warning. */
function BackupStatus({ keyView }: { keyView: KeyView }): ReactNode {
  const kinds = { slip39: 'paper shares', age: 'age file', state: 'state backup' } as const;
  const date = (iso: string): string => new Date(iso).toLocaleDateString();
  return (
    <div className="backup-status" role="group" aria-label={`Backup status of ${keyView.name}`}>
      {keyView.lastBackup ? (
        <span>Backed up {date(keyView.lastBackup.at)} ({kinds[keyView.lastBackup.kind]})</span>
      ) : (
        <span className="warning" role="note">{keyView.origin === 'restored' || keyView.lastDrill?.outcome === 'match'
          ? 'No backup recorded here: the shares or file it came from may still exist, but no backup was made from this keychain. Make one on the Backup screen.'
          : 'No backup: this keychain holds the only copy. Back it up on the Backup screen.'}</span>
      )}
      <br />
      {keyView.lastDrill ? (
        <span className={keyView.lastDrill.outcome === 'match' ? '' : 'warning'}>
          Drill {date(keyView.lastDrill.at)}: {keyView.lastDrill.outcome === 'match' ? 'shares matched' : 'MISMATCH'}
        </span>
      ) : <span className="muted">Never drilled</span>}
    </div>
  );
}

type Dialog = 'none' | 'export' | 'delete';

function KeyRow({ keyView, settings, onStart, onChanged }: {
  keyView: KeyView; settings: Settings; onStart: () => void; onChanged: (message: string) => void;
}): ReactNode {
  const [dialog, setDialog] = useState<Dialog>('none');
  const copy = useTask();
  const [copied, setCopied] = useState<string | undefined>();
  const toggle = (next: Dialog): void => { onStart(); setCopied(undefined); copy.clearError(); setDialog(dialog === next ? 'none' : next); };
  return (
    <>
      <tr>
        <td>{keyView.name}</td>
        <td><code className="key-id">{keyView.id}</code></td>
        <td>{new Date(keyView.created).toLocaleString()}</td>
        <td>{keyView.origin}</td>
        <td><BackupStatus keyView={keyView} /></td>
        <td className="actions">
          <button type="button" aria-label={`Copy key id of ${keyView.name}`} onClick={async () => {
            onStart();
            setCopied(undefined);
            const done = await copy.run(() => call('copyText', { text: keyView.id }));
            if (done) setCopied(`Key id copied; the clipboard clears in ${done.clearsAfterSeconds} s.`);
          }}>Copy key id</button>
          <button type="button" aria-label={`Export ${keyView.name}`} aria-expanded={dialog === 'export'} onClick={() => toggle('export')}>Export…</button>
          <button type="button" className="danger" aria-label={`Delete ${keyView.name}`} aria-expanded={dialog === 'delete'} onClick={() => toggle('delete')}>Delete…</button>
          {copied ? <span role="status">{copied}</span> : null}
          <ErrorNotice error={copy.error} />
        </td>
      </tr>
      {dialog === 'export' ? (
        <tr><td colSpan={6}><ExportDialog keyView={keyView} settings={settings} onClose={() => setDialog('none')} /></td></tr>
      ) : null}
      {dialog === 'delete' ? (
        <tr><td colSpan={6}><DeleteDialog keyView={keyView} onClose={() => setDialog('none')} onDeleted={() => onChanged(`Deleted "${keyView.name}".`)} /></td></tr>
      ) : null}
    </>
  );
}

/** Export behind a re-confirmation: type the key's name, then reveal once or copy (auto-cleared). */
function ExportDialog({ keyView, settings, onClose }: { keyView: KeyView; settings: Settings; onClose: () => void }): ReactNode {
  const [confirmName, setConfirmName] = useState('');
  const [revealed, setRevealed] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const task = useTask();
  // The buttons wait for the exact name (main checks it again): a typo cannot reach the keychain or the presence prompt.
  const matches = confirmName === keyView.name;
  // The revealed key disappears by itself after the clipboard delay, and when the dialog closes.
  useEffect(() => {
    if (!revealed) return;
    const id = setTimeout(() => setRevealed(undefined), settings.clipboardClearSeconds * 1000);
    return () => clearTimeout(id);
  }, [revealed, settings.clipboardClearSeconds]);
  return (
    <div className="dialog" role="group" aria-label={`Export ${keyView.name}`}>
      <p>Exporting shows the Fernet key itself. Anyone who sees it can decrypt the data. Type the key's name to confirm.</p>
      <Field label={`Type "${keyView.name}" to confirm`} value={confirmName} onChange={setConfirmName} autoFocus />
      {revealed ? (
        <div className="reveal" role="region" aria-label="Revealed key">
          <code>{revealed}</code>
          <p>Shown once. It hides itself in {settings.clipboardClearSeconds} s.</p>
          <button type="button" onClick={() => setRevealed(undefined)}>Hide key</button>
        </div>
      ) : null}
      <div className="buttons">
        <button type="button" disabled={task.busy || !matches} onClick={async () => {
          setStatus(undefined);
          const result = await task.run(() => withPresence(() => call('revealKey', { ref: keyView.id, confirmName })));
          if (result) { setRevealed(result.keyText); setConfirmName(''); }
        }}>Reveal key once</button>
        <button type="button" disabled={task.busy || !matches} onClick={async () => {
          setStatus(undefined);
          setRevealed(undefined);
          const result = await task.run(() => withPresence(() => call('copyKey', { ref: keyView.id, confirmName })));
          if (result) { setStatus(`Key copied; the clipboard clears in ${result.clearsAfterSeconds} s.`); setConfirmName(''); }
        }}>Copy key to clipboard</button>
        <button type="button" onClick={() => { setRevealed(undefined); onClose(); }}>Close</button>
      </div>
      {status ? <p role="status">{status}</p> : null}
      <ErrorNotice error={task.error} />
    </div>
  );
}

function DeleteDialog({ keyView, onClose, onDeleted }: { keyView: KeyView; onClose: () => void; onDeleted: () => void }): ReactNode {
  const [confirmName, setConfirmName] = useState('');
  const task = useTask();
  const matches = confirmName === keyView.name;
  return (
    <div className="dialog danger" role="group" aria-label={`Delete ${keyView.name}`}>
      <p>Deleting removes the key from the keychain. Data encrypted with it cannot be decrypted without a backup.</p>
      <Field label={`Type "${keyView.name}" to delete it`} value={confirmName} onChange={setConfirmName} autoFocus />
      <div className="buttons">
        <button type="button" className="danger" disabled={task.busy || !matches} onClick={async () => {
          const result = await task.run(() => call('deleteKey', { ref: keyView.id, confirmName }));
          if (result) onDeleted();
        }}>Delete key</button>
        <button type="button" onClick={onClose}>Cancel</button>
      </div>
      <ErrorNotice error={task.error} />
    </div>
  );
}
