/** What push, lock and status share: per-server results, the transport hook, the nonce-checked status request. */
import { randomBytes } from 'node:crypto';
import { CustodianError, isCustodianError, type ErrorCode } from '../errors.js';
import { verifyStatus, type ReceiverStatus } from './messages.js';
import type { PinnedServer } from './servers.js';
import { callReceiver, type CallOptions, type Endpoint, type HttpAnswer, type ReceiverPath } from './transport.js';
import { parseObject, presentedIdentity, protocolError } from './wire.js';

export type CallReceiver = (endpoint: Endpoint, path: ReceiverPath, body?: string, options?: CallOptions) => Promise<HttpAnswer>;

export interface ResultError {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

export function asResultError(error: unknown): ResultError {
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

export function endpointOf(server: PinnedServer): Endpoint {
  return { name: server.name, url: server.url, tlsCa: server.tlsCa };
}

/** A fresh 16-byte nonce per status request (§12.2): the answer must echo it, so a replayed status is refused. */
export function freshNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** GET status with a fresh nonce and verify it against the pin (identity first, then the nonce: STALE_STATUS). */
export async function fetchStatus(server: PinnedServer, call: CallReceiver = callReceiver, timeoutMs?: number): Promise<ReceiverStatus> {
  const nonce = freshNonce();
  const answer = await call(endpointOf(server), 'status', undefined, { query: { nonce }, ...(timeoutMs ? { timeoutMs } : {}) });
  if (answer.status !== 200) throw protocolError('BAD_REQUEST', server.name);
  return verifyStatus(answer.body, server.identity, server.serverId, server.name, nonce);
}

/** Why a receiver refused, in our words (its own message is not shown: it is input from the network). */
const RECEIVER_REFUSALS: Record<string, string> = {
  KEY_CHECK_FAILED: 'refused the key: it is not the key this server is configured to accept',
  KEY_ORDER_REFUSED: 'refused the key order: the current key must be its newest configured key',
  UNKNOWN_CUSTODIAN: 'does not list this custodian among its authorized custodians',
  CUSTODIAN_REVOKED: 'has revoked that custodian identity',
  LAST_CUSTODIAN: 'refused: the revocation would leave it without any authorized custodian',
  STATEMENTS_DISABLED: 'does not accept custodian statements (started without --custodian-statements)',
  WRONG_BOOT: 'restarted between status and request',
  UNKNOWN_CHALLENGE: 'does not accept the challenge (already used, or not issued by this boot)',
  CHALLENGE_EXPIRED: 'let the challenge expire before the request arrived',
  ALREADY_UNLOCKED: 'was unlocked by someone else in the meantime',
  DECRYPT_FAILED: 'could not decrypt the keys',
  BAD_SIGNATURE: 'rejected the request signature',
  WRONG_SERVER: 'says the request was made for another server',
  UNSUPPORTED_PROTOCOL: 'does not support this protocol version',
  REQUEST_TIMEOUT: 'did not receive the request in time',
};

const REFUSAL_HINTS: Record<string, string> = {
  UNKNOWN_CUSTODIAN: 'Add the line printed by `custodian identity show` to the receiver\'s authorized-custodians file and restart it (or hand over from an authorized identity: `custodian identity rotate`).',
  KEY_CHECK_FAILED: 'Check the --key-check value the receiver was started with against `custodian key list`.',
  KEY_ORDER_REFUSED: 'Push the receiver\'s newest key with --key (older ones with --previous).',
  STATEMENTS_DISABLED: 'Restart the receiver with --custodian-statements FILE, or edit its authorized-custodians file by hand.',
  CUSTODIAN_REVOKED: 'This identity was revoked on that server; use a current custodian identity.',
};

/** A non-200 answer as PUSH_REFUSED with the receiver's code (sanitised) in details and our own sentence. */
export function receiverRefusal(server: string, answer: HttpAnswer, what = 'the request'): CustodianError {
  const error = parseObject(answer.body)?.['error'];
  const code = typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>)['code'] === 'string'
    ? ((error as Record<string, unknown>)['code'] as string).slice(0, 40).replace(/[^A-Z_]/g, '')
    : `HTTP_${answer.status}`;
  const why = RECEIVER_REFUSALS[code] ?? `refused ${what} (${code})`;
  return new CustodianError('PUSH_REFUSED', `${server} ${why}.`, {
    ...(REFUSAL_HINTS[code] ? { hint: REFUSAL_HINTS[code] } : {}),
    details: { receiver_code: code },
  });
}

/**
 * First contact (server add): the identity a receiver presents, with its status checked for self-consistency
 * (signed by the key it presents) and freshness (the nonce). Pinning it is the officer's decision.
 */
export async function probeReceiver(endpoint: Endpoint, call: CallReceiver = callReceiver, timeoutMs?: number): Promise<ReceiverStatus> {
  const nonce = freshNonce();
  const answer = await call(endpoint, 'status', undefined, { query: { nonce }, ...(timeoutMs ? { timeoutMs } : {}) });
  if (answer.status !== 200) throw protocolError('BAD_REQUEST', endpoint.name);
  return verifyStatus(answer.body, presentedIdentity(answer.body) ?? 'unknown', undefined, endpoint.name, nonce);
}
