/**
 * The Servers screen's incident levers, on the same core functions as `custodian server lock` and
 * `custodian server accept-identity` (docs/protocol.md §12.4, §12.6). Presence is asked by guard.ts first; the
 * audit entries (`server.lock`, `server.accept-identity`) and lock receipts are written by the core.
 */
import { CustodianError } from '../../core/errors.js';
import { acceptReceiverIdentity, lockServers } from '../../core/push/index.js';
import type { Handler } from '../dispatch.js';
import { custodianContext, type CustodianDeps } from './custodian-context.js';
import { lockView } from './lifecycle-views.js';

export function incidentHandlers(deps: CustodianDeps): { lockServers: Handler<'lockServers'>; acceptServerIdentity: Handler<'acceptServerIdentity'> } {
  const context = custodianContext(deps);
  return {
    lockServers: async ({ servers, all }) => {
      const chosen = await context.registry.select(servers ?? [], all === true);
      if (chosen.length === 0) throw new CustodianError('INVALID_INPUT', 'There is no pinned server to lock.', { hint: 'Add a server first.' });
      const signer = await context.signer();
      const results = await lockServers({
        servers: chosen, signer, receipts: context.receipts, audit: context.audit, prepare: context.prepare(signer),
        ...(context.call ? { call: context.call } : {}),
      });
      return results.map(lockView);
    },
    acceptServerIdentity: async ({ name }) => {
      const server = await context.registry.get(name);
      const accepted = await acceptReceiverIdentity({ server, registry: context.registry, audit: context.audit, ...(context.call ? { call: context.call } : {}) });
      return { ...accepted };
    },
  };
}
