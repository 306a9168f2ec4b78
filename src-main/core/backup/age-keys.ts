/**
 * Parsing age recipients (public: `age1...`, `ssh-ed25519 AAAA...`) and identities (private: `AGE-SECRET-KEY-1...`
 * lines of an identity file, or an unencrypted OpenSSH ed25519 private key). Errors never quote the input: a
 * private key pasted where a recipient belongs must not reach a terminal or a log.
 */
import { identityToRecipient, type Identity, type Recipient } from 'age-encryption';
import { CustodianError } from '../errors.js';
import { SshEd25519Identity, SshEd25519Recipient, parseOpenSshEd25519 } from './age-ssh.js';

/** What `addRecipient` takes: an `age1...` string (typage parses it) or our ssh-ed25519 Recipient. */
export type ParsedRecipient = { kind: 'x25519' | 'ssh-ed25519'; text: string; recipient: string | Recipient };

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
  if (trimmed.startsWith('ssh-ed25519 ')) {
    try {
      const recipient = new SshEd25519Recipient(trimmed);
      return { kind: 'ssh-ed25519', text: trimmed.split(/\s+/).slice(0, 2).join(' '), recipient };
    } catch {
      throw badRecipient(where);
    }
  }
  if (/^(ssh-rsa|ecdsa-|sk-)/.test(trimmed)) {
    throw new CustodianError('INVALID_INPUT', `${where} is an SSH key type Key Custodian does not encrypt to (only ssh-ed25519).`, {
      hint: 'Use an age recipient (age1..., from `age-keygen`) or an ssh-ed25519 public key.',
    });
  }
  throw badRecipient(where);
}

/** A recipients file as `age -R` reads it: one recipient per line; blank lines and `#` comments are skipped. */
export function parseRecipientsFile(text: string): ParsedRecipient[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0 && !line.startsWith('#'));
  if (lines.length === 0) {
    throw new CustodianError('INVALID_INPUT', 'The recipients file lists no recipient.', { hint: 'Put one age1... or ssh-ed25519 recipient on each line.' });
  }
  return lines.map((line, index) => parseRecipient(line, index + 1));
}

function badRecipient(where: string): CustodianError {
  return new CustodianError('INVALID_INPUT', `${where} is not an age recipient (age1...) or an ssh-ed25519 public key.`, {
    hint: 'Copy it again from `custodian identity show --age`, `age-keygen -y`, or the ssh .pub file.',
  });
}

/**
 * Identities read from an identity file, ready for a Decrypter. `identities` holds strings (typage takes
 * `AGE-SECRET-KEY-1...` only as a JS string, which cannot be wiped) or our ssh-ed25519 Identity; `dispose()`
 * wipes what can be wiped.
 */
export interface ParsedIdentities {
  identities: Array<string | Identity>;
  /** The matching public recipients, for messages and audit entries. */
  recipients: string[];
  dispose(): void;
}

/**
 * An age identity file (lines of `AGE-SECRET-KEY-1...`, `#` comments) or an unencrypted OpenSSH ed25519 private
 * key. The caller wipes `file`.
 */
export async function parseIdentityFile(file: Buffer): Promise<ParsedIdentities> {
  if (file.length > MAX_KEY_FILE_BYTES) throw badIdentity('The identity file is far larger than any age or SSH identity file.');
  if (file.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return sshIdentity(file);
  if (file.includes('-----BEGIN AGE ENCRYPTED FILE-----') || file.subarray(0, 21).toString('latin1') === 'age-encryption.org/v1') {
    throw badIdentity('The identity file is itself age-encrypted; Key Custodian does not open encrypted identity files.', 'Decrypt it first (`age -d -o identity.txt identity.age`) into a private directory, and delete the copy afterwards.');
  }
  const identities: string[] = [];
  const recipients: string[] = [];
  // A JS string of the identity is unavoidable: typage's Decrypter.addIdentity takes only strings or CryptoKeys.
  for (const rawLine of file.toString('latin1').split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    if (line.startsWith('AGE-PLUGIN-')) throw badIdentity('The identity file names an age plugin; Key Custodian supports X25519 (AGE-SECRET-KEY-1...) and ssh-ed25519 identities only.');
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

function sshIdentity(file: Buffer): ParsedIdentities {
  const parsed = parseOpenSshEd25519(file);
  if ('problem' in parsed) {
    if (parsed.problem === 'encrypted') {
      throw badIdentity('The SSH private key is protected with a passphrase; Key Custodian reads only unencrypted SSH keys.', 'Make a temporary unencrypted copy in a private directory (`cp id_ed25519 /tmp/k && ssh-keygen -p -N "" -f /tmp/k`), use it, then delete it; or use an age identity.');
    }
    if (parsed.problem === 'not-ed25519') throw badIdentity('The SSH private key is not an ed25519 key; only ssh-ed25519 identities are supported.');
    throw badIdentity('The SSH private key file does not parse.');
  }
  try {
    const identity = new SshEd25519Identity(parsed.seed);
    return { identities: [identity], recipients: [identity.recipient], dispose: () => identity.dispose() };
  } finally {
    parsed.seed.fill(0);
  }
}

function badIdentity(message: string, hint = 'Pass the file `age-keygen` wrote (AGE-SECRET-KEY-1...) or an ssh-ed25519 private key with --identity.'): CustodianError {
  return new CustodianError('INVALID_INPUT', message, { hint });
}
