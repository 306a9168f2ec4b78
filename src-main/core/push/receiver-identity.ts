/**
 * `custodian server accept-identity` (docs/protocol.md §12.6): a receiver that replaced its identity key serves
 * the hand-over statements signed by its old keys at GET {base}/identity. The client re-pins only if the chain
 * leads link by link, each signed by the previous key and naming the pinned server id, from the pinned
 * fingerprint to the key that signs the current (nonce-fresh) status. Without that proof nothing changes and the
 * answer stays IDENTITY_MISMATCH.
 */
import type { AuditLog } from '../audit.js';
import { CustodianError, isCustodianError } from '../errors.js';
import { verifyStatus } from './messages.js';
import { endpointOf, freshNonce, type CallReceiver } from './results.js';
import type { PinnedServer, ServerRegistry } from './servers.js';
import { callReceiver } from './transport.js';
import { PROTOCOL, hasExactly, isFingerprint, parseObject, presentedIdentity, protocolError, verifyReceiverJws } from './wire.js';

const HANDOVER_MEMBERS = ['protocol', 'type', 'server_id', 'old_identity', 'new_identity', 'issued_at'];
/** A receiver rotating more often than this between two contacts is not plausible; it bounds the work. */
const MAX_LINKS = 64;

export interface AcceptedIdentity {
  server: string;
  oldIdentity: string;
  newIdentity: string;
  /** Hand-over links verified from the pinned identity to the new one. */
  links: number;
  /** false: the server already presents its pinned identity; nothing changed. */
  changed: boolean;
}

/** The chain from `pinned` to `target` through `handovers` (oldest first); throws IDENTITY_MISMATCH without one. */
export async function verifyHandoverChain(handovers: readonly unknown[], pinned: string, target: string, serverId: string, server: string): Promise<number> {
  let current = pinned;
  let links = 0;
  for (const token of handovers.slice(-MAX_LINKS)) {
    if (current === target) break;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await verifyReceiverJws(token, 'custodian-receiver-handover+jws', current, server));
    } catch (error) {
      // A link signed by another key is not part of this chain (e.g. a hand-over before our pin): skip it.
      if (isCustodianError(error) && error.code === 'IDENTITY_MISMATCH') continue;
      throw error;
    }
    const valid = hasExactly(payload, HANDOVER_MEMBERS) && payload['server_id'] === serverId && payload['old_identity'] === current
      && isFingerprint(payload['new_identity']) && typeof payload['issued_at'] === 'number';
    if (!valid) throw protocolError('BAD_REQUEST', server);
    current = payload['new_identity'] as string;
    links += 1;
  }
  if (current !== target) {
    throw new CustodianError('IDENTITY_MISMATCH', `${server} presents identity ${target}, and no hand-over signed by its pinned identity ${pinned} leads to it; the pin was not changed.`, {
      hint: 'Without that proof this can be another machine at the address. If the receiver was reinstalled on purpose, check its new fingerprint out of band, then `custodian server remove` and `custodian server add --identity`.',
      details: { protocol_code: 'IDENTITY_MISMATCH', presented: target, pinned },
    });
  }
  return links;
}

export async function acceptReceiverIdentity(options: {
  server: PinnedServer;
  registry: ServerRegistry;
  audit?: AuditLog;
  call?: CallReceiver;
  timeoutMs?: number;
}): Promise<AcceptedIdentity> {
  const { server } = options;
  const call = options.call ?? callReceiver;
  const timing = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  const nonce = freshNonce();
  const answer = await call(endpointOf(server), 'status', undefined, { query: { nonce }, ...timing });
  if (answer.status !== 200) throw protocolError('BAD_REQUEST', server.name);
  const presented = presentedIdentity(answer.body);
  if (!presented) throw protocolError('BAD_REQUEST', server.name);
  // Signed by the key it presents, for the pinned server id, and fresh: what the chain has to lead to.
  const status = await verifyStatus(answer.body, presented, server.serverId, server.name, nonce);
  if (status.identity === server.identity) return { server: server.name, oldIdentity: server.identity, newIdentity: server.identity, links: 0, changed: false };
  try {
    const chainAnswer = await call(endpointOf(server), 'identity', undefined, timing);
    if (chainAnswer.status !== 200) throw protocolError('BAD_REQUEST', server.name);
    const body = parseObject(chainAnswer.body);
    if (!body || !hasExactly(body, ['protocol', 'handovers']) || body['protocol'] !== PROTOCOL || !Array.isArray(body['handovers'])) throw protocolError('BAD_REQUEST', server.name);
    const links = await verifyHandoverChain(body['handovers'], server.identity, status.identity, server.serverId, server.name);
    await options.registry.repin(server.name, server.identity, status.identity);
    await options.audit?.record({ action: 'server.accept-identity', outcome: 'ok', server: server.name, url: server.url, oldIdentity: server.identity, newIdentity: status.identity, links });
    return { server: server.name, oldIdentity: server.identity, newIdentity: status.identity, links, changed: true };
  } catch (error) {
    await options.audit?.record({
      action: 'server.accept-identity', outcome: 'error', server: server.name, url: server.url, oldIdentity: server.identity, presented: status.identity,
      code: isCustodianError(error) ? error.code : 'INTERNAL',
    });
    throw error;
  }
}
