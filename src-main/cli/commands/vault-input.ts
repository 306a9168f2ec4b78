import { readFile } from 'node:fs/promises';
import { CustodianError } from '../../core/errors.js';
import { readAll, type CliIO } from '../io.js';
import { isInteractive, readHiddenLine as readHidden, readVisibleLine } from '../terminal.js';

/** Longest line accepted at a hidden prompt: a PGP-encrypted share in base64 is about 1-2 KB. */
const MAX_LINE = 16 * 1024;

export { isInteractive, readVisibleLine };

/** A share typed without echo, as bytes; null when input ends (Ctrl-D on an empty line). Ctrl-C cancels. */
export async function readHiddenLine(io: CliIO, prompt: string): Promise<Buffer | null> {
  const line = await readHidden(io, prompt, MAX_LINE);
  if (line.outcome === 'cancel') {
    throw new CustodianError('CONFIRMATION_REQUIRED', 'Cancelled at the prompt.', { hint: 'Shares already applied stay on the nodes; run the command again to go on, or with --reset to start over.' });
  }
  return line.outcome === 'line' ? line.bytes : null;
}

/** Reads a file (or stdin for "-") as bytes; the caller wipes the buffer. */
export async function readSecretSource(io: CliIO, source: string, what: string): Promise<Buffer> {
  if (source === '-') return readAll(io.stdin);
  try {
    return await readFile(source);
  } catch {
    throw new CustodianError('INVALID_INPUT', `Cannot read the ${what} file ${source}.`, { hint: 'Check the path and its permissions.' });
  }
}
