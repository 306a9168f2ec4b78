import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AppInfo, KeyView, ProbeView, PushResultView, ServerStatusView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { ConfirmButton } from '../components/Confirm.js';
import { Busy, ErrorNotice, Field, NotAvailable, StateBadge } from '../components/common.js';
import { useTask } from '../hooks.js';
import { WaitForState } from './WaitForState.js';
import { IdentitySection } from './servers/Identity.js';
import { AcceptIdentityButton, LockAllButton, LockButton, ResultError, useIncident } from './servers/Incident.js';
import { t } from '../i18n/index.js';

export function Servers({ info }: { info: AppInfo | undefined }): ReactNode {
  const [servers, setServers] = useState<ServerStatusView[] | undefined>();
  /** Pinned identity per server name (shown when a server presents another one). */
  const [pinned, setPinned] = useState<Record<string, string>>({});
  const list = useTask();
  const pushOn = info?.features.push.available === true;
  const refresh = useCallback(() => list.run(async () => {
    setServers(await call('serverStatus', {}));
    setPinned(Object.fromEntries((await call('listServers', {})).map((s) => [s.name, s.identity])));
  }), [list.run]);
  const incident = useIncident(() => void refresh());
  useEffect(() => { if (pushOn) void refresh(); }, [refresh, pushOn]);

  if (info && !pushOn) return <NotAvailable feature={info.features.push} title={t('dashboard.servers')} />;
  return (
    <div className="screen">
      <h1>{t('dashboard.servers')}</h1>
      <p className="lead">{t('servers.serversBootLockedAndWait')}</p>
      <IdentitySection serverCount={servers?.length ?? 0} />
      <section className="card" aria-labelledby="servers-title">
        <div className="row">
          <h2 id="servers-title">{t('servers.pinnedServers')}</h2>
          <button type="button" onClick={() => void refresh()} disabled={list.busy}>{t('servers.refreshStatus')}</button>
          {servers && servers.length > 0
            ? <LockAllButton names={servers.map((s) => s.name)} disabled={incident.busy} onConfirm={() => void incident.lock('all')} />
            : null}
        </div>
        {list.busy && !servers ? <Busy label={t('servers.askingEveryServer')} /> : null}
        <ErrorNotice error={list.error} />
        {servers && servers.length === 0 ? <p>{t('servers.noServersYetAddOne')}</p> : null}
        {servers && servers.length > 0 ? <ServerTable servers={servers} pinned={pinned} incident={incident} onRemoved={() => void refresh()} /> : null}
        {incident.view}
      </section>
      <div className="columns">
        <AddServer onAdded={() => void refresh()} />
        {servers && servers.length > 0 ? <PushForm servers={servers} onPushed={() => void refresh()} /> : null}
      </div>
      {servers && servers.length > 0 ? <WaitForState onRound={setServers} /> : null}
    </div>
  );
}

function ServerTable({ servers, pinned, incident, onRemoved }: {
  servers: ServerStatusView[];
  pinned: Record<string, string>;
  incident: ReturnType<typeof useIncident>;
  onRemoved: () => void;
}): ReactNode {
  const task = useTask();
  return (
    <>
      <table aria-label={t('dashboard.servers')}>
        <thead><tr><th scope="col">{t('keys.name')}</th><th scope="col">{t('servers.url')}</th><th scope="col">{t('servers.state')}</th><th scope="col">{t('servers.expectsKey')}</th><th scope="col">{t('keys.actions')}</th></tr></thead>
        <tbody>
          {servers.map((server) => (
            <tr key={server.name}>
              <td>{server.name}</td>
              <td><code>{server.url}</code></td>
              <td>
                <StateBadge state={!server.reachable ? 'unreachable' : server.state ?? 'unknown'} />
                {server.error ? <small className="muted"> {server.error.message}</small> : null}
              </td>
              <td>{server.expectedKeyIds?.map((id) => <code key={id} className="key-id">{id}</code>) ?? '—'}</td>
              <td className="actions">
                {server.error?.code === 'IDENTITY_MISMATCH'
                  ? <AcceptIdentityButton name={server.name} pinned={pinned[server.name]} disabled={incident.busy} onConfirm={() => void incident.accept(server.name)} />
                  : null}
                <LockButton name={server.name} disabled={incident.busy} onConfirm={() => void incident.lock([server.name])} />
                <ConfirmButton label={t('servers.remove')} ariaLabel={t('servers.removeName', { name: server.name })} disabled={task.busy}
                  title={t('servers.removeTitle', { name: server.name })}
                  message={<p>{t('servers.keyCustodianForgetsThisServer')}</p>}
                  confirmLabel={t('servers.removeName', { name: server.name })}
                  onConfirm={async () => { if (await task.run(() => call('removeServer', { name: server.name }))) onRemoved(); }} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorNotice error={task.error} />
    </>
  );
}

/** Add a server: first fetch its identity, then the officer confirms it against the deploy output. */
function AddServer({ onAdded }: { onAdded: () => void }): ReactNode {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [probe, setProbe] = useState<ProbeView | undefined>();
  const [expected, setExpected] = useState('');
  const [compared, setCompared] = useState(false);
  const task = useTask();
  const typedMatches = expected.trim() !== '' && probe !== undefined && expected.trim() === probe.identity;
  const typedDiffers = expected.trim() !== '' && probe !== undefined && expected.trim() !== probe.identity;
  return (
    <form className="card" aria-labelledby="add-server-title" onSubmit={async (e) => {
      e.preventDefault();
      if (!probe) {
        const got = await task.run(() => call('probeServer', { url }));
        if (got) setProbe(got);
        return;
      }
      const added = await task.run(() => call('addServer', { name, url, identity: probe.identity }));
      if (added) { setName(''); setUrl(''); setProbe(undefined); setExpected(''); setCompared(false); onAdded(); }
    }}>
      <h2 id="add-server-title">{t('dashboard.addAServer')}</h2>
      <Field label={t('servers.serverName')} value={name} onChange={setName} placeholder={t('servers.mailHelper1')} />
      <Field label={t('servers.receiverUrl')} value={url} onChange={(v) => { setUrl(v); setProbe(undefined); }} placeholder={t('servers.http10007')} />
      {probe ? (
        <div className="fingerprint" role="group" aria-label={t('servers.serverIdentity')}>
          <span>{t('servers.identityFingerprintReportedByThe')}{probe.state})</span>
          <code data-testid="server-identity">{probe.identity}</code>
          <Field label={t('servers.fingerprintFromTheDeployOutput')} value={expected} onChange={setExpected} />
          {typedMatches ? <p className="notice ok" role="status">{t('servers.theFingerprintsMatch')}</p> : null}
          {typedDiffers ? <p className="notice error" role="alert">{t('servers.theFingerprintsDifferDoNot')}</p> : null}
          <label className="check">
            <input type="checkbox" checked={compared} onChange={(e) => setCompared(e.target.checked)} />
            {t('servers.iComparedThisFingerprintWith')}</label>
        </div>
      ) : null}
      <button type="submit" disabled={task.busy || (probe !== undefined && (typedDiffers || !(compared || typedMatches)))}>
        {probe ? t('servers.pinIdentityAndAddServer') : t('servers.fetchServerIdentity')}
      </button>
      {task.busy ? <Busy label={probe ? t('servers.adding') : t('servers.contactingTheReceiver')} /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function PushForm({ servers, onPushed }: { servers: ServerStatusView[]; onPushed: () => void }): ReactNode {
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [key, setKey] = useState('');
  const [previous, setPrevious] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [results, setResults] = useState<PushResultView[] | undefined>();
  /** `push --allow-older-current-key`: offered only after a key-order refusal, and only when ticked. */
  const [allowOlder, setAllowOlder] = useState(false);
  /** `push --vault-role`: a Vault login for each server (protocol §12.13); the token is sent once, never kept. */
  const [vaultOn, setVaultOn] = useState(false);
  const [vaultRole, setVaultRole] = useState('');
  const [vaultProfile, setVaultProfile] = useState('');
  const tokenRef = useRef<HTMLInputElement>(null);
  const keyOrderRefused = results?.some((r) => typeof r.error?.details?.['newest_key'] === 'string') ?? false;
  /** `push --drop-previous`: offered only after a REKEY_KEY_IN_USE refusal (protocol §12.12), and only when ticked. */
  const [dropPrevious, setDropPrevious] = useState(false);
  const keyInUse = results?.some((r) => r.error?.code === 'REKEY_KEY_IN_USE') ?? false;
  const load = useTask();
  const task = useTask();
  useEffect(() => { void load.run(async () => { const all = await call('listKeys', {}); setKeys(all); if (all[0]) setKey(all[0].id); }); }, [load.run]);
  return (
    <form className="card" aria-labelledby="push-title" onSubmit={async (e) => {
      e.preventDefault();
      setResults(undefined);
      const token = tokenRef.current?.value ?? '';
      if (tokenRef.current) tokenRef.current.value = ''; // the token goes to main with this call and is not kept here
      const vaultLogin = vaultOn ? { vaultLogin: { role: vaultRole, profile: vaultProfile, token } } : {};
      const done = await task.run(() => call('pushKey', { key, servers: chosen, ...(previous ? { previous: [previous] } : {}), ...(allowOlder ? { allowOlderCurrentKey: true } : {}), ...(dropPrevious ? { dropPrevious: true } : {}), ...vaultLogin }));
      if (done) { setResults(done); setAllowOlder(false); setDropPrevious(false); onPushed(); }
    }}>
      <h2 id="push-title">{t('servers.pushAKey')}</h2>
      <ErrorNotice error={load.error} />
      <div className="field">
        <label htmlFor="push-key">{t('servers.keyToPush')}</label>
        <select id="push-key" value={key} onChange={(e) => setKey(e.target.value)}>
          {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="push-previous">{t('servers.previousKeyDuringARotation')}</label>
        <select id="push-previous" value={previous} onChange={(e) => setPrevious(e.target.value)}>
          <option value="">{t('servers.none')}</option>
          {keys.filter((k) => k.id !== key).map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <fieldset>
        <legend>{t('dashboard.servers')}</legend>
        {servers.map((server) => (
          <label className="check" key={server.name}>
            <input type="checkbox" checked={chosen.includes(server.name)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, server.name] : chosen.filter((n) => n !== server.name))} />
            {server.name} <StateBadge state={!server.reachable ? 'unreachable' : server.state ?? 'unknown'} />
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={vaultOn} onChange={(e) => setVaultOn(e.target.checked)} />
        {t('servers.vaultLoginOption')}
      </label>
      {vaultOn ? (
        <fieldset>
          <legend>{t('servers.vaultLogin')}</legend>
          <div className="field">
            <label htmlFor="push-vault-role">{t('servers.vaultRole')}</label>
            <input id="push-vault-role" value={vaultRole} onChange={(e) => setVaultRole(e.target.value)} autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="push-vault-profile">{t('servers.vaultProfile')}</label>
            <input id="push-vault-profile" value={vaultProfile} onChange={(e) => setVaultProfile(e.target.value)} autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="push-vault-token">{t('servers.vaultToken')}</label>
            <input id="push-vault-token" type="password" ref={tokenRef} autoComplete="off" />
          </div>
        </fieldset>
      ) : null}
      {keyOrderRefused || allowOlder ? (
        <div className="notice error" role="group" aria-label={t('servers.keyOrderOverride')}>
          <p>{t('servers.keyOrderExplain')}</p>
          <label className="check">
            <input type="checkbox" checked={allowOlder} onChange={(e) => setAllowOlder(e.target.checked)} />
            {t('servers.allowOlderCurrentKey')}
          </label>
        </div>
      ) : null}
      {keyInUse || dropPrevious ? (
        <div className="notice error" role="group" aria-label={t('servers.dropPreviousOverride')}>
          <p>{t('servers.dropPreviousExplain')}</p>
          <label className="check">
            <input type="checkbox" checked={dropPrevious} onChange={(e) => setDropPrevious(e.target.checked)} />
            {t('servers.dropPrevious')}
          </label>
        </div>
      ) : null}
      <button type="submit" disabled={task.busy || !key || chosen.length === 0}>{t('servers.pushKey')}</button>
      {task.busy ? <Busy label={chosen.length === 1 ? t('servers.pushingOne') : t('servers.pushingMany', { count: chosen.length })} /> : null}
      <ErrorNotice error={task.error} />
      {results ? (
        <ul className="results" aria-label={t('servers.pushResults')}>
          {results.map((result) => (
            <li key={result.server} className={result.ok ? 'ok' : 'failed'}>
              <strong>{result.server}</strong>: {result.outcome === 'unlocked' ? t('servers.unlocked') : result.outcome === 'rekeyed' ? t('servers.rekeyedInPlace') : result.outcome === 'already-unlocked' ? t('servers.alreadyUnlockedWithTheseKeys') : result.outcome === 'refused' ? t('servers.refusedStillLocked') : t('servers.failed')}
              {result.receipt ? (
                <small> {t('servers.receiptServer')}{result.receipt.serverId}{t('servers.boot')}{result.receipt.bootId}{t('servers.keys')}{result.receipt.keyIds.join(', ')}{t('servers.at')}{result.receipt.time}</small>
              ) : null}
              {result.warnings?.map((warning) => <p key={warning} className="warning" role="note">{t('servers.warning')} {warning}</p>)}
              {result.error ? <ResultError error={result.error} /> : null}
              {result.vaultLogin ? (
                <p className={result.vaultLogin.delivered ? undefined : 'warning'} role="note">
                  {result.vaultLogin.delivered
                    ? t('servers.vaultLoginDelivered', { role: result.vaultLogin.role })
                    : t('servers.vaultLoginNotDelivered', { role: result.vaultLogin.role, state: result.vaultLogin.state })}
                  {result.vaultLogin.hint ? <small> {result.vaultLogin.hint}</small> : null}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
