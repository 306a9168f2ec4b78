import { useEffect, useState, type ReactNode } from 'react';
import type { AppInfo, RotationKeysView, Settings, WatchState } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { ErrorNotice, StateBadge } from '../components/common.js';
import { useInterval, useTask } from '../hooks.js';
import type { Screen } from '../App.js';
import { t } from '../i18n/index.js';

/**
 * What main's watchers last saw (src-main/app/watchers.ts): they poll servers and the nodes of every saved Vault
 * profile whatever screen is open and while the app is locked, and raise the notifications. This screen only
 * reads their state (a memory read in main, every 2 s), so it shows the last known state at once.
 */
export function Dashboard({ info, settings, go }: { info: AppInfo | undefined; settings: Settings; go: (screen: Screen) => void }): ReactNode {
  const [watch, setWatch] = useState<WatchState | undefined>();
  const [keyCount, setKeyCount] = useState<number | undefined>();
  const [rotation, setRotation] = useState<RotationKeysView | undefined>();
  const state = useTask();
  const keys = useTask();
  const vaultOn = info?.features.vault.available === true;
  const pushOn = info?.features.push.available === true;

  useEffect(() => {
    if (info?.features.keys.available) {
      void keys.run(async () => {
        const [listed, ages] = await Promise.all([call('listKeys', {}), call('rotationKeys', {})]);
        setKeyCount(listed.length);
        setRotation(ages);
      });
    }
  }, [info, keys.run]);
  useInterval(() => { void state.run(async () => setWatch(await call('watchState', {}))); }, 2);

  const checked = watch?.checkedAt ? new Date(watch.checkedAt) : undefined;
  return (
    <div className="screen">
      <h1>{t('dashboard.dashboard')}</h1>
      <p className="lead">
        {checked
          ? t('dashboard.checkedAt', { time: checked.toLocaleTimeString(), seconds: watch?.intervalSeconds ?? settings.watchIntervalSeconds })
          : t('dashboard.checking')}
      </p>
      <ErrorNotice error={state.error} />
      <div className="columns">
        <section className="card" aria-labelledby="dash-vault">
          <h2 id="dash-vault">{t('dashboard.vaultCluster')}</h2>
          {!vaultOn ? <p className="muted">{info?.features.vault.reason ?? t('dashboard.loading')}</p> : null}
          {vaultOn && watch && watch.vault.length === 0
            ? <p>{t('dashboard.noSavedVaultProfileThe')}<button type="button" className="link" onClick={() => go('vault')}>{t('dashboard.openVault')}</button>.</p>
            : null}
          {vaultOn && watch ? watch.vault.map((entry) => (
            <div key={entry.profile}>
              {watch.vault.length > 1 ? <h3>{entry.profile}</h3> : null}
              <ErrorNotice error={entry.error} />
              {entry.nodes ? (
                <ul className="status-list" aria-label={t('dashboard.vaultNodesOf', { profile: entry.profile })}>
                  {entry.nodes.map((node) => (
                    <li key={node.addr}>
                      <span className="addr">{node.addr}</span>
                      <StateBadge state={!node.reachable ? 'unreachable' : node.initialized === false ? 'uninitialized' : node.sealed ? 'sealed' : 'unsealed'} />
                      {node.reachable && node.sealed ? <span className="muted"> {node.progress ?? 0}/{node.threshold ?? '?'} {t('dashboard.shares')}</span> : null}
                      {node.isLeader ? <span className="muted">{t('dashboard.leader')}</span> : null}
                    </li>
                  ))}
                </ul>
              ) : null}
            </div>
          )) : null}
        </section>
        <section className="card" aria-labelledby="dash-servers">
          <h2 id="dash-servers">{t('dashboard.servers')}</h2>
          {!pushOn ? <p className="muted">{info?.features.push.reason ?? t('dashboard.loading')}</p> : null}
          <ErrorNotice error={watch?.serversError} />
          {pushOn && watch?.servers && watch.servers.length === 0 ? <p>{t('dashboard.noServersPinnedYet')}<button type="button" className="link" onClick={() => go('servers')}>{t('dashboard.addAServer')}</button>.</p> : null}
          {pushOn && watch?.servers && watch.servers.length > 0 ? (
            <ul className="status-list" aria-label={t('dashboard.servers')}>
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
          <h2 id="dash-keys">{t('dashboard.keys')}</h2>
          <ErrorNotice error={keys.error} />
          <p>{keyCount === undefined ? '…' : (keyCount === 1 ? t('dashboard.oneKey') : t('dashboard.manyKeys', { count: keyCount }))}</p>
          {rotation?.open ? (
            <p role="note" data-testid="dash-rotation">{t('dashboard.rotationOpen', {
              old: rotation.open.oldKeyId, new: rotation.open.newKeyId, end: new Date(rotation.open.graceEnd).toLocaleDateString(),
              days: Math.max(0, Math.ceil((new Date(rotation.open.graceEnd).getTime() - Date.now()) / 86_400_000)),
            })}</p>
          ) : null}
          {rotation && rotation.keys.some((a) => a.overdue) ? (
            <p className="warning" role="note" data-testid="dash-overdue">{t('dashboard.keysOverdue', {
              count: rotation.keys.filter((a) => a.overdue).length, days: rotation.intervalDays,
              ids: rotation.keys.filter((a) => a.overdue).map((a) => a.id).join(', '),
            })}</p>
          ) : null}
          <button type="button" onClick={() => go('keys')}>{t('dashboard.openKeys')}</button>
        </section>
        <section className="card" aria-labelledby="dash-history">
          <h2 id="dash-history">{t('dashboard.alertsAndChanges')}</h2>
          {watch && watch.history.length === 0 ? <p className="muted">{t('dashboard.nothingChangedSinceKeyCustodian')}</p> : null}
          {watch && watch.history.length > 0 ? (
            <ol className="status-list" aria-label={t('dashboard.watchHistory')}>
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
