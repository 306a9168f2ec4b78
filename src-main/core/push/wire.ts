/**
 * The push client's side of the wire format of docs/protocol.md (custodian-unlock/1): strict base64url,
 * fingerprints, and compact JWS (RFC 7515) with Ed25519 from node:crypto (synchronous: `jose` goes through
 * WebCrypto, ~1 ms per operation on Node 20). Independent of receivers/ on purpose: the two meet only in the
 * protocol and its test vectors; tests check these messages with `jose` as the reference.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { CustodianError } from '../errors.js';
import { parseStrictJson } from './strict-json.js';

export const PROTOCOL = 'custodian-unlock/1';
export const MAX_KEYS = 9;
export const KEY_BYTES = 32;

/** Every JWS `typ` of revision 2 and the payload `type` it must carry (docs/protocol.md §4, §12.4-12.6, §12.12). */
export const PAYLOAD_TYPE = {
  'custodian-status+jws': 'status',
  'custodian-unlock+jws': 'unlock',
  'custodian-receipt+jws': 'receipt',
  'custodian-lock+jws': 'lock',
  'custodian-lock-receipt+jws': 'lock_receipt',
  'custodian-statement+jws': null, // handover or revocation
  'custodian-receiver-handover+jws': 'receiver_handover',
  'custodian-rekey+jws': 'rekey',
  'custodian-rekey-receipt+jws': 'rekey_receipt',
} as const;
export type MessageTyp = keyof typeof PAYLOAD_TYPE;

/** Protocol-level refusal codes of docs/protocol.md §7 (client side). */
export type ProtocolCode = 'IDENTITY_MISMATCH' | 'BAD_SIGNATURE' | 'UNSUPPORTED_PROTOCOL' | 'WRONG_MESSAGE_TYPE' | 'BAD_REQUEST' | 'RECEIPT_MISMATCH' | 'STALE_STATUS';

const messages: Record<ProtocolCode, string> = {
  IDENTITY_MISMATCH: 'The server answered with another identity than the one pinned for it; nothing was sent.',
  BAD_SIGNATURE: 'The server\'s answer has an invalid signature.',
  UNSUPPORTED_PROTOCOL: `The server does not speak ${PROTOCOL}.`,
  WRONG_MESSAGE_TYPE: 'The server answered with the wrong kind of message.',
  BAD_REQUEST: 'The server\'s answer is malformed.',
  RECEIPT_MISMATCH: 'The server\'s receipt does not match the request that was sent.',
  STALE_STATUS: 'The server\'s status answer is not the answer to the request just sent (its nonce differs): it may be a replay of an earlier answer.',
};

/** A protocol violation by the other side, as a CustodianError with the protocol code in details. */
export function protocolError(code: ProtocolCode, server?: string): CustodianError {
  const where = server ? ` (${server})` : '';
  if (code === 'IDENTITY_MISMATCH') {
    return new CustodianError('IDENTITY_MISMATCH', messages[code].replace('The server', `The server${where}`), {
      hint: 'If the receiver rotated its identity key, `custodian server accept-identity NAME` checks its hand-over proof and re-pins. If it was reinstalled on purpose, check its new fingerprint out of band, then `custodian server remove` and `custodian server add --identity`. Otherwise treat it as an attack: nothing was sent.',
      details: { protocol_code: code },
    });
  }
  if (code === 'STALE_STATUS') {
    return new CustodianError('STALE_STATUS', messages[code].replace('The server', `The server${where}`), {
      hint: 'Treat it as a man in the middle between you and the server: its state is unknown. Check the network path, then ask again with `custodian server status`.',
      details: { protocol_code: code },
    });
  }
  return new CustodianError('PROTOCOL_ERROR', messages[code].replace('The server', `The server${where}`), {
    hint: 'Check that the URL points at a Key Custodian receiver of a matching version.',
    details: { protocol_code: code },
  });
}

const B64U = /^[A-Za-z0-9_-]*$/;

export function decodeB64u(text: unknown, length?: number): Buffer | null {
  if (typeof text !== 'string' || !B64U.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return null;
  if (length !== undefined && bytes.length !== length) return null;
  return bytes;
}

export const FINGERPRINT_PATTERN = /^ed25519:[A-Za-z0-9_-]{43}$/;

export function fingerprintOf(rawPublicKey: Uint8Array): string {
  return `ed25519:${createHash('sha256').update(rawPublicKey).digest('base64url')}`;
}

/**
 * The identity a receiver's status answer claims (the Ed25519 key in its JWS header), before anything is pinned
 * or verified: what the officer compares with the deploy output on first contact. Null if the body is not a
 * status answer.
 */
export function presentedIdentity(body: string): string | null {
  try {
    const token = (JSON.parse(body) as { status?: unknown }).status;
    if (typeof token !== 'string') return null;
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { jwk?: { x?: unknown } };
    const x = header.jwk?.x;
    if (typeof x !== 'string') return null;
    const raw = Buffer.from(x, 'base64url');
    return raw.length === 32 ? fingerprintOf(raw) : null;
  } catch {
    return null;
  }
}

export function isFingerprint(text: unknown): text is string {
  return typeof text === 'string' && FINGERPRINT_PATTERN.test(text) && decodeB64u(text.slice(8), 32) !== null;
}

export const SERVER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasExactly(value: Record<string, unknown>, names: readonly string[]): boolean {
  const keys = Object.keys(value);
  return keys.length === names.length && names.every((name) => Object.prototype.hasOwnProperty.call(value, name));
}

/** A JSON object under the strict rules of §12.3 (no duplicate members, integers only), or null. */
export function parseObject(text: string | Uint8Array): Record<string, unknown> | null {
  const parsed = parseStrictJson(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  return parsed && isObject(parsed.value) ? parsed.value : null;
}

export function signJws(typ: MessageTyp, payload: Record<string, unknown>, privateKey: KeyObject, publicRaw: Uint8Array): string {
  const header = { alg: 'EdDSA', typ, jwk: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicRaw).toString('base64url') } };
  const input = `${Buffer.from(JSON.stringify(header), 'utf8').toString('base64url')}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input, 'ascii'), privateKey).toString('base64url')}`;
}

export interface VerifiedJws {
  signer: string;
  payload: Record<string, unknown>;
}

/**
 * Receivers' public keys as KeyObjects, imported once per key rather than twice per server and push (status and
 * receipt): a push to 1,000 servers verifies 2,000 signatures from 1,000 keys. Keyed by the exact `x` that matched
 * the pinned fingerprint; bounded (cleared when full) so a long-running app does not grow it forever.
 */
const receiverKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 8192;
function receiverKey(x: string): KeyObject {
  let key = receiverKeys.get(x);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    if (receiverKeys.size >= MAX_CACHED_KEYS) receiverKeys.clear();
    receiverKeys.set(x, key);
  }
  return key;
}

/**
 * Verifies a JWS from a receiver: alg, typ and header shape first, then the signer's fingerprint against the
 * pinned one (IDENTITY_MISMATCH before any signature work), then the signature, then protocol and type.
 */
export async function verifyReceiverJws(token: unknown, typ: MessageTyp, pinnedIdentity: string, server?: string): Promise<VerifiedJws> {
  if (typeof token !== 'string') throw protocolError('BAD_REQUEST', server);
  const parts = token.split('.');
  const header = parts.length === 3 ? parseObject(decodeB64u(parts[0]) ?? '') : null;
  const payloadBytes = parts.length === 3 ? decodeB64u(parts[1]) : null;
  if (!header || payloadBytes === null || decodeB64u(parts[2]) === null) throw protocolError('BAD_REQUEST', server);
  if (header['alg'] !== 'EdDSA') throw protocolError('UNSUPPORTED_PROTOCOL', server);
  if (header['typ'] !== typ) throw protocolError('WRONG_MESSAGE_TYPE', server);
  const jwk = header['jwk'];
  if (!hasExactly(header, ['alg', 'typ', 'jwk']) || !isObject(jwk) || !hasExactly(jwk, ['kty', 'crv', 'x']) || jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519') {
    throw protocolError('BAD_REQUEST', server);
  }
  const raw = decodeB64u(jwk['x'], 32);
  if (!raw) throw protocolError('BAD_REQUEST', server);
  const signer = fingerprintOf(raw);
  if (signer !== pinnedIdentity) throw protocolError('IDENTITY_MISMATCH', server);
  const signature = decodeB64u(parts[2], 64);
  let valid = false;
  try {
    valid = signature !== null && verify(null, Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), receiverKey(jwk['x'] as string), signature);
  } catch {
    valid = false;
  }
  if (!valid) throw protocolError('BAD_SIGNATURE', server);
  const payload = parseObject(payloadBytes);
  if (!payload) throw protocolError('BAD_REQUEST', server);
  if (payload['protocol'] !== PROTOCOL) throw protocolError(typeof payload['protocol'] === 'string' ? 'UNSUPPORTED_PROTOCOL' : 'BAD_REQUEST', server);
  const expectedType = PAYLOAD_TYPE[typ];
  if (expectedType !== null && payload['type'] !== expectedType) throw protocolError('WRONG_MESSAGE_TYPE', server);
  return { signer, payload };
}

/**
 * The `{"protocol", "receipt"}` answer to an unlock or a lock: the envelope checked and the receipt's JWS verified
 * with the pinned identity. The caller checks the payload's own members.
 */
export async function verifyReceiptEnvelope(body: string, typ: MessageTyp, pinnedIdentity: string, server?: string): Promise<VerifiedJws & { token: string }> {
  const envelope = parseObject(body);
  if (!envelope) throw protocolError('BAD_REQUEST', server);
  if (typeof envelope['protocol'] === 'string' && envelope['protocol'] !== PROTOCOL) throw protocolError('UNSUPPORTED_PROTOCOL', server);
  if (!hasExactly(envelope, ['protocol', 'receipt']) || envelope['protocol'] !== PROTOCOL) throw protocolError('BAD_REQUEST', server);
  const token = envelope['receipt'];
  return { ...(await verifyReceiverJws(token, typ, pinnedIdentity, server)), token: token as string };
}

/** Whether a receipt answers exactly this signed request: its server, boot, challenge, custodian and hash. */
export function receiptAnswers(payload: Record<string, unknown>, request: { token: string; custodian: string; status: { serverId: string; bootId: string; challenge: string | null } }): boolean {
  return payload['server_id'] === request.status.serverId
    && payload['boot_id'] === request.status.bootId
    && payload['challenge'] === request.status.challenge
    && payload['custodian'] === request.custodian
    && payload['request_hash'] === createHash('sha256').update(request.token, 'ascii').digest('base64url');
}

/** A receipt's timestamps: whole seconds since the epoch. */
export const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** What every receipt (unlock, rekey, lock) carries once checked: who signed it and which request it answers. */
export interface ReceiptFields {
  serverId: string;
  identity: string;
  bootId: string;
  challenge: string;
  custodian: string;
  requestHash: string;
  /** The signed receipt as received (kept as evidence). */
  jws: string;
}

/**
 * The checks every receipt shares: envelope and signature (verifyReceiptEnvelope); exactly `members`, signed by the
 * identity it names, a custodian fingerprint and the type's own `valid` (else BAD_REQUEST); then that it answers
 * exactly this request (receiptAnswers) and the type's own `matches` (else RECEIPT_MISMATCH). Returns the common
 * fields and the payload, for the caller to read its type's own members from.
 */
export async function verifyReceiptPayload(
  body: string,
  typ: MessageTyp,
  request: Parameters<typeof receiptAnswers>[1],
  pinnedIdentity: string,
  server: string | undefined,
  checks: { members: readonly string[]; valid: (p: Record<string, unknown>) => boolean; matches?: (p: Record<string, unknown>) => boolean },
): Promise<{ fields: ReceiptFields; payload: Record<string, unknown> }> {
  const { token, signer, payload: p } = await verifyReceiptEnvelope(body, typ, pinnedIdentity, server);
  if (!hasExactly(p, checks.members) || p['identity'] !== signer || !isFingerprint(p['custodian']) || !checks.valid(p)) {
    throw protocolError('BAD_REQUEST', server);
  }
  if (!receiptAnswers(p, request) || (checks.matches !== undefined && !checks.matches(p))) throw protocolError('RECEIPT_MISMATCH', server);
  const fields: ReceiptFields = {
    serverId: p['server_id'] as string,
    identity: signer,
    bootId: p['boot_id'] as string,
    challenge: p['challenge'] as string,
    custodian: p['custodian'] as string,
    requestHash: p['request_hash'] as string,
    jws: token,
  };
  return { fields, payload: p };
}
