/**
 * Vault requests that carry a token typed in the window (seal, step-down, KV): one cluster per request, on a
 * saved profile or typed addresses, closed when the request ends.
 */
import type { AuditLog } from '../../core/audit.js';
import { profileOptions, resolveConnection, VaultCluster, VaultProfiles } from '../../core/vault/index.js';
import type { ClusterTarget } from '../ceremonies/registry.js';

export type WithToken = <T>(target: ClusterTarget, token: string, use: (cluster: VaultCluster) => Promise<T>) => Promise<T>;

export function tokenRequests(deps: { env: NodeJS.ProcessEnv; home: string; audit: AuditLog }): WithToken {
  const profiles = new VaultProfiles(deps.home);
  /**
   * Runs `use` on the cluster with `token` as its Vault token. The token arrives as a JS string (IPC gives no
   * other form; it cannot be wiped): it becomes a Buffer at once, and both Buffers are wiped when the call ends.
   */
  return async ({ addrs, profile }, token, use) => {
    const bytes = Buffer.from(token, 'utf8');
    let cluster: VaultCluster | undefined;
    try {
      const options = profile ? profileOptions(await profiles.get(profile)) : { addresses: addrs };
      cluster = new VaultCluster(resolveConnection({ ...options, token: bytes }, deps.env), deps.audit);
      return await use(cluster);
    } finally {
      bytes.fill(0);
      cluster?.close();
      cluster?.settings.token?.fill(0);
    }
  };
}
