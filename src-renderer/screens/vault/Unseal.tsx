import { useState, type ReactNode } from 'react';
import type { CeremonySummary, UnsealView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Meter, StateBadge } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import type { ClusterTarget } from '../../hooks.js';
import { ShareInput, type ShareSubmission } from './ShareInput.js';

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
    <div className="ceremony" role="group" aria-label="Unseal ceremony">
      <h2>Unseal ceremony</h2>
      {step === 'start' ? (
        <>
          <p>Each key holder types their share once; Key Custodian applies it to every sealed node of the cluster
            ({addrs.length} node{addrs.length === 1 ? '' : 's'}). Holders take turns at this keyboard.</p>
          <button type="button" onClick={begin} disabled={task.busy}>Start unseal ceremony</button>
        </>
      ) : null}
      {view ? <Progress view={view} /> : null}
      {step === 'enter' && view ? (
        <div className="holder-turn" aria-live="polite">
          <h3>Holder {holder} of {view.threshold}: your turn</h3>
          <ShareInput key={`holder-${holder}-${view.submitted}`} label={`Unseal share of holder ${holder}`} busy={task.busy} onSubmit={submit} />
        </div>
      ) : null}
      {step === 'handover' && view ? (
        <div className="handover" role="region" aria-label="Hand over">
          <h3>Share {view.submitted} accepted</h3>
          <p>{view.submitted} of {view.threshold} shares given. The share was sent and cleared from this window.</p>
          <p><strong>Hand the keyboard to the next holder.</strong> Nothing of the previous share is on screen.</p>
          <button type="button" autoFocus onClick={() => setStep('enter')}>Next holder is ready</button>
        </div>
      ) : null}
      {step === 'done' ? (
        <div className="notice ok" role="status">
          <h3>Cluster unsealed</h3>
          <p>Every reachable node is unsealed. The shares given were wiped from memory.</p>
          <button type="button" onClick={() => { setView(undefined); setStep('start'); }}>Finish</button>
        </div>
      ) : null}
      {task.busy ? <Busy label={step === 'start' ? 'Reading every node' : 'Applying the share to every sealed node'} /> : null}
      <ErrorNotice error={task.error} onDismiss={task.clearError} />
      {view && step !== 'done' ? (
        <ConfirmButton
          label="Reset ceremony (discard shares given so far)"
          title="Reset the unseal ceremony?"
          message={<p>Every sealed node discards the {view.submitted} share{view.submitted === 1 ? '' : 's'} given so far; all {view.threshold} holders must give their shares again.</p>}
          confirmLabel="Yes, discard the shares given"
          disabled={task.busy}
          onConfirm={reset}
        />
      ) : null}
    </div>
  );
}

function Progress({ view }: { view: UnsealView }): ReactNode {
  return (
    <div className="node-progress" role="group" aria-label="Progress per node">
      <Meter label="Shares given" value={view.submitted} max={view.threshold} />
      <ul>
        {view.nodes.map((node) => (
          <li key={node.addr}>
            <Meter label={node.addr} value={node.sealed === false ? node.threshold : node.progress} max={node.threshold || view.threshold} />
            <StateBadge state={node.sealed === false ? 'unsealed' : node.sealed === null ? 'unreachable' : 'sealed'} />
            {node.joining && node.sealed !== false ? <small className="node-note">Raft follower: takes the shares once the first node is unsealed.</small> : null}
            {node.error ? <small className="node-note node-error" data-code={node.errorCode}>{node.error}</small> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
