import { useRef, useState, type ReactNode } from 'react';
import type { VaultNodeOperationView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice } from '../../components/common.js';
import { SecretField, type SecretHandle } from '../../components/SecretField.js';
import { useTask, type ClusterTarget } from '../../hooks.js';
import { t } from '../../i18n/index.js';

/**
 * `custodian vault seal` and `vault step-down`. Both need a Vault token with sudo: it is typed into an
 * uncontrolled field, read once for the one call and cleared at once (never in React state or the DOM).
 */
export function NodeOperations({ target, onChanged }: { target: ClusterTarget; onChanged: () => void }): ReactNode {
  const token = useRef<SecretHandle>(null);
  const [filled, setFilled] = useState(false);
  const [sealed, setSealed] = useState<VaultNodeOperationView[] | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const task = useTask();
  /** Reads the token for this call only and clears the field before the call goes out. */
  const withToken = async <T,>(use: (token: string) => Promise<T>): Promise<T | undefined> => {
    setNotice(undefined);
    setSealed(undefined);
    const typed = token.current?.read().trim() ?? '';
    token.current?.clear();
    const result = await task.run(() => use(typed));
    onChanged();
    return result;
  };
  const request = target.profile ? { addrs: target.addrs, profile: target.profile } : { addrs: target.addrs };
  return (
    <section className="card" aria-labelledby="operations-title">
      <h2 id="operations-title">{t('operations.sealAndStepDown')}</h2>
      <p>{t('operations.bothNeedAVaultToken')}<code>{t('operations.sudo')}</code> {t('operations.on')}<code>{t('operations.sysSeal')}</code> {t('operations.or')}<code>{t('operations.sysStepDown')}</code>{t('operations.theTokenIsUsedFor')}</p>
      <SecretField label={t('operations.vaultToken')} handle={token} onFilledChange={setFilled} hint={t('operations.notKeptAnywhereTypeIt')} />
      <div className="buttons">
        <ConfirmButton label={t('operations.seal')} disabled={task.busy || !filled || target.addrs.length === 0}
          title={t('operations.sealTheCluster')}
          message={<p>{t('operations.sealedNodesStopServingEvery')}</p>}
          confirmLabel={t('operations.sealNow')}
          onConfirm={async () => {
            const results = await withToken((typed) => call('vaultSeal', { ...request, token: typed }));
            if (results) setSealed(results);
          }} />
        <button type="button" disabled={task.busy || !filled || target.addrs.length === 0} onClick={async () => {
          const done = await withToken((typed) => call('vaultStepDown', { ...request, token: typed }));
          if (done) setNotice(t('operations.steppedDown', { address: done.address }));
        }}>{t('operations.stepDownTheActiveNode')}</button>
      </div>
      {task.busy ? <Busy label={t('operations.askingTheCluster')} /> : null}
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {sealed ? (
        <ul className="results" aria-label={t('operations.sealResults')}>
          {sealed.map((r) => (
            <li key={r.address} className={r.ok ? 'ok' : 'failed'}>
              <code>{r.address}</code>: {r.ok ? t('operations.sealed') : r.error?.message ?? t('operations.notSealed')}
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorNotice error={task.error} />
    </section>
  );
}
