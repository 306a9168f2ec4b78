/**
 * The file side of the Keys screen's Fernet operations (handlers/fernet.ts): reading the file the officer chose,
 * writing the output all-or-nothing with mode 0600, and the names the save dialog suggests. The token-file
 * format is core/token-file.ts, shared with the CLI. Paths always come from main's own dialogs, never from the window.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { writePrivateFile } from '../../core/backup/output-file.js';
import { CustodianError } from '../../core/errors.js';

const MIB = 1024 * 1024;
/**
 * The largest file encrypted into one token. Fernet has no streaming form, so the file, its token and the
 * base64 text are all in memory at once; the CLI has the same shape without a cap.
 */
export const MAX_PLAINTEXT_BYTES = 64 * MIB;
/** The largest token file read: one token of MAX_PLAINTEXT_BYTES is about 85.4 MiB of base64. */
export const MAX_TOKEN_FILE_BYTES = 96 * MIB;

/** Reads a file chosen in an open dialog, refusing (without reading) anything but a regular file up to `max` bytes. */
export async function readChosenFile(path: string, max: number): Promise<Buffer> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch {
    throw unreadable();
  }
  if (size > max) {
    throw new CustodianError('INVALID_INPUT', `The chosen file is larger than ${max / MIB} MiB, the most the app handles in one go; nothing was written.`, {
      hint: 'Split it into smaller files, or use the `custodian fernet` command.',
      details: { bytes: size, maxBytes: max },
    });
  }
  try {
    return await readFile(path);
  } catch {
    throw unreadable();
  }
}

function unreadable(): CustodianError {
  return new CustodianError('INVALID_INPUT', 'The chosen file cannot be read; nothing was written.', {
    hint: 'Choose a regular file you can read.',
  });
}

/**
 * Writes `bytes` to `output` with mode 0600 through a temp file and a rename, so a failure leaves neither a
 * partial output nor a temp file. An existing file is replaced: the save dialog chose it and asked first.
 * Refuses to write over the input itself (the same path, or a link to the same file).
 */
export async function writeChosenFile(output: string, input: string, bytes: Uint8Array): Promise<void> {
  if (await sameFile(output, input)) {
    throw new CustodianError('OUTPUT_UNWRITABLE', 'The output would replace the file being read; nothing was written.', {
      hint: 'Save the result under another name and keep the original until you have checked it.',
    });
  }
  try {
    await writePrivateFile(output, bytes, { force: true });
  } catch (error) {
    throw new CustodianError('OUTPUT_UNWRITABLE', 'The output file cannot be written there; nothing was written.', {
      hint: 'Choose a directory that exists and that you can write to.',
      cause: error,
    });
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // the output does not exist yet
  }
}


/** The name the save dialog suggests for the output of `operation` on `input`. */
export function suggestedName(input: string, operation: 'encrypt' | 'decrypt' | 'rotate'): string {
  const name = basename(input);
  const stem = name.endsWith('.token') && name.length > '.token'.length ? name.slice(0, -'.token'.length) : undefined;
  if (operation === 'encrypt') return `${name}.token`;
  if (operation === 'decrypt') return stem ?? `${name}.decrypted`;
  return stem ? `${stem}.rotated.token` : `${name}.rotated`;
}
