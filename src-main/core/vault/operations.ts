import type { AuditLog } from '../audit.js';
import { describe, type VaultCluster } from './cluster.js';
import { asRequestFailed, VaultResponseError } from './node.js';

export interface NodeOperationResult {
  address: string;
  ok: boolean;
  error?: { code: string; message: string };
}

/**
 * Seals every given node that is unsealed (needs a token with sudo on sys/seal). OpenBao/Vault seal only an active
 * or standalone node through the API: a standby answers "cannot seal when in standby mode; please restart instead",
 * which is reported per node. (Measured on a 3-node Raft cluster: after the active node is sealed, no standby
 * took over within 30 s, so sealing a whole HA cluster means restarting its standbys.)
 */
export async function sealNodes(cluster: VaultCluster, audit?: AuditLog): Promise<NodeOperationResult[]> {
  const statuses = await cluster.status();
  const results = await Promise.all(statuses.map(async (status): Promise<NodeOperationResult> => {
    if (!status.reachable) return { address: status.address, ok: false, error: status.error ?? { code: 'VAULT_UNREACHABLE', message: 'unreachable' } };
    if (status.sealed) return { address: status.address, ok: true };
    try {
      await cluster.node(status.address).call('PUT', '/sys/seal', undefined, { authenticated: true });
      return { address: status.address, ok: true };
    } catch (error) {
      if (error instanceof VaultResponseError && error.serverErrors.some((m) => /standby/i.test(m))) {
        return { address: status.address, ok: false, error: { code: 'VAULT_REQUEST_FAILED', message: 'a standby node cannot be sealed through the API (OpenBao/Vault refuse it): restart the node to seal it' } };
      }
      return { address: status.address, ok: false, error: describe(asRequestFailed(error, 'Seal')) };
    }
  }));
  await audit?.record({ action: 'vault.seal', outcome: results.every((r) => r.ok) ? 'ok' : 'error', nodes: results.map((r) => `${r.address}=${r.ok ? 'sealed' : r.error?.code}`) });
  return results;
}

/** Asks the active node to step down so that a standby takes over (needs a token with sudo on sys/step-down). */
export async function stepDown(cluster: VaultCluster, audit?: AuditLog): Promise<{ address: string }> {
  const active = await cluster.activeNode();
  try {
    await active.call('PUT', '/sys/step-down', undefined, { authenticated: true });
  } catch (error) {
    await audit?.record({ action: 'vault.step-down', outcome: 'error', address: active.address });
    throw asRequestFailed(error, 'Step-down');
  }
  await audit?.record({ action: 'vault.step-down', outcome: 'ok', address: active.address });
  return { address: active.address };
}
