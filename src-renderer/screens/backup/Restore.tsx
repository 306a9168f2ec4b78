import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { KeyView, RestoreOutcome, RestoreView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field, Meter } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { SecretField, takeSecret } from './SecretField.js';
import { useWordFields, WordFields } from './WordFields.js';

/** Words of a share of a 32-byte key (Key Custodian splits): 4 header + 26 value + 3 checksum words. */
export const SHARE_WORDS = 33;
/** The open restore's id (opaque, not secret) so a reload or a lock re-attaches to it in main. */
const OPEN_KEY = 'custodian.backup.restore';

/**
 * The restore wizard, for a restore under a new name or a drill against an existing key. Main keeps the shares
 * that were accepted; this window holds a share only while its holder types it (uncontrolled word fields, read
 * and cleared at submission) and shows counts and share numbers, never words.
 */
export function RestoreWizard({ mode, keys, onDone }: { mode: 'restore' | 'drill'; keys: KeyView[]; onDone: (outcome: RestoreOutcome) => void }): ReactNode {
  const [view, setView] = useState<RestoreView | undefined>();
  const [outcome, setOutcome] = useState<RestoreOutcome | undefined>();
  const task = useTask();

  // Re-attach to a restore still open in main (after navigation, a lock or a reload).
  useEffect(() => {
    const id = sessionStorage.getItem(OPEN_KEY);
    if (!id) return;
    void call('restoreView', { restoreId: id }).then((found) => {
      if (found.mode === mode) setView(found);
    }).catch(() => sessionStorage.removeItem(OPEN_KEY));
  }, [mode]);

  const started = (next: RestoreView): void => {
    sessionStorage.setItem(OPEN_KEY, next.restoreId);
    setOutcome(undefined);
    setView(next);
  };
  const closed = (): void => {
    sessionStorage.removeItem(OPEN_KEY);
    setView(undefined);
  };

  if (!view) {
    return (
      <>
        {outcome ? <OutcomeNotice outcome={outcome} /> : null}
        <StartForm mode={mode} keys={keys} onStarted={started} />
      </>
    );
  }
  return (
    <div className="wizard" role="region" aria-label={view.mode === 'drill' ? 'Restore drill' : 'Restore'}>
      <h2>{view.mode === 'drill' ? `Drill: do the shares give back ${view.key?.name}?` : `Restore a key as "${view.name}"`}</h2>
      {view.mode === 'drill' ? <p>The shares are recombined and compared with <code className="key-id">{view.key?.id}</code>. Nothing is imported.</p> : null}
      {view.threshold ? <Meter label="Shares accepted" value={Math.min(view.accepted, view.threshold)} max={view.threshold} /> : null}
      <p role="status" aria-label="Restore progress">
        {view.accepted === 0 ? 'No share yet: the first share tells how many are needed.'
          : `${view.accepted} share${view.accepted === 1 ? '' : 's'} accepted (share ${view.shareNumbers.join(', ')}), ${view.complete ? 'enough to recover the key.' : `${view.missing ?? '?'} more needed.`}`}
      </p>
      {!view.complete ? (
        <ShareEntry key={view.accepted} busy={task.busy} holder={view.accepted + 1} onSubmit={async (words) => {
          const next = await task.run(() => call('restoreAddShare', { restoreId: view.restoreId, words }));
          if (next) setView(next);
        }} />
      ) : (
        <Finish mode={view.mode} busy={task.busy} onSubmit={async (passphrase) => {
          const done = await task.run(() => call('restoreFinish', { restoreId: view.restoreId, ...(passphrase ? { passphrase } : {}) }));
          if (done) { closed(); setOutcome(done); onDone(done); }
        }} />
      )}
      {task.busy ? <Busy label="Checking" /> : null}
      <ErrorNotice error={task.error} />
      <button type="button" className="danger" onClick={async () => {
        await call('restoreCancel', { restoreId: view.restoreId }).catch(() => undefined);
        task.clearError();
        closed();
      }}>Cancel and forget the shares</button>
    </div>
  );
}

function OutcomeNotice({ outcome }: { outcome: RestoreOutcome }): ReactNode {
  return (
    <p className="notice ok" role="status">
      {outcome.mode === 'drill'
        ? `Drill passed: the shares give back "${outcome.key.name}" (${outcome.key.id}).`
        : `Restored "${outcome.key.name}" (${outcome.key.id}) into the keychain. Compare this id with the one printed on the sheets.`}
    </p>
  );
}

function StartForm({ mode, keys, onStarted }: { mode: 'restore' | 'drill'; keys: KeyView[]; onStarted: (view: RestoreView) => void }): ReactNode {
  const [name, setName] = useState('');
  const [expectedId, setExpectedId] = useState('');
  const [key, setKey] = useState('');
  const task = useTask();
  return (
    <form className="wizard" aria-label={mode === 'drill' ? 'Start a drill' : 'Start a restore'} onSubmit={async (e) => {
      e.preventDefault();
      const request = mode === 'drill'
        ? { mode: 'drill' as const, key }
        : { mode: 'restore' as const, name, ...(expectedId.trim() ? { expectedId: expectedId.trim() } : {}) };
      const view = await task.run(() => call('restoreBegin', request));
      if (view) onStarted(view);
    }}>
      {mode === 'drill' ? (
        <>
          <h2>Restore drill</h2>
          <p>Holders type their shares; Key Custodian checks that they still recover the key. Do one a year, and after a holder changes.</p>
          <div className="field">
            <label htmlFor="drill-key">Key to check</label>
            <select id="drill-key" value={key} onChange={(e) => setKey(e.target.value)} required>
              <option value="">Choose a key…</option>
              {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
            </select>
          </div>
        </>
      ) : (
        <>
          <h2>Restore a key from paper shares</h2>
          <p>Holders type their shares one at a time; each is checked as it arrives. The key goes into the keychain under the name you give.</p>
          <Field label="Name for the restored key" value={name} onChange={setName} />
          <Field label="Key id printed on the sheets (optional)" value={expectedId} onChange={setExpectedId} placeholder="K1-XXXX-XXXX-XXXX-XXXX"
            hint="With it, shares or a passphrase that give another key are refused before anything is stored." />
        </>
      )}
      <button type="submit" disabled={task.busy || (mode === 'drill' ? key === '' : name.trim() === '')}>{mode === 'drill' ? 'Start the drill' : 'Start the restore'}</button>
      <ErrorNotice error={task.error} />
    </form>
  );
}

/** One holder types their share: a field per word, checked as they type; sent and cleared at once. */
function ShareEntry({ holder, busy, onSubmit }: { holder: number; busy: boolean; onSubmit: (words: string[]) => Promise<void> }): ReactNode {
  const fields = useWordFields(SHARE_WORDS);
  const [masked, setMasked] = useState(false);
  useEffect(() => { fields.handle.focusFirst(); }, []);
  return (
    <form className="holder-turn" aria-label="Share entry" onSubmit={async (e) => {
      e.preventDefault();
      const words = fields.handle.read();
      fields.handle.clear();
      await onSubmit(words);
    }}>
      <h3>Holder {holder}: type your share</h3>
      <p className="muted">One word per field, in the order of your sheet. A space or Enter moves to the next field; Enter or Tab completes a
        word from its first letters. A whole share can be pasted (or scanned from the sheet's QR code) into the first field.</p>
      <label className="check"><input type="checkbox" checked={masked} onChange={(e) => setMasked(e.target.checked)} /> Hide the words while typing</label>
      <WordFields count={SHARE_WORDS} label="Words of the share" fields={fields} masked={masked} />
      <button type="submit" disabled={busy}>Add this share</button>
    </form>
  );
}

function Finish({ mode, busy, onSubmit }: { mode: 'restore' | 'drill'; busy: boolean; onSubmit: (passphrase: string | undefined) => Promise<void> }): ReactNode {
  const passphrase = useRef<HTMLInputElement>(null);
  return (
    <form className="holder-turn" aria-label="Recover the key" onSubmit={async (e) => {
      e.preventDefault();
      await onSubmit(takeSecret(passphrase));
    }}>
      <h3>Enough shares</h3>
      <SecretField label="SLIP-39 passphrase (only if the split used one)" inputRef={passphrase}
        hint="A wrong passphrase gives another key without an error; the key id tells." />
      <button type="submit" disabled={busy}>{mode === 'drill' ? 'Check the shares' : 'Restore the key'}</button>
    </form>
  );
}
