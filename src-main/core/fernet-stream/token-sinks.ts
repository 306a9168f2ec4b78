/**
 * Where rotated tokens go. Nothing reaches the real destination until every line has been rotated, so a bad
 * line anywhere leaves no partial output: an output file is written under a temporary name (0600) next to it
 * and renamed over it at the end; stdout gets the tokens only at the end, held meanwhile in memory up to
 * SPOOL_MEMORY_BYTES and beyond that in an already-unlinked private temporary file (constant memory).
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdtemp, open, rename, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CustodianError } from '../errors.js';

export interface TokenSink {
  /** Takes `data` (one batch of rotated lines that nobody else holds): a sink may free its memory once written. */
  write(data: Buffer): Promise<void>;
  /** Every line was rotated: deliver the output. */
  commit(): Promise<void>;
  /** Something failed: leave nothing behind. Never throws. */
  abort(): Promise<void>;
}

const SPOOL_MEMORY_BYTES = 8 * 1024 * 1024;
const COPY_CHUNK_BYTES = 1024 * 1024;

function unwritable(target: string, cause: unknown): CustodianError {
  const reason = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  return new CustodianError('OUTPUT_UNWRITABLE', `The output cannot be written to ${target} (${reason}); nothing was written.`, {
    hint: 'Choose a file in a directory you can write to, on a disk with enough space.',
  });
}

/** Writes to a temporary file next to `path` and renames it over `path` on commit. */
export class AtomicFileSink implements TokenSink {
  readonly #path: string;
  readonly #temp: string;
  #file: FileHandle | undefined;

  private constructor(path: string, temp: string, file: FileHandle) {
    this.#path = path;
    this.#temp = temp;
    this.#file = file;
  }

  static async open(path: string): Promise<AtomicFileSink> {
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      return new AtomicFileSink(path, temp, await open(temp, 'wx', 0o600));
    } catch (error) {
      throw unwritable(path, error);
    }
  }

  async write(data: Buffer): Promise<void> {
    try {
      await this.#file!.write(data);
    } catch (error) {
      throw unwritable(this.#path, error);
    }
    releaseWritten(data);
  }

  async commit(): Promise<void> {
    try {
      await this.#file!.sync();
      await this.#file!.close();
      this.#file = undefined;
      await rename(this.#temp, this.#path);
    } catch (error) {
      throw unwritable(this.#path, error);
    }
  }

  async abort(): Promise<void> {
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
    await unlink(this.#temp).catch(() => undefined);
  }
}

/** Holds the output until commit, then hands it to `deliver` (stdout) in order, waiting for each write. */
export class SpoolSink implements TokenSink {
  readonly #deliver: (data: Buffer) => Promise<void>;
  #memory: Buffer[] = [];
  #memoryBytes = 0;
  #file: FileHandle | undefined;
  #fileBytes = 0;

  constructor(deliver: (data: Buffer) => Promise<void>) {
    this.#deliver = deliver;
  }

  async write(data: Buffer): Promise<void> {
    if (!this.#file && this.#memoryBytes + data.length <= SPOOL_MEMORY_BYTES) {
      this.#memory.push(data);
      this.#memoryBytes += data.length;
      return;
    }
    if (!this.#file) {
      this.#file = await SpoolSink.#spillFile();
      for (const held of this.#memory) await this.#append(held);
      this.#memory = [];
      this.#memoryBytes = 0;
    }
    await this.#append(data);
  }

  async commit(): Promise<void> {
    for (const held of this.#memory) await this.#deliver(held);
    this.#memory = [];
    if (!this.#file) return;
    const chunk = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    for (let position = 0; position < this.#fileBytes;) {
      const { bytesRead } = await this.#file.read(chunk, 0, Math.min(chunk.length, this.#fileBytes - position), position);
      if (bytesRead === 0) throw new CustodianError('INTERNAL', 'the spooled output ended early');
      // A copy per write: `deliver` may hold the buffer until the pipe drains.
      await this.#deliver(Buffer.from(chunk.subarray(0, bytesRead)));
      position += bytesRead;
    }
    await this.abort();
  }

  async abort(): Promise<void> {
    this.#memory = [];
    await this.#file?.close().catch(() => undefined);
    this.#file = undefined;
  }

  async #append(data: Buffer): Promise<void> {
    try {
      await this.#file!.write(data, 0, data.length, this.#fileBytes);
    } catch (error) {
      throw unwritable('a temporary file', error);
    }
    this.#fileBytes += data.length;
  }

  /** A 0600 file in a fresh 0700 directory, both removed at once: only this process's descriptor reaches it. */
  static async #spillFile(): Promise<FileHandle> {
    let dir: string | undefined;
    try {
      dir = await mkdtemp(join(tmpdir(), 'custodian-rotate-'));
      const path = join(dir, 'tokens');
      const file = await open(path, 'wx+', 0o600);
      await unlink(path);
      return file;
    } catch (error) {
      throw unwritable('a temporary file', error);
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Keeps every rotated line in memory (for --json without --out, which prints them all in one object). */
export class CollectSink implements TokenSink {
  readonly chunks: Buffer[] = [];
  async write(data: Buffer): Promise<void> {
    this.chunks.push(data);
  }
  async commit(): Promise<void> {}
  async abort(): Promise<void> {
    this.chunks.length = 0;
  }
}

/**
 * Frees a written batch's memory now instead of at the next collection: the main thread collects seldom, so
 * written batches used to pile up (~40 MB of the CLI's peak on 1,000,000 tokens: 218 -> 177 MB). Only a buffer
 * that spans its whole ArrayBuffer is released, so a view into memory shared with someone else is left alone.
 */
function releaseWritten(data: Buffer): void {
  const backing = data.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (data.byteOffset === 0 && data.byteLength === backing.byteLength && typeof backing.transfer === 'function') backing.transfer(0);
}
