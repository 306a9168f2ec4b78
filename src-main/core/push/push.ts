/**
 * `custodian push` and `custodian server status` in the core: contact pinned receivers with bounded concurrency,
 * verify each one's signed, nonce-fresh status against its pinned identity (a mismatch or a replay sends
 * nothing), push the keys sealed to that boot, verify the signed receipt, and record receipt and audit entry as
 * soon as THAT server has answered (a push interrupted later keeps what already happened). One result per
 * server; one failure never stops the others.
 */
import type { AuditLog } from '../audit.js';
import { keyId } from '../crypto/index.js';
import { CustodianError, isCustodianError } from '../errors.js';
import { mapServers } from './bounded.js';
import { checkDroppedKeys, checkKeyOrder } from './key-set.js';
import { buildUnlockRequest, verifyReceipt, type CustodianSigner, type ReceiverStatus } from './messages.js';
import type { ReceiptLog, StoredReceipt } from './receipts.js';
import { rekeyWithStatus } from './rekey.js';
import { asResultError, endpointOf, fetchStatus, receiverRefusal, type CallReceiver, type ResultError } from './results.js';
import type { PinnedServer } from './servers.js';
import { callReceiver } from './transport.js';
import { receiptVaultResult, vaultLoginFor, type VaultLoginOptions, type VaultLoginResult } from './vault-login.js';

export { fetchStatus, type CallReceiver, type ResultError } from './results.js';

export interface PushResult {
  server: string;
  url: string;
  ok: boolean;
  /**
   * unlocked: by this push; rekeyed: it was unlocked with another set, which this push replaced (§12.12);
   * already-unlocked: it already held exactly these keys; refused/failed: see error.
   */
  outcome: 'unlocked' | 'rekeyed' | 'already-unlocked' | 'refused' | 'failed';
  keyIds: string[];
  /** rekeyed: installed keys this push retired (--drop-previous, or 0 tokens left under them). */
  retired?: string[];
  serverId?: string;
  bootId?: string;
  installedAt?: number;
  /** Pushed anyway, but worth the officer's attention (e.g. an older key made the current key). */
  warnings?: string[];
  error?: ResultError;
  /** §12.13, with --vault-role: whether this server got its Vault login, and if not why (with a hint). */
  vaultLogin?: VaultLoginResult;
}

export interface StatusResult {
  server: string;
  url: string;
  ok: boolean;
  state?: 'locked' | 'unlocked';
  serverId?: string;
  bootId?: string;
  keyChecks?: string[];
  installedKeyIds?: string[];
  /** The application's count of tokens under non-current keys (§12.12); null: not reported. */
  tokensUnderPrevious?: number | null;
  error?: ResultError;
}

/** How receivers are contacted: transport, per-request deadline (§12.9), servers at once. */
export interface ContactOptions {
  call?: CallReceiver;
  /** Overall deadline per request in ms (default 10 s). */
  timeoutMs?: number;
  /** Servers contacted at once, a hard bound; unset: DEFAULT_CONCURRENCY, and slow ones make room (bounded.ts). */
  concurrency?: number;
}

/**
 * Runs before a server's request: delivers pending custodian statements (§12.5) and returns the identity to sign
 * with for this server (undefined: the current one). See statements.ts.
 */
export type PrepareServer = (server: PinnedServer, call: CallReceiver) => Promise<CustodianSigner | undefined>;

export async function statusOf(servers: readonly PinnedServer[], call: CallReceiver = callReceiver, options: Omit<ContactOptions, 'call'> = {}): Promise<StatusResult[]> {
  return mapServers(servers, options.concurrency, async (server): Promise<StatusResult> => {
    try {
      const status = await fetchStatus(server, call, options.timeoutMs);
      return {
        server: server.name, url: server.url, ok: true, state: status.state, serverId: status.serverId, bootId: status.bootId,
        keyChecks: status.keyChecks, installedKeyIds: status.installedKeyIds, tokensUnderPrevious: status.tokensUnderPrevious,
      };
    } catch (error) {
      return { server: server.name, url: server.url, ok: false, error: asResultError(error) };
    }
  });
}

export interface PushOptions extends ContactOptions {
  servers: readonly PinnedServer[];
  /** Raw 32-byte keys, current first. The caller owns (and wipes) them. */
  keys: readonly Buffer[];
  signer: CustodianSigner;
  receipts?: ReceiptLog;
  audit?: AuditLog;
  /** Push even when the current key is not the receiver's newest configured key (§12.3); a warning remains. */
  allowOlderCurrentKey?: boolean;
  /**
   * `--drop-previous`: the push may leave out keys a server holds or accepts although its data may still be under
   * them (checkDroppedKeys); an unlocked server's left-out keys are then retired explicitly (§12.12).
   */
  dropPrevious?: boolean;
  /** Ids of the keys this custodian holds: an older key a locked server accepts and we hold is one we could push. */
  heldKeyIds?: readonly string[];
  prepare?: PrepareServer;
  /** §12.13: mint a wrapped AppRole SecretID per server and send it with the keys. */
  vaultLogin?: VaultLoginOptions;
  /** Called with each server's result as soon as it is recorded. */
  onResult?: (result: PushResult) => void;
  now?: () => Date;
}

export async function pushKeys(options: PushOptions): Promise<PushResult[]> {
  const call = options.call ?? callReceiver;
  const now = options.now ?? (() => new Date());
  const keyIds = options.keys.map((k) => keyId(k));
  return mapServers(options.servers, options.concurrency, async (server) => {
    const { result, receipt } = await pushOne(server, options, keyIds, call, now);
    // Recorded now, not after the slowest server: a CLI stopped later must not lose this server's receipt.
    try {
      if (receipt) await options.receipts?.add([receipt]);
    } finally {
      await options.audit?.record({
        action: 'push', outcome: result.ok ? 'ok' : 'error', server: result.server, url: result.url, keyIds: result.keyIds,
        result: result.outcome, ...(result.retired ? { retired: result.retired } : {}), code: result.error?.code ?? null, receiverCode: (result.error?.details?.['receiver_code'] as string | undefined) ?? null,
        ...(result.warnings ? { warnings: result.warnings } : {}),
        ...(result.vaultLogin ? { vaultRole: result.vaultLogin.role, vaultLogin: result.vaultLogin.state } : {}),
      });
    }
    options.onResult?.(result);
    return result;
  });
}

async function pushOne(server: PinnedServer, options: PushOptions, keyIds: string[], call: CallReceiver, now: () => Date): Promise<{ result: PushResult; receipt?: StoredReceipt }> {
  const base = { server: server.name, url: server.url, keyIds };
  let status: ReceiverStatus;
  let signer = options.signer;
  try {
    signer = (await options.prepare?.(server, call)) ?? options.signer;
    status = await fetchStatus(server, call, options.timeoutMs);
  } catch (error) {
    return { result: { ...base, ok: false, outcome: 'failed' as const, error: asResultError(error) } };
  }
  const known = { serverId: status.serverId, bootId: status.bootId };
  // §12.13: nothing is minted for a server already unlocked; its result says what its status reports.
  const vaultLoginOfStatus = options.vaultLogin ? { vaultLogin: receiptVaultResult(options.vaultLogin.role, status.vaultLogin?.state ?? 'VAULT_NOT_CONFIGURED') } : {};
  if (status.state === 'unlocked' && JSON.stringify(status.installedKeyIds) === JSON.stringify(keyIds)) return { result: { ...base, ...known, ok: true, outcome: 'already-unlocked' as const, ...vaultLoginOfStatus } };
  const checked = checkKeyOrder(server.name, status, keyIds, Boolean(options.allowOlderCurrentKey));
  if (checked instanceof CustodianError) return { result: { ...base, ...known, ok: false, outcome: 'refused' as const, error: asResultError(checked) } };
  const guarded = checkDroppedKeys(server.name, status, keyIds, { dropPrevious: Boolean(options.dropPrevious), ...(options.heldKeyIds ? { heldKeyIds: options.heldKeyIds } : {}) });
  if (guarded instanceof CustodianError) return { result: { ...base, ...known, ok: false, outcome: 'refused' as const, error: asResultError(guarded) } };
  if (status.state === 'unlocked') {
    // Unlocked with another set: replaced in place (§12.12). The guard above allowed every key it drops.
    const { result, receipt } = await rekeyWithStatus(server, status, { ...options, signer, retireDropped: true }, keyIds, call, now);
    const outcome = result.outcome === 'unchanged' ? 'already-unlocked' as const : result.outcome;
    const warnings = [...guarded, ...(result.warnings ?? [])];
    return {
      result: {
        ...base, ...known, ok: result.ok, outcome, ...(result.retired?.length ? { retired: result.retired } : {}),
        ...(result.installedAt !== undefined ? { installedAt: result.installedAt } : {}), ...(warnings.length > 0 ? { warnings } : {}),
        ...(result.error ? { error: result.error } : {}), ...vaultLoginOfStatus,
      },
      ...(receipt ? { receipt } : {}),
    };
  }
  const warnings = checked.length + guarded.length > 0 ? { warnings: [...guarded, ...checked] } : {};
  // §12.13: minted only now, for a locked server that passed every check and announces the same role.
  const minted = options.vaultLogin ? await vaultLoginFor(status, options.vaultLogin) : undefined;
  const vault = minted && 'wrap' in minted ? { role: options.vaultLogin!.role, wrapToken: minted.wrap } : undefined;
  let vaultLogin = minted && 'result' in minted ? { vaultLogin: minted.result } : {};
  try {
    let request;
    try {
      request = await buildUnlockRequest({ status, custodian: signer, keys: options.keys, issuedAt: Math.floor(now().getTime() / 1000), ...(vault ? { vault } : {}) });
    } finally {
      vault?.wrapToken.fill(0);
    }
    const answer = await call(endpointOf(server), 'unlock', request.body, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
    if (answer.status !== 200) throw receiverRefusal(server.name, answer, 'the push');
    const receipt = await verifyReceipt(answer.body, request, server.identity, server.name);
    if (vault && receipt.vaultLogin) vaultLogin = { vaultLogin: receiptVaultResult(vault.role, receipt.vaultLogin) };
    return {
      result: { ...base, ...known, ok: true, outcome: 'unlocked' as const, installedAt: receipt.installedAt, ...warnings, ...vaultLogin },
      receipt: {
        server: server.name, url: server.url, serverId: receipt.serverId, identity: receipt.identity, bootId: receipt.bootId,
        custodian: receipt.custodian, keyIds: receipt.keyIds, installedAt: receipt.installedAt, receivedAt: now().toISOString(), jws: receipt.jws,
      },
    };
  } catch (error) {
    const refused = isCustodianError(error) && error.code === 'PUSH_REFUSED';
    return { result: { ...base, ...known, ok: false, outcome: refused ? 'refused' as const : 'failed' as const, error: asResultError(error), ...warnings, ...vaultLogin } };
  }
}
