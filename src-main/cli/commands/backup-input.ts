import { readFile } from 'node:fs/promises';
import { withoutLineEnding } from '../../core/line-ending.js';
import { CustodianError, isCustodianError } from '../../core/errors.js';
import { ShareCollector, type ShareProgress } from '../../core/backup/slip39.js';
import type { CliIO, Output } from '../io.js';
import { isInteractive, readHiddenLine } from '../terminal.js';

// What `backup split` and `backup restore` read from the person or from files: a SLIP-39 passphrase (never an
// argument value), and the shares (hidden prompts per holder on a terminal, one per line otherwise).

/** Longest passphrase or share line accepted; a 33-word share is under 300 characters. */
const MAX_LINE = 1024;
/** Most share text accepted on stdin: 16 shares with comments fit many times over. */
const MAX_STDIN = 64 * 1024;
/** Tries a holder gets at the prompt before the restore stops (bounds the loop, and a guessing attacker). */
const MAX_TRIES = 5;
/** Shares read at most: SLIP-39 has at most 16 per group. */
const MAX_SHARES_READ = 16;

export interface PassphraseFlags {
  passphraseFile?: string;
  passphrase?: boolean;
}

/**
 * The SLIP-39 passphrase as bytes (caller wipes), or undefined for none. From a file (one trailing line ending
 * dropped) or, with --passphrase, a hidden prompt; at a split the prompt asks twice.
 */
export async function readPassphrase(io: CliIO, flags: PassphraseFlags, options: { confirm: boolean; stdinBusy: boolean }): Promise<Buffer | undefined> {
  if (flags.passphraseFile && flags.passphrase) {
    throw new CustodianError('USAGE', 'Give the passphrase either with --passphrase-file or at the --passphrase prompt, not both.', { hint: 'Drop one of the two options.' });
  }
  if (flags.passphraseFile) {
    if (flags.passphraseFile === '-' && options.stdinBusy) {
      throw new CustodianError('USAGE', 'The shares come on stdin, so the passphrase cannot.', { hint: 'Put the passphrase in a file (mode 0600) and give its path, or use --passphrase on a terminal.' });
    }
    const raw = flags.passphraseFile === '-' ? await readStdin(io) : await readFile(flags.passphraseFile).catch(() => {
      throw new CustodianError('INVALID_INPUT', `Cannot read the passphrase file ${flags.passphraseFile}.`, { hint: 'Check the path and its permissions.' });
    });
    const passphrase = Buffer.from(withoutLineEnding(raw));
    raw.fill(0);
    if (passphrase.length === 0) {
      throw new CustodianError('INVALID_INPUT', 'The passphrase file is empty.', { hint: 'Leave out --passphrase-file for a split without a passphrase.' });
    }
    return passphrase;
  }
  if (!flags.passphrase) return undefined;
  if (!isInteractive(io)) {
    throw new CustodianError('USAGE', '--passphrase asks at a hidden prompt, and there is no terminal.', { hint: 'Use --passphrase-file FILE instead.' });
  }
  const first = await hiddenLine(io, 'SLIP-39 passphrase (input hidden): ');
  if (first.length === 0) {
    throw new CustodianError('INVALID_INPUT', 'The passphrase is empty.', { hint: 'Leave out --passphrase for no passphrase.' });
  }
  if (!options.confirm) return first;
  const again = await hiddenLine(io, 'The same passphrase again (input hidden): ');
  const same = again.equals(first);
  again.fill(0);
  if (!same) {
    first.fill(0);
    throw new CustodianError('INVALID_INPUT', 'The two passphrases differ; nothing was split.', { hint: 'Run the command again and type the same passphrase twice.' });
  }
  return first;
}

/** A hidden line; Ctrl-C or Ctrl-D cancels (with `cancelled` as the message). The caller wipes it. */
export async function hiddenLine(io: CliIO, prompt: string, cancelled = 'Cancelled at the prompt; nothing was changed.'): Promise<Buffer> {
  const line = await readHiddenLine(io, prompt, MAX_LINE);
  if (line.outcome !== 'line') throw new CustodianError('CONFIRMATION_REQUIRED', cancelled, { hint: 'Run the command again when ready.' });
  return line.bytes;
}

async function readStdin(io: CliIO): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer;
    if (length + bytes.length <= MAX_STDIN) {
      chunks.push(Buffer.from(bytes));
      length += bytes.length;
    } else {
      tooLong = true;
    }
    bytes.fill(0);
  }
  const all = Buffer.concat(chunks);
  for (const chunk of chunks) chunk.fill(0);
  if (tooLong) {
    all.fill(0);
    throw new CustodianError('INVALID_INPUT', `The input is longer than ${MAX_STDIN / 1024} KiB, far more than any set of shares.`, { hint: 'Pipe in the shares alone, one per line.' });
  }
  return all;
}

/** A share's text: the library takes strings, so the typed bytes become one here (it cannot be wiped). */
function shareText(bytes: Buffer): string {
  return bytes.toString('utf8');
}

/** What to say when a share is refused; the restore goes on (terminal) or stops (stdin). */
const SHARE_PROBLEMS = new Set(['MNEMONIC_INVALID', 'MNEMONIC_SET_MISMATCH', 'MNEMONIC_DUPLICATE']);

/**
 * Reads shares until the set is complete. Not on a terminal: every line of stdin (blank lines and lines starting
 * with # are skipped), stopping at the first bad share with its line number. On a terminal: a hidden prompt per
 * holder; a refused share is explained and the same holder types it again.
 */
export async function collectKeyShares(io: CliIO, output: Output): Promise<ShareCollector> {
  const collector = new ShareCollector();
  if (!isInteractive(io)) {
    const input = await readStdin(io);
    try {
      const lines = input.toString('utf8').split('\n');
      let given = 0;
      for (const [number, rawLine] of lines.entries()) {
        const line = rawLine.trim();
        if (line.length === 0 || line.startsWith('#')) continue;
        if (++given > MAX_SHARES_READ) throw new CustodianError('INVALID_INPUT', `More than ${MAX_SHARES_READ} shares were given.`, { hint: 'SLIP-39 sets have at most 16 shares; give one per line.' });
        try {
          collector.add(line);
        } catch (error) {
          throw labelled(error, `Line ${number + 1}`);
        }
      }
    } finally {
      input.fill(0);
    }
    collector.assertComplete();
    return collector;
  }
  const say = (text: string): void => { if (!output.json) output.note(text); };
  say('Each holder types their share (the words in order, separated by spaces) at the hidden prompt, then hands over.');
  for (let holder = 1; holder <= MAX_SHARES_READ && !collector.complete; holder++) {
    say(`\n=== Holder ${holder}: take the keyboard. Others, please look away. ===`);
    let progress: ShareProgress | undefined;
    for (let attempt = 1; attempt <= MAX_TRIES && !progress; attempt++) {
      const bytes = await hiddenLine(io, `Holder ${holder}, your share (input hidden; empty line to stop): `);
      if (bytes.length === 0) collector.assertComplete(); // the holders stopped early: says how many are missing
      try {
        progress = collector.add(shareText(bytes));
      } catch (error) {
        if (!(isCustodianError(error) && SHARE_PROBLEMS.has(error.code)) || attempt === MAX_TRIES) throw error;
        // Said even with --json: the holder at the prompt must learn what to fix.
        output.note(`error [${error.code}]: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}\nPlease try again, holder ${holder}.`);
      } finally {
        bytes.fill(0);
      }
    }
    if (progress && !progress.complete) say(`Share accepted (${progress.accepted} of ${progress.threshold}). Thank you, holder ${holder}; please hand the keyboard to the next holder.`);
    else if (progress) say(`Share accepted (${progress.accepted} of ${progress.threshold}): enough shares to recombine.`);
  }
  collector.assertComplete();
  return collector;
}

/** The same error with where it happened in front ("Line 3: ..."); the message never quotes the line. */
function labelled(error: unknown, where: string): unknown {
  if (!isCustodianError(error)) return error;
  return new CustodianError(error.code, `${where}: ${error.message}`, {
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.details ? { details: error.details } : {}),
  });
}
