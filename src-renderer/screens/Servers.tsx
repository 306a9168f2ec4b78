import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { AppInfo, IdentityView, KeyView, ProbeView, PushResultView, ServerStatusView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { ConfirmButton } from '../components/Confirm.js';
import { Busy, ErrorNotice, Field, NotAvailable, StateBadge } from '../components/common.js';
import { useTask } from '../hooks.js';
import { WaitForState } from './WaitForState.js';

export function Servers({ info }: { info: AppInfo | undefined }): ReactNode {
  const [servers, setServers] = useState<ServerStatusView[] | undefined>();
  const list = useTask();
  const pushOn = info?.features.push.available === true;
  const refresh = useCallback(() => list.run(async () => setServers(await call('serverStatus', {}))), [list.run]);
  useEffect(() => { if (pushOn) void refresh(); }, [refresh, pushOn]);

  if (info && !pushOn) return <NotAvailable feature={info.features.push} title="Servers" />;
  return (
    <div className="screen">
      <h1>Servers</h1>
      <p className="lead">Servers boot locked and wait for their data key. Push it here after a deploy or restart.</p>
      <Identity />
      <section className="card" aria-labelledby="servers-title">
        <div className="row">
          <h2 id="servers-title">Pinned servers</h2>
          <button type="button" onClick={() => void refresh()} disabled={list.busy}>Refresh status</button>
        </div>
        {list.busy && !servers ? <Busy label="Asking every server" /> : null}
        <ErrorNotice error={list.error} />
        {servers && servers.length === 0 ? <p>No servers yet. Add one below.</p> : null}
        {servers && servers.length > 0 ? <ServerTable servers={servers} onRemoved={() => void refresh()} /> : null}
      </section>
      <div className="columns">
        <AddServer onAdded={() => void refresh()} />
        {servers && servers.length > 0 ? <PushForm servers={servers} onPushed={() => void refresh()} /> : null}
      </div>
      {servers && servers.length > 0 ? <WaitForState onRound={setServers} /> : null}
    </div>
  );
}

function Identity(): ReactNode {
  const [identity, setIdentity] = useState<IdentityView | undefined>();
  const [copied, setCopied] = useState<string | undefined>();
  const task = useTask();
  return (
    <section className="card" aria-labelledby="identity-title">
      <h2 id="identity-title">This custodian's identity</h2>
      <p>Receivers accept pushes only from custodians listed in their authorized-custodians file.</p>
      {identity ? (
        <div className="row">
          <code className="wrap" role="group" aria-label="Authorized-custodians entry">{identity.line}</code>
          <button type="button" onClick={async () => {
            setCopied(undefined);
            const done = await task.run(() => call('copyText', { text: identity.line }));
            if (done) setCopied(`Copied; the clipboard clears in ${done.clearsAfterSeconds} s.`);
          }}>Copy entry</button>
        </div>
      ) : (
        <button type="button" disabled={task.busy} onClick={async () => { const got = await task.run(() => call('custodianIdentity', {})); if (got) setIdentity(got); }}>Show identity entry</button>
      )}
      {copied ? <p role="status">{copied}</p> : null}
      <ErrorNotice error={task.error} />
    </section>
  );
}

function ServerTable({ servers, onRemoved }: { servers: ServerStatusView[]; onRemoved: () => void }): ReactNode {
  const task = useTask();
  return (
    <>
      <table aria-label="Servers">
        <thead><tr><th scope="col">Name</th><th scope="col">URL</th><th scope="col">State</th><th scope="col">Expects key</th><th scope="col">Actions</th></tr></thead>
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
              <td>
                <ConfirmButton label="Remove" ariaLabel={`Remove ${server.name}`} disabled={task.busy}
                  title={`Remove ${server.name}?`}
                  message={<p>Key Custodian forgets this server and its pinned identity. To push to it again you must add it and compare its fingerprint anew. The server itself is not changed.</p>}
                  confirmLabel={`Remove ${server.name}`}
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
      <h2 id="add-server-title">Add a server</h2>
      <Field label="Server name" value={name} onChange={setName} placeholder="mail-helper-1" />
      <Field label="Receiver URL" value={url} onChange={(v) => { setUrl(v); setProbe(undefined); }} placeholder="http://10.0.0.7:8443" />
      {probe ? (
        <div className="fingerprint" role="group" aria-label="Server identity">
          <span>Identity fingerprint reported by the server ({probe.state})</span>
          <code data-testid="server-identity">{probe.identity}</code>
          <Field label="Fingerprint from the deploy output (optional)" value={expected} onChange={setExpected} />
          {typedMatches ? <p className="notice ok" role="status">The fingerprints match.</p> : null}
          {typedDiffers ? <p className="notice error" role="alert">The fingerprints differ: do not add this server. Something may be impersonating it.</p> : null}
          <label className="check">
            <input type="checkbox" checked={compared} onChange={(e) => setCompared(e.target.checked)} />
            I compared this fingerprint with the one the server's deploy printed
          </label>
        </div>
      ) : null}
      <button type="submit" disabled={task.busy || (probe !== undefined && (typedDiffers || !(compared || typedMatches)))}>
        {probe ? 'Pin identity and add server' : 'Fetch server identity'}
      </button>
      {task.busy ? <Busy label={probe ? 'Adding' : 'Contacting the receiver'} /> : null}
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
  const load = useTask();
  const task = useTask();
  useEffect(() => { void load.run(async () => { const all = await call('listKeys', {}); setKeys(all); if (all[0]) setKey(all[0].id); }); }, [load.run]);
  return (
    <form className="card" aria-labelledby="push-title" onSubmit={async (e) => {
      e.preventDefault();
      setResults(undefined);
      const done = await task.run(() => call('pushKey', { key, servers: chosen, ...(previous ? { previous: [previous] } : {}) }));
      if (done) { setResults(done); onPushed(); }
    }}>
      <h2 id="push-title">Push a key</h2>
      <ErrorNotice error={load.error} />
      <div className="field">
        <label htmlFor="push-key">Key to push</label>
        <select id="push-key" value={key} onChange={(e) => setKey(e.target.value)}>
          {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="push-previous">Previous key (during a rotation)</label>
        <select id="push-previous" value={previous} onChange={(e) => setPrevious(e.target.value)}>
          <option value="">None</option>
          {keys.filter((k) => k.id !== key).map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <fieldset>
        <legend>Servers</legend>
        {servers.map((server) => (
          <label className="check" key={server.name}>
            <input type="checkbox" checked={chosen.includes(server.name)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, server.name] : chosen.filter((n) => n !== server.name))} />
            {server.name} <StateBadge state={!server.reachable ? 'unreachable' : server.state ?? 'unknown'} />
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={task.busy || !key || chosen.length === 0}>Push key</button>
      {task.busy ? <Busy label={`Pushing to ${chosen.length} server${chosen.length === 1 ? '' : 's'}`} /> : null}
      <ErrorNotice error={task.error} />
      {results ? (
        <ul className="results" aria-label="Push results">
          {results.map((result) => (
            <li key={result.server} className={result.ok ? 'ok' : 'failed'}>
              <strong>{result.server}</strong>: {result.outcome === 'unlocked' ? 'unlocked' : result.outcome === 'already-unlocked' ? 'already unlocked with these keys' : result.outcome === 'refused' ? 'refused, still locked' : 'failed'}
              {result.receipt ? (
                <small> — receipt: server {result.receipt.serverId}, boot {result.receipt.bootId}, keys {result.receipt.keyIds.join(', ')}, at {result.receipt.time}</small>
              ) : null}
              {result.error ? (
                <div role="alert" data-code={result.error.code}>
                  <span>{result.error.message}</span>{result.error.hint ? <small> {result.error.hint}</small> : null}
                  <small className="code"> ({result.error.code})</small>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
