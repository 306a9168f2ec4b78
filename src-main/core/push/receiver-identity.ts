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

function noProof(server: string, pinned: string, target: string, why: string): CustodianError {
  return new CustodianError('IDENTITY_MISMATCH', `${server} presents identity ${target}, and ${why}; the pin (${pinned}) was not changed.`, {
    hint: 'Without that proof this can be another machine at the address. If the receiver was reinstalled on purpose, check its new fingerprint out of band, then `custodian server remove` and `custodian server add --identity`.',
    details: { protocol_code: 'IDENTITY_MISMATCH', presented: target, pinned },
  });
}

/**
 * The chain from `pinned` to `target` through `handovers` (oldest first). Links signed by another key than the
 * chain's current one are skipped (hand-overs from before our pin); a link signed by the current key that is
 * malformed, badly signed or for another server id breaks the chain. No chain: IDENTITY_MISMATCH.
 */
export async function verifyHandoverChain(handovers: readonly unknown[], pinned: string, target: string, serverId: string, server: string): Promise<number> {
  let current = pinned;
  let links = 0;
  for (const token of handovers.slice(-MAX_LINKS)) {
    if (current === target) break;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await verifyReceiverJws(token, 'custodian-receiver-handover+jws', current, server));
    } catch (error) {
      if (isCustodianError(error) && error.code === 'IDENTITY_MISMATCH') continue;
      throw noProof(server, pinned, target, `a hand-over from ${current} is invalid (${String(error instanceof CustodianError ? error.details?.['protocol_code'] ?? error.code : 'error')})`);
    }
    const valid = hasExactly(payload, HANDOVER_MEMBERS) && payload['server_id'] === serverId && payload['old_identity'] === current
      && isFingerprint(payload['new_identity']) && typeof payload['issued_at'] === 'number';
    if (!valid) throw noProof(server, pinned, target, `a hand-over from ${current} does not name this server or is malformed`);
    current = payload['new_identity'] as string;
    links += 1;
  }
  if (current !== target) throw noProof(server, pinned, target, 'no chain of hand-overs signed by its pinned identity leads to it');
  return links;
}

/**
 * Checks a status answer and an identity answer (GET {base}/identity) against the pin: the status must be signed
 * by the key it presents, for the pinned server id, and echo `nonce`; returns the identity to pin and the links.
 */
export async function verifyIdentityChange(statusBody: string, identityBody: string | null, pinned: string, serverId: string, nonce: string, server: string): Promise<{ identity: string; links: number }> {
  const presented = presentedIdentity(statusBody);
  if (!presented) throw protocolError('BAD_REQUEST', server);
  const status = await verifyStatus(statusBody, presented, serverId, server, nonce);
  if (status.identity === pinned) return { identity: pinned, links: 0 };
  const body = identityBody === null ? null : parseObject(identityBody);
  if (!body || !hasExactly(body, ['protocol', 'handovers']) || body['protocol'] !== PROTOCOL || !Array.isArray(body['handovers'])) {
    throw noProof(server, pinned, status.identity, 'it serves no readable hand-over list');
  }
  return { identity: status.identity, links: await verifyHandoverChain(body['handovers'], pinned, status.identity, serverId, server) };
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
  if (presented === server.identity) {
    await verifyStatus(answer.body, server.identity, server.serverId, server.name, nonce);
    return { server: server.name, oldIdentity: server.identity, newIdentity: server.identity, links: 0, changed: false };
  }
  try {
    const chainAnswer = await call(endpointOf(server), 'identity', undefined, timing);
    const { identity, links } = await verifyIdentityChange(answer.body, chainAnswer.status === 200 ? chainAnswer.body : null, server.identity, server.serverId, nonce, server.name);
    await options.registry.repin(server.name, server.identity, identity);
    await options.audit?.record({ action: 'server.accept-identity', outcome: 'ok', server: server.name, url: server.url, oldIdentity: server.identity, newIdentity: identity, links });
    return { server: server.name, oldIdentity: server.identity, newIdentity: identity, links, changed: true };
  } catch (error) {
    await options.audit?.record({
      action: 'server.accept-identity', outcome: 'error', server: server.name, url: server.url, oldIdentity: server.identity, presented,
      code: isCustodianError(error) ? error.code : 'INTERNAL',
    });
    throw error;
  }
}
