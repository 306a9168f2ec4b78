/**
 * Where an append continues from: the size and right edge of the signed tree, the last leaf hash, and the
 * checkpoint it was signed under. Read from the cache (audit.state.json) when it still matches the log and the
 * checkpoint file; otherwise rebuilt from the log, which also finds what must be set aside (a torn tail or
 * entries written but never signed, both from an interrupted append) or that the log cannot be continued.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseCheckpointText } from './checkpoint.js';
import type { AuditPaths } from './files.js';
import { splitLog } from './log-lines.js';
import { CompactRange, leafHash, treeHash } from './merkle.js';
import { openNote, type NoteVerifierKey } from './note.js';

export interface TreeState {
  /** Bytes of audit.log that the tree covers. */
  bytes: number;
  range: CompactRange;
  lastLeaf: Buffer | null;
  /** The checkpoint file's note for this state ('' for an empty log). */
  checkpoint: string;
}

export interface RebuiltState {
  state: TreeState;
  /** Bytes after the signed tree: a torn line or unsigned entries. */
  tail: { entries: number; bytes: Buffer } | null;
  /** Leaf hashes of the signed tree (only when rebuilt from the log). */
  leaves: Buffer[];
}

export type Broken = { broken: string };

export function emptyState(): TreeState {
  return { bytes: 0, range: CompactRange.empty(), lastLeaf: null, checkpoint: '' };
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    // Only a regular file: a log replaced by a device or a pipe must not be read without end.
    if (!(await stat(path)).isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The cached state, if it still describes the log and the checkpoint file exactly. */
export async function cachedState(paths: AuditPaths): Promise<TreeState | null> {
  const [cache, checkpoint, size] = await Promise.all([
    readOrNull(paths.state), readOrNull(paths.checkpoint), stat(paths.log).then((s) => s.size, () => 0),
  ]);
  if (!cache) return null;
  try {
    const value = JSON.parse(cache.toString('utf8')) as { bytes: number; size: number; edge: string[]; lastLeaf: string | null; checkpoint: string };
    if (value.bytes !== size || value.checkpoint !== (checkpoint?.toString('utf8') ?? '')) return null;
    return {
      bytes: value.bytes,
      range: new CompactRange(value.size, value.edge.map((h) => Buffer.from(h, 'base64'))),
      lastLeaf: value.lastLeaf ? Buffer.from(value.lastLeaf, 'base64') : null,
      checkpoint: value.checkpoint,
    };
  } catch {
    return null;
  }
}

export function stateCacheText(state: TreeState): string {
  return JSON.stringify({
    bytes: state.bytes, size: state.range.size, edge: state.range.edge.map((h) => h.toString('base64')),
    lastLeaf: state.lastLeaf?.toString('base64') ?? null, checkpoint: state.checkpoint,
  });
}

/** Reads the log and its checkpoint; the state to continue from, or why this log cannot be continued. */
export async function rebuildState(paths: AuditPaths, key: NoteVerifierKey): Promise<RebuiltState | Broken> {
  const log = (await readOrNull(paths.log)) ?? Buffer.alloc(0);
  const noteBytes = await readOrNull(paths.checkpoint);
  const { lines, offsets } = splitLog(log);
  if (!noteBytes) {
    if (log.length === 0) return { state: emptyState(), tail: null, leaves: [] };
    return { broken: 'the log has no checkpoint (written before logs were signed, or the checkpoint file was removed)' };
  }
  const note = noteBytes.toString('utf8');
  const opened = openNote(note, key);
  const checkpoint = opened?.verified ? parseCheckpointText(opened.text) : null;
  if (!checkpoint || checkpoint.origin !== key.name) return { broken: 'the checkpoint file is not signed by this custodian\'s audit key' };
  if (checkpoint.size > lines.length) return { broken: `the log has ${lines.length} entries, its checkpoint ${checkpoint.size}: truncated` };
  const leaves = lines.slice(0, checkpoint.size).map((line) => leafHash(line));
  if (!treeHash(leaves).equals(checkpoint.root)) return { broken: 'the log\'s entries do not match its signed checkpoint: edited' };
  const range = CompactRange.empty();
  for (const leaf of leaves) range.append(leaf);
  const bytes = offsets[checkpoint.size]!;
  const tail = bytes < log.length ? { entries: lines.length - checkpoint.size, bytes: Buffer.from(log.subarray(bytes)) } : null;
  return { state: { bytes, range, lastLeaf: leaves[leaves.length - 1] ?? null, checkpoint: note }, tail, leaves };
}
