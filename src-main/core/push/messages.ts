/** The three messages of docs/protocol.md §5 as the push client sees them: status in, request out, receipt in. */
import type { KeyObject } from 'node:crypto';
import { keyId, isKeyId } from '../crypto/index.js';
import { deriveEphemeralKey, hpkeSeal } from './hpke.js';
import { parseStatusVaultLogin, type ReceiverVaultLogin } from './vault-login.js';
import {
  KEY_BYTES, MAX_KEYS, PROTOCOL, SERVER_ID_PATTERN, decodeB64u, hasExactly, isTime, parseObject,
  protocolError, signJws, verifyReceiptPayload, verifyReceiverJws,
} from './wire.js';

export interface ReceiverStatus {
  serverId: string;
  identity: string;
  bootId: string;
  state: 'locked' | 'unlocked';
  issuedAt: number;
  /** The nonce this status answers (§12.2), null when the request sent none. */
  clientNonce: string | null;
  /** Issued in both states since revision 2 (an unlocked receiver needs one for lock, §12.4). */
  challenge: string;
  challengeExpiresAt: number;
  /**
   * The X25519 key to seal keys to: for unlock while locked, for rekey (§12.12) while unlocked. Null only from an
   * unlocked receiver that cannot rekey.
   */
  ephemeralKey: string | null;
  keyChecks: string[];
  installedKeyIds: string[];
  /** §12.13: present when the receiver is configured for a Vault login delivered by push. */
  vaultLogin?: ReceiverVaultLogin;
  /**
   * The application's count of tokens still encrypted under a key other than the current one (§12.12), null when
   * the application does not report it (or the receiver is locked and cannot count).
   */
  tokensUnderPrevious: number | null;
}

const STATUS_MEMBERS = ['protocol', 'type', 'server_id', 'identity', 'boot_id', 'state', 'issued_at', 'client_nonce', 'challenge', 'challenge_expires_at', 'ephemeral_key', 'key_checks', 'installed_key_ids', 'tokens_under_previous'];
const RECEIPT_MEMBERS = ['protocol', 'type', 'server_id', 'identity', 'boot_id', 'challenge', 'custodian', 'key_ids', 'installed_at', 'request_hash'];

const isIdList = (value: unknown, max: number): value is string[] => Array.isArray(value) && value.length <= max && value.every((id) => typeof id === 'string' && isKeyId(id));

/**
 * Checks a status answer (the HTTP body) against the pinned identity and server id, in the order of protocol §8.
 * `pinnedServerId` undefined = first contact (server add), where only the self-consistency is checked.
 * `expectedNonce`: the nonce the request sent (§12.2); an answer that does not echo it is STALE_STATUS (a replay).
 * Undefined skips that check (reading a stored or test status); every request the client makes passes one.
 */
export async function verifyStatus(body: string, pinnedIdentity: string, pinnedServerId: string | undefined, server?: string, expectedNonce?: string | null): Promise<ReceiverStatus> {
  const envelope = parseObject(body);
  if (!envelope) throw protocolError('BAD_REQUEST', server);
  if (typeof envelope['protocol'] === 'string' && envelope['protocol'] !== PROTOCOL) throw protocolError('UNSUPPORTED_PROTOCOL', server);
  if (!hasExactly(envelope, ['protocol', 'status']) || envelope['protocol'] !== PROTOCOL) throw protocolError('BAD_REQUEST', server);
  const { signer, payload: p } = await verifyReceiverJws(envelope['status'], 'custodian-status+jws', pinnedIdentity, server);
  const locked = p['state'] === 'locked';
  const vaultLogin = parseStatusVaultLogin(p['vault_login']);
  const valid = hasExactly(p, vaultLogin === undefined ? STATUS_MEMBERS : [...STATUS_MEMBERS, 'vault_login']) && vaultLogin !== null
    && typeof p['server_id'] === 'string' && SERVER_ID_PATTERN.test(p['server_id'])
    && p['identity'] === signer
    && decodeB64u(p['boot_id'], 16) !== null
    && (p['state'] === 'locked' || p['state'] === 'unlocked')
    && isTime(p['issued_at'])
    && (p['client_nonce'] === null || decodeB64u(p['client_nonce'], 16) !== null)
    && decodeB64u(p['challenge'], 32) !== null && isTime(p['challenge_expires_at'])
    && (decodeB64u(p['ephemeral_key'], 32) !== null || (!locked && p['ephemeral_key'] === null))
    && isIdList(p['key_checks'], 64) && (p['key_checks'] as string[]).length > 0
    && isIdList(p['installed_key_ids'], MAX_KEYS)
    && (p['tokens_under_previous'] === null || isTime(p['tokens_under_previous']));
  if (!valid) throw protocolError('BAD_REQUEST', server);
  if (pinnedServerId !== undefined && p['server_id'] !== pinnedServerId) throw protocolError('IDENTITY_MISMATCH', server);
  if (expectedNonce !== undefined && p['client_nonce'] !== expectedNonce) throw protocolError('STALE_STATUS', server);
  return {
    serverId: p['server_id'] as string,
    identity: signer,
    bootId: p['boot_id'] as string,
    state: p['state'] as 'locked' | 'unlocked',
    issuedAt: p['issued_at'] as number,
    clientNonce: p['client_nonce'] as string | null,
    challenge: p['challenge'] as string,
    challengeExpiresAt: p['challenge_expires_at'] as number,
    ephemeralKey: p['ephemeral_key'] as string | null,
    keyChecks: p['key_checks'] as string[],
    installedKeyIds: p['installed_key_ids'] as string[],
    ...(vaultLogin ? { vaultLogin } : {}),
    tokensUnderPrevious: p['tokens_under_previous'] as number | null,
  };
}

export interface CustodianSigner {
  fingerprint: string;
  privateKey: KeyObject;
  publicRaw: Buffer;
}

export interface UnlockRequest {
  token: string;
  body: string;
  keyIds: string[];
  status: ReceiverStatus;
  custodian: string;
  /** §12.13: the AppRole role whose wrapped SecretID travels after the keys (the receipt must report its state). */
  vaultRole?: string;
}

/**
 * Seals the raw keys (current first) to the status's ephemeral key with HPKE, bound to server, identity, boot,
 * challenge and custodian, and signs the request. The plaintext copy is wiped; `ikmE` (RFC 9180 DeriveKeyPair
 * input for the sender's ephemeral key) exists only to reproduce the wire vectors.
 */
export async function buildUnlockRequest(options: {
  status: ReceiverStatus;
  custodian: CustodianSigner;
  keys: readonly Uint8Array[];
  issuedAt: number;
  ikmE?: Uint8Array;
  /** §12.13: a wrapping token (printable ASCII bytes) sealed after the keys, and its role in `vault_role`. */
  vault?: { role: string; wrapToken: Uint8Array };
}): Promise<UnlockRequest> {
  const { status, custodian } = options;
  if (status.state !== 'locked' || !status.ephemeralKey) throw new Error('the receiver is not locked');
  const { keyIds, sealed } = await sealKeys(options, [PROTOCOL]);
  const payload = {
    protocol: PROTOCOL,
    type: 'unlock',
    server_id: status.serverId,
    receiver_identity: status.identity,
    boot_id: status.bootId,
    challenge: status.challenge,
    custodian: custodian.fingerprint,
    key_ids: keyIds,
    issued_at: options.issuedAt,
    sealed: sealed.toString('base64url'),
    ...(options.vault ? { vault_role: options.vault.role } : {}),
  };
  const token = signJws('custodian-unlock+jws', payload, custodian.privateKey, custodian.publicRaw);
  return {
    token, body: JSON.stringify({ protocol: PROTOCOL, request: token }), keyIds, status, custodian: custodian.fingerprint,
    ...(options.vault ? { vaultRole: options.vault.role } : {}),
  };
}

/**
 * HPKE-seals raw keys (current first) to the status's ephemeral key. `info` is `domain` followed by server id,
 * receiver identity, boot, challenge and custodian, joined by 0x00 (§5.2; rekey adds "rekey" to the domain,
 * §12.12). The concatenated plaintext copy is wiped here; the caller owns `keys`.
 */
export async function sealKeys(options: { status: ReceiverStatus; custodian: CustodianSigner; keys: readonly Uint8Array[]; ikmE?: Uint8Array; vault?: { wrapToken: Uint8Array } }, domain: readonly string[]): Promise<{ keyIds: string[]; sealed: Buffer }> {
  const { status, custodian, keys } = options;
  if (!status.ephemeralKey) throw new Error('the receiver published no key to seal to');
  if (keys.length < 1 || keys.length > MAX_KEYS || keys.some((k) => k.length !== KEY_BYTES)) throw new Error('between 1 and 9 raw 32-byte keys');
  const keyIds = keys.map((k) => keyId(k));
  const info = Buffer.from([...domain, status.serverId, status.identity, status.bootId, status.challenge, custodian.fingerprint].join('\0'), 'utf8');
  const parts = keys.map((k) => Buffer.from(k.buffer, k.byteOffset, k.byteLength));
  // §12.13: a Vault wrapping token follows the keys in the same plaintext (unlock only).
  if (options.vault) parts.push(Buffer.from(options.vault.wrapToken.buffer, options.vault.wrapToken.byteOffset, options.vault.wrapToken.byteLength));
  const plaintext = Buffer.concat(parts);
  try {
    const sealed = await hpkeSeal(decodeB64u(status.ephemeralKey, 32)!, info, plaintext, options.ikmE ? await deriveEphemeralKey(options.ikmE) : undefined);
    return { keyIds, sealed };
  } finally {
    plaintext.fill(0);
  }
}

export interface Receipt {
  serverId: string;
  identity: string;
  bootId: string;
  challenge: string;
  custodian: string;
  keyIds: string[];
  installedAt: number;
  requestHash: string;
  /** §12.13: the receiver's Vault login state after this request (only when it carried one). */
  vaultLogin?: string;
  /** The signed receipt as received (kept as evidence). */
  jws: string;
}

/** Verifies the receipt against the pinned identity and checks that it is the receipt of exactly this request. */
export async function verifyReceipt(body: string, request: UnlockRequest, pinnedIdentity: string, server?: string): Promise<Receipt> {
  const { fields: f, payload: p } = await verifyReceiptPayload(body, 'custodian-receipt+jws', request, pinnedIdentity, server, {
    members: request.vaultRole === undefined ? RECEIPT_MEMBERS : [...RECEIPT_MEMBERS, 'vault_login'],
    valid: (q) => (request.vaultRole === undefined || (typeof q['vault_login'] === 'string' && /^[A-Za-z_]{1,40}$/.test(q['vault_login'])))
      && isIdList(q['key_ids'], MAX_KEYS) && isTime(q['installed_at']),
    matches: (q) => JSON.stringify(q['key_ids']) === JSON.stringify(request.keyIds),
  });
  return {
    serverId: f.serverId,
    identity: f.identity,
    bootId: f.bootId,
    challenge: f.challenge,
    custodian: f.custodian,
    keyIds: p['key_ids'] as string[],
    installedAt: p['installed_at'] as number,
    requestHash: f.requestHash,
    ...(request.vaultRole === undefined ? {} : { vaultLogin: p['vault_login'] as string }),
    jws: f.jws,
  };
}
