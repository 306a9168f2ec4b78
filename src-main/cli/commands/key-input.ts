import { CustodianError } from '../../core/errors.js';
import type { CliIO } from '../io.js';
import { confirm, isInteractive, readHiddenLine } from '../terminal.js';

/** Longest key text accepted on stdin; a Fernet key is 44 characters, so anything longer is the wrong input. */
const MAX_KEY_INPUT = 256;

/**
 * Reads Fernet key text for `key import`: from a pipe up to EOF, or on a terminal from a hidden prompt (raw mode,
 * no echo) up to Enter. Never a JS string; the caller wipes the returned buffer.
 */
export async function readKeyText(io: CliIO): Promise<Buffer> {
  if (isInteractive(io)) return readHidden(io, 'Fernet key (input hidden): ');
  return readLimited(io.stdin);
}

async function readLimited(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const buffer = Buffer.alloc(MAX_KEY_INPUT);
  let length = 0;
  let tooLong = false;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer;
    if (!tooLong && length + bytes.length <= MAX_KEY_INPUT) {
      bytes.copy(buffer, length);
      length += bytes.length;
    } else {
      tooLong = true;
    }
    bytes.fill(0);
  }
  if (tooLong) {
    buffer.fill(0);
    throw new CustodianError('INVALID_KEY', 'invalid Fernet key', {
      hint: 'The input is far longer than a Fernet key (44 characters); pipe in the key text alone.',
    });
  }
  const result = Buffer.from(buffer.subarray(0, length));
  buffer.fill(0);
  return result;
}

/** A key typed at a hidden prompt; Ctrl-C, or Ctrl-D on an empty line, cancels. */
async function readHidden(io: CliIO, prompt: string): Promise<Buffer> {
  const line = await readHiddenLine(io, prompt, MAX_KEY_INPUT);
  if (line.outcome !== 'line') throw cancelled();
  return line.bytes;
}

export { confirm };

export function cancelled(): CustodianError {
  return new CustodianError('CONFIRMATION_REQUIRED', 'Cancelled; nothing was changed.');
}
