import { useEffect, useState, type ReactNode } from 'react';
import type { AppInfo, Settings, WatchState } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { ErrorNotice, StateBadge } from '../components/common.js';
import { useInterval, useTask } from '../hooks.js';
import type { Screen } from '../App.js';

/**
 * What main's watchers last saw (src-main/app/watchers.ts): they poll servers and the nodes of every saved Vault
 * profile whatever screen is open and while the app is locked, and raise the notifications. This screen only
 * reads their state (a memory read in main, every 2 s), so it shows the last known state at once.
 */
export function Dashboard({ info, settings, go }: { info: AppInfo | undefined; settings: Settings; go: (screen: Screen) => void }): ReactNode {
  const [watch, setWatch] = useState<WatchState | undefined>();
  const [keyCount, setKeyCount] = useState<number | undefined>();
  const state = useTask();
  const keys = useTask();
  const vaultOn = info?.features.vault.available === true;
  const pushOn = info?.features.push.available === true;

  useEffect(() => {
    if (info?.features.keys.available) void keys.run(async () => setKeyCount((await call('listKeys', {})).length));
  }, [info, keys.run]);
  useInterval(() => { void state.run(async () => setWatch(await call('watchState', {}))); }, 2);

  const checked = watch?.checkedAt ? new Date(watch.checkedAt) : undefined;
  return (
    <div className="screen">
      <h1>Dashboard</h1>
      <p className="lead">
        {checked
          ? `Checked at ${checked.toLocaleTimeString()}; Key Custodian checks every ${watch?.intervalSeconds ?? settings.watchIntervalSeconds} s, also while locked.`
          : 'Checking…'}
      </p>
      <ErrorNotice error={state.error} />
      <div className="columns">
        <section className="card" aria-labelledby="dash-vault">
          <h2 id="dash-vault">Vault cluster</h2>
          {!vaultOn ? <p className="muted">{info?.features.vault.reason ?? 'Loading…'}</p> : null}
          {vaultOn && watch && watch.vault.length === 0
            ? <p>No saved Vault profile: the watchers follow saved profiles. <button type="button" className="link" onClick={() => go('vault')}>Open Vault</button>.</p>
            : null}
          {vaultOn && watch ? watch.vault.map((entry) => (
            <div key={entry.profile}>
              {watch.vault.length > 1 ? <h3>{entry.profile}</h3> : null}
              <ErrorNotice error={entry.error} />
              {entry.nodes ? (
                <ul className="status-list" aria-label={`Vault nodes of ${entry.profile}`}>
                  {entry.nodes.map((node) => (
                    <li key={node.addr}>
                      <span className="addr">{node.addr}</span>
                      <StateBadge state={!node.reachable ? 'unreachable' : node.initialized === false ? 'uninitialized' : node.sealed ? 'sealed' : 'unsealed'} />
                      {node.reachable && node.sealed ? <span className="muted"> {node.progress ?? 0}/{node.threshold ?? '?'} shares</span> : null}
                      {node.isLeader ? <span className="muted">leader</span> : null}
                    </li>
                  ))}
                </ul>
              ) : null}
            </div>
          )) : null}
        </section>
        <section className="card" aria-labelledby="dash-servers">
          <h2 id="dash-servers">Servers</h2>
          {!pushOn ? <p className="muted">{info?.features.push.reason ?? 'Loading…'}</p> : null}
          <ErrorNotice error={watch?.serversError} />
          {pushOn && watch?.servers && watch.servers.length === 0 ? <p>No servers pinned yet. <button type="button" className="link" onClick={() => go('servers')}>Add a server</button>.</p> : null}
          {pushOn && watch?.servers && watch.servers.length > 0 ? (
            <ul className="status-list" aria-label="Servers">
              {watch.servers.map((server) => (
                <li key={server.name}>
                  <span className="addr">{server.name}</span>
                  <StateBadge state={!server.reachable ? 'unreachable' : server.state ?? 'unknown'} />
                  <span className="muted">{server.url}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
        <section className="card" aria-labelledby="dash-keys">
          <h2 id="dash-keys">Keys</h2>
          <ErrorNotice error={keys.error} />
          <p>{keyCount === undefined ? '…' : `${keyCount} key${keyCount === 1 ? '' : 's'} in the keychain.`}</p>
          <button type="button" onClick={() => go('keys')}>Open keys</button>
        </section>
        <section className="card" aria-labelledby="dash-history">
          <h2 id="dash-history">Alerts and changes</h2>
          {watch && watch.history.length === 0 ? <p className="muted">Nothing changed since Key Custodian started.</p> : null}
          {watch && watch.history.length > 0 ? (
            <ol className="status-list" aria-label="Watch history">
              {watch.history.slice(0, 20).map((event) => (
                <li key={`${event.at} ${event.kind} ${event.subject}`} className={event.kind === 'server-locked' || event.kind === 'node-sealed' ? 'alert' : undefined}>
                  <time dateTime={event.at}>{new Date(event.at).toLocaleTimeString()}</time> {event.message}
                </li>
              ))}
            </ol>
          ) : null}
        </section>
      </div>
    </div>
  );
}
