import { useState, type ReactNode } from 'react';
import type { VaultProfileView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field, fieldErrors } from '../../components/common.js';
import { useTask } from '../../hooks.js';

/**
 * Saved cluster profiles, as `custodian vault profile save|delete`: the node addresses and the paths of the TLS
 * files (CA certificate, client certificate and key) and the server name to verify. Paths only: the files stay
 * where they are, and no token or share is ever part of a profile.
 */
export function ProfileManager({ profiles, onChanged }: { profiles: VaultProfileView[]; onChanged: (profiles: VaultProfileView[]) => void }): ReactNode {
  const [name, setName] = useState('');
  const [addresses, setAddresses] = useState('');
  const [caCert, setCaCert] = useState('');
  const [clientCert, setClientCert] = useState('');
  const [clientKey, setClientKey] = useState('');
  const [serverName, setServerName] = useState('');
  const [notice, setNotice] = useState<string | undefined>();
  const save = useTask();
  const remove = useTask();
  const errors = fieldErrors(save.error);
  const optional = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());
  return (
    <section className="card" aria-labelledby="profiles-title">
      <h2 id="profiles-title">Manage cluster profiles</h2>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {profiles.length === 0 ? <p className="muted">No profiles yet.</p> : (
        <table aria-label="Cluster profiles">
          <thead><tr><th scope="col">Profile</th><th scope="col">Nodes</th><th scope="col">TLS</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {profiles.map((p) => (
              <tr key={p.name}>
                <td>{p.name}</td>
                <td>{p.addresses.map((a) => <code key={a} className="wrap">{a} </code>)}</td>
                <td>{describeTls(p)}</td>
                <td>
                  <ConfirmButton label="Delete" ariaLabel={`Delete profile ${p.name}`} disabled={remove.busy}
                    title={`Delete profile ${p.name}?`}
                    message={<p>Only the saved addresses and file paths go; the cluster and the TLS files are not touched.</p>}
                    confirmLabel={`Delete profile ${p.name}`}
                    onConfirm={async () => {
                      setNotice(undefined);
                      const next = await remove.run(() => call('vaultProfileDelete', { name: p.name }));
                      if (next) { setNotice(`Deleted profile ${p.name}.`); onChanged(next); }
                    }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNotice error={remove.error} />
      <form aria-label="Save a profile" onSubmit={async (e) => {
        e.preventDefault();
        setNotice(undefined);
        remove.clearError();
        const request = {
          name: name.trim(),
          addresses: addresses.split(/\s+/).filter(Boolean),
          ...(optional(caCert) ? { caCert: caCert.trim() } : {}),
          ...(optional(clientCert) ? { clientCert: clientCert.trim() } : {}),
          ...(optional(clientKey) ? { clientKey: clientKey.trim() } : {}),
          ...(optional(serverName) ? { tlsServerName: serverName.trim() } : {}),
        };
        const next = await save.run(() => call('vaultProfileSave', request));
        if (next) {
          setNotice(`Saved profile ${request.name}.`);
          setName(''); setAddresses(''); setCaCert(''); setClientCert(''); setClientKey(''); setServerName('');
          onChanged(next);
        }
      }}>
        <h3>Save a profile</h3>
        <Field label="Profile name" value={name} onChange={setName} placeholder="prod" error={errors['name']}
          hint="Saving under an existing name replaces that profile." />
        <Field label="Profile node addresses" multiline value={addresses} onChange={setAddresses} placeholder="https://vault-1.example.com:8200"
          error={errors['addresses'] ?? errors['addresses.0']} hint="One per line." />
        <Field label="CA certificate file" value={caCert} onChange={setCaCert} placeholder="/etc/vault/ca.pem" error={errors['caCert']}
          hint="Full path of the PEM file that signed the nodes' certificates." />
        <Field label="Client certificate file" value={clientCert} onChange={setClientCert} error={errors['clientCert']}
          hint="Only if the cluster asks for client certificates (TLS client auth)." />
        <Field label="Client key file" value={clientKey} onChange={setClientKey} error={errors['clientKey']} />
        <Field label="TLS server name" value={serverName} onChange={setServerName} placeholder="vault.example.com" error={errors['tlsServerName']}
          hint="The name to check in the nodes' certificates when it differs from the addresses." />
        <button type="submit" disabled={save.busy}>Save profile</button>
        {save.busy ? <Busy label="Saving the profile" /> : null}
        {save.error && Object.keys(errors).length === 0 ? <ErrorNotice error={save.error} /> : null}
        {Object.keys(errors).length > 0 ? <p className="notice error" role="alert" data-code="INVALID_INPUT">Nothing was saved: correct the marked fields.</p> : null}
      </form>
    </section>
  );
}

function describeTls(p: VaultProfileView): string {
  const parts: string[] = [];
  if (p.caCert) parts.push(`CA ${p.caCert}`);
  if (p.caPath) parts.push(`CA directory ${p.caPath}`);
  if (p.clientCert) parts.push(`client certificate ${p.clientCert}`);
  if (p.clientKey) parts.push(`client key ${p.clientKey}`);
  if (p.tlsServerName) parts.push(`server name ${p.tlsServerName}`);
  return parts.length > 0 ? parts.join('; ') : 'system CAs';
}
