/**
 * The custodian identity: an Ed25519 key that signs unlock requests. Its 32-byte seed lives in the OS keychain
 * (SecretStore); it is created on first use. Receivers list its fingerprint in their authorized-custodians file.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { CustodianError } from '../errors.js';
import type { SecretStore } from '../keystore/index.js';
import type { CustodianSigner } from './messages.js';
import { fingerprintOf } from './wire.js';

/** Keychain account of the identity seed (next to the data keys, which use their key ids as accounts). */
export const IDENTITY_ACCOUNT = 'custodian-identity-ed25519';
/**
 * The previous identity after `custodian identity rotate`, kept until every pinned server acknowledged the
 * hand-over (a server that has not yet applied it still only knows this one), or `--forget-old`.
 */
export const RETIRED_IDENTITY_ACCOUNT = 'custodian-identity-ed25519-retired';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The signer for a 32-byte Ed25519 seed (the caller wipes the seed). */
export function signerFromSeed(seed: Buffer): CustodianSigner {
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  try {
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
    return { fingerprint: fingerprintOf(publicRaw), privateKey, publicRaw };
  } finally {
    der.fill(0);
  }
}

/** Loads the identity, creating and storing it first if the keychain has none. */
export async function loadOrCreateIdentity(secrets: SecretStore): Promise<CustodianSigner & { created: boolean }> {
  let seed = await secrets.get(IDENTITY_ACCOUNT);
  let created = false;
  if (seed && seed.length !== 32) {
    // Never replace it: every receiver that lists this custodian would stop accepting its pushes.
    seed.fill(0);
    throw new CustodianError('IDENTITY_CORRUPT', 'The custodian identity in the OS keychain is not a valid Ed25519 key; it was left untouched.', {
      hint: `Restore the keychain item "${IDENTITY_ACCOUNT}" from a backup; or delete it to create a new identity, then replace this custodian's line in every receiver's authorized-custodians file (custodian identity show).`,
    });
  }
  if (!seed) {
    seed = randomBytes(32);
    await secrets.set(IDENTITY_ACCOUNT, seed);
    created = true;
  }
  try {
    return { ...signerFromSeed(seed), created };
  } finally {
    seed.fill(0);
  }
}

/** The retired identity of a pending hand-over, or null. */
export async function loadRetiredIdentity(secrets: SecretStore): Promise<CustodianSigner | null> {
  const seed = await secrets.get(RETIRED_IDENTITY_ACCOUNT);
  if (!seed) return null;
  try {
    return seed.length === 32 ? signerFromSeed(seed) : null;
  } finally {
    seed.fill(0);
  }
}

/** The line for a receiver's authorized-custodians file: fingerprint, then who this is. */
export function authorizedCustodiansEntry(fingerprint: string, name = defaultName()): string {
  return `${fingerprint} ${name}`.trim();
}

function defaultName(): string {
  let user = 'custodian';
  try {
    user = userInfo().username || user;
  } catch {
    // no passwd entry: keep the generic name
  }
  return `${user}@${hostname()} (key-custodian)`.replace(/[\r\n]/g, ' ');
}
