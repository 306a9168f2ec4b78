/**
 * The remote lock of docs/protocol.md §12.4 as the client sees it: a lock request signed by the custodian and
 * bound to one server, boot and challenge (from a fresh status), and the receiver's signed lock receipt.
 */
import type { CustodianSigner, ReceiverStatus } from './messages.js';
import { PROTOCOL, hasExactly, isFingerprint, protocolError, receiptAnswers, signJws, verifyReceiptEnvelope } from './wire.js';

export interface LockRequest {
  token: string;
  body: string;
  status: ReceiverStatus;
  custodian: string;
}

export interface LockReceipt {
  serverId: string;
  identity: string;
  /** The boot that was locked (the receiver is on a new boot now). */
  bootId: string;
  challenge: string;
  custodian: string;
  lockedAt: number;
  requestHash: string;
  jws: string;
}

const LOCK_RECEIPT_MEMBERS = ['protocol', 'type', 'server_id', 'identity', 'boot_id', 'challenge', 'custodian', 'locked_at', 'request_hash'];

export function buildLockRequest(options: { status: ReceiverStatus; custodian: CustodianSigner; issuedAt: number }): LockRequest {
  const { status, custodian } = options;
  const payload = {
    protocol: PROTOCOL,
    type: 'lock',
    server_id: status.serverId,
    receiver_identity: status.identity,
    boot_id: status.bootId,
    challenge: status.challenge,
    custodian: custodian.fingerprint,
    issued_at: options.issuedAt,
  };
  const token = signJws('custodian-lock+jws', payload, custodian.privateKey, custodian.publicRaw);
  return { token, body: JSON.stringify({ protocol: PROTOCOL, request: token }), status, custodian: custodian.fingerprint };
}

/** Verifies a lock receipt with the pinned identity and checks it answers exactly this request (RECEIPT_MISMATCH). */
export async function verifyLockReceipt(body: string, request: LockRequest, pinnedIdentity: string, server?: string): Promise<LockReceipt> {
  const { token, signer, payload: p } = await verifyReceiptEnvelope(body, 'custodian-lock-receipt+jws', pinnedIdentity, server);
  const isTime = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  if (!hasExactly(p, LOCK_RECEIPT_MEMBERS) || p['identity'] !== signer || !isFingerprint(p['custodian']) || !isTime(p['locked_at'])) {
    throw protocolError('BAD_REQUEST', server);
  }
  if (!receiptAnswers(p, request)) throw protocolError('RECEIPT_MISMATCH', server);
  return {
    serverId: p['server_id'] as string,
    identity: signer,
    bootId: p['boot_id'] as string,
    challenge: p['challenge'] as string,
    custodian: p['custodian'] as string,
    lockedAt: p['locked_at'] as number,
    requestHash: p['request_hash'] as string,
    jws: token,
  };
}
