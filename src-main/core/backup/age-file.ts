/**
 * age encryption and decryption (npm age-encryption, typage) with Key Custodian's error codes:
 * BACKUP_DECRYPT_FAILED when no identity or passphrase given opens the file, BACKUP_CORRUPT for everything
 * else that fails (not an age file, truncated, tampered header or payload). Files are written in age's binary
 * format; armored files (`-----BEGIN AGE ENCRYPTED FILE-----`) are read too.
 */
import { Decrypter, Encrypter, armor, type Identity, type Stanza } from 'age-encryption';
import { CustodianError } from '../errors.js';
import type { ParsedIdentities, ParsedRecipient } from './age-keys.js';

/** Who can open a file: recipients (public keys) or one passphrase (age's scrypt recipient). */
export type AgeTarget =
  | { kind: 'recipients'; recipients: ParsedRecipient[] }
  /** The caller wipes the bytes. */
  | { kind: 'passphrase'; passphrase: Uint8Array };

/** What opens a file: identities (from a file or the keychain) or a passphrase. */
export type AgeKey =
  | { kind: 'identities'; identities: ParsedIdentities }
  | { kind: 'passphrase'; passphrase: Uint8Array };

/** Shortest passphrase for a new backup: scrypt slows guessing, it cannot save a short passphrase. */
export const MIN_PASSPHRASE_CHARS = 10;

/** age's default scrypt work factor (2^18), the same as the `age` CLI's. */
export const SCRYPT_LOG_N = 18;

/** How a file is described in messages and audit entries: the recipients' public strings, or "passphrase". */
export function describeTarget(target: AgeTarget): string[] {
  return target.kind === 'passphrase' ? ['passphrase'] : target.recipients.map((recipient) => recipient.text);
}

export async function ageEncrypt(plaintext: Uint8Array, target: AgeTarget): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  if (target.kind === 'passphrase') {
    if ([...Buffer.from(target.passphrase).toString('utf8')].length < MIN_PASSPHRASE_CHARS) throw shortPassphrase();
    // typage's setPassphrase takes a JS string, which cannot be wiped; it lives only for this call.
    encrypter.setPassphrase(Buffer.from(target.passphrase).toString('utf8'));
    encrypter.setScryptWorkFactor(SCRYPT_LOG_N);
  } else {
    if (target.recipients.length === 0) throw new CustodianError('USAGE', 'No recipient given.', { hint: 'Pass --recipient age1... (repeatable), --recipients-file FILE, or --passphrase.' });
    for (const recipient of target.recipients) encrypter.addRecipient(recipient.recipient);
  }
  return encrypter.encrypt(plaintext);
}

/**
 * Decrypts a whole age file. Which error a failure gets is decided by where it happened, not by the library's
 * message text: a last, catch-all identity records that every real identity was tried and none matched.
 */
export async function ageDecrypt(file: Uint8Array, key: AgeKey): Promise<Buffer> {
  const binary = dearmor(file);
  const decrypter = new Decrypter();
  if (key.kind === 'passphrase') {
    // A JS string again (typage's API); see ageEncrypt.
    decrypter.addPassphrase(Buffer.from(key.passphrase).toString('utf8'));
  } else {
    for (const identity of key.identities.identities) decrypter.addIdentity(identity);
  }
  const probe = new NoMatchProbe();
  decrypter.addIdentity(probe);
  try {
    return Buffer.from(await decrypter.decrypt(binary));
  } catch {
    if (probe.stanzaTypes) throw noMatch(key, probe.stanzaTypes);
    throw corrupt();
  }
}

/** Reached only when every identity before it returned null: the header parsed, but nothing given opens it. */
class NoMatchProbe implements Identity {
  stanzaTypes: string[] | undefined;
  unwrapFileKey(stanzas: Stanza[]): null {
    this.stanzaTypes = stanzas.map((stanza) => stanza.args[0] ?? '?');
    return null;
  }
}

function dearmor(file: Uint8Array): Uint8Array {
  const head = Buffer.from(file.subarray(0, 64)).toString('latin1').trimStart();
  if (!head.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) return file;
  try {
    return armor.decode(Buffer.from(file).toString('latin1'));
  } catch {
    throw corrupt();
  }
}

export function shortPassphrase(): CustodianError {
  return new CustodianError('INVALID_INPUT', `The passphrase is shorter than ${MIN_PASSPHRASE_CHARS} characters; nothing was written.`, {
    hint: 'Use 4-5 random words or at least 10 random characters: the backup can be attacked offline for as long as it exists.',
  });
}

export function corrupt(detail = 'is not an intact age file (truncated, changed, or not made by age)'): CustodianError {
  return new CustodianError('BACKUP_CORRUPT', `The backup ${detail}; nothing was changed.`, {
    hint: 'Use another copy of the backup. `age -d` on the same file tells whether the file itself is damaged.',
  });
}

function noMatch(key: AgeKey, stanzaTypes: string[]): CustodianError {
  const forPassphrase = stanzaTypes.includes('scrypt');
  let hint: string;
  if (key.kind === 'passphrase') {
    hint = forPassphrase ? 'Check the passphrase (it is case-sensitive) and try again.' : 'This backup was encrypted to recipients, not a passphrase: pass the matching --identity file (or none, for this custodian\'s own identity).';
  } else if (forPassphrase) {
    hint = 'This backup is protected by a passphrase: use --passphrase (or --passphrase-file).';
  } else {
    hint = `It was made for ${stanzaTypes.length} recipient(s) of type ${[...new Set(stanzaTypes)].join(', ')}; pass the identity file of one of them with --identity, or run the import as the custodian it was exported to.`;
  }
  return new CustodianError('BACKUP_DECRYPT_FAILED', key.kind === 'passphrase'
    ? 'The passphrase does not open this backup; nothing was changed.'
    : 'None of the identities given can open this backup; nothing was changed.', { hint, details: { stanzaTypes } });
}
