import { useState, type ReactNode } from 'react';
import type { CeremonySummary, NonceCeremonyView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field, Meter } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import type { ClusterTarget } from '../../hooks.js';
import { SecretHandout } from './SecretHandout.js';
import { ShareInput, type ShareSubmission } from './ShareInput.js';

type Operation = 'rekey' | 'generate-root';
type Step = 'params' | 'confirm' | 'enter' | 'handover' | 'handout' | 'done';

/** The screen's view of a ceremony main still holds (after navigation, lock, reload or a reopened window). */
function fromSummary(summary: CeremonySummary): NonceCeremonyView {
  const view: NonceCeremonyView = {
    ceremonyId: summary.ceremonyId,
    operation: summary.kind === 'rekey' ? 'rekey' : 'generate-root',
    stage: summary.stage,
    nonce: summary.nonce ?? '',
    fingerprint: summary.fingerprint ?? '',
    progress: summary.progress,
    required: summary.required,
    complete: false,
  };
  if (summary.handout) view.handout = summary.handout;
  return view;
}

/**
 * Rekey and generate-root: the nonce-based ceremonies. Every holder first checks the ceremony fingerprint
 * (operation, nonce, new parameters, PGP fingerprints) against the one the ceremony lead announced, then types
 * their share. Main refuses a share if the server's ceremony changed in between.
 *
 * The ceremony lives in main: leaving this screen changes nothing, and `attached` (main's list, read when the
 * screen mounts) brings it back at the same stage. Only "Cancel ceremony", confirmed, ends it.
 */
export function NonceCeremony({ operation, target, attached, onChanged }: {
  operation: Operation;
  target: ClusterTarget;
  attached?: CeremonySummary | undefined;
  onChanged: () => void;
}): ReactNode {
  const resumed = attached && attached.kind === operation ? fromSummary(attached) : undefined;
  const [step, setStep] = useState<Step>(resumed ? (resumed.stage === 'handout' ? 'handout' : 'confirm') : 'params');
  const [view, setView] = useState<NonceCeremonyView | undefined>(resumed);
  const [shares, setShares] = useState('5');
  const [threshold, setThreshold] = useState('3');
  const [matches, setMatches] = useState(false);
  const task = useTask();
  const title = operation === 'rekey' ? 'Rekey' : 'Generate root token';

  const begin = async (): Promise<void> => {
    const started = await task.run(() => operation === 'rekey'
      ? call('rekeyBegin', { ...target, shares: Number(shares), threshold: Number(threshold) })
      : call('generateRootBegin', target));
    if (started) { setView(started); setStep('confirm'); onChanged(); }
  };
  const submit = async (submission: ShareSubmission): Promise<void> => {
    if (!view) return;
    const request = { ceremonyId: view.ceremonyId, share: submission.share, confirmedFingerprint: view.fingerprint };
    const next = await task.run(() => operation === 'rekey' ? call('rekeySubmit', request) : call('generateRootSubmit', request));
    if (!next) return;
    setView(next);
    setMatches(false);
    onChanged();
    if (!next.complete) { setStep('handover'); return; }
    if (next.stage === 'handout' && next.handout) { setStep('handout'); return; }
    setView(undefined);
    setStep('done');
  };
  const cancel = async (): Promise<void> => {
    if (!view) return;
    const done = await task.run(() => call(operation === 'rekey' ? 'rekeyCancel' : 'generateRootCancel', { ceremonyId: view.ceremonyId }));
    if (done) { setView(undefined); setStep('params'); onChanged(); }
  };

  return (
    <div className="ceremony" role="group" aria-label={title}>
      <h2>{title}</h2>
      {step === 'params' ? (
        <form onSubmit={(e) => { e.preventDefault(); void begin(); }}>
          {operation === 'rekey' ? (
            <>
              <p>Replaces the unseal shares. The current holders give their shares; the new shares are handed out at the end.</p>
              <div className="columns">
                <Field label="New number of shares" type="number" value={shares} onChange={setShares} />
                <Field label="New threshold" type="number" value={threshold} onChange={setThreshold} />
              </div>
            </>
          ) : <p>Creates a new root token from the unseal shares. The one-time password is made in the app and the token is decoded here, so it never passes through a terminal.</p>}
          <button type="submit" disabled={task.busy}>Start {operation === 'rekey' ? 'rekey' : 'generate-root'}</button>
        </form>
      ) : null}
      {view && step !== 'params' && step !== 'done' && step !== 'handout' ? (
        <>
          <div className="fingerprint" role="group" aria-label="Ceremony fingerprint">
            <span>Ceremony fingerprint</span>
            <code data-testid="ceremony-fingerprint">{view.fingerprint}</code>
            <small>nonce {view.nonce}</small>
          </div>
          <Meter label="Shares given" value={view.progress} max={view.required} />
        </>
      ) : null}
      {step === 'confirm' && view ? (
        <div className="holder-turn">
          {view.stage === 'verify' ? <p className="notice ok">Verification: holders of the <strong>new</strong> shares prove they recorded them. Until then the old shares stay in force.</p> : null}
          <h3>{view.stage === 'verify' ? 'New-share holder' : 'Holder'} {view.progress + 1}: check the fingerprint</h3>
          <label className="check">
            <input type="checkbox" checked={matches} onChange={(e) => setMatches(e.target.checked)} autoFocus />
            The fingerprint above matches the one the ceremony lead announced
          </label>
          <button type="button" disabled={!matches} onClick={() => setStep('enter')}>Continue to my share</button>
        </div>
      ) : null}
      {step === 'enter' && view ? (
        <div className="holder-turn">
          <h3>{view.stage === 'verify' ? 'New-share holder' : 'Holder'} {view.progress + 1} of {view.required}: your share</h3>
          <ShareInput key={`h-${view.stage}-${view.progress}`} label={`${view.stage === 'verify' ? 'New unseal share' : 'Unseal share'} of holder ${view.progress + 1}`} busy={task.busy} onSubmit={submit} allowPgp={false} />
        </div>
      ) : null}
      {step === 'handover' && view ? (
        <div className="handover" role="region" aria-label="Hand over">
          <h3>Share accepted ({view.progress} of {view.required})</h3>
          <p><strong>Hand the keyboard to the next holder.</strong> They check the fingerprint first.</p>
          <button type="button" autoFocus onClick={() => setStep('confirm')}>Next holder is ready</button>
        </div>
      ) : null}
      {step === 'handout' && view?.handout ? (
        <SecretHandout
          ceremonyId={view.ceremonyId}
          title={operation === 'rekey' ? 'New unseal shares' : 'New root token'}
          handout={view.handout}
          onProgress={(progress) => {
            onChanged();
            // A rekey with verification: the new shares are not in force until threshold NEW holders prove them.
            if (progress.ceremony && progress.ceremony.stage !== 'handout') {
              setView(fromSummary(progress.ceremony));
              setStep('confirm');
            } else if (progress.ceremony) {
              setView(fromSummary(progress.ceremony));
            } else {
              setView(undefined);
              setStep('done');
            }
          }}
          onAbandoned={() => { setView(undefined); setStep('params'); onChanged(); }}
        />
      ) : null}
      {step === 'done' ? (
        <div className="notice ok" role="status">
          <p>{operation === 'rekey' ? 'Rekey complete and verified: the new shares are in force; the old shares no longer work.' : 'Root token handed over. Revoke it when the work is done.'}</p>
          <button type="button" onClick={() => setStep('params')}>Done</button>
        </div>
      ) : null}
      {task.busy ? <Busy label={step === 'params' ? 'Starting the ceremony' : 'Sending the share'} /> : null}
      <ErrorNotice error={task.error} onDismiss={task.clearError} />
      {view && (step === 'confirm' || step === 'enter' || step === 'handover') ? (
        <ConfirmButton
          label="Cancel ceremony"
          title={`Cancel the ${operation === 'rekey' ? 'rekey' : 'generate-root'} ceremony?`}
          message={<p>The attempt is cancelled on the server and {view.progress === 1 ? 'the 1 share given so far is' : `the ${view.progress} shares given so far are`} discarded.
            {view.stage === 'verify' ? ' The new shares never come into force; the old shares stay valid.' : ''} Every holder would start again.</p>}
          confirmLabel="Yes, cancel the ceremony"
          disabled={task.busy}
          onConfirm={cancel}
        />
      ) : null}
    </div>
  );
}
