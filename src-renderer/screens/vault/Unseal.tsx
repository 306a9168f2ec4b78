import { useState, type ReactNode } from 'react';
import type { CeremonySummary, UnsealView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Meter, StateBadge } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import type { ClusterTarget } from '../../hooks.js';
import { ShareInput, type ShareSubmission } from './ShareInput.js';
import { t } from '../../i18n/index.js';

type Step = 'start' | 'enter' | 'handover' | 'done';

/**
 * The unseal ceremony, holder by holder: masked input, per-node progress, a hand-over screen between holders.
 * It lives in main until the cluster is unsealed: leaving the screen, locking or reloading changes nothing, and
 * `attached` (main's list, read on mount) brings it back with the next holder's turn.
 */
export function UnsealCeremony({ target, attached, onChanged }: { target: ClusterTarget; attached?: CeremonySummary | undefined; onChanged: () => void }): ReactNode {
  const addrs = attached?.target.addrs ?? target.addrs;
  const resumed = attached?.kind === 'unseal' ? attached.unseal : undefined;
  const [view, setView] = useState<UnsealView | undefined>(resumed);
  const [step, setStep] = useState<Step>(resumed ? 'enter' : 'start');
  const task = useTask();

  const begin = async (): Promise<void> => {
    const started = await task.run(() => call('unsealBegin', target));
    if (started) { setView(started); setStep(started.done ? 'done' : 'enter'); onChanged(); }
  };
  const submit = async (submission: ShareSubmission): Promise<void> => {
    if (!view) return;
    const next = await task.run(() => call('unsealSubmit', { ceremonyId: view.ceremonyId, ...submission }));
    if (next) {
      setView(next);
      setStep(next.done ? 'done' : 'handover');
      onChanged();
    } else {
      // A refused share (wrong, repeated, rejected at the threshold): show where every node stands now.
      const now = await call('unsealView', { ceremonyId: view.ceremonyId }).catch(() => undefined);
      if (now) setView(now);
      onChanged();
    }
  };
  const reset = async (): Promise<void> => {
    if (!view) return;
    const next = await task.run(() => call('unsealReset', { ceremonyId: view.ceremonyId }));
    if (next) { setView(next); setStep('enter'); onChanged(); }
  };

  const holder = (view?.submitted ?? 0) + 1;
  return (
    <div className="ceremony" role="group" aria-label={t('unseal.unsealCeremony')}>
      <h2>{t('unseal.unsealCeremony')}</h2>
      {step === 'start' ? (
        <>
          <p>{t('unseal.eachKeyHolderTypesTheir')}{addrs.length === 1 ? t('vault.oneNode') : t('vault.manyNodes', { count: addrs.length })}{t('unseal.holdersTakeTurnsAtThis')}</p>
          <button type="button" onClick={begin} disabled={task.busy}>{t('unseal.startUnsealCeremony')}</button>
        </>
      ) : null}
      {view ? <Progress view={view} /> : null}
      {step === 'enter' && view ? (
        <div className="holder-turn" aria-live="polite">
          <h3>{t('restore.holder')}{holder} {t('waitForState.of')}{view.threshold}{t('unseal.yourTurn')}</h3>
          <ShareInput key={`holder-${holder}-${view.submitted}`} label={t('unseal.shareOfHolder', { n: holder })} busy={task.busy} onSubmit={submit} />
        </div>
      ) : null}
      {step === 'handover' && view ? (
        <div className="handover" role="region" aria-label={t('nonceCeremony.handOver')}>
          <h3>{t('handout.share2')}{view.submitted} {t('unseal.accepted')}</h3>
          <p>{view.submitted} {t('waitForState.of')}{view.threshold} {t('unseal.sharesGivenTheShareWas')}</p>
          <p><strong>{t('nonceCeremony.handTheKeyboardToThe')}</strong> {t('unseal.nothingOfThePreviousShare')}</p>
          <button type="button" autoFocus onClick={() => setStep('enter')}>{t('nonceCeremony.nextHolderIsReady')}</button>
        </div>
      ) : null}
      {step === 'done' ? (
        <div className="notice ok" role="status">
          <h3>{t('unseal.clusterUnsealed')}</h3>
          <p>{t('unseal.everyReachableNodeIsUnsealed')}</p>
          <button type="button" onClick={() => { setView(undefined); setStep('start'); }}>{t('unseal.finish')}</button>
        </div>
      ) : null}
      {task.busy ? <Busy label={step === 'start' ? t('unseal.readingEveryNode') : t('unseal.applyingTheShareToEvery')} /> : null}
      <ErrorNotice error={task.error} onDismiss={task.clearError} />
      {view && step !== 'done' ? (
        <ConfirmButton
          label={t('unseal.resetCeremonyDiscardSharesGiven')}
          title={t('unseal.resetTheUnsealCeremony')}
          message={<p>{t('unseal.everySealedNodeDiscardsThe')}{t(view.submitted === 1 ? 'unseal.discardOne' : 'unseal.discardMany', { count: view.submitted, threshold: view.threshold })}</p>}
          confirmLabel={t('unseal.yesDiscardTheSharesGiven')}
          disabled={task.busy}
          onConfirm={reset}
        />
      ) : null}
    </div>
  );
}

function Progress({ view }: { view: UnsealView }): ReactNode {
  return (
    <div className="node-progress" role="group" aria-label={t('unseal.progressPerNode')}>
      <Meter label={t('nonceCeremony.sharesGiven')} value={view.submitted} max={view.threshold} />
      <ul>
        {view.nodes.map((node) => (
          <li key={node.addr}>
            <Meter label={node.addr} value={node.sealed === false ? node.threshold : node.progress} max={node.threshold || view.threshold} />
            <StateBadge state={node.sealed === false ? 'unsealed' : node.sealed === null ? 'unreachable' : 'sealed'} />
            {node.joining && node.sealed !== false ? <small className="node-note">{t('unseal.raftFollowerTakesTheShares')}</small> : null}
            {node.error ? <small className="node-note node-error" data-code={node.errorCode}>{node.error}</small> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
