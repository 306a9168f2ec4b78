/**
 * The custodian identity's life cycle (docs/protocol.md §12.5): `identity rotate` makes a new identity in the
 * keychain and a hand-over statement signed by the old one; `identity revoke` a revocation signed by the current
 * one. Both go to every pinned server at once, and to each server that missed them before its next push or lock
 * (prepareWithStatements). The old identity stays in the keychain (RETIRED_IDENTITY_ACCOUNT) and keeps signing
 * for servers that have not applied the hand-over, until every server acknowledged it or `--forget-old`.
 */
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import { CustodianError } from '../errors.js';
import type { SecretStore } from '../keystore/index.js';
import { mapServers } from './bounded.js';
import { IDENTITY_ACCOUNT, RETIRED_IDENTITY_ACCOUNT, loadRetiredIdentity, signerFromSeed } from './identity.js';
import type { CustodianSigner } from './messages.js';
import type { PrepareServer } from './push.js';
import type { CallReceiver } from './results.js';
import type { PinnedServer, ServerRegistry } from './servers.js';
import {
  LABEL_PATTERN, acknowledgedBy, allAcknowledged, buildHandover, buildRevocation, deliverPending, type DeliveryResult, type Statement, type StatementLog,
} from './statements.js';
import { callReceiver } from './transport.js';
import { isFingerprint } from './wire.js';

export interface LifecycleContext {
  secrets: SecretStore;
  statements: StatementLog;
  servers: ServerRegistry;
  audit?: AuditLog;
  call?: CallReceiver;
  timeoutMs?: number;
  concurrency?: number;
  now?: () => Date;
}

export interface StatementOutcome {
  statement: Statement;
  deliveries: DeliveryResult[];
}

export interface RotationOutcome extends StatementOutcome {
  oldIdentity: string;
  newIdentity: string;
  /** The old identity was deleted from the keychain (every server acknowledged, or --forget-old). */
  oldForgotten: boolean;
}

export async function rotateIdentity(context: LifecycleContext, options: { label: string; forgetOld?: boolean }): Promise<RotationOutcome> {
  const now = context.now ?? (() => new Date());
  if (!LABEL_PATTERN.test(options.label)) {
    throw new CustodianError('INVALID_INPUT', 'The label is 1-64 printable ASCII characters.', { hint: 'For example --label "alice (security officer, 2027 laptop)".' });
  }
  const retired = await loadRetiredIdentity(context.secrets);
  if (retired && !options.forgetOld) {
    const pinnedNow = (await context.servers.list()).map((s) => s.name);
    const pending = (await context.statements.list()).find((s) => s.type === 'handover' && s.signer === retired.fingerprint && !allAcknowledged(s, pinnedNow));
    const waiting = pending ? Object.entries(pending.servers).filter(([name, d]) => d.state !== 'acknowledged' && pinnedNow.includes(name)).map(([name]) => name) : [];
    throw new CustodianError('INVALID_INPUT', `The previous hand-over (from ${retired.fingerprint}) is not acknowledged by every server yet${waiting.length ? ` (${waiting.join(', ')})` : ''}; nothing was changed.`, {
      hint: 'Reach those servers first (`custodian server lock` or `custodian push` deliver it), or rotate again with --forget-old to drop the old identity now.',
    });
  }
  const oldSeed = await context.secrets.get(IDENTITY_ACCOUNT);
  if (!oldSeed || oldSeed.length !== 32) {
    oldSeed?.fill(0);
    throw new CustodianError('INVALID_INPUT', 'There is no custodian identity to rotate yet.', { hint: 'Create one with `custodian identity show`.' });
  }
  const newSeed = randomBytes(32);
  const pinned = await context.servers.list();
  let old: CustodianSigner;
  let fresh: CustodianSigner;
  try {
    old = signerFromSeed(oldSeed);
    fresh = signerFromSeed(newSeed);
    const issuedAt = Math.floor(now().getTime() / 1000);
    const jws = buildHandover(old, fresh.fingerprint, options.label, issuedAt);
    // The public statement first, then the keychain: a crash in between leaves a statement nobody signs with yet.
    const statement = await context.statements.add({ type: 'handover', jws, signer: old.fingerprint, subject: fresh.fingerprint, label: options.label, issuedAt }, pinned.map((s) => s.name), now());
    await context.secrets.set(RETIRED_IDENTITY_ACCOUNT, oldSeed);
    await context.secrets.set(IDENTITY_ACCOUNT, newSeed);
    await context.audit?.record({ action: 'identity.rotate', outcome: 'ok', oldIdentity: old.fingerprint, newIdentity: fresh.fingerprint, label: options.label, statement: statement.id, servers: pinned.map((s) => s.name) });
    const deliveries = await deliverToAll(context, pinned);
    const settled = (await context.statements.list()).find((s) => s.id === statement.id) ?? statement;
    const oldForgotten = Boolean(options.forgetOld) || allAcknowledged(settled, pinned.map((p) => p.name));
    if (oldForgotten) await forgetRetired(context, old.fingerprint, options.forgetOld ? 'forget-old' : 'acknowledged');
    return { statement: settled, deliveries, oldIdentity: old.fingerprint, newIdentity: fresh.fingerprint, oldForgotten };
  } finally {
    oldSeed.fill(0);
    newSeed.fill(0);
  }
}

export async function revokeIdentity(context: LifecycleContext, signer: CustodianSigner, revoked: string): Promise<StatementOutcome> {
  if (!isFingerprint(revoked)) {
    throw new CustodianError('INVALID_INPUT', 'That is not a custodian fingerprint (ed25519: followed by 43 characters).', { hint: 'Copy it from the authorized-custodians file or `custodian identity show`.' });
  }
  const now = context.now ?? (() => new Date());
  const pinned = await context.servers.list();
  const issuedAt = Math.floor(now().getTime() / 1000);
  const jws = buildRevocation(signer, revoked, issuedAt);
  const statement = await context.statements.add({ type: 'revocation', jws, signer: signer.fingerprint, subject: revoked, issuedAt }, pinned.map((s) => s.name), now());
  await context.audit?.record({ action: 'identity.revoke', outcome: 'ok', revoked, signer: signer.fingerprint, statement: statement.id, servers: pinned.map((s) => s.name) });
  const deliveries = await deliverToAll(context, pinned);
  return { statement: (await context.statements.list()).find((s) => s.id === statement.id) ?? statement, deliveries };
}

async function deliverToAll(context: LifecycleContext, servers: readonly PinnedServer[]): Promise<DeliveryResult[]> {
  const call = context.call ?? callReceiver;
  const perServer = await mapServers(servers, context.concurrency, (server) => deliverAndAudit(context, server, call));
  return perServer.flat();
}

async function deliverAndAudit(context: LifecycleContext, server: PinnedServer, call: CallReceiver): Promise<DeliveryResult[]> {
  const results = await deliverPending(server, context.statements, call, { ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}), ...(context.now ? { now: context.now } : {}) });
  for (const result of results) {
    await context.audit?.record({
      action: 'identity.statement.deliver', outcome: result.ok ? 'ok' : 'error', server: result.server, statement: result.statement, type: result.type,
      applied: result.applied ?? null, code: result.error?.code ?? null, receiverCode: (result.error?.details?.['receiver_code'] as string | undefined) ?? null,
    });
  }
  return results;
}

async function forgetRetired(context: LifecycleContext, fingerprint: string, reason: 'acknowledged' | 'forget-old'): Promise<void> {
  if (await context.secrets.delete(RETIRED_IDENTITY_ACCOUNT)) {
    await context.audit?.record({ action: 'identity.forget-old', outcome: 'ok', fingerprint, reason });
  }
}

/**
 * The push/lock hook: deliver this server's pending statements first, then choose the identity that this server
 * accepts now: the current one, or the retired one while this server has not acknowledged the hand-over (so a
 * server that could not take the statement still gets its key). Forgets the retired identity once every server
 * acknowledged the hand-over.
 */
export function prepareWithStatements(context: LifecycleContext, current: CustodianSigner): PrepareServer {
  let retired: Promise<CustodianSigner | null> | undefined;
  return async (server, call) => {
    const delivered = await deliverAndAudit(context, server, call);
    const statements = await context.statements.list();
    if (delivered.length === 0 && !statements.some((s) => s.type === 'handover')) return current;
    retired ??= loadRetiredIdentity(context.secrets);
    const old = await retired;
    if (!old) return current;
    const handover = statements.find((s) => s.type === 'handover' && s.signer === old.fingerprint && s.subject === current.fingerprint);
    if (!handover) return current;
    if (handover.servers[server.name] && !acknowledgedBy(handover, server.name)) return old;
    if (allAcknowledged(handover, (await context.servers.list()).map((p) => p.name))) await forgetRetired(context, old.fingerprint, 'acknowledged');
    return current;
  };
}
