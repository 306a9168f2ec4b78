/**
 * The audit log's own Ed25519 signing key, kept in the OS keychain next to the custodian identity (its 32-byte
 * seed under AUDIT_KEY_ACCOUNT), created on first use. It is separate from the identity because the identity
 * rotates (custodian identity rotate) while one log goes on. Its name, which is also the checkpoint origin, is
 * `key-custodian/audit-<first 8 bytes of SHA-256(public key), hex>`: stable, and unique per key.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { CustodianError } from '../errors.js';
import type { SecretStore } from '../keystore/secret-store.js';
import { verifierKeyText, type NoteSigner } from './note.js';

export const AUDIT_KEY_ACCOUNT = 'custodian-audit-ed25519';
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface AuditSigner extends NoteSigner {
  /** The verifier key line (name+hash+key) an auditor gives to Go's note.NewVerifier. */
  verifierKey: string;
}

export function auditKeyName(publicRaw: Uint8Array): string {
  return `key-custodian/audit-${createHash('sha256').update(publicRaw).digest('hex').slice(0, 16)}`;
}

export function auditSignerFromSeed(seed: Buffer): AuditSigner {
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  try {
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
    const name = auditKeyName(publicRaw);
    return { name, privateKey, publicRaw, verifierKey: verifierKeyText(name, publicRaw) };
  } finally {
    der.fill(0);
  }
}

/** The audit key from the keychain; created and stored first when `create` and there is none, else null. */
export async function loadAuditSigner(secrets: SecretStore, create: boolean): Promise<AuditSigner | null> {
  let seed = await secrets.get(AUDIT_KEY_ACCOUNT);
  if (seed && seed.length !== 32) {
    seed.fill(0);
    throw new CustodianError('AUDIT_KEY_CORRUPT', 'The audit log\'s signing key in the OS keychain is not a valid Ed25519 key; it was left untouched.', {
      hint: `Restore the keychain item "${AUDIT_KEY_ACCOUNT}" from a backup. Until then nothing can be recorded, so actions are refused.`,
    });
  }
  if (!seed) {
    if (!create) return null;
    seed = randomBytes(32);
    await secrets.set(AUDIT_KEY_ACCOUNT, seed);
  }
  try {
    return auditSignerFromSeed(seed);
  } finally {
    seed.fill(0);
  }
}
