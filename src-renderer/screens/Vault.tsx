import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { AppInfo, CeremonySummary, VaultNodeView, VaultProfileView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, NotAvailable, StateBadge } from '../components/common.js';
import { useClusterTarget, useTask, type ClusterTarget } from '../hooks.js';
import { UnsealCeremony } from './vault/Unseal.js';
import { InitWizard } from './vault/Init.js';
import { NonceCeremony } from './vault/NonceCeremony.js';
import { KvSecrets } from './vault/KvSecrets.js';
import { NodeOperations } from './vault/Operations.js';
import { VaultSetup } from './vault/Setup.js';
import { ProfileManager } from './vault/Profiles.js';
import { t, type MessageKey } from '../i18n/index.js';

type Tab = 'unseal' | 'init' | 'rekey' | 'generate-root';
const TABS: Array<{ id: Tab; label: MessageKey }> = [
  { id: 'unseal', label: 'vault.tabUnseal' },
  { id: 'init', label: 'vault.tabInit' },
  { id: 'rekey', label: 'vault.tabRekey' },
  { id: 'generate-root', label: 'vault.tabGenerateRoot' },
];

const TAB_OF: Record<CeremonySummary['kind'], Tab> = { init: 'init', unseal: 'unseal', rekey: 'rekey', 'generate-root': 'generate-root' };

/** The tab to open on mount: a hand-out first (someone is waiting for a secret), then any other open ceremony. */
function tabFor(ceremonies: CeremonySummary[]): Tab | undefined {
  const first = ceremonies.find((c) => c.stage === 'handout') ?? ceremonies.find((c) => c.kind !== 'unseal') ?? ceremonies[0];
  return first ? TAB_OF[first.kind] : undefined;
}

export function Vault({ info }: { info: AppInfo | undefined }): ReactNode {
  const [target, setTarget] = useClusterTarget();
  const addrs = target.addrs;
  const [tab, setTab] = useState<Tab | undefined>();
  const [nodes, setNodes] = useState<VaultNodeView[] | undefined>();
  // The ceremonies open in main, re-read on mount and on every tab switch: the tab re-attaches to its own.
  const [ceremonies, setCeremonies] = useState<{ list: CeremonySummary[]; generation: number } | undefined>();
  const status = useTask();
  const attach = useTask();
  const [profiles, setProfiles] = useState<VaultProfileView[]>([]);
  const loadProfiles = useTask();
  const refresh = useCallback(() => {
    if (addrs.length > 0) void status.run(async () => setNodes(await call('vaultStatus', target)));
  }, [addrs.join(' '), target.profile, status.run]);
  const vaultOn = info?.features.vault.available === true;
  useEffect(() => { if (vaultOn) refresh(); }, [refresh, vaultOn]);
  useEffect(() => { if (vaultOn) void loadProfiles.run(async () => setProfiles(await call('vaultProfiles', {}))); }, [vaultOn, loadProfiles.run]);
  const openTab = useCallback((next: Tab | undefined) => {
    setCeremonies(undefined);
    void attach.run(async () => {
      let list: CeremonySummary[] = [];
      try {
        list = await call('vaultCeremonies', {});
      } finally {
        // Even if main could not be asked, the tab opens (without re-attaching) and the error is shown above it.
        setTab(next ?? tabFor(list) ?? 'unseal');
        setCeremonies((previous) => ({ list, generation: (previous?.generation ?? 0) + 1 }));
      }
    });
  }, [attach.run]);
  useEffect(() => { if (vaultOn) openTab(undefined); }, [vaultOn, openTab]);
  // After a ceremony moved on: node status, and the list of open ceremonies (the open tab is not re-mounted).
  const changed = useCallback(() => {
    refresh();
    void call('vaultCeremonies', {}).then((list) => setCeremonies((previous) => previous && { list, generation: previous.generation })).catch(() => undefined);
  }, [refresh]);
  const open = (kind: CeremonySummary['kind']): CeremonySummary | undefined => ceremonies?.list.find((c) => c.kind === kind);
  const isOpen = (which: Tab): boolean => ceremonies?.list.some((c) => TAB_OF[c.kind] === which) ?? false;

  if (info && !vaultOn) return <NotAvailable feature={info.features.vault} title={t('vault.vault')} />;
  return (
    <div className="screen">
      <h1>{t('vault.vault')}</h1>
      <ClusterEditor target={target} profiles={profiles} onSave={(next) => { setNodes(undefined); setTarget(next); }} />
      <ErrorNotice error={loadProfiles.error} />
      <section className="card" aria-labelledby="vault-status-title">
        <div className="row">
          <h2 id="vault-status-title">{t('vault.nodeStatus')}</h2>
          <button type="button" onClick={refresh} disabled={status.busy || addrs.length === 0}>{t('servers.refreshStatus')}</button>
        </div>
        {status.busy ? <Busy label={t('vault.askingEveryNode')} /> : null}
        <ErrorNotice error={status.error} />
        {nodes ? <NodeTable nodes={nodes} /> : <p className="muted">{t('vault.addTheNodeAddressesAbove')}</p>}
      </section>
      {addrs.length > 0 ? <NodeOperations target={target} onChanged={refresh} /> : null}
      {addrs.length > 0 ? <VaultSetup target={target} /> : null}
      {addrs.length > 0 ? <KvSecrets target={target} /> : null}
      {addrs.length > 0 || (ceremonies?.list.length ?? 0) > 0 ? (
        <section className="card" aria-label={t('vault.ceremonies')}>
          <div className="tabs" role="group" aria-label={t('vault.ceremony')}>
            {TABS.map((tabItem) => (
              <button key={tabItem.id} type="button" aria-pressed={tab === tabItem.id} data-open={isOpen(tabItem.id) ? 'true' : undefined} onClick={() => openTab(tabItem.id)}>{t(tabItem.label)}</button>
            ))}
          </div>
          {ceremonies && ceremonies.list.length > 0 ? (
            <p className="muted" data-testid="open-ceremonies">{t('vault.openInKeyCustodian')}{ceremonies.list.map(describeOpen).join('; ')}.</p>
          ) : null}
          <ErrorNotice error={attach.error} />
          {ceremonies && tab ? (
            <div key={`${tab}-${ceremonies.generation}`}>
              {tab === 'unseal' ? <UnsealCeremony target={target} attached={open('unseal')} onChanged={changed} /> : null}
              {tab === 'init' ? <InitWizard target={target} attached={open('init')} onChanged={changed} /> : null}
              {tab === 'rekey' ? <NonceCeremony operation="rekey" target={target} attached={open('rekey')} onChanged={changed} /> : null}
              {tab === 'generate-root' ? <NonceCeremony operation="generate-root" target={target} attached={open('generate-root')} onChanged={changed} /> : null}
            </div>
          ) : <Busy label={t('vault.lookingForOpenCeremonies')} />}
        </section>
      ) : null}
      <ProfileManager profiles={profiles} onChanged={setProfiles} />
    </div>
  );
}

/**
 * Which cluster: a saved profile (made with `custodian vault profile save`, it carries the TLS CA), or node
 * addresses typed here (TLS then follows the VAULT_* environment the app was started with).
 */
function ClusterEditor({ target, profiles, onSave }: { target: ClusterTarget; profiles: VaultProfileView[]; onSave: (target: ClusterTarget) => void }): ReactNode {
  const [profile, setProfile] = useState(target.profile ?? '');
  const [text, setText] = useState(target.addrs.join('\n'));
  const [saved, setSaved] = useState(false);
  const chosen = profiles.find((p) => p.name === profile);
  return (
    <form className="card" aria-labelledby="cluster-title" onSubmit={(e) => {
      e.preventDefault();
      onSave(chosen ? { addrs: chosen.addresses, profile: chosen.name } : { addrs: text.split(/\s+/).map((line) => line.trim()).filter(Boolean) });
      setSaved(true);
    }}>
      <h2 id="cluster-title">{t('vault.cluster')}</h2>
      <div className="field">
        <label htmlFor="cluster-profile">{t('vault.savedClusterProfile')}</label>
        <select id="cluster-profile" value={profile} onChange={(e) => { setProfile(e.target.value); setSaved(false); }}>
          <option value="">{t('vault.noneTypeTheNodeAddresses')}</option>
          {profiles.map((p) => <option key={p.name} value={p.name}>{p.name} ({p.addresses.length === 1 ? t('vault.oneNode') : t('vault.manyNodes', { count: p.addresses.length })})</option>)}
        </select>
        <small>{t('vault.profilesCarryTheClusterS')}<code>{t('vault.custodianVaultProfileSave')}</code>).</small>
      </div>
      {chosen ? (
        <p className="muted">{t('vault.nodes')}{chosen.addresses.join(', ')}{chosen.caCert ? t('vault.caCertificate', { path: chosen.caCert }) : ''}</p>
      ) : (
        <>
          <label htmlFor="cluster-addrs">{t('vault.nodeAddressesOnePerLine')}</label>
          <textarea id="cluster-addrs" rows={3} value={text} spellCheck={false} placeholder={t('vault.httpsVault1ExampleCom')}
            onChange={(e) => { setText(e.target.value); setSaved(false); }} />
        </>
      )}
      <button type="submit">{t('vault.saveCluster')}</button>
      {saved ? <span role="status"> {t('vault.saved')}</span> : null}
    </form>
  );
}

function describeOpen(c: CeremonySummary): string {
  const name = t(({ init: 'vault.kindInit', unseal: 'vault.kindUnseal', rekey: 'vault.kindRekey', 'generate-root': 'vault.kindGenerateRoot' } as const)[c.kind]);
  if (c.stage === 'handout' && c.handout) {
    const next = c.handout.items[c.handout.next]?.label ?? t('vault.nobody');
    return t('vault.openHandout', { name, next });
  }
  return t(c.stage === 'verify' ? 'vault.openVerify' : 'vault.openProgress', { name, progress: c.progress, required: c.required });
}

/** A node's state as the officer should read it. */
type ShownState = 'unreachable' | 'uninitialized' | 'sealed' | 'unsealed';

export function NodeTable({ nodes }: { nodes: VaultNodeView[] }): ReactNode {
  // Raft followers report "not initialised" (threshold 0) until they join: in an initialised cluster they are
  // sealed nodes waiting for the first one, and need the cluster's threshold like the others.
  const clusterInitialised = nodes.some((n) => n.initialized === true);
  const clusterThreshold = Math.max(0, ...nodes.map((n) => n.threshold ?? 0));
  return (
    <table aria-label={t('vault.vaultNodes')}>
      <thead><tr><th scope="col">{t('vault.node2')}</th><th scope="col">{t('servers.state')}</th><th scope="col">{t('vault.unsealProgress')}</th><th scope="col">{t('vault.role')}</th><th scope="col">{t('vault.version')}</th></tr></thead>
      <tbody>
        {nodes.map((node) => {
          const follower = clusterInitialised && node.reachable && node.initialized === false;
          const state: ShownState = !node.reachable ? 'unreachable' : follower ? 'sealed' : node.initialized === false ? 'uninitialized' : node.sealed ? 'sealed' : 'unsealed';
          const threshold = node.threshold || clusterThreshold;
          return (
            <tr key={node.addr}>
              <td><code>{node.addr}</code></td>
              <td>
                <StateBadge state={state} />
                {follower ? <small className="node-note">{t('vault.raftFollowerJoinsTheCluster')}</small> : null}
                {node.error ? <small className="node-note node-error" data-code={node.errorCode}>{node.error}</small> : null}
                {node.errorHint ? <small className="node-note">{node.errorHint}</small> : null}
              </td>
              <td>{state === 'sealed' ? t('vault.progressOf', { progress: node.progress ?? 0, threshold: threshold || '?' }) : '—'}</td>
              <td>{node.isLeader ? t('dashboard.leader') : state === 'unsealed' && node.haMode ? node.haMode : '—'}</td>
              <td>{node.version ?? '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
