import { useEffect, useState, type ReactNode } from 'react';
import type { HandoutEnded, BackupHandoutView, HolderWords } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { withPresence } from '../../presence.js';
import { useWordFields, WordFields } from './WordFields.js';
import { t } from '../../i18n/index.js';

type Step = 'ready' | 'words' | 'check' | 'handover';

/**
 * The SLIP-39 hand-out, holder by holder. The shares live in main; this screen fetches the current holder's
 * words when they ask, shows them until they say they wrote them down, then asks them to type back two words
 * at positions main chose. Only then is it the next holder's turn. Leaving the screen loses nothing: the
 * hand-out stays open in main and the Backup screen re-attaches to it.
 */
export function Handout({ initial, onEnded }: { initial: BackupHandoutView; onEnded: (ended: HandoutEnded, view: BackupHandoutView) => void }): ReactNode {
  const [view, setView] = useState(initial);
  const [step, setStep] = useState<Step>(initial.check ? 'check' : 'ready');
  const [words, setWords] = useState<HolderWords | undefined>();
  const [lastConfirmed, setLastConfirmed] = useState<string | undefined>();
  const [sheetNotice, setSheetNotice] = useState<string | undefined>();
  const [ending, setEnding] = useState(false);
  const task = useTask();
  const current = view.holders.find((h) => h.index === view.current);

  // The words leave the window with this component (navigation, lock) or when the holder says they have them.
  useEffect(() => () => setWords(undefined), []);

  const show = async (): Promise<void> => {
    if (!current) return;
    // Main asks for the officer's presence first (Touch ID or the unlock passphrase), as for any revealed secret.
    const fetched = await task.run(() => withPresence(() => call('backupHandoutWords', { handoutId: view.handoutId, index: current.index })));
    if (!fetched) return;
    setWords(fetched);
    setStep('words');
    const next = await call('backupHandoutView', { handoutId: view.handoutId }).catch(() => undefined);
    if (next) setView(next);
  };
  const saveSheets = async (index?: number): Promise<void> => {
    const saved = await task.run(() => call('backupHandoutSaveSheets', { handoutId: view.handoutId, ...(index ? { index } : {}) }));
    if (!saved) return;
    setSheetNotice(saved.saved
      ? (saved.files.length === 1 ? t('handout.savedOneSheet', { directory: saved.directory }) : t('handout.savedSheets', { count: saved.files.length, directory: saved.directory }))
      : t('handout.noFolder'));
    const next = await call('backupHandoutView', { handoutId: view.handoutId }).catch(() => undefined);
    if (next) setView(next);
  };

  return (
    <div className="handout" role="region" aria-label={t('handout.handoutOf', { name: view.keyName })}>
      <h2>{t('handout.handOut')}{view.keyName} <code className="key-id">{view.keyId}</code></h2>
      <p>{view.threshold} {t('waitForState.of')}{view.total} {t('handout.sharesRecoverTheKey')}{view.passphraseProtected ? t('handout.togetherWithTheSlip39') : ''}{t('handout.eachHolderComesToThe')}</p>
      <table aria-label={t('handout.holders')}>
        <thead><tr><th scope="col">{t('handout.share')}</th><th scope="col">{t('handout.holder')}</th><th scope="col">{t('handout.status')}</th></tr></thead>
        <tbody>
          {view.holders.map((h) => (
            <tr key={h.index} aria-current={h.index === view.current ? 'step' : undefined}>
              <td>{h.index} {t('waitForState.of')}{view.total}</td>
              <td>{h.name}</td>
              <td>{h.state === 'confirmed' ? t('handout.hasTheirShareChecked') : h.state === 'shown' ? t('handout.wordsShownCheckPending') : h.index === view.current ? t('handout.next') : t('handout.waiting')}
                {h.sheet ? t('handout.sheetSaved') : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sheetNotice ? <p className="notice ok" role="status">{sheetNotice}</p> : null}

      {current && step === 'ready' ? (
        <div className="holder-turn" role="group" aria-label={t('handout.turnOf', { name: current.name })}>
          <h3>{t('handout.share2')}{current.index} {t('waitForState.of')}{view.total}: {current.name}</h3>
          <p>{t('handout.only')}{current.name} {t('handout.shouldSeeTheScreenNow')}{current.name} {t('handout.asksForThem')}</p>
          <button type="button" autoFocus onClick={show} disabled={task.busy}>{t('handout.showWords', { name: current.name })}</button>
          <button type="button" className="secondary" onClick={() => saveSheets(current.index)} disabled={task.busy}>{t('handout.saveSheet', { name: current.name })}</button>
        </div>
      ) : null}

      {current && step === 'words' && words ? (
        <div className="holder-turn" role="group" aria-label={t('handout.wordsOf', { name: words.name })}>
          <h3>{words.name}{t('handout.share3')}{words.index} {t('waitForState.of')}{view.total}</h3>
          <p>{t('handout.writeThe')}{words.words.length} {t('handout.wordsDownInOrderOn')}</p>
          <ol className="share-words" aria-label={t('handout.shareWords')}>
            {words.words.map((word, i) => <li key={i}><span className="n">{i + 1}</span> <span className="w">{word}</span></li>)}
          </ol>
          <button type="button" onClick={() => { setWords(undefined); setStep('check'); }}>{words.name} {t('handout.hasWrittenThemDown')}</button>
        </div>
      ) : null}

      {current && step === 'check' && view.check ? (
        <TypeBack
          key={`${current.index}`}
          holder={current.name}
          positions={view.check.positions}
          busy={task.busy}
          onShowAgain={show}
          onSubmit={async (typed) => {
            const next = await task.run(() => call('backupHandoutConfirm', { handoutId: view.handoutId, index: current.index, words: typed }));
            if (!next) return false;
            setView(next);
            setLastConfirmed(current.name);
            setStep('handover');
            return true;
          }}
        />
      ) : null}

      {step === 'handover' ? (
        <div className="handover" role="status" aria-label={t('handout.handOver')}>
          <p><strong>{lastConfirmed} {t('handout.hasTheirShare')}</strong> {current ? t('handout.callNext', { name: current.name }) : t('handout.everyHolderHasTheirShare')}</p>
          {current ? <button type="button" autoFocus onClick={() => { setStep('ready'); task.clearError(); }}>{current.name} {t('handout.isAtTheScreen')}</button> : null}
        </div>
      ) : null}

      <div className="buttons">
        <button type="button" className="secondary" onClick={() => saveSheets()} disabled={task.busy}>{t('handout.saveAllSheetsAsPdf')}</button>
        {view.current === undefined ? (
          <button type="button" onClick={async () => {
            const ended = await task.run(() => call('backupHandoutEnd', { handoutId: view.handoutId }));
            if (ended) onEnded(ended, view);
          }} disabled={task.busy}>{t('handout.finishTheHandOut')}</button>
        ) : (
          <button type="button" className="danger" aria-expanded={ending} onClick={() => setEnding(!ending)}>{t('handout.endTheHandOutEarly')}</button>
        )}
      </div>
      {ending && view.current !== undefined ? <EndEarly view={view} onEnded={(ended) => onEnded(ended, view)} /> : null}
      {task.busy ? <Busy label={t('handout.working')} /> : null}
      <ErrorNotice error={task.error} />
    </div>
  );
}

/** The holder types back the words at two positions main chose; the fields are cleared whatever the answer. */
function TypeBack({ holder, positions, busy, onSubmit, onShowAgain }: {
  holder: string;
  positions: number[];
  busy: boolean;
  onSubmit: (words: string[]) => Promise<boolean>;
  onShowAgain: () => void;
}): ReactNode {
  const fields = useWordFields(positions.length);
  useEffect(() => { fields.handle.focusFirst(); }, []);
  return (
    <form className="holder-turn" aria-label={t('handout.checkOf', { name: holder })} onSubmit={async (e) => {
      e.preventDefault();
      const typed = fields.handle.read();
      fields.handle.clear();
      await onSubmit(typed);
    }}>
      <h3>{holder}{t('handout.proveTheWordsAreWritten')}</h3>
      <p>{t('handout.fromWhatYouWroteType')}{positions.join(t('handout.andWord'))}.</p>
      <WordFields count={positions.length} label={t('handout.wordsOfShare', { positions: positions.join(t('handout.and')), name: holder })} fields={fields} positions={positions} />
      <button type="submit" disabled={busy}>{t('handout.checkTheWords')}</button>
      <button type="button" className="secondary" onClick={onShowAgain} disabled={busy}>{t('handout.showTheWordsAgain')}</button>
    </form>
  );
}

/** Ending before every holder has their share needs the officer to type who will go without. */
function EndEarly({ view, onEnded }: { view: BackupHandoutView; onEnded: (ended: HandoutEnded) => void }): ReactNode {
  const [typed, setTyped] = useState('');
  const task = useTask();
  const missing = view.holders.filter((h) => h.state !== 'confirmed' && !h.sheet).map((h) => h.name);
  const expected = `no share for ${missing.join(', ')}`;
  if (missing.length === 0) {
    return (
      <div className="dialog" role="group" aria-label={t('handout.endTheHandOutEarly2')}>
        <p>{t('handout.everyHolderWhoHasNot')}</p>
        <button type="button" disabled={task.busy} onClick={async () => {
          const ended = await task.run(() => call('backupHandoutEnd', { handoutId: view.handoutId }));
          if (ended) onEnded(ended);
        }}>{t('handout.endTheHandOut')}</button>
        <ErrorNotice error={task.error} />
      </div>
    );
  }
  return (
    <div className="dialog danger" role="group" aria-label={t('handout.endTheHandOutEarly2')}>
      <p>{missing.join(', ')} {missing.length === 1 ? t('handout.has') : t('handout.have')} {t('handout.notConfirmedTheirShareOnce')}</p>
      <Field label={t('handout.typeToEnd', { phrase: expected })} value={typed} onChange={setTyped} />
      <button type="button" className="danger" disabled={task.busy} onClick={async () => {
        const ended = await task.run(() => call('backupHandoutEnd', { handoutId: view.handoutId, confirmation: typed }));
        if (ended) onEnded(ended);
      }}>{t('handout.endTheHandOut')}</button>
      <ErrorNotice error={task.error} />
    </div>
  );
}
