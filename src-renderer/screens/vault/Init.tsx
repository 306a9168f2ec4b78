import { useState, type ReactNode } from 'react';
import type { InitResult } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import type { ClusterTarget } from '../../hooks.js';
import { SecretHandout } from './SecretHandout.js';

/** Init wizard: parameters, optional PGP key per holder, confirmation, then each holder gets their share once. */
export function InitWizard({ target, onChanged }: { target: ClusterTarget; onChanged: () => void }): ReactNode {
  const addrs = target.addrs;
  const [shares, setShares] = useState('5');
  const [threshold, setThreshold] = useState('3');
  const [usePgp, setUsePgp] = useState(false);
  const [pgpKeys, setPgpKeys] = useState<string[]>([]);
  const [confirm, setConfirm] = useState('');
  const [result, setResult] = useState<InitResult | undefined>();
  const [finished, setFinished] = useState(false);
  const task = useTask();
  const count = Math.max(0, Math.min(16, Number.parseInt(shares, 10) || 0));

  if (result) {
    const items = [
      ...result.shares.map((share, i) => ({ label: `Holder ${i + 1}`, secret: share })),
      { label: 'Root token holder', secret: result.rootToken },
    ];
    return <SecretHandout title={result.sharesEncrypted ? 'Encrypted shares' : 'Unseal shares'} items={items} onFinished={() => { setResult(undefined); setFinished(true); onChanged(); }} />;
  }
  return (
    <form className="wizard" aria-label="Initialise" onSubmit={async (e) => {
      e.preventDefault();
      const request = {
        ...target,
        shares: Number(shares),
        threshold: Number(threshold),
        ...(usePgp ? { pgpKeys: pgpKeys.slice(0, count) } : {}),
      };
      const done = await task.run(() => call('vaultInit', request));
      if (done) { setConfirm(''); setResult(done); }
    }}>
      <h2>Initialise the cluster</h2>
      {finished ? <p className="notice ok" role="status">Initialised. Every holder has their share; unseal the cluster next.</p> : null}
      <p>Initialises {addrs[0]} (the other nodes join it). This is the one time the shares exist in plaintext: each holder records theirs.</p>
      <div className="columns">
        <Field label="Number of shares" type="number" value={shares} onChange={setShares} />
        <Field label="Threshold (shares needed to unseal)" type="number" value={threshold} onChange={setThreshold} />
      </div>
      <label className="check"><input type="checkbox" checked={usePgp} onChange={(e) => setUsePgp(e.target.checked)} /> Encrypt each share to its holder's PGP public key</label>
      {usePgp ? Array.from({ length: count }, (_, i) => (
        <div className="field" key={i}>
          <label htmlFor={`pgp-${i}`}>PGP public key of holder {i + 1}</label>
          <textarea id={`pgp-${i}`} rows={3} value={pgpKeys[i] ?? ''} spellCheck={false}
            onChange={(e) => { const next = [...pgpKeys]; next[i] = e.target.value; setPgpKeys(next); }} />
        </div>
      )) : null}
      <Field label='Type "initialise" to confirm' value={confirm} onChange={setConfirm} />
      <button type="submit" disabled={task.busy || confirm.trim().toLowerCase() !== 'initialise'}>Initialise cluster</button>
      {task.busy ? <Busy label="Initialising" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
