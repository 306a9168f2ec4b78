/**
 * The Vault screen's parity with the CLI outside the ceremonies: saved cluster profiles (`custodian vault
 * profile save|delete`), `vault seal` and `vault step-down`. The core does the work (vault/profiles.ts,
 * vault/operations.ts); this file checks what the window sent and keeps the token out of everything but the
 * one request it is for.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { VaultProfileView } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import { sealNodes, stepDown, VaultProfiles, type VaultProfile } from '../../core/vault/index.js';
import type { Handler } from '../dispatch.js';
import { tokenRequests } from './vault-token.js';

type AdminActions = 'vaultProfileSave' | 'vaultProfileDelete' | 'vaultSeal' | 'vaultStepDown';

export function vaultAdminHandlers(deps: { env: NodeJS.ProcessEnv; home: string; audit: AuditLog }): { [A in AdminActions]: Handler<A> } {
  const profiles = new VaultProfiles(deps.home);
  const list = async (): Promise<VaultProfileView[]> => (await profiles.list()).map(profileView);

  const withToken = tokenRequests(deps);

  return {
    vaultProfileSave: async ({ name, addresses, caCert, clientCert, clientKey, tlsServerName }) => {
      const profile: VaultProfile = { addresses };
      // A path that cannot be read now would only fail later, in the middle of a ceremony: say so at once.
      if (caCert) profile.caCert = await readablePath(caCert, 'CA certificate');
      if (clientCert) profile.clientCert = await readablePath(clientCert, 'client certificate');
      if (clientKey) profile.clientKey = await readablePath(clientKey, 'client key');
      if (tlsServerName) profile.tlsServerName = tlsServerName;
      await profiles.save(name, profile);
      await deps.audit.record({ action: 'vault.profile.save', outcome: 'ok', profile: name, via: 'desktop' });
      return list();
    },
    vaultProfileDelete: async ({ name }) => {
      if (!(await profiles.delete(name))) {
        throw new CustodianError('PROFILE_NOT_FOUND', `No Vault profile named "${name}".`, { hint: 'Reload the list: it may have been deleted already.' });
      }
      await deps.audit.record({ action: 'vault.profile.delete', outcome: 'ok', profile: name, via: 'desktop' });
      return list();
    },
    vaultSeal: async ({ addrs, profile, token }) => withToken(profile ? { addrs, profile } : { addrs }, token, (cluster) => sealNodes(cluster, deps.audit)),
    vaultStepDown: async ({ addrs, profile, token }) => withToken(profile ? { addrs, profile } : { addrs }, token, (cluster) => stepDown(cluster, deps.audit)),
  };
}

export function profileView(p: { name: string } & VaultProfile): VaultProfileView {
  return {
    name: p.name, addresses: p.addresses,
    ...(p.caCert ? { caCert: p.caCert } : {}), ...(p.caPath ? { caPath: p.caPath } : {}),
    ...(p.clientCert ? { clientCert: p.clientCert } : {}), ...(p.clientKey ? { clientKey: p.clientKey } : {}),
    ...(p.tlsServerName ? { tlsServerName: p.tlsServerName } : {}),
  };
}

/** The profile keeps absolute paths (the app's working directory is no place the officer chose). */
async function readablePath(path: string, what: string): Promise<string> {
  if (!isAbsolute(path)) {
    throw new CustodianError('INVALID_INPUT', `Give the full path of the ${what} file, starting with "/" (or a drive letter on Windows).`);
  }
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new CustodianError('INVALID_INPUT', `The ${what} file ${path} cannot be read.`, { hint: 'Check the path and that your user may read the file.' });
  }
  return path;
}
