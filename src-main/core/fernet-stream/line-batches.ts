/**
 * Reads a token file as a stream and cuts it into batches of whole lines, so `custodian fernet rotate` holds a
 * bounded amount of input whatever the file's size. A batch is one Buffer of complete lines (each ending in
 * "\n", except possibly the file's last line), with the number of its first line for error messages; the
 * worker splits it with tokenLines(), which drops one LF or CRLF per line as every token-file reader does.
 *
 * A line longer than MAX_TOKEN_LINE_BYTES is refused as soon as that many bytes arrive without a line end:
 * waiting for its end would need memory in proportion to the input.
 */
import { CustodianError } from '../errors.js';

const MIB = 1024 * 1024;
/** The longest token line accepted (without its line end): a token of about 12 MiB of plaintext. */
export const MAX_TOKEN_LINE_BYTES = 16 * MIB;
/** About this many bytes of whole lines per batch (a batch is larger only when one line is). */
export const DEFAULT_BATCH_BYTES = 256 * 1024;

export interface LineBatch {
  /** 1-based number of the batch's first line in the input. */
  firstLine: number;
  /** How many lines the batch holds. */
  count: number;
  /** The lines; a Buffer over its own ArrayBuffer, so it can be transferred to a worker thread. */
  data: Buffer;
}

export interface LineBatchOptions {
  batchBytes?: number;
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Batches of whole lines from `source`; throws INVALID_TOKEN naming the line for a line that is too long. */
export async function* lineBatches(source: AsyncIterable<Buffer | string | Uint8Array>, options: LineBatchOptions = {}): AsyncGenerator<LineBatch> {
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const maxLine = options.maxLineBytes ?? MAX_TOKEN_LINE_BYTES;
  let chunks: Buffer[] = [];
  let pending = 0;
  /** Whether `chunks` holds a line end (so a batch can be cut). */
  let hasLineEnd = false;
  /** Bytes after the last line end in `chunks`: the start of a line still open. */
  let sinceLineEnd = 0;
  let nextLine = 1;

  const cut = (atEnd: boolean): LineBatch | undefined => {
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, pending);
    const end = atEnd ? all.length : all.lastIndexOf(LF) + 1;
    const count = countLines(all, end, nextLine, maxLine);
    // Own copies: `all` may be a chunk of the source's pooled memory, and the batch is transferred away (an
    // ArrayBuffer of its own: Buffer.from() of a small buffer would share Node's pool, which must never move).
    const data = Buffer.from(new ArrayBuffer(end));
    all.copy(data, 0, 0, end);
    const rest = all.subarray(end);
    chunks = rest.length > 0 ? [Buffer.from(rest)] : [];
    pending = rest.length;
    hasLineEnd = false;
    sinceLineEnd = rest.length;
    const batch = count > 0 ? { firstLine: nextLine, count, data } : undefined;
    nextLine += count;
    return batch;
  };

  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (chunk.length === 0) continue;
    chunks.push(chunk);
    pending += chunk.length;
    const lastLineEnd = chunk.lastIndexOf(LF);
    if (lastLineEnd >= 0) {
      hasLineEnd = true;
      sinceLineEnd = chunk.length - lastLineEnd - 1;
    } else {
      sinceLineEnd += chunk.length;
    }
    if (sinceLineEnd > maxLine + 2) {
      // The open line is already too long: refuse now rather than hold more of it. Its number counts the
      // complete lines still held (their own lengths are checked by countLines on the way).
      const held = Buffer.concat(chunks, pending);
      throw lineTooLong(nextLine + countLines(held, pending - sinceLineEnd, nextLine, maxLine), maxLine);
    }
    if (hasLineEnd && pending >= batchBytes) {
      const batch = cut(false);
      if (batch) yield batch;
    }
  }
  if (pending > 0) {
    const batch = cut(true);
    if (batch) yield batch;
  }
}

/** Lines in all[0, end) (a last line without LF counts); throws for one longer than maxLine without its line end. */
function countLines(all: Buffer, end: number, firstLine: number, maxLine: number): number {
  let count = 0;
  let start = 0;
  while (start < end) {
    let lf = all.indexOf(LF, start);
    if (lf < 0 || lf >= end) lf = end;
    let length = lf - start;
    if (length > 0 && all[lf - 1] === CR && lf < end) length -= 1;
    else if (lf === end && length > 0 && all[end - 1] === CR) length -= 1;
    if (length > maxLine) throw lineTooLong(firstLine + count, maxLine);
    count++;
    start = lf + 1;
  }
  return count;
}

function lineTooLong(line: number, maxLine: number): CustodianError {
  return new CustodianError('INVALID_TOKEN', `line ${line} is longer than any token this command accepts (${maxLine} bytes); nothing was written`, {
    hint: 'Each line holds one Fernet token. Check that the input is a token file (one token per line), not other data.',
    details: { line },
  });
}
