import { useState, type ReactNode } from 'react';
import type { CeremonySummary } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import type { ClusterTarget } from '../../hooks.js';
import { SecretHandout } from './SecretHandout.js';
import { t } from '../../i18n/index.js';

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
        title={handout.handout.encrypted ? t('init.encryptedShares') : t('init.unsealShares')}
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
    <form className="wizard" aria-label={t('init.initialise')} onSubmit={async (e) => {
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
      <h2>{t('init.initialiseTheCluster')}</h2>
      {finished === 'done' ? <p className="notice ok" role="status">{t('init.initialisedEveryHolderHasTheir')}</p> : null}
      {finished === 'abandoned' ? <p className="notice error" role="status">{t('init.handOutAbandonedTheSecrets')}</p> : null}
      <p>{t('init.initialises')}{addrs[0]} {t('init.theOtherNodesJoinIt')}</p>
      <div className="columns">
        <Field label={t('init.numberOfShares')} type="number" value={shares} onChange={setShares} />
        <Field label={t('init.thresholdSharesNeededToUnseal')} type="number" value={threshold} onChange={setThreshold} />
      </div>
      <label className="check"><input type="checkbox" checked={usePgp} onChange={(e) => setUsePgp(e.target.checked)} /> {t('init.encryptEachShareToIts')}</label>
      {usePgp ? Array.from({ length: count }, (_, i) => (
        <div className="field" key={i}>
          <label htmlFor={`pgp-${i}`}>{t('init.pgpPublicKeyOfHolder')}{i + 1}</label>
          <textarea id={`pgp-${i}`} rows={3} value={pgpKeys[i] ?? ''} spellCheck={false}
            onChange={(e) => { const next = [...pgpKeys]; next[i] = e.target.value; setPgpKeys(next); }} />
        </div>
      )) : null}
      <label className="check"><input type="checkbox" checked={useRootPgp} onChange={(e) => setUseRootPgp(e.target.checked)} /> {t('init.encryptTheRootTokenTo')}</label>
      {useRootPgp ? (
        <div className="field">
          <label htmlFor="pgp-root">{t('init.pgpPublicKeyForThe')}</label>
          <textarea id="pgp-root" rows={3} value={rootPgpKey} spellCheck={false} aria-describedby="pgp-root-hint" onChange={(e) => setRootPgpKey(e.target.value)} />
          <small id="pgp-root-hint">{t('init.asciiArmouredTheRootToken')}</small>
        </div>
      ) : null}
      <Field label={t('init.typeInitialiseToConfirm')} value={confirm} onChange={setConfirm} />
      <button type="submit" disabled={task.busy || confirm.trim().toLowerCase() !== 'initialise' || (useRootPgp && rootPgpKey.trim() === '')}>{t('init.initialiseCluster')}</button>
      {task.busy ? <Busy label={t('init.initialising')} /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
