/** `rotate finish`'s switch of each server to the new key alone, over the push client's `rekey` (protocol §12.12). */
import { rekeyKeys, type CustodianSigner, type PinnedServer } from '../../core/push/index.js';
import type { RekeyOutcome } from '../../core/rotation/index.js';
import type { CommandContext } from '../main.js';
import { audit, prepareServers, receipts } from './push-context.js';

/** The old key is retired explicitly: the receiver refuses to drop an installed key otherwise. */
export async function rekeyServers(context: CommandContext, signer: CustodianSigner, chosen: readonly PinnedServer[], keys: readonly Buffer[], retire: readonly string[], contact: { timeoutMs?: number; concurrency?: number }): Promise<RekeyOutcome[]> {
  const results = await rekeyKeys({
    servers: chosen, keys, signer, retire, receipts: receipts(context), audit: audit(context), ...contact,
    prepare: prepareServers(context, signer, contact),
  });
  return results.map((r) => ({ server: r.server, ok: r.ok, ...(r.installedKeyIds ? { installedKeyIds: r.installedKeyIds } : {}), ...(r.error ? { error: r.error } : {}) }));
}
