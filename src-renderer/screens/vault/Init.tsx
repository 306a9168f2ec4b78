import { useState, type ReactNode } from 'react';
import type { CeremonySummary } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import type { ClusterTarget } from '../../hooks.js';
import { SecretHandout } from './SecretHandout.js';

/** The contract's limit: Vault/OpenBao split into at most 255 shares, one PGP key per share. */
const MAX_SHARES = 255;

/**
 * Init wizard: parameters, optional PGP key per holder, confirmation; then each holder gets their share once.
 * The shares and the root token stay in main: `attached` is the hand-out main still holds (after navigation,
 * lock or reload), and the wizard goes on with the same holder.
 */
export function InitWizard({ target, attached, onChanged }: { target: ClusterTarget; attached?: CeremonySummary | undefined; onChanged: () => void }): ReactNode {
  const addrs = target.addrs;
  const [shares, setShares] = useState('5');
  const [threshold, setThreshold] = useState('3');
  const [usePgp, setUsePgp] = useState(false);
  const [pgpKeys, setPgpKeys] = useState<string[]>([]);
  // `vault init -root-token-pgp-key`: the root token is handed out encrypted to this key (public, not a secret).
  const [useRootPgp, setUseRootPgp] = useState(false);
  const [rootPgpKey, setRootPgpKey] = useState('');
  const [confirm, setConfirm] = useState('');
  const [handout, setHandout] = useState<CeremonySummary | undefined>(attached?.kind === 'init' ? attached : undefined);
  const [finished, setFinished] = useState<'done' | 'abandoned' | undefined>();
  const task = useTask();
  const count = Math.max(0, Math.min(MAX_SHARES, Number.parseInt(shares, 10) || 0));

  if (handout?.handout) {
    return (
      <SecretHandout
        ceremonyId={handout.ceremonyId}
        title={handout.handout.encrypted ? 'Encrypted shares' : 'Unseal shares'}
        handout={handout.handout}
        onProgress={(progress) => {
          onChanged();
          if (progress.ceremony) { setHandout(progress.ceremony); return; }
          setHandout(undefined);
          setFinished('done');
        }}
        onAbandoned={() => { setHandout(undefined); setFinished('abandoned'); onChanged(); }}
      />
    );
  }
  return (
    <form className="wizard" aria-label="Initialise" onSubmit={async (e) => {
      e.preventDefault();
      const request = {
        ...target,
        shares: Number(shares),
        threshold: Number(threshold),
        ...(usePgp ? { pgpKeys: pgpKeys.slice(0, count) } : {}),
        ...(useRootPgp ? { rootTokenPgpKey: rootPgpKey } : {}),
      };
      const started = await task.run(() => call('vaultInit', request));
      if (started) { setConfirm(''); setFinished(undefined); setHandout(started); onChanged(); }
    }}>
      <h2>Initialise the cluster</h2>
      {finished === 'done' ? <p className="notice ok" role="status">Initialised. Every holder has their share; unseal the cluster next.</p> : null}
      {finished === 'abandoned' ? <p className="notice error" role="status">Hand-out abandoned: the secrets not handed out were wiped.</p> : null}
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
      <label className="check"><input type="checkbox" checked={useRootPgp} onChange={(e) => setUseRootPgp(e.target.checked)} /> Encrypt the root token to a PGP public key</label>
      {useRootPgp ? (
        <div className="field">
          <label htmlFor="pgp-root">PGP public key for the root token</label>
          <textarea id="pgp-root" rows={3} value={rootPgpKey} spellCheck={false} aria-describedby="pgp-root-hint" onChange={(e) => setRootPgpKey(e.target.value)} />
          <small id="pgp-root-hint">ASCII-armoured. The root token is then shown only as a PGP message: decrypt it with the matching private key (gpg -d).</small>
        </div>
      ) : null}
      <Field label='Type "initialise" to confirm' value={confirm} onChange={setConfirm} />
      <button type="submit" disabled={task.busy || confirm.trim().toLowerCase() !== 'initialise' || (useRootPgp && rootPgpKey.trim() === '')}>Initialise cluster</button>
      {task.busy ? <Busy label="Initialising" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
