/**
 * The rekey of docs/protocol.md §12.12 as the client sees it: a request signed by the custodian that replaces the
 * key set of an UNLOCKED receiver, bound to one server, boot and challenge (from a fresh status), the keys sealed
 * to the receiver's current rekey key; and the receiver's signed rekey receipt, which says what is installed now.
 */
import { isKeyId } from '../crypto/index.js';
import { sealKeys, type CustodianSigner, type ReceiverStatus } from './messages.js';
import { MAX_KEYS, PROTOCOL, isTime, signJws, verifyReceiptPayload } from './wire.js';

/** The HPKE info domain of a rekey: "custodian-unlock/1" 0x00 "rekey", then the values of §5.2. */
export const REKEY_INFO_DOMAIN = [PROTOCOL, 'rekey'] as const;

export interface RekeyRequest {
  token: string;
  body: string;
  /** The new set, current first. */
  keyIds: string[];
  /** Installed keys the request drops on purpose. */
  retire: string[];
  status: ReceiverStatus;
  custodian: string;
}

export interface RekeyReceipt {
  serverId: string;
  identity: string;
  bootId: string;
  challenge: string;
  custodian: string;
  /** What is installed now, current first. */
  keyIds: string[];
  /** What was installed before the request. */
  replacedKeyIds: string[];
  /** The keys the request retired (installed before, gone now). */
  retired: string[];
  installedAt: number;
  requestHash: string;
  jws: string;
}

const REKEY_RECEIPT_MEMBERS = ['protocol', 'type', 'server_id', 'identity', 'boot_id', 'challenge', 'custodian', 'key_ids', 'replaced_key_ids', 'retired', 'installed_at', 'request_hash'];

const isIdList = (value: unknown): value is string[] => Array.isArray(value) && value.length <= MAX_KEYS && value.every((id) => typeof id === 'string' && isKeyId(id));
const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(a) === JSON.stringify(b);

/** Seals the new key set (current first) to the unlocked receiver's rekey key and signs the request. */
export async function buildRekeyRequest(options: {
  status: ReceiverStatus;
  custodian: CustodianSigner;
  keys: readonly Uint8Array[];
  retire: readonly string[];
  issuedAt: number;
  ikmE?: Uint8Array;
}): Promise<RekeyRequest> {
  const { status, custodian } = options;
  if (status.state !== 'unlocked' || !status.ephemeralKey) throw new Error('the receiver is not unlocked or cannot rekey');
  const { keyIds, sealed } = await sealKeys(options, REKEY_INFO_DOMAIN);
  const retire = [...options.retire];
  const payload = {
    protocol: PROTOCOL,
    type: 'rekey',
    server_id: status.serverId,
    receiver_identity: status.identity,
    boot_id: status.bootId,
    challenge: status.challenge,
    custodian: custodian.fingerprint,
    key_ids: keyIds,
    retire,
    issued_at: options.issuedAt,
    sealed: sealed.toString('base64url'),
  };
  const token = signJws('custodian-rekey+jws', payload, custodian.privateKey, custodian.publicRaw);
  return { token, body: JSON.stringify({ protocol: PROTOCOL, request: token }), keyIds, retire, status, custodian: custodian.fingerprint };
}

/** Verifies a rekey receipt with the pinned identity and checks it answers exactly this request (RECEIPT_MISMATCH). */
export async function verifyRekeyReceipt(body: string, request: RekeyRequest, pinnedIdentity: string, server?: string): Promise<RekeyReceipt> {
  const { fields: f, payload: p } = await verifyReceiptPayload(body, 'custodian-rekey-receipt+jws', request, pinnedIdentity, server, {
    members: REKEY_RECEIPT_MEMBERS,
    valid: (q) => isIdList(q['key_ids']) && isIdList(q['replaced_key_ids']) && isIdList(q['retired']) && isTime(q['installed_at']),
    matches: (q) => same(q['key_ids'] as string[], request.keyIds) && same(q['retired'] as string[], request.retire),
  });
  return {
    serverId: f.serverId,
    identity: f.identity,
    bootId: f.bootId,
    challenge: f.challenge,
    custodian: f.custodian,
    keyIds: p['key_ids'] as string[],
    replacedKeyIds: p['replaced_key_ids'] as string[],
    retired: p['retired'] as string[],
    installedAt: p['installed_at'] as number,
    requestHash: f.requestHash,
    jws: f.jws,
  };
}
