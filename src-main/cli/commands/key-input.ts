import { CustodianError } from '../../core/errors.js';
import type { CliIO } from '../io.js';

/** Longest key text accepted on stdin; a Fernet key is 44 characters, so anything longer is the wrong input. */
const MAX_KEY_INPUT = 256;

/**
 * Reads Fernet key text for `key import`: from a pipe up to EOF, or on a terminal from a hidden prompt (raw mode,
 * no echo) up to Enter. Never a JS string; the caller wipes the returned buffer.
 */
export async function readKeyText(io: CliIO): Promise<Buffer> {
  if (io.stdin.isTTY && typeof io.stdin.setRawMode === 'function') return readHidden(io, 'Fernet key (input hidden): ');
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

/** A line typed without echo. Ctrl-C or Ctrl-D on an empty line cancels. */
function readHidden(io: CliIO, prompt: string): Promise<Buffer> {
  const stdin = io.stdin as NodeJS.ReadStream;
  // Echo goes off before the prompt appears, so nothing typed or pasted in response to it is ever shown.
  stdin.setRawMode(true);
  io.stderr.write(prompt);
  const buffer = Buffer.alloc(MAX_KEY_INPUT);
  let length = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (error?: CustodianError): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) {
        buffer.fill(0);
        reject(error);
      } else {
        const result = Buffer.from(buffer.subarray(0, length));
        buffer.fill(0);
        resolve(result);
      }
    };
    const onData = (chunk: Buffer): void => {
      try {
        for (const byte of chunk) {
          if (byte === 0x0d || byte === 0x0a) return finish();
          if (byte === 0x03 || (byte === 0x04 && length === 0)) return finish(cancelled());
          if (byte === 0x7f || byte === 0x08) length = Math.max(0, length - 1);
          else if (length < MAX_KEY_INPUT) buffer[length++] = byte;
        }
      } finally {
        chunk.fill(0);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * Asks a yes/no question on a terminal (answer echoed: it is not secret). Without a terminal there is nobody to
 * ask: the caller must have been given --yes.
 */
export function confirm(io: CliIO, question: string): Promise<boolean> {
  const stdin = io.stdin as NodeJS.ReadStream;
  io.stderr.write(`${question} [y/N] `);
  return new Promise((resolve) => {
    let answer = '';
    const onData = (chunk: Buffer | string): void => {
      answer += chunk.toString();
      const end = answer.indexOf('\n');
      if (end < 0) return;
      stdin.off('data', onData);
      stdin.pause();
      resolve(/^\s*y(es)?\s*$/i.test(answer.slice(0, end)));
    };
    stdin.on('data', onData);
    stdin.once('end', () => resolve(false));
    stdin.resume();
  });
}

export function cancelled(): CustodianError {
  return new CustodianError('CONFIRMATION_REQUIRED', 'Cancelled; nothing was changed.');
}
