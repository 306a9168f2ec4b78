import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { AppInfo, VaultNodeView, VaultProfileView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, NotAvailable, StateBadge } from '../components/common.js';
import { useClusterTarget, useTask, type ClusterTarget } from '../hooks.js';
import { UnsealCeremony } from './vault/Unseal.js';
import { InitWizard } from './vault/Init.js';
import { NonceCeremony } from './vault/NonceCeremony.js';

type Tab = 'unseal' | 'init' | 'rekey' | 'generate-root';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'unseal', label: 'Unseal' },
  { id: 'init', label: 'Initialise' },
  { id: 'rekey', label: 'Rekey' },
  { id: 'generate-root', label: 'Generate root' },
];

export function Vault({ info }: { info: AppInfo | undefined }): ReactNode {
  const [target, setTarget] = useClusterTarget();
  const addrs = target.addrs;
  const [tab, setTab] = useState<Tab>('unseal');
  const [nodes, setNodes] = useState<VaultNodeView[] | undefined>();
  const status = useTask();
  const refresh = useCallback(() => {
    if (addrs.length > 0) void status.run(async () => setNodes(await call('vaultStatus', target)));
  }, [addrs.join(' '), target.profile, status.run]);
  const vaultOn = info?.features.vault.available === true;
  useEffect(() => { if (vaultOn) refresh(); }, [refresh, vaultOn]);

  if (info && !vaultOn) return <NotAvailable feature={info.features.vault} title="Vault" />;
  return (
    <div className="screen">
      <h1>Vault</h1>
      <ClusterEditor target={target} onSave={(next) => { setNodes(undefined); setTarget(next); }} />
      <section className="card" aria-labelledby="vault-status-title">
        <div className="row">
          <h2 id="vault-status-title">Node status</h2>
          <button type="button" onClick={refresh} disabled={status.busy || addrs.length === 0}>Refresh status</button>
        </div>
        {status.busy ? <Busy label="Asking every node" /> : null}
        <ErrorNotice error={status.error} />
        {nodes ? <NodeTable nodes={nodes} /> : <p className="muted">Add the node addresses above to see their state.</p>}
      </section>
      {addrs.length > 0 ? (
        <section className="card" aria-label="Ceremonies">
          <div className="tabs" role="group" aria-label="Ceremony">
            {TABS.map((t) => (
              <button key={t.id} type="button" aria-pressed={tab === t.id} onClick={() => setTab(t.id)}>{t.label}</button>
            ))}
          </div>
          {tab === 'unseal' ? <UnsealCeremony target={target} onChanged={refresh} /> : null}
          {tab === 'init' ? <InitWizard target={target} onChanged={refresh} /> : null}
          {tab === 'rekey' ? <NonceCeremony key="rekey" operation="rekey" target={target} onChanged={refresh} /> : null}
          {tab === 'generate-root' ? <NonceCeremony key="generate-root" operation="generate-root" target={target} onChanged={refresh} /> : null}
        </section>
      ) : null}
    </div>
  );
}

/**
 * Which cluster: a saved profile (made with `custodian vault profile save`, it carries the TLS CA), or node
 * addresses typed here (TLS then follows the VAULT_* environment the app was started with).
 */
function ClusterEditor({ target, onSave }: { target: ClusterTarget; onSave: (target: ClusterTarget) => void }): ReactNode {
  const [profiles, setProfiles] = useState<VaultProfileView[]>([]);
  const [profile, setProfile] = useState(target.profile ?? '');
  const [text, setText] = useState(target.addrs.join('\n'));
  const [saved, setSaved] = useState(false);
  const load = useTask();
  useEffect(() => { void load.run(async () => setProfiles(await call('vaultProfiles', {}))); }, [load.run]);
  const chosen = profiles.find((p) => p.name === profile);
  return (
    <form className="card" aria-labelledby="cluster-title" onSubmit={(e) => {
      e.preventDefault();
      onSave(chosen ? { addrs: chosen.addresses, profile: chosen.name } : { addrs: text.split(/\s+/).map((line) => line.trim()).filter(Boolean) });
      setSaved(true);
    }}>
      <h2 id="cluster-title">Cluster</h2>
      <div className="field">
        <label htmlFor="cluster-profile">Saved cluster profile</label>
        <select id="cluster-profile" value={profile} onChange={(e) => { setProfile(e.target.value); setSaved(false); }}>
          <option value="">None: type the node addresses</option>
          {profiles.map((p) => <option key={p.name} value={p.name}>{p.name} ({p.addresses.length} node{p.addresses.length === 1 ? '' : 's'})</option>)}
        </select>
        <small>Profiles are saved with <code>custodian vault profile save NAME --addr … --ca-cert …</code>; they carry the cluster's TLS settings.</small>
      </div>
      {chosen ? (
        <p className="muted">Nodes: {chosen.addresses.join(', ')}{chosen.caCert ? `; CA certificate ${chosen.caCert}` : ''}</p>
      ) : (
        <>
          <label htmlFor="cluster-addrs">Node addresses, one per line</label>
          <textarea id="cluster-addrs" rows={3} value={text} spellCheck={false} placeholder="https://vault-1.example.com:8200"
            onChange={(e) => { setText(e.target.value); setSaved(false); }} />
        </>
      )}
      <button type="submit">Save cluster</button>
      {saved ? <span role="status"> Saved.</span> : null}
      <ErrorNotice error={load.error} />
    </form>
  );
}

export function NodeTable({ nodes }: { nodes: VaultNodeView[] }): ReactNode {
  return (
    <table aria-label="Vault nodes">
      <thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Unseal progress</th><th scope="col">Role</th><th scope="col">Version</th></tr></thead>
      <tbody>
        {nodes.map((node) => (
          <tr key={node.addr}>
            <td><code>{node.addr}</code></td>
            <td>
              <StateBadge state={!node.reachable ? 'unreachable' : node.initialized === false ? 'uninitialized' : node.sealed ? 'sealed' : 'unsealed'} />
              {node.error ? <small className="muted"> {node.error}</small> : null}
            </td>
            <td>{node.reachable && node.sealed ? `${node.progress ?? 0} of ${node.threshold ?? '?'}` : '—'}</td>
            <td>{node.isLeader ? 'leader' : node.haMode ?? '—'}</td>
            <td>{node.version ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
