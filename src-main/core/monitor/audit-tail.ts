/**
 * Reads the audit log (FileAuditLog: JSON Lines, append-only) from where it ended when the watch started, so
 * `custodian server watch` sees every push another `custodian push` records after that, and none from before.
 * Only complete lines are taken (a line being appended is read next round); a log that shrank (replaced by
 * `backup restore-state`, or deleted) is read again from its start.
 */
import { open, stat } from 'node:fs/promises';

export interface AuditEntry {
  time?: string;
  action?: string;
  outcome?: string;
  [field: string]: unknown;
}

/** Most a single round reads (a burst bigger than this is read over the next rounds). */
const MAX_READ_BYTES = 1 << 20;

export class AuditTail {
  private pending = Buffer.alloc(0);

  private constructor(readonly path: string, private offset: number) {}

  /** Starts at the current end of the log (or at 0 when it does not exist yet). */
  static async atEnd(path: string): Promise<AuditTail> {
    return new AuditTail(path, await sizeOf(path));
  }

  /** Entries appended since the last call, in order. Unparsable lines are skipped. */
  async next(): Promise<AuditEntry[]> {
    const size = await sizeOf(this.path);
    if (size < this.offset) {
      this.offset = 0;
      this.pending = Buffer.alloc(0);
    }
    if (size === this.offset) return [];
    const length = Math.min(size - this.offset, MAX_READ_BYTES);
    const chunk = Buffer.alloc(length);
    const file = await open(this.path, 'r');
    let read: number;
    try {
      ({ bytesRead: read } = await file.read(chunk, 0, length, this.offset));
    } finally {
      await file.close();
    }
    this.offset += read;
    const text = Buffer.concat([this.pending, chunk.subarray(0, read)]);
    const end = text.lastIndexOf(0x0a);
    this.pending = Buffer.from(end < 0 ? text : text.subarray(end + 1));
    if (end < 0) return [];
    const entries: AuditEntry[] = [];
    for (const line of text.subarray(0, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) entries.push(value as AuditEntry);
      } catch {
        // not ours to judge: a damaged line is skipped, the next ones still count
      }
    }
    return entries;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
