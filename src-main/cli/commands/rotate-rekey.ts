/** `rotate finish`'s switch of each server to the new key alone, over the push client's `rekey` (protocol §12.12). */
import type { CustodianSigner, PinnedServer } from '../../core/push/index.js';
import type { RekeyOutcome } from '../../core/rotation/index.js';
import type { CommandContext } from '../main.js';

export async function rekeyServers(_context: CommandContext, _signer: CustodianSigner, chosen: readonly PinnedServer[], _keys: readonly Buffer[], _retire: readonly string[], _contact: { timeoutMs?: number; concurrency?: number }): Promise<RekeyOutcome[]> {
  // Placeholder until the rekey client lands (branch `rekey`): every server reports that it was not switched.
  return chosen.map((server) => ({
    server: server.name, ok: false,
    error: { code: 'PROTOCOL_ERROR', message: `${server.name} was not switched: this build has no rekey client yet.`, hint: 'Lock the server and push the new key alone instead.' },
  }));
}
