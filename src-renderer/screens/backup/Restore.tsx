import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { KeyView, RestoreOutcome, RestoreView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field, Meter } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { SecretField, takeSecret } from './SecretField.js';
import { useWordFields, WordFields } from './WordFields.js';
import { t } from '../../i18n/index.js';

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
    <div className="wizard" role="region" aria-label={view.mode === 'drill' ? t('restore.restoreDrill') : t('restore.restore')}>
      <h2>{view.mode === 'drill' ? t('restore.drillTitle', { name: view.key?.name ?? '' }) : t('restore.restoreTitle', { name: view.name ?? '' })}</h2>
      {view.mode === 'drill' ? <p>{t('restore.theSharesAreRecombinedAnd')}<code className="key-id">{view.key?.id}</code>{t('restore.nothingIsImported')}</p> : null}
      {view.threshold ? <Meter label={t('restore.sharesAccepted')} value={Math.min(view.accepted, view.threshold)} max={view.threshold} /> : null}
      <p role="status" aria-label={t('restore.restoreProgress')}>
        {view.accepted === 0 ? t('restore.noShareYetTheFirst')
          : `${t(view.accepted === 1 ? 'restore.acceptedOne' : 'restore.acceptedMany', { count: view.accepted, numbers: view.shareNumbers.join(', ') })} ${view.complete ? t('restore.enough') : t('restore.moreNeeded', { count: view.missing ?? '?' })}`}
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
      {task.busy ? <Busy label={t('lockScreen.checking')} /> : null}
      <ErrorNotice error={task.error} />
      <button type="button" className="danger" onClick={async () => {
        await call('restoreCancel', { restoreId: view.restoreId }).catch(() => undefined);
        task.clearError();
        closed();
      }}>{t('restore.cancelAndForgetTheShares')}</button>
    </div>
  );
}

function OutcomeNotice({ outcome }: { outcome: RestoreOutcome }): ReactNode {
  return (
    <p className="notice ok" role="status">
      {outcome.mode === 'drill'
        ? t('restore.drillPassed', { name: outcome.key.name, id: outcome.key.id })
        : t('restore.restored', { name: outcome.key.name, id: outcome.key.id })}
    </p>
  );
}

function StartForm({ mode, keys, onStarted }: { mode: 'restore' | 'drill'; keys: KeyView[]; onStarted: (view: RestoreView) => void }): ReactNode {
  const [name, setName] = useState('');
  const [expectedId, setExpectedId] = useState('');
  const [key, setKey] = useState('');
  const task = useTask();
  return (
    <form className="wizard" aria-label={mode === 'drill' ? t('restore.startADrill') : t('restore.startARestore')} onSubmit={async (e) => {
      e.preventDefault();
      const request = mode === 'drill'
        ? { mode: 'drill' as const, key }
        : { mode: 'restore' as const, name, ...(expectedId.trim() ? { expectedId: expectedId.trim() } : {}) };
      const view = await task.run(() => call('restoreBegin', request));
      if (view) onStarted(view);
    }}>
      {mode === 'drill' ? (
        <>
          <h2>{t('restore.restoreDrill')}</h2>
          <p>{t('restore.holdersTypeTheirSharesKey')}</p>
          <div className="field">
            <label htmlFor="drill-key">{t('restore.keyToCheck')}</label>
            <select id="drill-key" value={key} onChange={(e) => setKey(e.target.value)} required>
              <option value="">{t('ageFiles.chooseAKey')}</option>
              {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
            </select>
          </div>
        </>
      ) : (
        <>
          <h2>{t('restore.restoreAKeyFromPaper')}</h2>
          <p>{t('restore.holdersTypeTheirSharesOne')}</p>
          <Field label={t('restore.nameForTheRestoredKey')} value={name} onChange={setName} />
          <Field label={t('restore.keyIdPrintedOnThe')} value={expectedId} onChange={setExpectedId} placeholder={t('restore.k1XxxxXxxxXxxxXxxx')}
            hint={t('restore.withItSharesOrA')} />
        </>
      )}
      <button type="submit" disabled={task.busy || (mode === 'drill' ? key === '' : name.trim() === '')}>{mode === 'drill' ? t('restore.startTheDrill') : t('restore.startTheRestore')}</button>
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
    <form className="holder-turn" aria-label={t('restore.shareEntry')} onSubmit={async (e) => {
      e.preventDefault();
      const words = fields.handle.read();
      fields.handle.clear();
      await onSubmit(words);
    }}>
      <h3>{t('restore.holder')}{holder}{t('restore.typeYourShare')}</h3>
      <p className="muted">{t('restore.oneWordPerFieldIn')}</p>
      <label className="check"><input type="checkbox" checked={masked} onChange={(e) => setMasked(e.target.checked)} /> {t('restore.hideTheWordsWhileTyping')}</label>
      <WordFields count={SHARE_WORDS} label={t('restore.wordsOfTheShare')} fields={fields} masked={masked} />
      <button type="submit" disabled={busy}>{t('restore.addThisShare')}</button>
    </form>
  );
}

function Finish({ mode, busy, onSubmit }: { mode: 'restore' | 'drill'; busy: boolean; onSubmit: (passphrase: string | undefined) => Promise<void> }): ReactNode {
  const passphrase = useRef<HTMLInputElement>(null);
  return (
    <form className="holder-turn" aria-label={t('restore.recoverTheKey')} onSubmit={async (e) => {
      e.preventDefault();
      await onSubmit(takeSecret(passphrase));
    }}>
      <h3>{t('restore.enoughShares')}</h3>
      <SecretField label={t('restore.slip39PassphraseOnlyIf')} inputRef={passphrase}
        hint={t('restore.aWrongPassphraseGivesAnother')} />
      <button type="submit" disabled={busy}>{mode === 'drill' ? t('restore.checkTheShares') : t('restore.restoreTheKey')}</button>
    </form>
  );
}
