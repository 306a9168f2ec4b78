import { createHash } from 'node:crypto';
import { CustodianError } from '../errors.js';

/**
 * What every holder of a nonce-based ceremony (rekey, generate-root) must agree on before giving a share.
 * The server's nonce names the attempt; the parameters say what the shares will be used for.
 */
export interface CeremonyParameters {
  operation: 'rekey' | 'rekey-verify' | 'generate-root';
  nonce: string;
  newShares?: number;
  newThreshold?: number;
  pgpFingerprints?: string[];
}

/**
 * A short fingerprint of the ceremony, read aloud or compared on screen by every holder: 16 Crockford base32
 * characters (80 bits of SHA-256 over a canonical encoding) in groups of four, e.g. `R7KM-2Q9X-...`.
 */
export function ceremonyFingerprint(parameters: CeremonyParameters): string {
  const canonical = JSON.stringify([
    'key-custodian ceremony v1',
    parameters.operation,
    parameters.nonce,
    parameters.newShares ?? null,
    parameters.newThreshold ?? null,
    (parameters.pgpFingerprints ?? []).map((f) => f.toLowerCase()),
  ]);
  const digest = createHash('sha256').update(canonical).digest();
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let bits = 0n;
  for (const byte of digest.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let text = '';
  for (let i = 15; i >= 0; i--) text += alphabet[Number((bits >> BigInt(i * 5)) & 31n)];
  return text.match(/.{4}/g)!.join('-');
}

/** Aborts if the server's view of the ceremony no longer matches the one the holders confirmed. */
export function assertSameCeremony(expected: CeremonyParameters, seen: CeremonyParameters): void {
  const a = ceremonyFingerprint(expected);
  const b = ceremonyFingerprint(seen);
  if (a !== b) {
    throw new CustodianError('CEREMONY_CHANGED',
      `The ${expected.operation} ceremony changed on the server (fingerprint ${a} became ${b}): someone cancelled or restarted it, or changed its parameters. No share was sent.`,
      { hint: 'Stop, find out who changed it, and start a new ceremony that every holder confirms.', details: { expected: a, seen: b } });
  }
}
