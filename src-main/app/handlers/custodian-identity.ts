/**
 * The Identity section: the custodian's signing identity and its life cycle, on the same core functions as
 * `custodian identity show|rotate|revoke` (docs/protocol.md §12.5). Statements go to every pinned server at once;
 * a server that missed one gets it before its next push or lock, or now with "Send again" (resendStatements, the
 * same delivery hook push and lock run). Audit entries (`identity.rotate`, `identity.revoke`,
 * `identity.statement.deliver`, `identity.forget-old`) come from the core.
 */
import { revocationPhrase, type IdentityStatusView } from '../../../src-shared/contract.js';
import { CustodianError } from '../../core/errors.js';
import { authorizedCustodiansEntry, callReceiver, loadRetiredIdentity, revokeIdentity, rotateIdentity } from '../../core/push/index.js';
import type { Handler } from '../dispatch.js';
import { custodianContext, type CustodianDeps } from './custodian-context.js';
import { deliveryView, statementView, waiting } from './lifecycle-views.js';

type IdentityActions = 'identityStatus' | 'rotateIdentity' | 'revokeCustodian' | 'resendStatements';

export function custodianIdentityHandlers(deps: CustodianDeps): { [A in IdentityActions]: Handler<A> } {
  const context = custodianContext(deps);
  const contact = context.call ? { call: context.call } : {};

  async function status(): Promise<IdentityStatusView> {
    const { fingerprint } = await context.signer();
    const retired = await loadRetiredIdentity(context.secrets());
    const pinned = (await context.registry.list()).map((s) => s.name);
    return {
      fingerprint,
      line: authorizedCustodiansEntry(fingerprint),
      ...(retired ? { retired: retired.fingerprint } : {}),
      pending: waiting(await context.statements.list(), pinned).map(statementView),
    };
  }

  return {
    identityStatus: status,
    rotateIdentity: async ({ label, forgetOld }) => {
      await context.signer();
      const outcome = await rotateIdentity({ ...context.lifecycle(), ...contact }, { label, forgetOld: forgetOld === true });
      return {
        oldIdentity: outcome.oldIdentity,
        newIdentity: outcome.newIdentity,
        line: authorizedCustodiansEntry(outcome.newIdentity, label),
        statement: statementView(outcome.statement),
        deliveries: outcome.deliveries.map(deliveryView),
        oldForgotten: outcome.oldForgotten,
      };
    },
    revokeCustodian: async ({ fingerprint, confirmation }) => {
      if (normalise(confirmation) !== normalise(revocationPhrase(fingerprint))) {
        throw new CustodianError('INVALID_INPUT', `Type "${revocationPhrase(fingerprint)}" to confirm the revocation; nothing was signed.`, {
          hint: 'A revocation cannot be taken back: receivers honour it for good.',
        });
      }
      const signer = await context.signer();
      const outcome = await revokeIdentity({ ...context.lifecycle(), ...contact }, signer, fingerprint);
      return {
        revoked: fingerprint, revokesSelf: fingerprint === signer.fingerprint,
        statement: statementView(outcome.statement), deliveries: outcome.deliveries.map(deliveryView),
      };
    },
    resendStatements: async () => {
      const signer = await context.signer();
      const before = await context.statements.list();
      const servers = await context.registry.list();
      // The hook push and lock run first: it sends each server its pending statements, records and audits each
      // outcome, and forgets the retired identity once every server acknowledged its hand-over.
      const prepare = context.prepare(signer);
      const targets = servers.filter((s) => before.some((st) => st.servers[s.name]?.state === 'pending'));
      for (const server of targets) await prepare(server, context.call ?? callReceiver);
      const after = await context.statements.list();
      const deliveries = targets.flatMap((server) => before
        .filter((st) => st.servers[server.name]?.state === 'pending')
        .map((st) => {
          const now = after.find((s) => s.id === st.id)?.servers[server.name];
          const ok = now?.state === 'acknowledged';
          const code = now?.code ?? 'INTERNAL';
          return {
            server: server.name, statement: st.id, type: st.type, ok,
            ...(ok ? {} : {
              error: now?.state === 'refused'
                ? { code, message: `${server.name} refused it for good (${code}); it is not sent again.` }
                : { code, message: `${server.name} has not acknowledged it yet (${code}); it is sent again before the next push or lock.` },
            }),
          };
        }));
      return { deliveries, status: await status() };
    },
  };
}

function normalise(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ');
}
