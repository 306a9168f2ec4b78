/**
 * The custodian's audit log: a transparency log in the custodian home (files.ts) whose every append is written,
 * fsynced, and then covered by a new checkpoint signed with the audit key (signing-key.ts), kept both in
 * audit.checkpoint and in the OS keychain.
 *
 * record() fails (and the caller's action must not go on as if recorded) when the keychain is locked or missing
 * (KEYCHAIN_LOCKED / KEYCHAIN_UNAVAILABLE), the disk refuses the write (AUDIT_WRITE_FAILED) or another process
 * holds the lock too long (AUDIT_BUSY). Events recorded while an append is under way are committed together
 * under one signature (a push to 1,000 servers records 1,000 events without 1,000 keychain writes).
 *
 * A log that cannot be continued (its checkpoint is missing or not ours, it was truncated, edited or rolled back
 * against the keychain's checkpoint) is renamed aside, never rewritten, and the new log's first entry says why
 * (action `audit.log-restarted`). A torn or unsigned tail left by a crash is moved to audit.set-aside and an
 * `audit.set-aside` entry says so.
 */
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { CustodianError } from '../errors.js';
import { OsKeychain } from '../keystore/os-keychain.js';
import type { SecretStore } from '../keystore/secret-store.js';
import { keychainService } from '../paths.js';
import { IDENTITY_ACCOUNT, signerFromSeed } from '../push/identity.js';
import { replaceFile } from './atomic-file.js';
import { checkpointText, parseCheckpointText } from './checkpoint.js';
import { entryBytes, osActor, type Actor, type AuditSource } from './entry.js';
import type { AuditEvent, AuditLog } from './event.js';
import { auditPaths, CHECKPOINT_ACCOUNT, type AuditPaths } from './files.js';
import { withFileLock } from './lock.js';
import { leafHash, treeHash } from './merkle.js';
import { keyHashOf, openNote, signNote, type NoteVerifierKey } from './note.js';
import { loadAuditSigner, type AuditSigner } from './signing-key.js';
import { cachedState, emptyState, rebuildState, stateCacheText, type TreeState } from './tree-state.js';

export interface FileAuditLogOptions {
  now?: () => Date;
  /** Where the audit key and the latest checkpoint live; the OS keychain unless a test passes its own. */
  secrets?: SecretStore;
  source?: AuditSource;
}

let defaultSource: AuditSource = 'cli';

/** The desktop app calls this once at start: its entries then say `"source":"app"`. */
export function setDefaultAuditSource(source: AuditSource): void {
  defaultSource = source;
}

interface Pending {
  event: AuditEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const NEWLINE = Buffer.from('\n');

export class FileAuditLog implements AuditLog {
  readonly path: string;
  readonly paths: AuditPaths;
  readonly secrets: SecretStore;
  private readonly now: () => Date;
  private readonly source: AuditSource;
  private signer: AuditSigner | null = null;
  private actor: Actor | null = null;
  /** The note this instance last stored in the keychain: while the file still holds it, the keychain need not be read. */
  private lastWritten: string | null = null;
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(readonly home: string, options: FileAuditLogOptions | (() => Date) = {}) {
    const resolved = typeof options === 'function' ? { now: options } : options;
    this.paths = auditPaths(home);
    this.path = this.paths.log;
    this.now = resolved.now ?? (() => new Date());
    this.secrets = resolved.secrets ?? new OsKeychain(keychainService(process.env));
    this.source = resolved.source ?? defaultSource;
  }

  record(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        await this.commit(batch.map((p) => p.event));
        for (const pending of batch) pending.resolve();
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.draining = false;
  }

  /** The audit key (created in the keychain on first use). */
  async loadSigner(): Promise<AuditSigner> {
    this.signer ??= await loadAuditSigner(this.secrets, true);
    return this.signer!;
  }

  private async loadActor(): Promise<Actor> {
    if (!this.actor) {
      const seed = await this.secrets.get(IDENTITY_ACCOUNT);
      let fingerprint: string | null = null;
      try {
        if (seed?.length === 32) fingerprint = signerFromSeed(seed).fingerprint;
      } finally {
        seed?.fill(0);
      }
      this.actor = osActor(this.source, fingerprint);
    }
    return this.actor;
  }

  private async commit(events: AuditEvent[]): Promise<void> {
    const signer = await this.loadSigner();
    const actor = await this.loadActor();
    const key: NoteVerifierKey = { name: signer.name, keyHash: keyHashOf(signer.name, signer.publicRaw), publicRaw: signer.publicRaw };
    await mkdir(this.home, { recursive: true, mode: 0o700 }).catch((error: unknown) => { throw writeError(error); });
    await withFileLock(this.paths.lock, async () => {
      const notes: AuditEvent[] = [];
      let state = await cachedState(this.paths);
      if (!state) {
        const rebuilt = await rebuildState(this.paths, key);
        if ('broken' in rebuilt) {
          notes.push(await this.archive(rebuilt.broken));
          state = emptyState();
        } else {
          state = rebuilt.state;
          if (rebuilt.tail) {
            await this.setAside(state.bytes, rebuilt.tail.bytes);
            notes.push({ action: 'audit.set-aside', outcome: 'error', entries: rebuilt.tail.entries, bytes: rebuilt.tail.bytes.length, reason: 'an interrupted append left a torn or unsigned tail; it was moved to audit.set-aside' });
          }
        }
      }
      if (state.checkpoint !== this.lastWritten) {
        const problem = await this.keychainProblem(state, key);
        if (problem) {
          notes.push(await this.archive(problem));
          state = emptyState();
        }
      }
      await this.append(state, signer, actor, [...notes, ...events]);
    }).catch((error: unknown) => {
      throw writeError(error);
    });
  }

  /** Why the keychain's checkpoint does not vouch for this log, or null when it does. */
  private async keychainProblem(state: TreeState, key: NoteVerifierKey): Promise<string | null> {
    const stored = await this.secrets.get(CHECKPOINT_ACCOUNT);
    const note = stored?.toString('utf8') ?? null;
    stored?.fill(0);
    if (note === null) return state.range.size === 0 ? null : 'the OS keychain holds no checkpoint for this log';
    if (note === state.checkpoint) return null;
    const opened = openNote(note, key);
    const checkpoint = opened?.verified ? parseCheckpointText(opened.text) : null;
    if (!checkpoint || checkpoint.origin !== key.name) return 'the keychain\'s checkpoint is not signed by this custodian\'s audit key';
    if (checkpoint.size > state.range.size) return `rolled back: the keychain's checkpoint covers ${checkpoint.size} entries, the log ${state.range.size}`;
    const rebuilt = await rebuildState(this.paths, key);
    if ('broken' in rebuilt) return rebuilt.broken;
    if (!treeHash(rebuilt.leaves.slice(0, checkpoint.size)).equals(checkpoint.root)) return `edited: the log's first ${checkpoint.size} entries differ from the keychain's checkpoint`;
    return null; // the keychain lags behind (an append was interrupted after the checkpoint file was written)
  }

  private async append(state: TreeState, signer: AuditSigner, actor: Actor, events: AuditEvent[]): Promise<void> {
    const parts: Buffer[] = [];
    for (const event of events) {
      const line = entryBytes(state.range.size, state.lastLeaf, this.now(), actor, event);
      const leaf = leafHash(line);
      state.range.append(leaf);
      state.lastLeaf = leaf;
      parts.push(line, NEWLINE);
    }
    const data = Buffer.concat(parts);
    try {
      const handle = await open(this.paths.log, 'a', 0o600);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } catch (error) {
        await handle.truncate(state.bytes).catch(() => undefined);
        throw error;
      } finally {
        await handle.close();
      }
      state.bytes += data.length;
      const note = signNote(checkpointText({ origin: signer.name, size: state.range.size, root: state.range.root() }), signer);
      await replaceFile(this.paths.checkpoint, note, true);
      state.checkpoint = note;
      await replaceFile(this.paths.state, stateCacheText(state), false);
    } catch (error) {
      throw writeError(error);
    }
    await this.secrets.set(CHECKPOINT_ACCOUNT, Buffer.from(state.checkpoint, 'utf8'));
    this.lastWritten = state.checkpoint;
  }

  private async archive(reason: string): Promise<AuditEvent> {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    const archived = `${this.paths.log}.${stamp}.archived`;
    const moved = await rename(this.paths.log, archived).then(() => true, () => false);
    await rename(this.paths.checkpoint, `${this.paths.checkpoint}.${stamp}.archived`).catch(() => undefined);
    await unlink(this.paths.state).catch(() => undefined);
    return { action: 'audit.log-restarted', outcome: 'error', reason, archived: moved ? basename(archived) : null };
  }

  private async setAside(offset: number, tail: Buffer): Promise<void> {
    const header = JSON.stringify({ setAside: this.now().toISOString(), fromByte: offset, bytes: tail.length });
    const aside = await open(this.paths.setAside, 'a', 0o600);
    try {
      await aside.writeFile(Buffer.concat([Buffer.from(`${header}\n`), tail, tail[tail.length - 1] === 0x0a ? Buffer.alloc(0) : NEWLINE]));
      await aside.sync();
    } finally {
      await aside.close();
    }
    const log = await open(this.paths.log, 'r+');
    try {
      await log.truncate(offset);
      await log.sync();
    } finally {
      await log.close();
    }
  }
}

function writeError(error: unknown): CustodianError {
  if (error instanceof CustodianError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EACCES' || code === 'EPERM' ? 'permission was denied' : code === 'EROFS' ? 'the file system is read-only' : 'the file could not be written';
  return new CustodianError('AUDIT_WRITE_FAILED', `The audit log could not be written (${why}), so this action was not recorded and must not be treated as done.`, {
    hint: 'Free disk space or fix the custodian home\'s permissions, then run the command again. `custodian audit verify` checks the log.',
    details: { reason: code ?? 'unknown' },
    cause: error,
  });
}
