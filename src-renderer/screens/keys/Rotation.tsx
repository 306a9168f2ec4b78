import { useCallback, useEffect, useId, useState, type ReactNode } from 'react';
import type {
  ErrorView, KeyView, PushResultView, RotationFinished, RotationKeysView, RotationStatusView,
} from '../../../src-shared/contract.js';
import { ActionError, call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useInterval, useTask } from '../../hooks.js';
import { t } from '../../i18n/index.js';
import { withPresence } from '../../presence.js';
import { ResultError } from '../servers/Incident.js';

/**
 * Keys screen, "Rotate a key": the wizard of docs/rotation.md over `custodian rotate`'s core workflow. Begin
 * (new key, recorded, Vault KV entry written) → each server accepts the new id (the per-server table, from the
 * servers' signed status) → push both keys → re-encryption on each server (tokens under the previous key) →
 * finish, with the grace period counting down, and abort while no server holds the new key. The window names
 * keys and servers; the keys go from main to the servers and Vault.
 */
export function Rotation({ keys, rotation, onChanged }: { keys: KeyView[]; rotation: RotationKeysView | undefined; onChanged: () => void }): ReactNode {
  const [status, setStatus] = useState<RotationStatusView | undefined>();
  const [token, setToken] = useState('');
  const read = useTask();
  const open = rotation?.open ?? null;
  const withVault = Boolean(open?.vaultKv);
  const refresh = useCallback(() => read.run(async () => setStatus(await call('rotationStatus', token ? { token } : {}))), [read.run, token]);
  const [ended, setEnded] = useState<string[] | undefined>();
  // Read the servers when a rotation opens (or the window comes to it), not on every keystroke of the token.
  useEffect(() => { if (open) void refresh(); else setStatus(undefined); }, [open?.newKeyId]);
  return (
    <section className="card" aria-labelledby="rotation-title">
      <h2 id="rotation-title">{t('rotation.title')}</h2>
      <p>{t('rotation.lead')}</p>
      {!rotation ? <Busy label={t('rotation.reading')} /> : null}
      {rotation && !open ? <BeginRotation keys={keys} onBegun={() => { setEnded(undefined); onChanged(); }} /> : null}
      {open ? (
        <>
          {withVault ? <Field label={t('rotation.vaultToken')} value={token} onChange={setToken} secret hint={t('rotation.vaultTokenHint', { path: `${open.vaultKv!.mount}/${open.vaultKv!.path}` })} /> : null}
          <button type="button" onClick={() => void refresh()} disabled={read.busy}>{t('rotation.refresh')}</button>
          {read.busy ? <Busy label={t('rotation.askingServers')} /> : null}
          <ErrorNotice error={read.error} />
          {status?.open ? <OpenRotation status={status} keys={keys} token={token} onRefresh={() => void refresh()} onEnded={(lines) => { setEnded(lines); onChanged(); }} /> : null}
        </>
      ) : null}
      {ended ? <Outcome lines={ended} /> : null}
    </section>
  );
}

function keyLabel(keys: KeyView[], id: string): string {
  const key = keys.find((k) => k.id === id);
  return key ? `${key.name} (${id})` : id;
}

function KeySelect({ label, value, onChange, keys, first }: { label: string; value: string; onChange: (value: string) => void; keys: KeyView[]; first: string }): ReactNode {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{first}</option>
        {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
      </select>
    </div>
  );
}

function BeginRotation({ keys, onBegun }: { keys: KeyView[]; onBegun: () => void }): ReactNode {
  const [oldKey, setOldKey] = useState('');
  const [newKey, setNewKey] = useState('');
  const [name, setName] = useState('');
  const [grace, setGrace] = useState('30');
  const [vaultKv, setVaultKv] = useState('');
  const [profile, setProfile] = useState('');
  const [token, setToken] = useState('');
  const [noBackupCheck, setNoBackupCheck] = useState(false);
  const [warnings, setWarnings] = useState<string[]>([]);
  const task = useTask();
  return (
    <form aria-labelledby="rotation-begin-title" onSubmit={async (e) => {
      e.preventDefault();
      setWarnings([]);
      const graceDays = Number(grace);
      const begun = await task.run(async () => {
        try {
          return await call('rotationBegin', {
            key: oldKey, noBackupCheck, ...(newKey ? { newKey } : name.trim() ? { name: name.trim() } : {}),
            ...(grace.trim() ? { graceDays } : {}), ...(vaultKv.trim() ? { vaultKv: vaultKv.trim() } : {}),
            ...(profile.trim() ? { profile: profile.trim() } : {}), ...(token ? { token } : {}),
          });
        } catch (error) {
          // The generated key stays in the keychain: offer it for the next attempt (after a backup, or without one).
          const generated = error instanceof ActionError ? error.view.details?.['newKeyId'] : undefined;
          if (typeof generated === 'string') { setNewKey(generated); setName(''); onBegun(); }
          throw error;
        }
      });
      if (begun) { setToken(''); setWarnings(begun.warnings); onBegun(); }
    }}>
      <h3 id="rotation-begin-title">{t('rotation.beginTitle')}</h3>
      <KeySelect label={t('rotation.keyInUse')} value={oldKey} onChange={setOldKey} keys={keys} first={t('ageFiles.chooseAKey')} />
      <KeySelect label={t('rotation.newKey')} value={newKey} onChange={setNewKey} keys={keys.filter((k) => k.id !== oldKey)} first={t('rotation.generateNew')} />
      {newKey === '' ? <Field label={t('rotation.newKeyName')} value={name} onChange={setName} hint={t('rotation.newKeyNameHint')} /> : null}
      <Field label={t('rotation.graceDays')} value={grace} onChange={setGrace} type="number" hint={t('rotation.graceDaysHint')} />
      <Field label={t('rotation.vaultKv')} value={vaultKv} onChange={setVaultKv} hint={t('rotation.vaultKvHint')} />
      {vaultKv.trim() ? (
        <>
          <Field label={t('rotation.vaultProfile')} value={profile} onChange={setProfile} />
          <Field label={t('rotation.vaultToken')} value={token} onChange={setToken} secret />
        </>
      ) : null}
      <label className="check">
        <input type="checkbox" checked={noBackupCheck} onChange={(e) => setNoBackupCheck(e.target.checked)} />
        {t('rotation.noBackupCheck')}</label>
      <button type="submit" disabled={task.busy || oldKey === ''}>{t('rotation.begin')}</button>
      {task.busy ? <Busy label={t('rotation.beginning')} /> : null}
      <ErrorNotice error={task.error} />
      {warnings.map((w) => <p key={w} className="warning" role="note">{w}</p>)}
    </form>
  );
}

/** Days, hours and minutes until `end` (negative: the grace period is over), ticking every 30 s. */
function GraceCountdown({ end }: { end: string }): ReactNode {
  const [now, setNow] = useState(() => Date.now());
  useInterval(() => setNow(Date.now()), 30);
  const left = new Date(end).getTime() - now;
  const minutes = Math.floor(Math.abs(left) / 60_000);
  const parts = { days: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60), minutes: minutes % 60 };
  return (
    <p data-testid="grace-countdown" className={left < 0 ? 'warning' : undefined}>
      {left >= 0 ? t('rotation.graceLeft', { ...parts, end: new Date(end).toLocaleString() }) : t('rotation.graceOver', { ...parts, end: new Date(end).toLocaleString() })}
    </p>
  );
}

type Step = 'accept' | 'push' | 'reencrypt' | 'finish';

function currentStep(status: RotationStatusView): Step {
  const servers = status.servers;
  if (servers.some((s) => s.reachable && !s.acceptsNew && !s.done)) return 'accept';
  if (servers.some((s) => !s.done && (s.state !== 'unlocked' || !s.newIsCurrent))) return 'push';
  if (!status.ready) return 'reencrypt';
  return 'finish';
}

function OpenRotation({ status, keys, token, onRefresh, onEnded }: {
  status: RotationStatusView; keys: KeyView[]; token: string; onRefresh: () => void; onEnded: (lines: string[]) => void;
}): ReactNode {
  const open = status.open!;
  const [pushed, setPushed] = useState<PushResultView[] | undefined>();
  const [force, setForce] = useState(false);
  const task = useTask();
  const step = currentStep(status);
  const steps: Array<{ id: Step; label: string }> = [
    { id: 'accept', label: t('rotation.stepAccept', { id: open.newKeyId }) },
    { id: 'push', label: t('rotation.stepPush') },
    { id: 'reencrypt', label: t('rotation.stepReencrypt') },
    { id: 'finish', label: t('rotation.stepFinish') },
  ];
  const order = steps.map((s) => s.id);
  const vault = token ? { token } : {};
  const clear = (): void => setPushed(undefined);
  return (
    <div aria-labelledby="rotation-open-title" role="region">
      <h3 id="rotation-open-title">{t('rotation.openTitle', { old: keyLabel(keys, open.oldKeyId), new: keyLabel(keys, open.newKeyId) })}</h3>
      <p>{t('rotation.started', { at: new Date(open.started).toLocaleString() })}</p>
      <GraceCountdown end={open.graceEnd} />
      <ol className="steps" aria-label={t('rotation.steps')}>
        <li data-state="done">{t('rotation.stepBegin')} ✓</li>
        {steps.map((s) => {
          const state = order.indexOf(s.id) < order.indexOf(step) ? 'done' : s.id === step ? 'current' : 'todo';
          return <li key={s.id} data-state={state} aria-current={state === 'current' ? 'step' : undefined}>{s.label}{state === 'done' ? ' ✓' : ''}</li>;
        })}
      </ol>
      <table aria-label={t('rotation.serversTable')}>
        <thead><tr>
          <th scope="col">{t('rotation.server')}</th><th scope="col">{t('rotation.state')}</th><th scope="col">{t('rotation.installed')}</th>
          <th scope="col">{t('rotation.acceptsNew')}</th><th scope="col">{t('rotation.underPrevious')}</th><th scope="col">{t('rotation.next')}</th>
        </tr></thead>
        <tbody>
          {status.servers.map((s) => (
            <tr key={s.server} data-server={s.server}>
              <td>{s.server}</td>
              <td>{s.reachable ? (s.state ?? '—') : t('rotation.unreachable')}</td>
              <td><code className="wrap">{s.installedKeyIds.join(', ') || '—'}</code></td>
              <td>{s.acceptsNew ? t('rotation.yes') : t('rotation.no')}</td>
              <td>{s.tokensUnderPrevious === null ? t('rotation.notReported') : String(s.tokensUnderPrevious)}</td>
              <td>{s.done ? t('rotation.done') : s.blocker ? <ResultError error={s.blocker} /> : t('rotation.ready')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {status.notAccepting.length > 0 ? <p className="warning" role="note">{t('rotation.notAccepting', { names: status.notAccepting.join(', '), id: open.newKeyId })}</p> : null}
      {status.vault ? (
        <p data-testid="rotation-vault">{t('rotation.vaultEntry', {
          path: `${status.vault.mount}/${status.vault.path}`, version: status.vault.version, current: status.vault.currentKeyId ?? '—',
          previous: status.vault.previousKeyEmpty ? t('rotation.empty') : (status.vault.previousKeyId ?? '—'),
        })}{status.vault.currentKeyMatches ? '' : ` ${t('rotation.vaultMismatch')}`}</p>
      ) : open.vaultKv ? <p className="muted">{t('rotation.vaultNotRead', { path: `${open.vaultKv.mount}/${open.vaultKv.path}`, version: open.vaultKv.version })}</p> : null}
      <ErrorNotice error={status.vaultError ?? undefined} />
      <p role="status" data-testid="rotation-ready">{status.ready ? t('rotation.readyToFinish') : t('rotation.notReady')}</p>
      <label className="check">
        <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
        {t('rotation.force')}</label>
      <div className="buttons">
        <button type="button" disabled={task.busy} onClick={async () => {
          clear();
          const done = await task.run(() => call('rotationPush', {}));
          if (done) { setPushed(done); onRefresh(); }
        }}>{t('rotation.push')}</button>
        <ConfirmButton label={t('rotation.finish')} disabled={task.busy} title={t('rotation.finishTitle')}
          message={<p>{force ? t('rotation.finishForceExplain', { old: open.oldKeyId }) : t('rotation.finishExplain', { old: open.oldKeyId, new: open.newKeyId })}</p>}
          confirmLabel={t('rotation.finishConfirm')} onConfirm={async () => {
            clear();
            const done = await task.run(() => withPresence(() => call('rotationFinish', { force, ...vault })));
            if (done) onEnded(finishedLines(done));
          }} />
        <ConfirmButton label={t('rotation.abort')} disabled={task.busy} title={t('rotation.abortTitle')}
          message={<p>{t('rotation.abortExplain', { old: open.oldKeyId, new: open.newKeyId })}</p>}
          confirmLabel={t('rotation.abortConfirm')} onConfirm={async () => {
            clear();
            const done = await task.run(() => withPresence(() => call('rotationAbort', { force, ...vault })));
            if (done) onEnded([t('rotation.aborted', { old: done.oldKeyId, new: done.newKeyId }), ...done.warnings]);
          }} />
      </div>
      {task.busy ? <Busy label={t('rotation.working')} /> : null}
      <ErrorNotice error={task.error} />
      {pushed ? <PushResults results={pushed} /> : null}
    </div>
  );
}

function finishedLines(done: RotationFinished): string[] {
  return [
    t('rotation.finished', { old: done.oldKeyId, new: done.newKeyId }),
    ...done.rekeyed.map((r) => t('rotation.rekeyed', { name: r.server, keys: r.installedKeyIds?.join(', ') ?? done.newKeyId })),
    ...done.skipped.map((name) => t('rotation.skipped', { name })),
    ...(done.vaultVersion !== null ? [t('rotation.vaultWritten', { version: done.vaultVersion })] : []),
    ...done.warnings,
  ];
}

function PushResults({ results }: { results: PushResultView[] }): ReactNode {
  return (
    <ul className="results" aria-label={t('rotation.pushResults')}>
      {results.map((r) => (
        <li key={r.server} className={r.ok ? 'ok' : 'failed'} data-outcome={r.outcome}>
          <strong>{r.server}</strong>: {r.outcome} {r.keyIds.join(', ')}
          {r.error ? <ResultError error={r.error as ErrorView} /> : null}
        </li>
      ))}
    </ul>
  );
}

function Outcome({ lines }: { lines: string[] }): ReactNode {
  return <div className="notice ok" role="status" aria-label={t('rotation.outcome')}>{lines.map((line) => <p key={line}>{line}</p>)}</div>;
}
