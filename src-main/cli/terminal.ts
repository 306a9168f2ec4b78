import type { CliIO } from './io.js';

/** True when a person is at the keyboard and input can be hidden (raw mode). */
export function isInteractive(io: CliIO): boolean {
  return Boolean(io.stdin.isTTY && typeof io.stdin.setRawMode === 'function');
}

export type HiddenLine = { outcome: 'line'; bytes: Buffer } | { outcome: 'eof' | 'cancel' };

/**
 * A line typed without echo (raw mode), as bytes, never a JS string; the caller wipes `bytes`. Enter ends the
 * line; Ctrl-C cancels; Ctrl-D on an empty line ends input. Input beyond `maxBytes` is dropped.
 */
export function readHiddenLine(io: CliIO, prompt: string, maxBytes: number): Promise<HiddenLine> {
  const stdin = io.stdin as NodeJS.ReadStream;
  // Echo goes off before the prompt appears, so nothing typed or pasted in response to it is ever shown.
  stdin.setRawMode(true);
  io.stderr.write(prompt);
  const buffer = Buffer.alloc(maxBytes);
  let length = 0;
  return new Promise<HiddenLine>((resolve) => {
    const finish = (outcome: HiddenLine['outcome']): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      const result: HiddenLine = outcome === 'line' ? { outcome, bytes: Buffer.from(buffer.subarray(0, length)) } : { outcome };
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
          else if (length < maxBytes) buffer[length++] = byte;
        }
      } finally {
        chunk.fill(0);
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** A visible line (not secret: a file path, a yes/no); what was typed so far if input ends first. */
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

/**
 * Asks a yes/no question on a terminal (the answer is echoed: it is not secret). Without a terminal there is
 * nobody to ask: the caller must have been given --yes.
 */
export async function confirm(io: CliIO, question: string): Promise<boolean> {
  const answer = await readVisibleLine(io, `${question} [y/N] `);
  return /^\s*y(es)?\s*$/i.test(answer);
}
