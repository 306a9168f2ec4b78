/**
 * What the age commands read besides their arguments: recipients (public, from --recipient or a file),
 * identities (an identity file, or the custodian's keychain identity), and passphrases (a hidden prompt or a
 * file, never an argument). Passphrases stay in Buffers here; the caller wipes them.
 */
import { withoutLineEnding } from '../../core/line-ending.js';
import { readFile, stat } from 'node:fs/promises';
import { keychainAgeKey } from '../../core/backup/age-identity.js';
import { corrupt, MIN_PASSPHRASE_CHARS, shortPassphrase, type AgeKey, type AgeTarget } from '../../core/backup/age-file.js';
import { MAX_KEY_FILE_BYTES, parseIdentityFile, parseRecipient, parseRecipientsFile, type ParsedRecipient } from '../../core/backup/age-keys.js';
import { CustodianError } from '../../core/errors.js';
import { cliSecrets } from './cli-secrets.js';
import type { CliIO } from '../io.js';
import type { CommandContext } from '../main.js';
import { isInteractive, readHiddenLine } from '../terminal.js';

/** Longest passphrase accepted (bytes); age has no limit, but anything longer is the wrong input. */
const MAX_PASSPHRASE = 1024;

export interface TargetOptions {
  recipient?: string[];
  recipientsFile?: string;
  passphrase?: boolean;
  passphraseFile?: string;
}

export interface KeyOptions {
  identity?: string;
  passphrase?: boolean;
  passphraseFile?: string;
}

export { cliSecrets } from './cli-secrets.js';

/** --recipient/--recipients-file or --passphrase[-file]: exactly one kind. */
export async function readTarget(io: CliIO, options: TargetOptions): Promise<AgeTarget> {
  const wantsPassphrase = Boolean(options.passphrase || options.passphraseFile);
  const hasRecipients = Boolean(options.recipient?.length || options.recipientsFile);
  if (wantsPassphrase === hasRecipients) {
    throw new CustodianError('USAGE', wantsPassphrase ? 'Give either recipients or a passphrase, not both.' : 'Say who can open the backup.', {
      hint: 'Pass --recipient age1... (repeatable), --recipients-file FILE, or --passphrase [--passphrase-file FILE].',
    });
  }
  if (wantsPassphrase) return { kind: 'passphrase', passphrase: await readNewPassphrase(io, options.passphraseFile) };
  const recipients: ParsedRecipient[] = (options.recipient ?? []).map((text, index) => parseRecipient(text, index + 1));
  if (options.recipientsFile) recipients.push(...parseRecipientsFile((await readSmallFile(options.recipientsFile, 'recipients file')).toString('utf8')));
  return { kind: 'recipients', recipients };
}

/** --identity FILE, --passphrase[-file], or (neither) the custodian's own age identity from the keychain. */
export async function readKey(context: CommandContext, options: KeyOptions): Promise<AgeKey> {
  const wantsPassphrase = Boolean(options.passphrase || options.passphraseFile);
  if (wantsPassphrase && options.identity) {
    throw new CustodianError('USAGE', 'Give either --identity or --passphrase, not both.', { hint: 'A backup is made either for recipients (open it with their identity) or with a passphrase.' });
  }
  if (wantsPassphrase) return { kind: 'passphrase', passphrase: await readPassphrase(context.io, options.passphraseFile, 'Passphrase (input hidden): ') };
  if (options.identity) {
    const file = await readSmallFile(options.identity, 'identity file');
    try {
      return { kind: 'identities', identities: await parseIdentityFile(file) };
    } finally {
      file.fill(0);
    }
  }
  return keychainAgeKey(cliSecrets(context));
}

/** Wipes what a target or key holds. */
export function disposeTarget(target: AgeTarget | AgeKey): void {
  if (target.kind === 'passphrase') target.passphrase.fill(0);
  else if (target.kind === 'identities') target.identities.dispose();
}

/** A new passphrase: typed twice on a terminal, or read from a file; at least MIN_PASSPHRASE characters. */
async function readNewPassphrase(io: CliIO, file: string | undefined): Promise<Buffer> {
  const first = await readPassphrase(io, file, 'New passphrase for the backup (input hidden): ');
  if ([...first.toString('utf8')].length < MIN_PASSPHRASE_CHARS) {
    first.fill(0);
    throw shortPassphrase();
  }
  if (file) return first;
  const second = await readPassphrase(io, undefined, 'Type it again (input hidden): ');
  const same = first.equals(second);
  second.fill(0);
  if (!same) {
    first.fill(0);
    throw new CustodianError('INVALID_INPUT', 'The two passphrases differ; nothing was written.', { hint: 'Run the command again and type the same passphrase twice.' });
  }
  return first;
}

async function readPassphrase(io: CliIO, file: string | undefined, prompt: string): Promise<Buffer> {
  if (file) {
    const bytes = await readSmallFile(file, 'passphrase file', MAX_PASSPHRASE + 2);
    const passphrase = Buffer.from(withoutLineEnding(bytes));
    bytes.fill(0);
    if (passphrase.length === 0) throw new CustodianError('INVALID_INPUT', 'The passphrase file is empty.', { hint: 'Put the passphrase on the first line of the file.' });
    return passphrase;
  }
  if (!isInteractive(io)) {
    throw new CustodianError('USAGE', 'A passphrase is needed and there is no terminal to type it.', {
      hint: 'Run it on a terminal to be asked (input hidden), or pass --passphrase-file FILE (never the passphrase itself as an argument).',
    });
  }
  const line = await readHiddenLine(io, prompt, MAX_PASSPHRASE);
  if (line.outcome !== 'line') throw new CustodianError('CONFIRMATION_REQUIRED', 'Cancelled; nothing was changed.');
  if (line.bytes.length === 0) throw new CustodianError('INVALID_INPUT', 'The passphrase is empty.', { hint: 'Type the passphrase, then Enter.' });
  return line.bytes;
}

/** A small input file (identity, recipients, passphrase); never echoes its content in errors. */
async function readSmallFile(path: string, what: string, limit = MAX_KEY_FILE_BYTES): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new CustodianError('INVALID_INPUT', `The ${what} cannot be read.`, { hint: 'Check the path and its permissions.' });
  }
  if (bytes.length > limit) {
    bytes.fill(0);
    throw new CustodianError('INVALID_INPUT', `The ${what} is far larger than expected; it was not used.`, { hint: 'Check that this is the right file.' });
  }
  return bytes;
}

/** The age file to open; one far larger than `limit` is refused before it is read into memory. */
export async function readBackupFile(path: string, limit: number): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new CustodianError('INVALID_INPUT', 'The backup file cannot be read.', { hint: 'Check the path and its permissions.' });
  }
  if (size > limit) throw corrupt('is far larger than any backup of this kind');
  try {
    return await readFile(path);
  } catch {
    throw new CustodianError('INVALID_INPUT', 'The backup file cannot be read.', { hint: 'Check the path and its permissions.' });
  }
}
