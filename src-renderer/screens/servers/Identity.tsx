import { useState, type ReactNode } from 'react';
import { revocationPhrase, type DeliveryView, type IdentityStatusView, type RevocationView, type RotationView, type StatementView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field, fieldErrors } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { t } from '../../i18n/index.js';
import { withPresence } from '../../presence.js';
import { ResultError } from './Incident.js';

/**
 * Servers screen, "This custodian's identity": the desktop face of `custodian identity show|rotate|revoke`
 * (docs/protocol.md §12.5). The signing keys stay in the OS keychain; the window sees fingerprints, statements
 * and where each server stands. Rotate and revoke ask for presence (main decides, guard.ts).
 */
export function IdentitySection({ serverCount }: { serverCount: number }): ReactNode {
  const [status, setStatus] = useState<IdentityStatusView | undefined>();
  const [copied, setCopied] = useState<string | undefined>();
  const task = useTask();
  const load = async (): Promise<void> => { const got = await task.run(() => call('identityStatus', {})); if (got) setStatus(got); };
  return (
    <section className="card" aria-labelledby="identity-title">
      <h2 id="identity-title">{t('servers.thisCustodianSIdentity')}</h2>
      <p>{t('servers.receiversAcceptPushesOnlyFrom')}</p>
      {status ? (
        <>
          <p>{t('identity.fingerprint')} <code className="wrap" data-testid="custodian-fingerprint">{status.fingerprint}</code></p>
          <div className="row">
            <code className="wrap" role="group" aria-label={t('servers.authorizedCustodiansEntry')}>{status.line}</code>
            <button type="button" onClick={async () => {
              setCopied(undefined);
              const done = await task.run(() => call('copyText', { text: status.line }));
              if (done) setCopied(t('servers.copied', { seconds: done.clearsAfterSeconds }));
            }}>{t('servers.copyEntry')}</button>
          </div>
          {status.retired ? <p className="muted">{t('identity.retiredKept')} <code className="wrap">{status.retired}</code></p> : null}
        </>
      ) : (
        <button type="button" disabled={task.busy} onClick={() => void load()}>{t('servers.showIdentityEntry')}</button>
      )}
      {copied ? <p role="status">{copied}</p> : null}
      <ErrorNotice error={task.error} />
      {status ? (
        <>
          <Pending status={status} onStatus={setStatus} />
          <div className="columns">
            <Rotate serverCount={serverCount} onDone={() => void load()} />
            <Revoke own={status.fingerprint} serverCount={serverCount} onDone={() => void load()} />
          </div>
        </>
      ) : null}
    </section>
  );
}

/** Statements some server has not acknowledged, why, and "Send again" (what the next push or lock would do first). */
function Pending({ status, onStatus }: { status: IdentityStatusView; onStatus: (next: IdentityStatusView) => void }): ReactNode {
  const [sent, setSent] = useState<DeliveryView[] | undefined>();
  const task = useTask();
  return (
    <section aria-labelledby="pending-title">
      <h3 id="pending-title">{t('identity.pendingTitle')}</h3>
      {status.pending.length === 0 ? <p>{t('identity.nonePending')}</p> : (
        <>
          <ul className="results" aria-label={t('identity.pendingTitle')}>
            {status.pending.map((statement) => <StatementItem key={statement.id} statement={statement} />)}
          </ul>
          <button type="button" disabled={task.busy} onClick={async () => {
            setSent(undefined);
            const done = await task.run(() => call('resendStatements', {}));
            if (done) { setSent(done.deliveries); onStatus(done.status); }
          }}>{t('identity.sendAgain')}</button>
        </>
      )}
      {task.busy ? <Busy label={t('identity.sending')} /> : null}
      <ErrorNotice error={task.error} />
      {sent ? <Deliveries deliveries={sent} label={t('identity.sentAgain')} /> : null}
    </section>
  );
}

function StatementItem({ statement }: { statement: StatementView }): ReactNode {
  const waiting = statement.servers.filter((s) => s.state !== 'acknowledged');
  return (
    <li className="failed" data-statement={statement.id}>
      <strong>{statement.type === 'handover'
        ? t('identity.handoverStatement', { from: statement.signer, to: statement.subject, id: statement.id })
        : t('identity.revocationStatement', { subject: statement.subject, id: statement.id })}</strong>
      <ul>
        {waiting.map((s) => (
          <li key={s.server} data-server={s.server}>
            {s.state === 'refused'
              ? t('identity.refusedFinal', { server: s.server, code: s.code ?? '—' })
              : s.code ? t('identity.pendingRetry', { server: s.server, code: s.code }) : t('identity.pendingNotSent', { server: s.server })}
          </li>
        ))}
      </ul>
    </li>
  );
}

/** Where a statement went now: applied, already applied, or why not (the core's sentence). */
function Deliveries({ deliveries, label }: { deliveries: DeliveryView[]; label: string }): ReactNode {
  if (deliveries.length === 0) return <p>{t('identity.noServers')}</p>;
  return (
    <ul className="results" aria-label={label}>
      {deliveries.map((d) => (
        <li key={`${d.server}-${d.statement}`} className={d.ok ? 'ok' : 'failed'}>
          <strong>{d.server}</strong>{': '}
          {d.ok ? (d.applied === false ? t('identity.alreadyApplied') : t('identity.applied')) : t('identity.notDelivered')}
          {d.error ? <ResultError error={d.error} /> : null}
        </li>
      ))}
    </ul>
  );
}

function Rotate({ serverCount, onDone }: { serverCount: number; onDone: () => void }): ReactNode {
  const [label, setLabel] = useState('');
  const [forgetOld, setForgetOld] = useState(false);
  const [done, setDone] = useState<RotationView | undefined>();
  const task = useTask();
  const errors = fieldErrors(task.error);
  return (
    <form className="card" aria-labelledby="rotate-title" onSubmit={(e) => e.preventDefault()}>
      <h3 id="rotate-title">{t('identity.rotateTitle')}</h3>
      <p>{t('identity.rotateLead')}</p>
      <Field label={t('identity.newLabel')} value={label} onChange={setLabel} placeholder={t('identity.labelExample')} error={errors['label']} />
      <label className="check">
        <input type="checkbox" checked={forgetOld} onChange={(e) => setForgetOld(e.target.checked)} />
        {t('identity.forgetOld')}
      </label>
      <ConfirmButton label={t('identity.rotate')} disabled={task.busy || label.trim() === ''}
        title={t('identity.rotateConfirmTitle')}
        message={<p>{t('identity.rotateConfirmMessage', { count: serverCount })}</p>}
        confirmLabel={t('identity.rotate')}
        onConfirm={async () => {
          setDone(undefined);
          const result = await task.run(() => withPresence(() => call('rotateIdentity', { label, ...(forgetOld ? { forgetOld: true } : {}) })));
          if (result) { setDone(result); setLabel(''); setForgetOld(false); onDone(); }
        }} />
      {task.busy ? <Busy label={t('identity.rotating')} /> : null}
      {task.error && Object.keys(errors).length === 0 ? <ErrorNotice error={task.error} /> : null}
      {done ? (
        <div role="status" aria-label={t('identity.rotationResult')}>
          <p>{t('identity.newIdentityLine')} <code className="wrap" data-testid="rotated-line">{done.line}</code></p>
          <p>{t('identity.handoverSigned', { from: done.oldIdentity, id: done.statement.id })}</p>
          <Deliveries deliveries={done.deliveries} label={t('identity.deliveries')} />
          <p>{done.oldForgotten ? t('identity.oldForgotten') : t('identity.oldKept')}</p>
        </div>
      ) : null}
    </form>
  );
}

function Revoke({ own, serverCount, onDone }: { own: string; serverCount: number; onDone: () => void }): ReactNode {
  const [fingerprint, setFingerprint] = useState('');
  const [done, setDone] = useState<RevocationView | undefined>();
  const task = useTask();
  const errors = fieldErrors(task.error);
  const typed = fingerprint.trim();
  const wellFormed = /^ed25519:[A-Za-z0-9_-]{43}$/.test(typed);
  return (
    <form className="card" aria-labelledby="revoke-title" onSubmit={(e) => e.preventDefault()}>
      <h3 id="revoke-title">{t('identity.revokeTitle')}</h3>
      <p>{t('identity.revokeLead')}</p>
      <Field label={t('identity.fingerprintToRevoke')} value={fingerprint} onChange={setFingerprint} placeholder={t('identity.fingerprintPlaceholder')} error={errors['fingerprint']} />
      {typed === own ? <p className="notice error" role="alert">{t('identity.revokesSelf')}</p> : null}
      <ConfirmButton label={t('identity.revoke')} disabled={task.busy || !wellFormed}
        title={t('identity.revokeConfirmTitle')}
        message={<><p>{t('identity.revokeConfirmMessage', { count: serverCount })}</p><p><code className="wrap">{typed}</code></p></>}
        phrase={wellFormed ? revocationPhrase(typed) : undefined}
        confirmLabel={t('identity.revoke')}
        onConfirm={async (confirmation) => {
          setDone(undefined);
          const result = await task.run(() => withPresence(() => call('revokeCustodian', { fingerprint: typed, confirmation })));
          if (result) { setDone(result); setFingerprint(''); onDone(); }
        }} />
      {task.busy ? <Busy label={t('identity.revoking')} /> : null}
      {task.error && Object.keys(errors).length === 0 ? <ErrorNotice error={task.error} /> : null}
      {done ? (
        <div role="status" aria-label={t('identity.revocationResult')}>
          <p>{t('identity.revocationSigned', { subject: done.revoked, id: done.statement.id })}</p>
          <Deliveries deliveries={done.deliveries} label={t('identity.deliveries')} />
        </div>
      ) : null}
    </form>
  );
}
