import { useRef, useState, type ReactNode } from 'react';
import type { VaultNodeOperationView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice } from '../../components/common.js';
import { SecretField, type SecretHandle } from '../../components/SecretField.js';
import { useTask, type ClusterTarget } from '../../hooks.js';

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
      <h2 id="operations-title">Seal and step-down</h2>
      <p>Both need a Vault token with <code>sudo</code> on <code>sys/seal</code> or <code>sys/step-down</code>. The token is used for this one request and then cleared.</p>
      <SecretField label="Vault token" handle={token} onFilledChange={setFilled} hint="Not kept anywhere: type it again for every operation." />
      <div className="buttons">
        <ConfirmButton label="Seal…" disabled={task.busy || !filled || target.addrs.length === 0}
          title="Seal the cluster?"
          message={<p>Sealed nodes stop serving every application until the holders unseal them again with their shares. A standby node cannot be sealed through the API: restart it instead.</p>}
          confirmLabel="Seal now"
          onConfirm={async () => {
            const results = await withToken((typed) => call('vaultSeal', { ...request, token: typed }));
            if (results) setSealed(results);
          }} />
        <button type="button" disabled={task.busy || !filled || target.addrs.length === 0} onClick={async () => {
          const done = await withToken((typed) => call('vaultStepDown', { ...request, token: typed }));
          if (done) setNotice(`${done.address} stepped down; a standby takes over as the active node.`);
        }}>Step down the active node</button>
      </div>
      {task.busy ? <Busy label="Asking the cluster" /> : null}
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {sealed ? (
        <ul className="results" aria-label="Seal results">
          {sealed.map((r) => (
            <li key={r.address} className={r.ok ? 'ok' : 'failed'}>
              <code>{r.address}</code>: {r.ok ? 'sealed' : r.error?.message ?? 'not sealed'}
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorNotice error={task.error} />
    </section>
  );
}
