/**
 * Signed unlock and lock receipts (`kind`; absent = unlock, as written before revision 2), kept as evidence under
 * the custodian home, newest last, capped.
 *
 * receipts.jsonl is an append-only JSON Lines log (one receipt per line, mode 0600, opened O_APPEND), because a
 * push records each server's receipt as soon as THAT server answers: rewriting one JSON document per receipt (the
 * old receipts.json) made a push of 1,000 servers quadratic (docs/benchmarks.md, fleet). Group commit: receipts
 * that arrive while a write + fsync is in flight go into the next single append, so a fleet costs a few dozen
 * fsyncs, not one per server, and each receipt is still on disk a few milliseconds after its server answered.
 *
 * Crash safety: a process killed mid-append can leave a torn last line. Reading skips a line that is not JSON (it
 * holds no complete receipt); the next append first ends that line, so the torn bytes never glue onto a good
 * receipt. A line that is JSON but not a receipt was not written by us: METADATA_CORRUPT, never rewritten.
 *
 * Legacy: receipts.json (`{version: 1, receipts: [...]}`, before the log) is still read, as the older receipts.
 * The first compaction moves them into the log (write the new log, then remove receipts.json; a crash between the
 * two leaves duplicates, which reading drops by their signature).
 *
 * Cap: the newest MAX_RECEIPTS are kept. The log may grow to COMPACT_AT lines before it is rewritten (temp file,
 * fsync, rename) with the newest MAX_RECEIPTS, so compaction runs once per few thousand receipts, not per push.
 *
 * Two processes (the CLI and the app) may append at once: O_APPEND keeps each append whole. Only a compaction
 * (tens of milliseconds, once per 5,000 receipts) can lose a receipt another process appends at that moment; the
 * audit log still records that server's push.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CustodianError } from '../errors.js';
import { JsonFile } from '../storage/json-file.js';

export const MAX_RECEIPTS = 10_000;
const COMPACT_AT = MAX_RECEIPTS + MAX_RECEIPTS / 2;

/** File names in the custodian home (state-format.ts backs both up). */
export const RECEIPTS_FILE = 'receipts.jsonl';
export const LEGACY_RECEIPTS_FILE = 'receipts.json';

const receiptSchema = z.object({
  kind: z.enum(['unlock', 'lock', 'rekey']).optional(),
  server: z.string(),
  url: z.string(),
  serverId: z.string(),
  identity: z.string(),
  bootId: z.string(),
  custodian: z.string(),
  keyIds: z.array(z.string()),
  /** Unlock and rekey: installed_at; lock: locked_at (receiver clock). */
  installedAt: z.number(),
  receivedAt: z.string(),
  jws: z.string(),
});
const legacySchema = z.object({ version: z.literal(1), receipts: z.array(receiptSchema) });

export type StoredReceipt = z.infer<typeof receiptSchema>;

/** What a read of the log found: the receipts (oldest first), and how many torn lines were skipped. */
export interface ReceiptLogContents {
  receipts: StoredReceipt[];
  /** Lines that were not JSON: a write cut short by a crash. */
  torn: number;
  /** Lines in receipts.jsonl (torn ones included). */
  lines: number;
  legacy: boolean;
}

interface Waiting {
  receipts: readonly StoredReceipt[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class ReceiptLog {
  readonly path: string;
  private readonly legacy: JsonFile<z.infer<typeof legacySchema>>;
  /** Receipts waiting for the next append. */
  private pending: Waiting[] = [];
  private flushQueued = false;
  /** Appends and compactions of this instance, one at a time. */
  private tail: Promise<void> = Promise.resolve();
  /** Lines in the log as far as this process knows (read once, before its first append). */
  private lines: number | undefined;
  /** Whether the end of the file was checked for a torn line (once, before the first append). */
  private checkedEnd = false;

  constructor(private readonly home: string) {
    this.path = join(home, RECEIPTS_FILE);
    this.legacy = new JsonFile(join(home, LEGACY_RECEIPTS_FILE), () => ({ version: 1 as const, receipts: [] }), (value) => legacySchema.parse(value));
  }

  /**
   * Appends `receipts`; resolves once they are on disk (fsynced). Receipts added while an append is in flight
   * are written together by the next one (group commit).
   */
  add(receipts: readonly StoredReceipt[]): Promise<void> {
    if (receipts.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ receipts, resolve, reject });
      if (this.flushQueued) return;
      this.flushQueued = true;
      this.tail = this.tail.then(() => this.flush());
    });
  }

  async list(): Promise<StoredReceipt[]> {
    return (await this.read()).receipts;
  }

  /** Everything in the log and the legacy file, oldest first, newest MAX_RECEIPTS only. */
  async read(): Promise<ReceiptLogContents> {
    const legacy = await this.legacy.read();
    const hasLegacy = legacy.receipts.length > 0;
    const { receipts: logged, torn, lines } = await this.readLog();
    let receipts = hasLegacy ? [...legacy.receipts, ...logged] : logged;
    if (hasLegacy) {
      const seen = new Set<string>();
      receipts = receipts.filter((r) => (seen.has(r.jws) ? false : (seen.add(r.jws), true)));
    }
    if (receipts.length > MAX_RECEIPTS) receipts = receipts.slice(receipts.length - MAX_RECEIPTS);
    return { receipts, torn, lines, legacy: hasLegacy };
  }

  /** Rewrites the log with the newest MAX_RECEIPTS (legacy ones moved in, torn lines dropped). */
  compact(): Promise<void> {
    const run = this.tail.then(() => this.compactNow());
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async readLog(): Promise<{ receipts: StoredReceipt[]; torn: number; lines: number }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { receipts: [], torn: 0, lines: 0 };
      throw storageFailed(`Cannot read ${this.path}.`, error);
    }
    const receipts: StoredReceipt[] = [];
    let torn = 0;
    let lines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lines += 1;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        torn += 1;
        continue;
      }
      const parsed = receiptSchema.safeParse(value);
      if (!parsed.success) {
        throw new CustodianError('METADATA_CORRUPT', `${this.path} holds a line (${lines}) that is not a receipt; it was left untouched.`, {
          hint: 'Restore it from a state backup or move it aside; Key Custodian will not overwrite it.',
        });
      }
      receipts.push(parsed.data);
    }
    return { receipts, torn, lines };
  }

  /** One append + fsync for everything pending; never rejects (each batch's callers get the outcome). */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.append(batch.flatMap((w) => w.receipts));
      for (const w of batch) w.resolve();
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  private async append(receipts: readonly StoredReceipt[]): Promise<void> {
    try {
      await mkdir(this.home, { recursive: true, mode: 0o700 });
      if (this.lines === undefined) {
        const contents = await this.read();
        this.lines = contents.lines;
        // receipts.json is moved into the log at once, so it stops being read (and backed up) twice.
        if (contents.legacy) await this.compactNow();
      }
      // a+: O_APPEND (every write lands at the end, even with another process appending) and readable for endsTorn.
      const handle = await open(this.path, 'a+', 0o600);
      try {
        const endTorn = !this.checkedEnd && (await endsTorn(handle));
        this.checkedEnd = true;
        const text = `${endTorn ? '\n' : ''}${receipts.map((r) => JSON.stringify(r)).join('\n')}\n`;
        await handle.appendFile(text, 'utf8');
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.lines += receipts.length;
    } catch (error) {
      if (error instanceof CustodianError) throw error;
      throw storageFailed(`Cannot write ${this.path}.`, error);
    }
    // The receipts are on disk: a failed compaction must not fail their add. It is tried again on the next append.
    if (this.lines > COMPACT_AT) await this.compactNow().catch(() => undefined);
  }

  private async compactNow(): Promise<void> {
    const { receipts, legacy } = await this.read();
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(this.home, { recursive: true, mode: 0o700 });
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(receipts.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
      if (legacy) await rm(this.legacy.path, { force: true });
    } catch (error) {
      await rm(temp, { force: true });
      throw storageFailed(`Cannot compact ${this.path}.`, error);
    }
    this.lines = receipts.length;
    this.checkedEnd = true;
  }
}

/** Whether the file's last byte is not a newline (an append was cut short). */
async function endsTorn(handle: FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

function storageFailed(message: string, cause: unknown): CustodianError {
  return new CustodianError('STORAGE_FAILED', message, {
    hint: 'Check free disk space and the permissions of the Key Custodian config directory.',
    cause,
  });
}
