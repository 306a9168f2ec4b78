import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CustodianError, isCustodianError } from '../../core/errors.js';
import { decodeShare, decryptShare, looksPgpEncrypted, splitShareLines, wipeAll, type PgpPrivateKeySource } from '../../core/vault/index.js';
import type { Output } from '../io.js';
import type { CommandContext } from '../main.js';
import type { ConnectionFlags } from './vault.js'; // type only: no import cycle at run time
import { isInteractive, readHiddenLine, readSecretSource, readVisibleLine } from './vault-input.js';

// The holders' side of a ceremony in the CLI: their shares (typed or from a file, plain or PGP-encrypted) and
// their confirmation of the ceremony fingerprint.

export interface ShareFlags extends ConnectionFlags {
  sharesFile?: string;
  pgpKey?: string[];
  pgpPassphraseFile?: string;
  /** The holders' names in turn (--holder, repeatable): for the ceremony transcript only. */
  holder?: string[];
}

/** Progress and guidance for the people at the terminal, on stderr; silent with --json (one error object only). */
export function progress(output: Output, text: string): void {
  if (!output.json) output.note(text);
}

/**
 * Collects shares from the holders and hands each, decoded, to `submit` (which returns true when done).
 * From a file: one share per line, stop at the first error. On a terminal: a hidden prompt per holder with a
 * hand-over between holders; a mistyped or repeated share is reported and the same holder may try again.
 * Each holder's name (optional; --holder in turn, or asked on the terminal) goes with the share into the
 * ceremony transcript (docs/audit.md); it is never needed to unseal.
 */
export async function collectShares(context: CommandContext, flags: ShareFlags, output: Output, threshold: number, submit: (share: Buffer, holder: number, name: string | undefined) => Promise<boolean>): Promise<void> {
  const named = (holder: number): string | undefined => flags.holder?.[holder - 1];
  const pgpKeys = await loadPrivateKeys(context, flags);
  try {
    if (flags.sharesFile || !isInteractive(context.io)) {
      if (!flags.sharesFile) {
        throw new CustodianError('USAGE', 'No terminal to prompt the holders on.', { hint: 'Give the shares with --shares-file FILE (or - for stdin), one per line.' });
      }
      const content = await readSecretSource(context.io, flags.sharesFile, 'shares');
      const lines = splitShareLines(content);
      content.fill(0);
      try {
        for (const [index, line] of lines.entries()) {
          const share = await toShare(line, pgpKeys);
          try {
            if (await submit(share, index + 1, named(index + 1))) return;
          } finally {
            share.fill(0);
          }
        }
      } finally {
        wipeAll(lines);
      }
      return;
    }
    progress(output, `${threshold} holders are needed. Each holder types their share at the hidden prompt, then hands over.`);
    for (let holder = 1; ; holder++) {
      progress(output, `\n=== Holder ${holder}: take the keyboard. Others, please look away. ===`);
      const name = flags.holder ? named(holder) : (await readVisibleLine(context.io, `Holder ${holder}, your name for the ceremony transcript (optional; Enter to skip): `)).trim() || undefined;
      for (;;) {
        const line = await readHiddenLine(context.io, `Holder ${holder}, your share (input hidden; empty line to stop): `);
        if (!line || line.length === 0) return;
        let share: Buffer | undefined;
        let promptedKeys: PgpPrivateKeySource[] | undefined;
        try {
          if (looksPgpEncrypted(line) && pgpKeys.length === 0) promptedKeys = await promptPrivateKey(context);
          share = await toShare(line, promptedKeys ?? pgpKeys);
          const done = await submit(share, holder, name);
          if (done) return;
          break;
        } catch (error) {
          if (isCustodianError(error) && ['SHARE_INVALID', 'SHARE_REPEATED', 'PGP_INVALID'].includes(error.code)) {
            progress(output, `error [${error.code}]: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}\nPlease try again, holder ${holder}.`);
            continue;
          }
          throw error;
        } finally {
          share?.fill(0);
          line.fill(0);
          // A key and passphrase typed for this one share are wiped with it.
          for (const key of promptedKeys ?? []) {
            key.key.fill(0);
            key.passphrase?.fill(0);
          }
        }
      }
      progress(output, `Thank you, holder ${holder}. Please hand the keyboard to the next holder.`);
    }
  } finally {
    for (const key of pgpKeys) {
      key.key.fill(0);
      key.passphrase?.fill(0);
    }
  }
}

async function toShare(line: Buffer, pgpKeys: PgpPrivateKeySource[]): Promise<Buffer> {
  if (looksPgpEncrypted(line)) {
    if (pgpKeys.length === 0) {
      throw new CustodianError('PGP_INVALID', 'This share is PGP-encrypted and no private key was given.', { hint: 'Add --pgp-key FILE (and --pgp-passphrase-file FILE if the key has a passphrase).' });
    }
    return decryptShare(line, pgpKeys);
  }
  return decodeShare(line);
}

async function loadPrivateKeys(context: CommandContext, flags: ShareFlags): Promise<PgpPrivateKeySource[]> {
  if (!flags.pgpKey?.length) return [];
  let passphrase: Buffer | undefined;
  if (flags.pgpPassphraseFile) {
    const raw = await readSecretSource(context.io, flags.pgpPassphraseFile, 'passphrase');
    // Drop one trailing line ending on the bytes, so the passphrase never becomes a JS string.
    let end = raw.length;
    if (end > 0 && raw[end - 1] === 0x0a) end--;
    if (end > 0 && raw[end - 1] === 0x0d) end--;
    passphrase = Buffer.from(raw.subarray(0, end));
    raw.fill(0);
  }
  return Promise.all(flags.pgpKey.map(async (file) => {
    const key = await readFile(file).catch(() => { throw new CustodianError('INVALID_INPUT', `Cannot read the private key ${file}.`); });
    return { key, label: basename(file), ...(passphrase ? { passphrase: Buffer.from(passphrase) } : {}) };
  })).finally(() => passphrase?.fill(0));
}

async function promptPrivateKey(context: CommandContext): Promise<PgpPrivateKeySource[]> {
  const path = (await readVisibleLine(context.io, 'This share is PGP-encrypted. Path of your private key file: ')).trim();
  const key = await readFile(path).catch(() => { throw new CustodianError('PGP_INVALID', `Cannot read ${path}.`, { hint: 'Give the path of your exported private key.' }); });
  const passphrase = await readHiddenLine(context.io, 'Passphrase of that key (input hidden; empty if none): ');
  return [{ key, label: basename(path), ...(passphrase && passphrase.length > 0 ? { passphrase } : {}) }];
}

/** Shows the ceremony fingerprint; with --fingerprint checks it, on a terminal asks the holders to confirm it. */
export async function confirmFingerprint(context: CommandContext, output: Output, what: string, fingerprint: string, expected: string | undefined, summary: string): Promise<void> {
  progress(output, `Ceremony fingerprint (${what}: ${summary}): ${fingerprint}`);
  if (expected) {
    if (expected.trim().toUpperCase() !== fingerprint) {
      throw new CustodianError('CEREMONY_CHANGED', `The ${what} ceremony's fingerprint is ${fingerprint}, not the agreed ${expected}. No share was sent.`, {
        hint: 'Someone started a different ceremony; stop and find out who.',
      });
    }
    return;
  }
  if (isInteractive(context.io) && !context.output().json) {
    const answer = await readVisibleLine(context.io, 'Every holder: does this fingerprint match what the others see? [y/N] ');
    if (!/^\s*y(es)?\s*$/i.test(answer)) throw new CustodianError('CONFIRMATION_REQUIRED', 'The holders did not confirm the ceremony fingerprint; no share was sent.');
  }
}

