/**
 * JWS compact serialization (RFC 7515) restricted to what custodian-unlock/1 allows: alg EdDSA (Ed25519, RFC 8037),
 * the signer's key in the protected header as an OKP JWK, and exactly the members alg, typ, jwk.
 * Revision 2 (protocol §12.3) verifies the signature with the header's key first and looks the key up afterwards,
 * so nobody learns from the answer whether a key is authorized without holding its private half.
 * JSON is read with the strict reader (duplicate members and non-integer numbers are refused).
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeB64u, encodeB64u, fingerprintOf, hasExactly, isObject, parseJsonObject } from './encoding.js';
import { ReceiverError } from './errors.js';

export type MessageType = 'custodian-status+jws' | 'custodian-unlock+jws' | 'custodian-receipt+jws'
  | 'custodian-lock+jws' | 'custodian-lock-receipt+jws' | 'custodian-statement+jws' | 'custodian-receiver-handover+jws'
  | 'custodian-rekey+jws' | 'custodian-rekey-receipt+jws';

export interface ParsedJws {
  signerKey: Buffer;          // raw Ed25519 public key from the header
  signer: string;             // its fingerprint
  signingInput: Buffer;
  signature: Buffer;
  payloadBytes: Buffer;
}

/** Steps 3-6 of docs/protocol.md §6: shape, alg, typ, header members. */
export function parseJws(token: string, expectedTyp: MessageType): ParsedJws {
  const parts = token.split('.');
  if (parts.length !== 3) throw new ReceiverError('BAD_REQUEST');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const headerBytes = decodeB64u(headerPart);
  const payloadBytes = decodeB64u(payloadPart);
  const signature = decodeB64u(signaturePart);
  if (!headerBytes || !payloadBytes || !signature) throw new ReceiverError('BAD_REQUEST');
  const header = parseJsonObject(headerBytes);
  if (!header) throw new ReceiverError('BAD_REQUEST');
  if (header['alg'] !== 'EdDSA') throw new ReceiverError('UNSUPPORTED_PROTOCOL');
  if (header['typ'] !== expectedTyp) throw new ReceiverError('WRONG_MESSAGE_TYPE');
  const jwk = header['jwk'];
  if (!hasExactly(header, ['alg', 'typ', 'jwk']) || !isObject(jwk) || !hasExactly(jwk, ['kty', 'crv', 'x'])
    || jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519') throw new ReceiverError('BAD_REQUEST');
  const signerKey = decodeB64u(jwk['x'], 32);
  if (!signerKey) throw new ReceiverError('BAD_REQUEST');
  return {
    signerKey,
    signer: fingerprintOf(signerKey),
    signingInput: Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'),
    signature,
    payloadBytes,
  };
}

/** Ed25519 verification of a parsed JWS with the key of its own header (step 7 of revision 2). */
export function verifyJws(parsed: ParsedJws): boolean {
  if (parsed.signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: parsed.signerKey.toString('base64url') }, format: 'jwk' });
    return verify(null, parsed.signingInput, key, parsed.signature);
  } catch {
    return false;
  }
}

/** Signs a payload (already in the protocol's member order) with an Ed25519 private key. */
export function signJws(typ: MessageType, payload: Record<string, unknown>, privateKey: KeyObject, publicRaw: Buffer): string {
  const header = { alg: 'EdDSA', typ, jwk: { kty: 'OKP', crv: 'Ed25519', x: encodeB64u(publicRaw) } };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input, 'ascii'), privateKey).toString('base64url')}`;
}
