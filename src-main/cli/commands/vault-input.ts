import { readFile } from 'node:fs/promises';
import { CustodianError } from '../../core/errors.js';
import { readAll, type CliIO } from '../io.js';

/** Longest line accepted at a hidden prompt: a PGP-encrypted share in base64 is about 1-2 KB. */
const MAX_LINE = 16 * 1024;

export function isInteractive(io: CliIO): boolean {
  return Boolean(io.stdin.isTTY && typeof io.stdin.setRawMode === 'function');
}

/** A line typed without echo (raw mode), as bytes. Ctrl-C cancels; Ctrl-D on an empty line ends input (null). */
export function readHiddenLine(io: CliIO, prompt: string): Promise<Buffer | null> {
  const stdin = io.stdin as NodeJS.ReadStream;
  // No echo before the prompt appears, or a holder who types at once would see their share echoed.
  stdin.setRawMode(true);
  io.stderr.write(prompt);
  const buffer = Buffer.alloc(MAX_LINE);
  let length = 0;
  return new Promise<Buffer | null>((resolve, reject) => {
    const finish = (outcome: 'line' | 'eof' | 'cancel'): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (outcome === 'cancel') {
        buffer.fill(0);
        reject(new CustodianError('CONFIRMATION_REQUIRED', 'Cancelled at the prompt.', { hint: 'Shares already applied stay on the nodes; run the command again to go on, or with --reset to start over.' }));
        return;
      }
      const result = outcome === 'eof' ? null : Buffer.from(buffer.subarray(0, length));
      buffer.fill(0);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      try {
        for (const byte of chunk) {
          if (byte === 0x0d || byte === 0x0a) return finish('line');
          if (byte === 0x03) return finish('cancel');
          if (byte === 0x04 && length === 0) return finish('eof');
          if (byte === 0x7f || byte === 0x08) length = Math.max(0, length - 1);
          else if (length < MAX_LINE) buffer[length++] = byte;
        }
      } finally {
        chunk.fill(0);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** A visible line (not secret: a file path, a yes/no). */
export function readVisibleLine(io: CliIO, prompt: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  io.stderr.write(prompt);
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end < 0) return;
      stdin.off('data', onData);
      stdin.pause();
      resolve(text.slice(0, end).replace(/\r$/, ''));
    };
    stdin.on('data', onData);
    stdin.once('end', () => resolve(text));
    stdin.resume();
  });
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
