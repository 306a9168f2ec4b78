import { useState, type ReactNode } from 'react';
import type { VaultProfileView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field, fieldErrors } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { t } from '../../i18n/index.js';

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
      <h2 id="profiles-title">{t('profiles.manageClusterProfiles')}</h2>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {profiles.length === 0 ? <p className="muted">{t('profiles.noProfilesYet')}</p> : (
        <table aria-label={t('profiles.clusterProfiles')}>
          <thead><tr><th scope="col">{t('profiles.profile')}</th><th scope="col">{t('profiles.nodes')}</th><th scope="col">{t('profiles.tls')}</th><th scope="col">{t('keys.actions')}</th></tr></thead>
          <tbody>
            {profiles.map((p) => (
              <tr key={p.name}>
                <td>{p.name}</td>
                <td>{p.addresses.map((a) => <code key={a} className="wrap">{a} </code>)}</td>
                <td>{describeTls(p)}</td>
                <td>
                  <ConfirmButton label={t('profiles.delete')} ariaLabel={t('profiles.deleteName', { name: p.name })} disabled={remove.busy}
                    title={t('profiles.deleteTitle', { name: p.name })}
                    message={<p>{t('profiles.onlyTheSavedAddressesAnd')}</p>}
                    confirmLabel={t('profiles.deleteName', { name: p.name })}
                    onConfirm={async () => {
                      setNotice(undefined);
                      const next = await remove.run(() => call('vaultProfileDelete', { name: p.name }));
                      if (next) { setNotice(t('profiles.deleted', { name: p.name })); onChanged(next); }
                    }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNotice error={remove.error} />
      <form aria-label={t('profiles.saveAProfile')} onSubmit={async (e) => {
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
          setNotice(t('profiles.saved', { name: request.name }));
          setName(''); setAddresses(''); setCaCert(''); setClientCert(''); setClientKey(''); setServerName('');
          onChanged(next);
        }
      }}>
        <h3>{t('profiles.saveAProfile')}</h3>
        <Field label={t('profiles.profileName')} value={name} onChange={setName} placeholder={t('profiles.prod')} error={errors['name']}
          hint={t('profiles.savingUnderAnExistingName')} />
        <Field label={t('profiles.profileNodeAddresses')} multiline value={addresses} onChange={setAddresses} placeholder={t('vault.httpsVault1ExampleCom')}
          error={errors['addresses'] ?? errors['addresses.0']} hint={t('profiles.onePerLine')} />
        <Field label={t('profiles.caCertificateFile')} value={caCert} onChange={setCaCert} placeholder={t('profiles.etcVaultCaPem')} error={errors['caCert']}
          hint={t('profiles.fullPathOfThePem')} />
        <Field label={t('profiles.clientCertificateFile')} value={clientCert} onChange={setClientCert} error={errors['clientCert']}
          hint={t('profiles.onlyIfTheClusterAsks')} />
        <Field label={t('profiles.clientKeyFile')} value={clientKey} onChange={setClientKey} error={errors['clientKey']} />
        <Field label={t('profiles.tlsServerName')} value={serverName} onChange={setServerName} placeholder={t('profiles.vaultExampleCom')} error={errors['tlsServerName']}
          hint={t('profiles.theNameToCheckIn')} />
        <button type="submit" disabled={save.busy}>{t('profiles.saveProfile')}</button>
        {save.busy ? <Busy label={t('profiles.savingTheProfile')} /> : null}
        {save.error && Object.keys(errors).length === 0 ? <ErrorNotice error={save.error} /> : null}
        {Object.keys(errors).length > 0 ? <p className="notice error" role="alert" data-code="INVALID_INPUT">{t('profiles.nothingWasSavedCorrectThe')}</p> : null}
      </form>
    </section>
  );
}

function describeTls(p: VaultProfileView): string {
  const parts: string[] = [];
  if (p.caCert) parts.push(t('profiles.tlsCa', { path: p.caCert }));
  if (p.caPath) parts.push(t('profiles.tlsCaDir', { path: p.caPath }));
  if (p.clientCert) parts.push(t('profiles.tlsClientCert', { path: p.clientCert }));
  if (p.clientKey) parts.push(t('profiles.tlsClientKey', { path: p.clientKey }));
  if (p.tlsServerName) parts.push(t('profiles.tlsServerNameIs', { name: p.tlsServerName }));
  return parts.length > 0 ? parts.join('; ') : t('profiles.systemCas');
}
