/**
 * `custodian server lock` in the core (docs/protocol.md §12.4): for each server a fresh status (nonce-checked,
 * pinned identity), a lock request signed by the custodian and bound to that boot and challenge, the signed lock
 * receipt verified and recorded, and an audit entry `server.lock`, each as soon as that server has answered.
 */
import type { AuditLog } from '../audit.js';
import { isCustodianError } from '../errors.js';
import { mapServers } from './bounded.js';
import { buildLockRequest, verifyLockReceipt } from './lock-messages.js';
import type { CustodianSigner } from './messages.js';
import type { ContactOptions, PrepareServer } from './push.js';
import type { ReceiptLog, StoredReceipt } from './receipts.js';
import { asResultError, endpointOf, fetchStatus, receiverRefusal, type CallReceiver, type ResultError } from './results.js';
import type { PinnedServer } from './servers.js';
import { callReceiver } from './transport.js';

export interface LockResult {
  server: string;
  url: string;
  ok: boolean;
  /** locked: this request locked it (it was locked or unlocked before: `wasState`); refused/failed: see error. */
  outcome: 'locked' | 'refused' | 'failed';
  serverId?: string;
  /** The boot that was locked; the receiver starts a new one. */
  bootId?: string;
  wasState?: 'locked' | 'unlocked';
  lockedAt?: number;
  error?: ResultError;
}

export interface LockOptions extends ContactOptions {
  servers: readonly PinnedServer[];
  signer: CustodianSigner;
  receipts?: ReceiptLog;
  audit?: AuditLog;
  prepare?: PrepareServer;
  onResult?: (result: LockResult) => void;
  now?: () => Date;
}

export async function lockServers(options: LockOptions): Promise<LockResult[]> {
  const call = options.call ?? callReceiver;
  const now = options.now ?? (() => new Date());
  return mapServers(options.servers, options.concurrency, async (server) => {
    const { result, receipt } = await lockOne(server, options, call, now);
    try {
      if (receipt) await options.receipts?.add([receipt]);
    } finally {
      await options.audit?.record({
        action: 'server.lock', outcome: result.ok ? 'ok' : 'error', server: result.server, url: result.url,
        bootId: result.bootId ?? null, wasState: result.wasState ?? null, code: result.error?.code ?? null,
        receiverCode: (result.error?.details?.['receiver_code'] as string | undefined) ?? null,
      });
    }
    options.onResult?.(result);
    return result;
  });
}

async function lockOne(server: PinnedServer, options: LockOptions, call: CallReceiver, now: () => Date): Promise<{ result: LockResult; receipt?: StoredReceipt }> {
  const base = { server: server.name, url: server.url };
  try {
    const signer = (await options.prepare?.(server, call)) ?? options.signer;
    const status = await fetchStatus(server, call, options.timeoutMs);
    const known = { serverId: status.serverId, bootId: status.bootId, wasState: status.state };
    try {
      const request = buildLockRequest({ status, custodian: signer, issuedAt: Math.floor(now().getTime() / 1000) });
      const answer = await call(endpointOf(server), 'lock', request.body, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
      if (answer.status !== 200) throw receiverRefusal(server.name, answer, 'the lock');
      const receipt = await verifyLockReceipt(answer.body, request, server.identity, server.name);
      return {
        result: { ...base, ...known, ok: true, outcome: 'locked', lockedAt: receipt.lockedAt },
        receipt: {
          kind: 'lock', server: server.name, url: server.url, serverId: receipt.serverId, identity: receipt.identity, bootId: receipt.bootId,
          custodian: receipt.custodian, keyIds: [], installedAt: receipt.lockedAt, receivedAt: now().toISOString(), jws: receipt.jws,
        },
      };
    } catch (error) {
      const refused = isCustodianError(error) && error.code === 'PUSH_REFUSED';
      return { result: { ...base, ...known, ok: false, outcome: refused ? 'refused' : 'failed', error: asResultError(error) } };
    }
  } catch (error) {
    return { result: { ...base, ok: false, outcome: 'failed', error: asResultError(error) } };
  }
}
