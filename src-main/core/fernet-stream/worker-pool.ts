/**
 * A pool of rotation worker threads (rotate-worker.ts), one per core by default. Each worker gets the raw keys
 * once, in an ArrayBuffer transferred over its own MessagePort (so no copy stays behind in this thread), and
 * wipes them when the pool closes. Batches go to the least busy worker; submit() resolves with that batch's
 * rotated lines, so the caller can write results in input order whatever order the workers finish in.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { CustodianError } from '../errors.js';
import type { LineBatch } from './line-batches.js';
import type { FromWorker, ToWorker } from './protocol.js';

// The worker is a file next to this module: dist/src-main/core/fernet-stream/ in the tsc build, dist/cli/ in the
// CLI bundle (a bundle entry of its own). A variable, not a literal, so the bundler leaves the URL alone.
const WORKER_FILE = './rotate-worker.js';
/** How long close() waits for a worker to confirm that it wiped its keys before it is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;
/**
 * Each token leaves short-lived native objects (HMAC and cipher contexts) that V8 does not count towards its heap,
 * so with the default young generation a worker collects them late and its resident memory grows to ~100 MB.
 * A small young generation collects them often: measured on 1,000,000 tokens, peak RSS of the pool fell from
 * 213 MB to 148 MB at the same rate (issue 11's goal is < 200 MB for the whole CLI).
 */
const WORKER_YOUNG_GENERATION_MB = 8;

interface Pending { batch: LineBatch; resolve: (data: Buffer) => void; reject: (error: unknown) => void }

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  readonly #worker: Worker;
  readonly #port: MessagePort;
  #wiped = false;
  #exited: Promise<void>;

  constructor(rawKeys: readonly Uint8Array[]) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(new URL(WORKER_FILE, import.meta.url), {
      workerData: { port: port2 },
      transferList: [port2],
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => {
      this.#failAll(new CustodianError('INTERNAL', 'a rotation worker stopped unexpectedly; nothing was written'));
      resolve();
    }));
    this.#worker.on('error', (error) => this.#failAll(workerFailure(error instanceof Error ? error.name : typeof error)));
    this.#port.on('message', (message: FromWorker) => this.#receive(message));
    const keys = new Uint8Array(new ArrayBuffer(rawKeys.reduce((sum, key) => sum + key.length, 0)));
    let offset = 0;
    for (const key of rawKeys) {
      keys.set(key, offset);
      offset += key.length;
    }
    this.#post({ type: 'keys', keys: keys.buffer }, [keys.buffer]);
  }

  submit(seq: number, batch: LineBatch): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { batch, resolve, reject });
      const data = batch.data.buffer.byteLength === batch.data.length && batch.data.byteOffset === 0 ? batch.data.buffer as ArrayBuffer : Uint8Array.from(batch.data).buffer;
      this.#post({ type: 'batch', seq, data }, [data]);
    });
  }

  /** Asks the worker to wipe its keys and stop; terminates it if it does not within CLOSE_TIMEOUT_MS. */
  async close(): Promise<boolean> {
    this.#post({ type: 'end' });
    const timer = setTimeout(() => void this.#worker.terminate(), CLOSE_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
    this.#port.close();
    return this.#wiped;
  }

  #post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.#port.postMessage(message, transfer);
  }

  #receive(message: FromWorker): void {
    if (message.type === 'wiped') {
      this.#wiped = true;
      return;
    }
    if (message.type === 'failed') {
      this.#failAll(workerFailure(message.name, message.code));
      return;
    }
    const pending = this.pending.get(message.seq);
    if (!pending) return;
    this.pending.delete(message.seq);
    if (message.type === 'rotated') pending.resolve(Buffer.from(message.data));
    else pending.reject(invalidLine(message.code, pending.batch.firstLine + message.index));
  }

  #failAll(error: CustodianError): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

export class RotatePool {
  readonly #workers: PoolWorker[];
  #seq = 0;

  /** Starts `size` workers with the raw keys (the new key first); the caller still owns and wipes `rawKeys`. */
  constructor(rawKeys: readonly Uint8Array[], size: number) {
    this.#workers = Array.from({ length: Math.max(1, size) }, () => new PoolWorker(rawKeys));
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Rotates one batch on the least busy worker. Rejects with INVALID_TOKEN / TOKEN_EXPIRED naming the line. */
  submit(batch: LineBatch): Promise<Buffer> {
    let target = this.#workers[0]!;
    for (const worker of this.#workers) if (worker.pending.size < target.pending.size) target = worker;
    return target.submit(this.#seq++, batch);
  }

  /** Stops every worker after it wiped its keys; resolves with whether all of them confirmed the wipe. */
  async close(): Promise<boolean> {
    const wiped = await Promise.all(this.#workers.map((worker) => worker.close()));
    return wiped.every(Boolean);
  }
}

function invalidLine(code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED', line: number): CustodianError {
  // Say which line, nothing more: the token itself is not echoed.
  return new CustodianError(code, `invalid token on line ${line}; nothing was written`, {
    hint: 'Check that the line holds one token made with one of the --previous keys (or --key); remove it to rotate the rest.',
    details: { line },
  });
}

function workerFailure(name: string, code?: string): CustodianError {
  return new CustodianError('INTERNAL', `a rotation worker failed (${code ?? name}); nothing was written`, {
    hint: 'This is a bug in Key Custodian; please report it with the command you ran (not its input).',
  });
}
