/**
 * Streaming `fernet rotate`: token lines in, rotated token lines out, in input order, with bounded memory
 * (a few batches per worker in flight, see line-batches.ts and token-sinks.ts) and every core busy (worker-pool.ts).
 * A bad line stops the run with its line number, and the sink is aborted so nothing is written.
 */
import { availableParallelism } from 'node:os';
import { type LineBatchOptions, lineBatches } from './line-batches.js';
import { RotatePool } from './worker-pool.js';
import type { TokenSink } from './token-sinks.js';

export { AtomicFileSink, CollectSink, SpoolSink, type TokenSink } from './token-sinks.js';
export { MAX_TOKEN_LINE_BYTES } from './line-batches.js';

export interface RotateProgress {
  /** Tokens rotated and written so far. */
  tokens: number;
  /** Input bytes those tokens came from. */
  bytes: number;
}

export interface RotateStreamOptions extends LineBatchOptions {
  input: AsyncIterable<Buffer | string | Uint8Array>;
  /** The new key first, then the previous ones. Lent: the caller wipes them (each worker wipes its own copy). */
  rawKeys: readonly Uint8Array[];
  sink: TokenSink;
  /** Worker threads (default: one per core). */
  workers?: number;
  onProgress?: (progress: RotateProgress) => void;
}

/** Batches in flight per worker: enough to keep each busy while this thread reads and writes. */
const IN_FLIGHT_PER_WORKER = 3;

/** Rotates every line of `input` into `sink` and commits it; returns the number of tokens. */
export async function rotateTokenStream(options: RotateStreamOptions): Promise<{ count: number; keysWiped: boolean }> {
  const pool = new RotatePool(options.rawKeys, options.workers ?? availableParallelism());
  const inFlight: Array<{ result: Promise<Buffer>; count: number; bytes: number }> = [];
  const progress: RotateProgress = { tokens: 0, bytes: 0 };
  let committed = false;
  let keysWiped = false;
  const writeOldest = async (): Promise<void> => {
    const oldest = inFlight.shift()!;
    await options.sink.write(await oldest.result);
    progress.tokens += oldest.count;
    progress.bytes += oldest.bytes;
    options.onProgress?.(progress);
  };
  try {
    for await (const batch of lineBatches(options.input, options)) {
      const bytes = batch.data.length; // read before submit() transfers the buffer away
      const result = pool.submit(batch);
      result.catch(() => undefined); // awaited in order below; this only stops an early rejection being "unhandled"
      inFlight.push({ result, count: batch.count, bytes });
      while (inFlight.length >= pool.size * IN_FLIGHT_PER_WORKER) await writeOldest();
    }
    while (inFlight.length > 0) await writeOldest();
    await options.sink.commit();
    committed = true;
  } finally {
    if (!committed) await options.sink.abort();
    keysWiped = await pool.close();
  }
  return { count: progress.tokens, keysWiped };
}
