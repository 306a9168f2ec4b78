import { useState, type ReactNode } from 'react';
import type { CeremonySummary, NonceCeremonyView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field, Meter } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import type { ClusterTarget } from '../../hooks.js';
import { SecretHandout } from './SecretHandout.js';
import { ShareInput, type ShareSubmission } from './ShareInput.js';
import { t } from '../../i18n/index.js';

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
  const title = operation === 'rekey' ? t('vault.tabRekey') : t('nonceCeremony.generateRootToken');

  const begin = async (): Promise<void> => {
    const started = await task.run(() => operation === 'rekey'
      ? call('rekeyBegin', { ...target, shares: Number(shares), threshold: Number(threshold) })
      : call('generateRootBegin', target));
    if (started) { setView(started); setStep('confirm'); onChanged(); }
  };
  const submit = async (submission: ShareSubmission): Promise<void> => {
    if (!view) return;
    const request = { ceremonyId: view.ceremonyId, share: submission.share, confirmedFingerprint: view.fingerprint, ...(submission.holderName ? { holderName: submission.holderName } : {}) };
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
              <p>{t('nonceCeremony.replacesTheUnsealSharesThe')}</p>
              <div className="columns">
                <Field label={t('nonceCeremony.newNumberOfShares')} type="number" value={shares} onChange={setShares} />
                <Field label={t('nonceCeremony.newThreshold')} type="number" value={threshold} onChange={setThreshold} />
              </div>
            </>
          ) : <p>{t('nonceCeremony.createsANewRootToken')}</p>}
          <button type="submit" disabled={task.busy}>{t('nonceCeremony.start')}{operation === 'rekey' ? t('nonceCeremony.rekey') : t('nonceCeremony.generateRoot')}</button>
        </form>
      ) : null}
      {view && step !== 'params' && step !== 'done' && step !== 'handout' ? (
        <>
          <div className="fingerprint" role="group" aria-label={t('nonceCeremony.ceremonyFingerprint')}>
            <span>{t('nonceCeremony.ceremonyFingerprint')}</span>
            <code data-testid="ceremony-fingerprint">{view.fingerprint}</code>
            <small>{t('nonceCeremony.nonce')}{view.nonce}</small>
          </div>
          <Meter label={t('nonceCeremony.sharesGiven')} value={view.progress} max={view.required} />
        </>
      ) : null}
      {step === 'confirm' && view ? (
        <div className="holder-turn">
          {view.stage === 'verify' ? <p className="notice ok">{t('nonceCeremony.verificationHoldersOfThe')}<strong>{t('nonceCeremony.new')}</strong> {t('nonceCeremony.sharesProveTheyRecordedThem')}</p> : null}
          <h3>{view.stage === 'verify' ? t('nonceCeremony.newShareHolder') : t('handout.holder')} {view.progress + 1}{t('nonceCeremony.checkTheFingerprint')}</h3>
          <label className="check">
            <input type="checkbox" checked={matches} onChange={(e) => setMatches(e.target.checked)} autoFocus />
            {t('nonceCeremony.theFingerprintAboveMatchesThe')}</label>
          <button type="button" disabled={!matches} onClick={() => setStep('enter')}>{t('nonceCeremony.continueToMyShare')}</button>
        </div>
      ) : null}
      {step === 'enter' && view ? (
        <div className="holder-turn">
          <h3>{view.stage === 'verify' ? t('nonceCeremony.newShareHolder') : t('handout.holder')} {view.progress + 1} {t('waitForState.of')}{view.required}{t('nonceCeremony.yourShare')}</h3>
          <ShareInput key={`h-${view.stage}-${view.progress}`} label={t(view.stage === 'verify' ? 'nonceCeremony.newShareOfHolder' : 'unseal.shareOfHolder', { n: view.progress + 1 })} busy={task.busy} onSubmit={submit} allowPgp={false} />
        </div>
      ) : null}
      {step === 'handover' && view ? (
        <div className="handover" role="region" aria-label={t('nonceCeremony.handOver')}>
          <h3>{t('nonceCeremony.shareAccepted')}{view.progress} {t('waitForState.of')}{view.required})</h3>
          <p><strong>{t('nonceCeremony.handTheKeyboardToThe')}</strong> {t('nonceCeremony.theyCheckTheFingerprintFirst')}</p>
          <button type="button" autoFocus onClick={() => setStep('confirm')}>{t('nonceCeremony.nextHolderIsReady')}</button>
        </div>
      ) : null}
      {step === 'handout' && view?.handout ? (
        <SecretHandout
          ceremonyId={view.ceremonyId}
          title={operation === 'rekey' ? t('nonceCeremony.newUnsealShares') : t('nonceCeremony.newRootToken')}
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
          <p>{operation === 'rekey' ? t('nonceCeremony.rekeyCompleteAndVerifiedThe') : t('nonceCeremony.rootTokenHandedOverRevoke')}</p>
          <button type="button" onClick={() => setStep('params')}>{t('nonceCeremony.done')}</button>
        </div>
      ) : null}
      {task.busy ? <Busy label={step === 'params' ? t('nonceCeremony.startingTheCeremony') : t('nonceCeremony.sendingTheShare')} /> : null}
      <ErrorNotice error={task.error} onDismiss={task.clearError} />
      {view && (step === 'confirm' || step === 'enter' || step === 'handover') ? (
        <ConfirmButton
          label={t('nonceCeremony.cancelCeremony')}
          title={t(operation === 'rekey' ? 'nonceCeremony.cancelRekey' : 'nonceCeremony.cancelGenerateRoot')}
          message={<p>{t('nonceCeremony.theAttemptIsCancelledOn')}{view.progress === 1 ? t('nonceCeremony.the1ShareGivenSo') : t('nonceCeremony.theSharesGiven', { count: view.progress })} {t('nonceCeremony.discarded')}{view.stage === 'verify' ? t('nonceCeremony.theNewSharesNeverCome') : ''} {t('nonceCeremony.everyHolderWouldStartAgain')}</p>}
          confirmLabel={t('nonceCeremony.yesCancelTheCeremony')}
          disabled={task.busy}
          onConfirm={cancel}
        />
      ) : null}
    </div>
  );
}
