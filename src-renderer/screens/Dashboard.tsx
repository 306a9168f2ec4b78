import { useCallback, useRef, useState, type ReactNode } from 'react';
import type { AppInfo, ServerStatusView, Settings, VaultNodeView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { ErrorNotice, StateBadge } from '../components/common.js';
import { useClusterTarget, useInterval, useTask } from '../hooks.js';
import type { Screen } from '../App.js';

export function Dashboard({ info, settings, go }: { info: AppInfo | undefined; settings: Settings; go: (screen: Screen) => void }): ReactNode {
  const [target] = useClusterTarget();
  const addrs = target.addrs;
  const [nodes, setNodes] = useState<VaultNodeView[] | undefined>();
  const [servers, setServers] = useState<ServerStatusView[] | undefined>();
  const [keyCount, setKeyCount] = useState<number | undefined>();
  const [checked, setChecked] = useState<Date | undefined>();
  const vault = useTask();
  const push = useTask();
  const keys = useTask();
  const lastStates = useRef(new Map<string, string | undefined>());
  const vaultOn = info?.features.vault.available === true;
  const pushOn = info?.features.push.available === true;

  const refresh = useCallback(() => {
    if (!info) return;
    if (info.features.keys.available) void keys.run(async () => setKeyCount((await call('listKeys', {})).length));
    if (vaultOn && addrs.length > 0) void vault.run(async () => setNodes(await call('vaultStatus', target)));
    if (pushOn) {
      void push.run(async () => {
        const statuses = await call('serverStatus', {});
        // A watched server that turns locked has restarted (after a deploy): tell the officer.
        for (const status of statuses) {
          const before = lastStates.current.get(status.name);
          if (before === 'unlocked' && status.state === 'locked') await call('notifyServerLocked', { name: status.name });
          lastStates.current.set(status.name, status.state);
        }
        setServers(statuses);
      });
    }
    setChecked(new Date());
  }, [info, vaultOn, pushOn, target.addrs.join(' '), target.profile, keys.run, vault.run, push.run]);
  useInterval(refresh, settings.watchIntervalSeconds);

  return (
    <div className="screen">
      <h1>Dashboard</h1>
      <p className="lead">
        {checked ? `Checked at ${checked.toLocaleTimeString()}; refreshes every ${settings.watchIntervalSeconds} s.` : 'Checking…'}
      </p>
      <div className="columns">
        <section className="card" aria-labelledby="dash-vault">
          <h2 id="dash-vault">Vault cluster</h2>
          {!vaultOn ? <p className="muted">{info?.features.vault.reason ?? 'Loading…'}</p> : null}
          {vaultOn && addrs.length === 0 ? <p>No cluster set up yet. <button type="button" className="link" onClick={() => go('vault')}>Add the node addresses</button>.</p> : null}
          <ErrorNotice error={vault.error} />
          {vaultOn && nodes ? (
            <ul className="status-list" aria-label="Vault nodes">
              {nodes.map((node) => (
                <li key={node.addr}>
                  <span className="addr">{node.addr}</span>
                  <StateBadge state={!node.reachable ? 'unreachable' : node.initialized === false ? 'uninitialized' : node.sealed ? 'sealed' : 'unsealed'} />
                  {node.reachable && node.sealed ? <span className="muted"> {node.progress ?? 0}/{node.threshold ?? '?'} shares</span> : null}
                  {node.isLeader ? <span className="muted">leader</span> : null}
                </li>
              ))}
            </ul>
          ) : null}
        </section>
        <section className="card" aria-labelledby="dash-servers">
          <h2 id="dash-servers">Servers</h2>
          {!pushOn ? <p className="muted">{info?.features.push.reason ?? 'Loading…'}</p> : null}
          <ErrorNotice error={push.error} />
          {pushOn && servers && servers.length === 0 ? <p>No servers pinned yet. <button type="button" className="link" onClick={() => go('servers')}>Add a server</button>.</p> : null}
          {pushOn && servers && servers.length > 0 ? (
            <ul className="status-list" aria-label="Servers">
              {servers.map((server) => (
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
      </div>
    </div>
  );
}
