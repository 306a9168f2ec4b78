/**
 * Replace the key set of UNLOCKED receivers without a restart (docs/protocol.md §12.12): for each server a fresh
 * status (nonce-checked, pinned identity), the new set (current first) sealed to that boot's rekey key in a
 * request signed by the custodian and bound to the boot and a single-use challenge, the signed rekey receipt
 * verified and recorded, and an audit entry `rekey`, each as soon as that server has answered.
 *
 * Every installed key the new set leaves out must be retired explicitly (`retire` or `retireDropped`): the
 * receiver refuses otherwise (RETIRE_REQUIRED), and so does this client before sending anything.
 */
import type { AuditLog } from '../audit.js';
import { keyId } from '../crypto/index.js';
import { CustodianError, isCustodianError } from '../errors.js';
import { mapServers } from './bounded.js';
import { checkKeyOrder, droppedKeys } from './key-set.js';
import type { CustodianSigner, ReceiverStatus } from './messages.js';
import type { ContactOptions, PrepareServer } from './push.js';
import type { ReceiptLog, StoredReceipt } from './receipts.js';
import { buildRekeyRequest, verifyRekeyReceipt } from './rekey-messages.js';
import { asResultError, endpointOf, fetchStatus, receiverRefusal, type CallReceiver, type ResultError } from './results.js';
import type { PinnedServer } from './servers.js';
import { callReceiver } from './transport.js';

export interface RekeyResult {
  server: string;
  url: string;
  ok: boolean;
  /** rekeyed: this request replaced the set; unchanged: it already held exactly these keys; refused/failed: see error. */
  outcome: 'rekeyed' | 'unchanged' | 'refused' | 'failed';
  /** The set that was asked for, current first. */
  keyIds: string[];
  /** From the signed receipt (rekeyed) or the status (unchanged): what is installed now, current first. */
  installedKeyIds?: string[];
  /** What was installed before (rekeyed). */
  replacedKeyIds?: string[];
  /** Installed keys this request retired (rekeyed). */
  retired?: string[];
  serverId?: string;
  bootId?: string;
  installedAt?: number;
  /** The status this result was decided on: the application's count of tokens under previous keys. */
  tokensUnderPrevious?: number | null;
  warnings?: string[];
  error?: ResultError;
}

export interface RekeyOptions extends ContactOptions {
  servers: readonly PinnedServer[];
  /** Raw 32-byte keys, current first. The caller owns (and wipes) them. */
  keys: readonly Buffer[];
  signer: CustodianSigner;
  /** Installed key ids this rekey may drop (retired explicitly); ids a server does not hold are ignored for it. */
  retire?: readonly string[];
  /** Retire every installed key the new set leaves out (the explicit "drop previous" decision). */
  retireDropped?: boolean;
  /** Rekey even when the current key is not the receiver's newest configured key (§12.3); a warning remains. */
  allowOlderCurrentKey?: boolean;
  receipts?: ReceiptLog;
  audit?: AuditLog;
  prepare?: PrepareServer;
  onResult?: (result: RekeyResult) => void;
  now?: () => Date;
}

export async function rekeyKeys(options: RekeyOptions): Promise<RekeyResult[]> {
  const call = options.call ?? callReceiver;
  const now = options.now ?? (() => new Date());
  const keyIds = options.keys.map((k) => keyId(k));
  return mapServers(options.servers, options.concurrency, async (server) => {
    let result: RekeyResult;
    let receipt: StoredReceipt | undefined;
    try {
      const signer = (await options.prepare?.(server, call)) ?? options.signer;
      const status = await fetchStatus(server, call, options.timeoutMs);
      ({ result, receipt } = await rekeyWithStatus(server, status, { ...options, signer }, keyIds, call, now));
    } catch (error) {
      result = { server: server.name, url: server.url, keyIds, ok: false, outcome: 'failed', error: asResultError(error) };
    }
    await recordRekey(result, receipt, options);
    options.onResult?.(result);
    return result;
  });
}

/** Records a rekey's receipt (as soon as that server answered) and its audit entry. */
export async function recordRekey(result: RekeyResult, receipt: StoredReceipt | undefined, options: { receipts?: ReceiptLog | undefined; audit?: AuditLog | undefined }): Promise<void> {
  try {
    if (receipt) await options.receipts?.add([receipt]);
  } finally {
    await options.audit?.record({
      action: 'rekey', outcome: result.ok ? 'ok' : 'error', server: result.server, url: result.url, keyIds: result.keyIds,
      result: result.outcome, retired: result.retired ?? [], code: result.error?.code ?? null,
      receiverCode: (result.error?.details?.['receiver_code'] as string | undefined) ?? null,
      ...(result.warnings ? { warnings: result.warnings } : {}),
    });
  }
}

/**
 * The rekey of one server whose fresh, verified status is `status` (push uses this for an unlocked server).
 * Nothing is sent when the receiver would refuse: not unlocked, keys not accepted or out of order, or an
 * installed key dropped without being retired.
 */
export async function rekeyWithStatus(
  server: PinnedServer, status: ReceiverStatus,
  options: Pick<RekeyOptions, 'keys' | 'signer' | 'retire' | 'retireDropped' | 'allowOlderCurrentKey' | 'timeoutMs'>,
  keyIds: string[], call: CallReceiver, now: () => Date,
): Promise<{ result: RekeyResult; receipt?: StoredReceipt }> {
  const base = {
    server: server.name, url: server.url, keyIds, serverId: status.serverId, bootId: status.bootId, tokensUnderPrevious: status.tokensUnderPrevious,
  };
  const refused = (error: CustodianError, warnings?: string[]) => ({ result: { ...base, ok: false, outcome: 'refused' as const, error: asResultError(error), ...(warnings?.length ? { warnings } : {}) } });
  if (status.state !== 'unlocked') {
    return refused(new CustodianError('PUSH_REFUSED', `${server.name} is locked: there is no key set to replace; nothing was sent.`, {
      hint: 'Unlock it with `custodian push`, which sends the whole set.', details: { receiver_code: 'NOT_UNLOCKED' },
    }));
  }
  if (status.ephemeralKey === null) {
    return refused(new CustodianError('PUSH_REFUSED', `${server.name} is unlocked with other keys (${status.installedKeyIds.join(', ')}) and its receiver cannot replace them while running (it predates rekey, protocol §12.12); nothing was sent.`, {
      hint: 'Update the receiver; meanwhile lock it (`custodian server lock NAME`) or restart it, then push.', details: { installed_key_ids: status.installedKeyIds },
    }));
  }
  const dropped = droppedKeys(status, keyIds);
  if (dropped.length === 0 && JSON.stringify(status.installedKeyIds) === JSON.stringify(keyIds)) {
    return { result: { ...base, ok: true, outcome: 'unchanged', installedKeyIds: status.installedKeyIds } };
  }
  const checked = checkKeyOrder(server.name, status, keyIds, Boolean(options.allowOlderCurrentKey));
  if (checked instanceof CustodianError) return refused(checked);
  const retire = options.retireDropped ? dropped : dropped.filter((id) => options.retire?.includes(id));
  const unretired = dropped.filter((id) => !retire.includes(id));
  if (unretired.length > 0) {
    return refused(new CustodianError('PUSH_REFUSED', `${server.name} holds ${unretired.join(', ')}, which the new key set leaves out without retiring it; nothing was sent.`, {
      hint: 'Keep the key in the set (--previous), or retire it explicitly (--drop-previous).',
      details: { receiver_code: 'RETIRE_REQUIRED', dropped_key_ids: unretired },
    }), checked);
  }
  try {
    const request = await buildRekeyRequest({ status, custodian: options.signer, keys: options.keys, retire, issuedAt: Math.floor(now().getTime() / 1000) });
    const answer = await call(endpointOf(server), 'rekey', request.body, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
    if (answer.status !== 200) throw receiverRefusal(server.name, answer, 'the rekey');
    const receipt = await verifyRekeyReceipt(answer.body, request, server.identity, server.name);
    return {
      result: {
        ...base, ok: true, outcome: 'rekeyed', installedKeyIds: receipt.keyIds, replacedKeyIds: receipt.replacedKeyIds, retired: receipt.retired,
        installedAt: receipt.installedAt, ...(checked.length > 0 ? { warnings: checked } : {}),
      },
      receipt: {
        kind: 'rekey', server: server.name, url: server.url, serverId: receipt.serverId, identity: receipt.identity, bootId: receipt.bootId,
        custodian: receipt.custodian, keyIds: receipt.keyIds, installedAt: receipt.installedAt, receivedAt: now().toISOString(), jws: receipt.jws,
      },
    };
  } catch (error) {
    const isRefusal = isCustodianError(error) && error.code === 'PUSH_REFUSED';
    return { result: { ...base, ok: false, outcome: isRefusal ? 'refused' : 'failed', error: asResultError(error), ...(checked.length > 0 ? { warnings: checked } : {}) } };
  }
}
