import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AppInfo, KeyAgeView, KeyView, RotationKeysView, Settings } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, Field, NotAvailable } from '../components/common.js';
import { SecretField, type SecretHandle } from '../components/SecretField.js';
import { useTask } from '../hooks.js';
import { withPresence } from '../presence.js';
import { t } from '../i18n/index.js';
import { FernetFiles } from './keys/FernetFiles.js';
import { Rotation } from './keys/Rotation.js';

export function Keys({ info, settings }: { info: AppInfo | undefined; settings: Settings }): ReactNode {
  const [keys, setKeys] = useState<KeyView[] | undefined>();
  // The outcome of the last action only: any new action on this screen clears it, so it never describes an older one.
  const [notice, setNotice] = useState<string | undefined>();
  const clearNotice = useCallback(() => setNotice(undefined), []);
  const list = useTask();
  const [rotation, setRotation] = useState<RotationKeysView | undefined>();
  const refresh = useCallback(() => list.run(async () => {
    const [listed, ages] = await Promise.all([call('listKeys', {}), call('rotationKeys', {})]);
    setKeys(listed);
    setRotation(ages);
  }), [list.run]);
  useEffect(() => { void refresh(); }, [refresh]);

  if (info && !info.features.keys.available) return <NotAvailable feature={info.features.keys} title={t('dashboard.keys')} />;
  return (
    <div className="screen">
      <h1>{t('dashboard.keys')}</h1>
      <p className="lead">{t('keys.fernetDataEncryptionKeysIn')}</p>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      <div className="columns">
        <GenerateKey onStart={clearNotice} onDone={(key) => { setNotice(t('keys.generated', { name: key.name, id: key.id })); void refresh(); }} />
        <ImportKey onStart={clearNotice} onDone={(key) => { setNotice(t('keys.imported', { name: key.name, id: key.id })); void refresh(); }} />
      </div>
      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title">{t('keys.keysInTheKeychain')}</h2>
        {list.busy && !keys ? <Busy label={t('keys.readingTheKeychain')} /> : null}
        <ErrorNotice error={list.error} />
        {keys && keys.length === 0 ? <p>{t('keys.noKeysYetGenerateOne')}</p> : null}
        {keys && keys.length > 0 ? (
          <table aria-label={t('dashboard.keys')}>
            <thead><tr><th scope="col">{t('keys.name')}</th><th scope="col">{t('keys.keyId')}</th><th scope="col">{t('keys.created')}</th><th scope="col">{t('keys.ageAndState')}</th><th scope="col">{t('keys.origin')}</th><th scope="col">{t('backup.backup')}</th><th scope="col">{t('keys.actions')}</th></tr></thead>
            <tbody>
              {keys.map((key) => (
                <KeyRow key={key.id} keyView={key} age={rotation?.keys.find((a) => a.id === key.id)} intervalDays={rotation?.intervalDays} settings={settings} onStart={clearNotice} onChanged={(message) => { setNotice(message); void refresh(); }} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {rotation && rotation.keys.some((a) => a.overdue) ? (
        <p className="warning" role="note">{t('keys.overdueWarning', { count: rotation.keys.filter((a) => a.overdue).length, days: rotation.intervalDays })}</p>
      ) : null}
      <Rotation keys={keys ?? []} rotation={rotation} onChanged={() => void refresh()} />
      <FernetFiles keys={keys ?? []} />
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
      <h2 id="generate-title">{t('keys.generateAKey')}</h2>
      <Field label={t('keys.keyName')} name="generate-name" value={name} onChange={setName} placeholder={t('keys.mailHelper2026')} />
      <button type="submit" disabled={task.busy}>{t('keys.generateKey')}</button>
      {task.busy ? <Busy label={t('keys.generatingAndStoringTheKey')} /> : null}
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
      <h2 id="import-title">{t('keys.importAKey')}</h2>
      <Field label={t('keys.importedKeyName')} name="import-name" value={name} onChange={setName} />
      <SecretField label={t('keys.fernetKey')} handle={keyText} hint={t('keys.44CharactersOfUrlSafe')} />
      <button type="submit" disabled={task.busy}>{t('keys.importKey')}</button>
      {task.busy ? <Busy label={t('keys.checkingAndStoringTheKey')} /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

/** When the key was last backed up and drilled; a key with no backup gets a visible warning. */
function BackupStatus({ keyView }: { keyView: KeyView }): ReactNode {
  const kinds = { slip39: t('keys.kindSlip39'), age: t('keys.kindAge'), state: t('keys.kindState') };
  const date = (iso: string): string => new Date(iso).toLocaleDateString();
  return (
    <div className="backup-status" role="group" aria-label={t('keys.backupStatusOf', { name: keyView.name })}>
      {keyView.lastBackup ? (
        <span>{t('keys.backedUp')}{date(keyView.lastBackup.at)} ({kinds[keyView.lastBackup.kind]})</span>
      ) : (
        <span className="warning" role="note">{keyView.origin === 'restored' || keyView.lastDrill?.outcome === 'match'
          ? t('keys.noBackupRecordedHereThe')
          : t('keys.noBackupThisKeychainHolds')}</span>
      )}
      <br />
      {keyView.lastDrill ? (
        <span className={keyView.lastDrill.outcome === 'match' ? '' : 'warning'}>
          {t('keys.drill')}{date(keyView.lastDrill.at)}: {keyView.lastDrill.outcome === 'match' ? t('keys.sharesMatched') : t('keys.mismatch')}
        </span>
      ) : <span className="muted">{t('keys.neverDrilled')}</span>}
    </div>
  );
}

type Dialog = 'none' | 'export' | 'delete';

/** Age in days and rotation state; a key older than the rotation interval and still in use is flagged. */
function AgeStatus({ age, intervalDays }: { age: KeyAgeView | undefined; intervalDays: number | undefined }): ReactNode {
  if (!age) return <span className="muted">—</span>;
  const states = { current: t('keys.stateCurrent'), previous: t('keys.statePrevious'), retired: t('keys.stateRetired') };
  return (
    <span data-state={age.state ?? 'none'}>
      {t('keys.ageDays', { days: age.ageDays })}{age.state ? ` · ${states[age.state]}` : ''}
      {age.overdue ? <><br /><span className="warning" role="note">{t('keys.overAge', { days: intervalDays ?? '?' })}</span></> : null}
    </span>
  );
}

function KeyRow({ keyView, age, intervalDays, settings, onStart, onChanged }: {
  keyView: KeyView; age: KeyAgeView | undefined; intervalDays: number | undefined; settings: Settings; onStart: () => void; onChanged: (message: string) => void;
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
        <td><AgeStatus age={age} intervalDays={intervalDays} /></td>
        <td>{keyView.origin}</td>
        <td><BackupStatus keyView={keyView} /></td>
        <td className="actions">
          <button type="button" aria-label={t('keys.copyKeyIdOf', { name: keyView.name })} onClick={async () => {
            onStart();
            setCopied(undefined);
            const done = await copy.run(() => call('copyText', { text: keyView.id }));
            if (done) setCopied(t('keys.idCopied', { seconds: done.clearsAfterSeconds }));
          }}>{t('keys.copyKeyId')}</button>
          <button type="button" aria-label={t('keys.exportName', { name: keyView.name })} aria-expanded={dialog === 'export'} onClick={() => toggle('export')}>{t('keys.export')}</button>
          <button type="button" className="danger" aria-label={t('keys.deleteName', { name: keyView.name })} aria-expanded={dialog === 'delete'} onClick={() => toggle('delete')}>{t('keys.delete')}</button>
          {copied ? <span role="status">{copied}</span> : null}
          <ErrorNotice error={copy.error} />
        </td>
      </tr>
      {dialog === 'export' ? (
        <tr><td colSpan={7}><ExportDialog keyView={keyView} settings={settings} onClose={() => setDialog('none')} /></td></tr>
      ) : null}
      {dialog === 'delete' ? (
        <tr><td colSpan={7}><DeleteDialog keyView={keyView} onClose={() => setDialog('none')} onDeleted={() => onChanged(t('keys.deleted', { name: keyView.name }))} /></td></tr>
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
    <div className="dialog" role="group" aria-label={t('keys.exportName', { name: keyView.name })}>
      <p>{t('keys.exportingShowsTheFernetKey')}</p>
      <Field label={t('keys.typeToConfirm', { name: keyView.name })} value={confirmName} onChange={setConfirmName} autoFocus />
      {revealed ? (
        <div className="reveal" role="region" aria-label={t('keys.revealedKey')}>
          <code>{revealed}</code>
          <p>{t('keys.shownOnce', { seconds: settings.clipboardClearSeconds })}</p>
          <button type="button" onClick={() => setRevealed(undefined)}>{t('keys.hideKey')}</button>
        </div>
      ) : null}
      <div className="buttons">
        <button type="button" disabled={task.busy || !matches} onClick={async () => {
          setStatus(undefined);
          const result = await task.run(() => withPresence(() => call('revealKey', { ref: keyView.id, confirmName })));
          if (result) { setRevealed(result.keyText); setConfirmName(''); }
        }}>{t('keys.revealKeyOnce')}</button>
        <button type="button" disabled={task.busy || !matches} onClick={async () => {
          setStatus(undefined);
          setRevealed(undefined);
          const result = await task.run(() => withPresence(() => call('copyKey', { ref: keyView.id, confirmName })));
          if (result) { setStatus(t('keys.keyCopied', { seconds: result.clearsAfterSeconds })); setConfirmName(''); }
        }}>{t('keys.copyKeyToClipboard')}</button>
        <button type="button" onClick={() => { setRevealed(undefined); onClose(); }}>{t('keys.close')}</button>
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
    <div className="dialog danger" role="group" aria-label={t('keys.deleteName', { name: keyView.name })}>
      <p>{t('keys.deletingRemovesTheKeyFrom')}</p>
      <Field label={t('keys.typeToDelete', { name: keyView.name })} value={confirmName} onChange={setConfirmName} autoFocus />
      <div className="buttons">
        <button type="button" className="danger" disabled={task.busy || !matches} onClick={async () => {
          const result = await task.run(() => call('deleteKey', { ref: keyView.id, confirmName }));
          if (result) onDeleted();
        }}>{t('keys.deleteKey')}</button>
        <button type="button" onClick={onClose}>{t('presence.cancel')}</button>
      </div>
      <ErrorNotice error={task.error} />
    </div>
  );
}
