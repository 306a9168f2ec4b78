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
import { buildUnlockRequest, verifyReceipt, type CustodianSigner, type ReceiverStatus } from './messages.js';
import type { ReceiptLog, StoredReceipt } from './receipts.js';
import { asResultError, endpointOf, fetchStatus, receiverRefusal, type CallReceiver, type ResultError } from './results.js';
import type { PinnedServer } from './servers.js';
import { callReceiver } from './transport.js';
import { receiptVaultResult, vaultLoginFor, type VaultLoginOptions, type VaultLoginResult } from './vault-login.js';

export { fetchStatus, type CallReceiver, type ResultError } from './results.js';

export interface PushResult {
  server: string;
  url: string;
  ok: boolean;
  /** unlocked: by this push; already-unlocked: it already held exactly these keys; refused/failed: see error. */
  outcome: 'unlocked' | 'already-unlocked' | 'refused' | 'failed';
  keyIds: string[];
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
        keyChecks: status.keyChecks, installedKeyIds: status.installedKeyIds,
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
        result: result.outcome, code: result.error?.code ?? null, receiverCode: (result.error?.details?.['receiver_code'] as string | undefined) ?? null,
        ...(result.warnings ? { warnings: result.warnings } : {}),
        ...(result.vaultLogin ? { vaultRole: result.vaultLogin.role, vaultLogin: result.vaultLogin.state } : {}),
      });
    }
    options.onResult?.(result);
    return result;
  });
}

/** Why a push to this status must not go ahead (nothing is sent), or the warnings it goes ahead with. */
function checkKeys(server: string, status: ReceiverStatus, keyIds: string[], allowOlder: boolean): CustodianError | string[] {
  const unexpected = keyIds.filter((id) => !status.keyChecks.includes(id));
  if (unexpected.length > 0) {
    return new CustodianError('PUSH_REFUSED', `${server} does not accept ${unexpected.join(', ')} (it expects ${status.keyChecks.join(', ')}); nothing was sent.`, {
      hint: 'Push the key the server expects (--key), or restart the server with the right --key-check.',
      details: { key_checks: status.keyChecks },
    });
  }
  const newest = status.keyChecks[0]!;
  if (keyIds[0] === newest) return [];
  const swapped = keyIds.includes(newest);
  const rest = keyIds.filter((id) => id !== newest);
  if (!allowOlder) {
    return new CustodianError('PUSH_REFUSED', `${server}'s newest key is ${newest}, but ${keyIds[0]} is pushed as the current key${swapped ? ' (previous and current swapped?)' : ''}: new data would be encrypted with an older key; nothing was sent.`, {
      hint: `Push --key ${newest}${rest.length > 0 ? ` --previous ${rest.join(' ')}` : ''}; or, to roll back on purpose, add --allow-older-current-key.`,
      details: { newest_key: newest, key_checks: status.keyChecks },
    });
  }
  return [swapped
    ? `${keyIds[0]} was pushed as the current key before the newer ${newest} ([previous, current] order): new data is encrypted with the older key.`
    : `${keyIds[0]} was pushed as the current key, but ${server}'s newest key is ${newest}: new data is encrypted with the older key.`];
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
  if (status.state === 'unlocked') {
    if (JSON.stringify(status.installedKeyIds) === JSON.stringify(keyIds)) {
      const vaultLogin = options.vaultLogin ? { vaultLogin: receiptVaultResult(options.vaultLogin.role, status.vaultLogin?.state ?? 'VAULT_NOT_CONFIGURED') } : {};
      return { result: { ...base, ...known, ok: true, outcome: 'already-unlocked' as const, ...vaultLogin } };
    }
    return {
      result: {
        ...base, ...known, ok: false, outcome: 'refused' as const,
        error: asResultError(new CustodianError('PUSH_REFUSED', `${server.name} is already unlocked with other keys (${status.installedKeyIds.join(', ')}); nothing was sent.`, {
          hint: 'Lock it (`custodian server lock NAME`) or restart it (it boots locked) to install different keys.',
          details: { installed_key_ids: status.installedKeyIds },
        })),
      },
    };
  }
  const checked = checkKeys(server.name, status, keyIds, Boolean(options.allowOlderCurrentKey));
  if (checked instanceof CustodianError) return { result: { ...base, ...known, ok: false, outcome: 'refused' as const, error: asResultError(checked) } };
  const warnings = checked.length > 0 ? { warnings: checked } : {};
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
