/**
 * The remote lock of docs/protocol.md §12.4 as the client sees it: a lock request signed by the custodian and
 * bound to one server, boot and challenge (from a fresh status), and the receiver's signed lock receipt.
 */
import type { CustodianSigner, ReceiverStatus } from './messages.js';
import { PROTOCOL, isTime, signJws, verifyReceiptPayload } from './wire.js';

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
  const { fields: f, payload: p } = await verifyReceiptPayload(body, 'custodian-lock-receipt+jws', request, pinnedIdentity, server, {
    members: LOCK_RECEIPT_MEMBERS,
    valid: (q) => isTime(q['locked_at']),
  });
  return { serverId: f.serverId, identity: f.identity, bootId: f.bootId, challenge: f.challenge, custodian: f.custodian, lockedAt: p['locked_at'] as number, requestHash: f.requestHash, jws: f.jws };
}
