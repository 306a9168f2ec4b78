import { useState, type ReactNode } from 'react';
import type { AcceptedIdentityView, ErrorView, LockResultView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { t } from '../../i18n/index.js';
import { withPresence } from '../../presence.js';

/**
 * Servers screen, the incident levers (`custodian server lock NAME...|--all`, `custodian server accept-identity`):
 * each behind a confirmation that names the servers, and presence (main asks for it; guard.ts).
 */
export function useIncident(onChanged: () => void): {
  lock: (servers: string[] | 'all') => Promise<void>;
  accept: (name: string) => Promise<void>;
  view: ReactNode;
  busy: boolean;
} {
  const [locks, setLocks] = useState<LockResultView[] | undefined>();
  const [accepted, setAccepted] = useState<AcceptedIdentityView | undefined>();
  const task = useTask();
  const lock = async (servers: string[] | 'all'): Promise<void> => {
    setLocks(undefined);
    setAccepted(undefined);
    const done = await task.run(() => withPresence(() => call('lockServers', servers === 'all' ? { all: true } : { servers })));
    if (done) { setLocks(done); onChanged(); }
  };
  const accept = async (name: string): Promise<void> => {
    setLocks(undefined);
    setAccepted(undefined);
    const done = await task.run(() => withPresence(() => call('acceptServerIdentity', { name })));
    if (done) { setAccepted(done); onChanged(); }
  };
  const view = (
    <>
      {task.busy ? <Busy label={t('incident.working')} /> : null}
      <ErrorNotice error={task.error} />
      {locks ? <LockResults results={locks} /> : null}
      {accepted ? <AcceptedIdentity accepted={accepted} /> : null}
    </>
  );
  return { lock, accept, view, busy: task.busy };
}

/** "Lock all": the confirmation names every pinned server. */
export function LockAllButton({ names, disabled, onConfirm }: { names: string[]; disabled: boolean; onConfirm: () => void }): ReactNode {
  return (
    <ConfirmButton label={t('incident.lockAll')} disabled={disabled || names.length === 0}
      title={t('incident.lockAllTitle', { count: names.length })}
      message={<><p>{t('incident.lockAllMessage', { names: names.join(', ') })}</p><p>{t('incident.lockExplain')}</p></>}
      confirmLabel={t('incident.lockAllConfirm', { count: names.length })} onConfirm={onConfirm} />
  );
}

export function LockButton({ name, disabled, onConfirm }: { name: string; disabled: boolean; onConfirm: () => void }): ReactNode {
  return (
    <ConfirmButton label={t('incident.lock')} ariaLabel={t('incident.lockName', { name })} disabled={disabled}
      title={t('incident.lockTitle', { name })}
      message={<p>{t('incident.lockExplain')}</p>}
      confirmLabel={t('incident.lockName', { name })} onConfirm={onConfirm} />
  );
}

/** Offered for a server whose status is IDENTITY_MISMATCH: re-pins only with the receiver's signed hand-over chain. */
export function AcceptIdentityButton({ name, pinned, disabled, onConfirm }: { name: string; pinned: string | undefined; disabled: boolean; onConfirm: () => void }): ReactNode {
  return (
    <ConfirmButton label={t('incident.acceptNewIdentity')} ariaLabel={t('incident.acceptNewIdentityOf', { name })} disabled={disabled}
      title={t('incident.acceptTitle', { name })}
      message={(
        <>
          <p>{t('incident.pinnedIdentity')} <code className="wrap">{pinned ?? '—'}</code></p>
          <p>{t('incident.acceptExplain')}</p>
        </>
      )}
      confirmLabel={t('incident.acceptConfirm')} onConfirm={onConfirm} />
  );
}

function LockResults({ results }: { results: LockResultView[] }): ReactNode {
  return (
    <ul className="results" aria-label={t('incident.lockResults')}>
      {results.map((result) => (
        <li key={result.server} className={result.ok ? 'ok' : 'failed'} data-outcome={result.outcome}>
          <strong>{result.server}</strong>{': '}
          {result.ok
            ? t('incident.lockedResult', { was: result.wasState === 'unlocked' ? t('servers.unlocked') : t('waitForState.locked'), boot: result.bootId ?? '—', at: result.lockedAt ?? '—' })
            : result.outcome === 'refused' ? t('incident.lockRefused') : t('servers.failed')}
          {result.error ? <ResultError error={result.error} /> : null}
        </li>
      ))}
    </ul>
  );
}

function AcceptedIdentity({ accepted }: { accepted: AcceptedIdentityView }): ReactNode {
  return (
    <div className="notice ok" role="status" aria-label={t('incident.acceptResult')}>
      {accepted.changed ? (
        <>
          <p><strong>{t('incident.repinned', { name: accepted.server })}</strong></p>
          <p>{t('incident.oldIdentity')} <code className="wrap" data-testid="accepted-old">{accepted.oldIdentity}</code></p>
          <p>{t('incident.newIdentity')} <code className="wrap" data-testid="accepted-new">{accepted.newIdentity}</code></p>
          <p>{accepted.links === 1 ? t('incident.linksOne') : t('incident.linksMany', { count: accepted.links })}</p>
        </>
      ) : <p>{t('incident.unchanged', { name: accepted.server, identity: accepted.oldIdentity })}</p>}
    </div>
  );
}

/** One server's failure in a result list: the core's sentence, its hint and code. */
export function ResultError({ error }: { error: ErrorView }): ReactNode {
  return (
    <div role="alert" data-code={error.code}>
      <span>{error.message}</span>{error.hint ? <small> {error.hint}</small> : null}
      <small className="code"> ({error.code})</small>
    </div>
  );
}
