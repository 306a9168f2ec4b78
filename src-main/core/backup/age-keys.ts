/**
 * Parsing age recipients (public: `age1...`) and identities (private: `AGE-SECRET-KEY-1...` lines of an identity
 * file). Errors never quote the input: a private key pasted where a recipient belongs must not reach a terminal
 * or a log.
 *
 * age's SSH recipient types (`ssh-ed25519`, `ssh-rsa`) are refused, recipients and identities alike: typage
 * (npm age-encryption, the age library used here) does not implement them, and the project does not assemble
 * age stanzas from curve and cipher primitives by hand. The refusal names the X25519 alternatives.
 */
import { identityToRecipient, type Identity } from 'age-encryption';
import { CustodianError } from '../errors.js';

/** What `addRecipient` takes: an `age1...` string, which typage parses. */
export type ParsedRecipient = { kind: 'x25519'; text: string; recipient: string };

const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** Longest recipients/identity file we read: far more than any real one, small enough to never be a problem. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * One recipient string. `position` (1-based) names it in errors instead of its text. X25519 recipients are
 * checked by typage when encrypting; the bech32 shape is checked here so a typo fails before anything is written.
 */
export function parseRecipient(text: string, position = 1): ParsedRecipient {
  const trimmed = text.trim();
  const where = `Recipient ${position}`;
  if (/^AGE-SECRET-KEY-/i.test(trimmed) || /PRIVATE KEY/.test(trimmed)) {
    throw new CustodianError('INVALID_INPUT', `${where} is a private key, not a recipient; it was not used or shown.`, {
      hint: 'Give the public half: `age-keygen -y identity.txt` prints it, `custodian identity show --age` prints this custodian\'s; treat the private key you pasted as exposed.',
    });
  }
  if (trimmed.startsWith('age1')) {
    if (!X25519_RECIPIENT.test(trimmed)) throw badRecipient(where);
    return { kind: 'x25519', text: trimmed, recipient: trimmed };
  }
  if (/^(ssh-|ecdsa-|sk-)/.test(trimmed)) throw sshNotSupported(`${where} is an SSH public key`, 'recipient');
  throw badRecipient(where);
}

/**
 * The one refusal for SSH recipients and SSH identity files: says why, and what to use instead (the hint fits
 * the side: encrypting to someone, or opening a file). Never quotes the key.
 */
export function sshNotSupported(what: string, side: 'recipient' | 'identity'): CustodianError {
  const why = 'age\'s SSH recipient types (ssh-ed25519, ssh-rsa) are not supported because the age library used here (typage, npm age-encryption) does not implement them';
  return new CustodianError('INVALID_INPUT', `${what}; ${why}. It was not used and nothing was changed.`, {
    hint: side === 'recipient'
      ? 'Use an X25519 recipient (age1...) instead: `age-keygen -o key.txt` makes a key pair and prints the recipient; another custodian prints theirs with `custodian identity show --age`; or convert an ed25519 SSH public key with the `ssh-to-age` tool (`ssh-to-age < id_ed25519.pub`).'
      : 'Use an X25519 identity instead: a file `age-keygen` wrote (AGE-SECRET-KEY-1...), or this custodian\'s own (leave --identity out; senders encrypt to `custodian identity show --age`); or convert an ed25519 SSH key with the `ssh-to-age` tool (`ssh-to-age -private-key -i id_ed25519 -o key.txt`, in a private directory). A file already made for an SSH key opens only with the `age` CLI (`age -d -i id_ed25519 FILE`).',
  });
}

/** A recipients file as `age -R` reads it: one recipient per line; blank lines and `#` comments are skipped. */
export function parseRecipientsFile(text: string): ParsedRecipient[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0 && !line.startsWith('#'));
  if (lines.length === 0) {
    throw new CustodianError('INVALID_INPUT', 'The recipients file lists no recipient.', { hint: 'Put one age1... recipient on each line.' });
  }
  return lines.map((line, index) => parseRecipient(line, index + 1));
}

function badRecipient(where: string): CustodianError {
  return new CustodianError('INVALID_INPUT', `${where} is not an age X25519 recipient (age1...).`, {
    hint: 'Copy it again from `custodian identity show --age` or `age-keygen -y identity.txt`.',
  });
}

/**
 * Identities read from an identity file, ready for a Decrypter. `identities` holds strings (typage takes
 * `AGE-SECRET-KEY-1...` only as a JS string, which cannot be wiped) or typage Identity objects; `dispose()`
 * wipes what can be wiped.
 */
export interface ParsedIdentities {
  identities: Array<string | Identity>;
  /** The matching public recipients, for messages and audit entries. */
  recipients: string[];
  dispose(): void;
}

/** An age identity file (lines of `AGE-SECRET-KEY-1...`, `#` comments). The caller wipes `file`. */
export async function parseIdentityFile(file: Buffer): Promise<ParsedIdentities> {
  if (file.length > MAX_KEY_FILE_BYTES) throw badIdentity('The identity file is far larger than any age identity file.');
  // OpenSSH's own format and the older PEM form age also reads for ssh-rsa.
  if (file.includes('-----BEGIN OPENSSH PRIVATE KEY-----') || file.includes('-----BEGIN RSA PRIVATE KEY-----')) {
    throw sshNotSupported('The identity file is an SSH private key', 'identity');
  }
  if (file.includes('-----BEGIN AGE ENCRYPTED FILE-----') || file.subarray(0, 21).toString('latin1') === 'age-encryption.org/v1') {
    throw badIdentity('The identity file is itself age-encrypted; Key Custodian does not open encrypted identity files.', 'Decrypt it first (`age -d -o identity.txt identity.age`) into a private directory, and delete the copy afterwards.');
  }
  const identities: string[] = [];
  const recipients: string[] = [];
  // A JS string of the identity is unavoidable: typage's Decrypter.addIdentity takes only strings or CryptoKeys.
  for (const rawLine of file.toString('latin1').split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    if (line.startsWith('AGE-PLUGIN-')) throw badIdentity('The identity file names an age plugin; Key Custodian supports X25519 identities (AGE-SECRET-KEY-1...) only.');
    if (!line.startsWith('AGE-SECRET-KEY-1') && !line.startsWith('AGE-SECRET-KEY-PQ-1')) throw badIdentity('The identity file holds a line that is not an age identity (AGE-SECRET-KEY-1...).');
    try {
      recipients.push(await identityToRecipient(line));
    } catch {
      throw badIdentity('The identity file holds an age identity that does not decode (a typo or a cut line?).');
    }
    identities.push(line);
  }
  if (identities.length === 0) throw badIdentity('The identity file holds no identity.');
  return { identities, recipients, dispose: () => undefined };
}

function badIdentity(message: string, hint = 'Pass the file `age-keygen` wrote (AGE-SECRET-KEY-1...) with --identity, or leave --identity out to use this custodian\'s own age identity.'): CustodianError {
  return new CustodianError('INVALID_INPUT', message, { hint });
}
