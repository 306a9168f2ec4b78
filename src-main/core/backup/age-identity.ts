/**
 * The custodian's own age identity (X25519): how another custodian sends this one a key without plaintext.
 * `custodian identity show --age` prints the recipient (`age1...`); the private half (`AGE-SECRET-KEY-1...`
 * text, exactly what `age-keygen` writes, so it can be recovered with the keychain's own tools and used with the
 * `age` CLI) lives only in the OS keychain, under the same service as the keys, account `custodian-identity-age`.
 * Created on first use, like the Ed25519 signing identity (push/identity.ts); never replaced when damaged.
 */
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { CustodianError } from '../errors.js';
import type { SecretStore } from '../keystore/index.js';
import type { AgeKey } from './age-file.js';

export const AGE_IDENTITY_ACCOUNT = 'custodian-identity-age';

export interface KeychainAgeIdentity {
  /** The public recipient, `age1...`. */
  recipient: string;
  /** The identity as typage takes it. A JS string cannot be wiped; it lives only for one decryption. */
  identity: string;
  created: boolean;
}

/** The recipient (`age1...`), creating the identity first if the keychain has none. */
export async function ageRecipient(secrets: SecretStore): Promise<{ recipient: string; created: boolean }> {
  const { recipient, created } = await loadOrCreateAgeIdentity(secrets);
  return { recipient, created };
}

/** Loads the identity, creating and storing it if the keychain has none. */
export async function loadOrCreateAgeIdentity(secrets: SecretStore): Promise<KeychainAgeIdentity> {
  const existing = await loadAgeIdentity(secrets);
  if (existing) return existing;
  // generateX25519Identity draws 32 bytes from the CSPRNG and returns the bech32 text (a string, by its API).
  const identity = await generateX25519Identity();
  const bytes = Buffer.from(identity, 'latin1');
  try {
    await secrets.set(AGE_IDENTITY_ACCOUNT, bytes);
  } finally {
    bytes.fill(0);
  }
  return { recipient: await identityToRecipient(identity), identity, created: true };
}

/** The identity, or null when this keychain has none (decryption never creates one). */
export async function loadAgeIdentity(secrets: SecretStore): Promise<KeychainAgeIdentity | null> {
  const stored = await secrets.get(AGE_IDENTITY_ACCOUNT);
  if (stored === null) return null;
  try {
    const identity = stored.toString('latin1').trim();
    if (!identity.startsWith('AGE-SECRET-KEY-1')) throw corrupt();
    try {
      return { recipient: await identityToRecipient(identity), identity, created: false };
    } catch {
      throw corrupt();
    }
  } finally {
    stored.fill(0);
  }
}

/**
 * The keychain identity as a decryption key for ageDecrypt / importKeyBackup / restoreState. No identity yet is
 * BACKUP_DECRYPT_FAILED (a backup can only have been made for an identity that exists).
 */
export async function keychainAgeKey(secrets: SecretStore): Promise<AgeKey> {
  const own = await loadAgeIdentity(secrets);
  if (!own) {
    throw new CustodianError('BACKUP_DECRYPT_FAILED', 'This custodian has no age identity in its keychain, so it cannot open the backup; nothing was changed.', {
      hint: 'Pass an identity file or the passphrase. (`custodian identity show --age` creates this custodian\'s identity for the next backup sent to it.)',
    });
  }
  return { kind: 'identities', identities: { identities: [own.identity], recipients: [own.recipient], dispose: () => undefined } };
}

/** Checks keychain bytes that are about to become the age identity (state restore). */
export async function checkAgeIdentityBytes(bytes: Uint8Array): Promise<string> {
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (!text.startsWith('AGE-SECRET-KEY-1')) throw new Error('not an age identity');
  return identityToRecipient(text);
}

function corrupt(): CustodianError {
  return new CustodianError('IDENTITY_CORRUPT', 'The custodian\'s age identity in the OS keychain is not a valid age identity; it was left untouched.', {
    hint: `Restore the keychain item "${AGE_IDENTITY_ACCOUNT}" from a state backup (custodian backup restore-state), or delete it to create a new one and send the new recipient (custodian identity show --age) to whoever exports keys to you.`,
  });
}
