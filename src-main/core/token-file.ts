/**
 * The token-file format that `custodian fernet` and the desktop app share: one Fernet token per line, each
 * followed by "\n"; a reader ignores one trailing LF or CRLF per line (files edited on Windows still read).
 */
import { withoutLineEnding } from './line-ending.js';

const NEWLINE = Buffer.from('\n');

/** Lines without their LF / CRLF (views into `input`); a final line end does not start another, empty, line. */
export function tokenLines(input: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < input.length) {
    let end = input.indexOf(0x0a, start);
    if (end < 0) end = input.length;
    lines.push(singleToken(input.subarray(start, end)));
    start = end + 1;
  }
  return lines;
}

/** Tokens, each followed by a newline. */
export function joinTokens(tokens: readonly Uint8Array[]): Buffer {
  return Buffer.concat(tokens.flatMap((token) => [token, NEWLINE]));
}

/** One token read from a file: the bytes without one trailing LF or CRLF (a view into `input`). */
export function singleToken(input: Buffer): Buffer {
  const view = withoutLineEnding(input);
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
