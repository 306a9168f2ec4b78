import { useEffect, useState, type ReactNode } from 'react';
import type { HandoutEnded, BackupHandoutView, HolderWords } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { withPresence } from '../../presence.js';
import { useWordFields, WordFields } from './WordFields.js';

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
      ? `Saved ${saved.files.length} sheet${saved.files.length === 1 ? '' : 's'} in ${saved.directory}. Print ${saved.files.length === 1 ? 'it' : 'them'}, then delete the file${saved.files.length === 1 ? '' : 's'}.`
      : 'No folder chosen; nothing was saved.');
    const next = await call('backupHandoutView', { handoutId: view.handoutId }).catch(() => undefined);
    if (next) setView(next);
  };

  return (
    <div className="handout" role="region" aria-label={`Hand-out of ${view.keyName}`}>
      <h2>Hand-out: {view.keyName} <code className="key-id">{view.keyId}</code></h2>
      <p>{view.threshold} of {view.total} shares recover the key{view.passphraseProtected ? ', together with the SLIP-39 passphrase' : ''}.
        Each holder comes to the screen alone, writes down their words, and types two of them back.</p>
      <table aria-label="Holders">
        <thead><tr><th scope="col">Share</th><th scope="col">Holder</th><th scope="col">Status</th></tr></thead>
        <tbody>
          {view.holders.map((h) => (
            <tr key={h.index} aria-current={h.index === view.current ? 'step' : undefined}>
              <td>{h.index} of {view.total}</td>
              <td>{h.name}</td>
              <td>{h.state === 'confirmed' ? 'has their share (checked)' : h.state === 'shown' ? 'words shown, check pending' : h.index === view.current ? 'next' : 'waiting'}
                {h.sheet ? '; sheet saved' : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sheetNotice ? <p className="notice ok" role="status">{sheetNotice}</p> : null}

      {current && step === 'ready' ? (
        <div className="holder-turn" role="group" aria-label={`Turn of ${current.name}`}>
          <h3>Share {current.index} of {view.total}: {current.name}</h3>
          <p>Only {current.name} should see the screen now. The words appear when {current.name} asks for them.</p>
          <button type="button" autoFocus onClick={show} disabled={task.busy}>Show {current.name}'s words</button>
          <button type="button" className="secondary" onClick={() => saveSheets(current.index)} disabled={task.busy}>Save {current.name}'s sheet as PDF…</button>
        </div>
      ) : null}

      {current && step === 'words' && words ? (
        <div className="holder-turn" role="group" aria-label={`Words of ${words.name}`}>
          <h3>{words.name}: share {words.index} of {view.total}</h3>
          <p>Write the {words.words.length} words down in order, on paper. They will not be shown again after the check.</p>
          <ol className="share-words" aria-label="Share words">
            {words.words.map((word, i) => <li key={i}><span className="n">{i + 1}</span> <span className="w">{word}</span></li>)}
          </ol>
          <button type="button" onClick={() => { setWords(undefined); setStep('check'); }}>{words.name} has written them down</button>
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
        <div className="handover" role="status" aria-label="Hand-over">
          <p><strong>{lastConfirmed} has their share.</strong> {current ? `Call the next holder: ${current.name}.` : 'Every holder has their share.'}</p>
          {current ? <button type="button" autoFocus onClick={() => { setStep('ready'); task.clearError(); }}>{current.name} is at the screen</button> : null}
        </div>
      ) : null}

      <div className="buttons">
        <button type="button" className="secondary" onClick={() => saveSheets()} disabled={task.busy}>Save all sheets as PDF…</button>
        {view.current === undefined ? (
          <button type="button" onClick={async () => {
            const ended = await task.run(() => call('backupHandoutEnd', { handoutId: view.handoutId }));
            if (ended) onEnded(ended, view);
          }} disabled={task.busy}>Finish the hand-out</button>
        ) : (
          <button type="button" className="danger" aria-expanded={ending} onClick={() => setEnding(!ending)}>End the hand-out early…</button>
        )}
      </div>
      {ending && view.current !== undefined ? <EndEarly view={view} onEnded={(ended) => onEnded(ended, view)} /> : null}
      {task.busy ? <Busy label="Working" /> : null}
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
    <form className="holder-turn" aria-label={`Check of ${holder}`} onSubmit={async (e) => {
      e.preventDefault();
      const typed = fields.handle.read();
      fields.handle.clear();
      await onSubmit(typed);
    }}>
      <h3>{holder}: prove the words are written down</h3>
      <p>From what you wrote, type word {positions.join(' and word ')}.</p>
      <WordFields count={positions.length} label={`Words ${positions.join(' and ')} of ${holder}'s share`} fields={fields} positions={positions} />
      <button type="submit" disabled={busy}>Check the words</button>
      <button type="button" className="secondary" onClick={onShowAgain} disabled={busy}>Show the words again</button>
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
      <div className="dialog" role="group" aria-label="End the hand-out early">
        <p>Every holder who has not typed back their words has a saved sheet.</p>
        <button type="button" disabled={task.busy} onClick={async () => {
          const ended = await task.run(() => call('backupHandoutEnd', { handoutId: view.handoutId }));
          if (ended) onEnded(ended);
        }}>End the hand-out</button>
        <ErrorNotice error={task.error} />
      </div>
    );
  }
  return (
    <div className="dialog danger" role="group" aria-label="End the hand-out early">
      <p>{missing.join(', ')} {missing.length === 1 ? 'has' : 'have'} not confirmed their share. Once the hand-out ends, their words cannot be shown again
        (a new split makes new shares; the old ones stay valid).</p>
      <Field label={`Type "${expected}" to end the hand-out`} value={typed} onChange={setTyped} />
      <button type="button" className="danger" disabled={task.busy} onClick={async () => {
        const ended = await task.run(() => call('backupHandoutEnd', { handoutId: view.handoutId, confirmation: typed }));
        if (ended) onEnded(ended);
      }}>End the hand-out</button>
      <ErrorNotice error={task.error} />
    </div>
  );
}
