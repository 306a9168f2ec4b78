/**
 * `custodian push` and `custodian server status` in the core: contact pinned receivers in parallel, verify
 * each one's signed status against its pinned identity (a mismatch sends nothing), push the keys sealed to
 * that boot, verify and keep the signed receipt. One result per server; one failure never stops the others.
 */
import type { AuditLog } from '../audit.js';
import { keyId } from '../crypto/index.js';
import { CustodianError, isCustodianError, type ErrorCode } from '../errors.js';
import { buildUnlockRequest, verifyReceipt, verifyStatus, type CustodianSigner, type ReceiverStatus } from './messages.js';
import type { ReceiptLog, StoredReceipt } from './receipts.js';
import type { PinnedServer } from './servers.js';
import { callReceiver, type Endpoint, type HttpAnswer } from './transport.js';
import { parseObject, protocolError } from './wire.js';

export type CallReceiver = (endpoint: Endpoint, path: 'status' | 'unlock', body?: string) => Promise<HttpAnswer>;

export interface ResultError {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

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
  error?: ResultError;
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

/** Why a receiver refused, in our words (its own message is not shown: it is input from the network). */
const RECEIVER_REFUSALS: Record<string, string> = {
  KEY_CHECK_FAILED: 'refused the key: it is not the key this server is configured to accept',
  UNKNOWN_CUSTODIAN: 'does not list this custodian in its authorized-custodians file',
  WRONG_BOOT: 'restarted between status and push',
  UNKNOWN_CHALLENGE: 'no longer knows the challenge (another push, or too many status requests)',
  CHALLENGE_EXPIRED: 'let the challenge expire before the push arrived',
  ALREADY_UNLOCKED: 'was unlocked by someone else in the meantime',
  DECRYPT_FAILED: 'could not decrypt the keys',
  BAD_SIGNATURE: 'rejected the request signature',
  WRONG_SERVER: 'says the request was made for another server',
  UNSUPPORTED_PROTOCOL: 'does not support this protocol version',
};

const REFUSAL_HINTS: Record<string, string> = {
  UNKNOWN_CUSTODIAN: 'Add the line printed by `custodian identity show` to the receiver\'s authorized-custodians file and restart it.',
  KEY_CHECK_FAILED: 'Check the --key-check value the receiver was started with against `custodian key list`.',
};

function asResultError(error: unknown): ResultError {
  const known = isCustodianError(error)
    ? error
    : new CustodianError('INTERNAL', `Unexpected failure (${error instanceof Error ? error.name : typeof error}).`);
  return {
    code: known.code,
    message: known.message,
    ...(known.hint ? { hint: known.hint } : {}),
    ...(known.details ? { details: known.details } : {}),
  };
}

function endpointOf(server: PinnedServer): Endpoint {
  return { name: server.name, url: server.url, tlsCa: server.tlsCa };
}

/** GET status and verify it against the pin (identity first: a mismatch is reported before anything else). */
export async function fetchStatus(server: PinnedServer, call: CallReceiver = callReceiver): Promise<ReceiverStatus> {
  const answer = await call(endpointOf(server), 'status');
  if (answer.status !== 200) throw protocolError('BAD_REQUEST', server.name);
  return verifyStatus(answer.body, server.identity, server.serverId, server.name);
}

export async function statusOf(servers: readonly PinnedServer[], call: CallReceiver = callReceiver): Promise<StatusResult[]> {
  return Promise.all(servers.map(async (server): Promise<StatusResult> => {
    try {
      const status = await fetchStatus(server, call);
      return {
        server: server.name, url: server.url, ok: true, state: status.state, serverId: status.serverId, bootId: status.bootId,
        keyChecks: status.keyChecks, installedKeyIds: status.installedKeyIds,
      };
    } catch (error) {
      return { server: server.name, url: server.url, ok: false, error: asResultError(error) };
    }
  }));
}

export interface PushOptions {
  servers: readonly PinnedServer[];
  /** Raw 32-byte keys, current first. The caller owns (and wipes) them. */
  keys: readonly Buffer[];
  signer: CustodianSigner;
  receipts?: ReceiptLog;
  audit?: AuditLog;
  call?: CallReceiver;
  now?: () => Date;
}

export async function pushKeys(options: PushOptions): Promise<PushResult[]> {
  const call = options.call ?? callReceiver;
  const now = options.now ?? (() => new Date());
  const keyIds = options.keys.map((k) => keyId(k));
  const results = await Promise.all(options.servers.map((server) => pushOne(server, options, keyIds, call, now)));
  const receipts = results.flatMap((r) => (r.receipt ? [r.receipt] : []));
  await options.receipts?.add(receipts);
  for (const { result } of results) {
    await options.audit?.record({
      action: 'push', outcome: result.ok ? 'ok' : 'error', server: result.server, url: result.url, keyIds: result.keyIds,
      result: result.outcome, code: result.error?.code ?? null, receiverCode: (result.error?.details?.['receiver_code'] as string | undefined) ?? null,
    });
  }
  return results.map((r) => r.result);
}

async function pushOne(server: PinnedServer, options: PushOptions, keyIds: string[], call: CallReceiver, now: () => Date): Promise<{ result: PushResult; receipt?: StoredReceipt }> {
  const base = { server: server.name, url: server.url, keyIds };
  let status: ReceiverStatus;
  try {
    status = await fetchStatus(server, call);
  } catch (error) {
    return { result: { ...base, ok: false, outcome: 'failed' as const, error: asResultError(error) } };
  }
  const known = { serverId: status.serverId, bootId: status.bootId };
  if (status.state === 'unlocked') {
    if (JSON.stringify(status.installedKeyIds) === JSON.stringify(keyIds)) return { result: { ...base, ...known, ok: true, outcome: 'already-unlocked' as const } };
    return {
      result: {
        ...base, ...known, ok: false, outcome: 'refused' as const,
        error: asResultError(new CustodianError('PUSH_REFUSED', `${server.name} is already unlocked with other keys (${status.installedKeyIds.join(', ')}); nothing was sent.`, {
          hint: 'Restart the server (it boots locked) to install different keys.',
          details: { installed_key_ids: status.installedKeyIds },
        })),
      },
    };
  }
  const unexpected = keyIds.filter((id) => !status.keyChecks.includes(id));
  if (unexpected.length > 0) {
    return {
      result: {
        ...base, ...known, ok: false, outcome: 'refused' as const,
        error: asResultError(new CustodianError('PUSH_REFUSED', `${server.name} does not accept ${unexpected.join(', ')} (it expects ${status.keyChecks.join(', ')}); nothing was sent.`, {
          hint: 'Push the key the server expects (--key), or restart the server with the right --key-check.',
          details: { key_checks: status.keyChecks },
        })),
      },
    };
  }
  try {
    const request = await buildUnlockRequest({ status, custodian: options.signer, keys: options.keys, issuedAt: Math.floor(now().getTime() / 1000) });
    const answer = await call(endpointOf(server), 'unlock', request.body);
    if (answer.status !== 200) {
      const error = parseObject(answer.body)?.['error'];
      const code = typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>)['code'] === 'string'
        ? ((error as Record<string, unknown>)['code'] as string).slice(0, 40).replace(/[^A-Z_]/g, '')
        : `HTTP_${answer.status}`;
      const why = RECEIVER_REFUSALS[code] ?? `refused the push (${code})`;
      throw new CustodianError('PUSH_REFUSED', `${server.name} ${why}.`, {
        ...(REFUSAL_HINTS[code] ? { hint: REFUSAL_HINTS[code] } : {}),
        details: { receiver_code: code },
      });
    }
    const receipt = await verifyReceipt(answer.body, request, server.identity, server.name);
    return {
      result: { ...base, ...known, ok: true, outcome: 'unlocked' as const, installedAt: receipt.installedAt },
      receipt: {
        server: server.name, url: server.url, serverId: receipt.serverId, identity: receipt.identity, bootId: receipt.bootId,
        custodian: receipt.custodian, keyIds: receipt.keyIds, installedAt: receipt.installedAt, receivedAt: now().toISOString(), jws: receipt.jws,
      },
    };
  } catch (error) {
    const refused = isCustodianError(error) && error.code === 'PUSH_REFUSED';
    return { result: { ...base, ...known, ok: false, outcome: refused ? 'refused' as const : 'failed' as const, error: asResultError(error) } };
  }
}
