/**
 * The read side of the audit log for `custodian audit …` and the app's Audit screen: the files and keychain
 * items as they are now, the entries, verification, and RFC 9162 proofs against the latest checkpoint.
 */
import { readFile, stat } from 'node:fs/promises';
import { CustodianError } from '../errors.js';
import type { SecretStore } from '../keystore/secret-store.js';
import type { JsonValue } from './canonical.js';
import { parseCheckpointText, type Checkpoint } from './checkpoint.js';
import { auditPaths, CHECKPOINT_ACCOUNT } from './files.js';
import { splitLog } from './log-lines.js';
import { consistencyProof, inclusionProof, leafHash, treeHash } from './merkle.js';
import { keyHashOf, openNote, type NoteVerifierKey } from './note.js';
import { loadAuditSigner, type AuditSigner } from './signing-key.js';
import { verifyLog, type VerifyReport } from './verify.js';

export interface AuditSnapshot {
  lines: Buffer[];
  checkpointNote: string | null;
  keychainNote: string | null;
  signer: AuditSigner | null;
  setAsideBytes: number;
  log: Buffer;
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function readSnapshot(home: string, secrets: SecretStore): Promise<AuditSnapshot> {
  const paths = auditPaths(home);
  const signer = await loadAuditSigner(secrets, false);
  const stored = await secrets.get(CHECKPOINT_ACCOUNT);
  const keychainNote = stored?.toString('utf8') ?? null;
  stored?.fill(0);
  const [log, note, setAside] = await Promise.all([
    readOrNull(paths.log), readOrNull(paths.checkpoint), stat(paths.setAside).then((s) => s.size, () => 0),
  ]);
  const bytes = log ?? Buffer.alloc(0);
  return { lines: splitLog(bytes).lines, checkpointNote: note?.toString('utf8') ?? null, keychainNote, signer, setAsideBytes: setAside, log: bytes };
}

export function verifierOf(signer: AuditSigner | null): NoteVerifierKey | null {
  return signer ? { name: signer.name, keyHash: keyHashOf(signer.name, signer.publicRaw), publicRaw: signer.publicRaw } : null;
}

export function verifySnapshot(snapshot: AuditSnapshot): VerifyReport {
  return verifyLog({ log: snapshot.log, checkpointNote: snapshot.checkpointNote, keychainNote: snapshot.keychainNote, key: verifierOf(snapshot.signer), setAsideBytes: snapshot.setAsideBytes });
}

/** The checkpoint file's checkpoint, once its signature verified; otherwise AUDIT_VERIFY_FAILED. */
export function signedCheckpoint(snapshot: AuditSnapshot): Checkpoint & { note: string } {
  const opened = snapshot.checkpointNote ? openNote(snapshot.checkpointNote, verifierOf(snapshot.signer)) : null;
  const checkpoint = opened?.verified ? parseCheckpointText(opened.text) : null;
  if (!checkpoint || !snapshot.checkpointNote) {
    throw new CustodianError('AUDIT_VERIFY_FAILED', 'The audit log has no checkpoint signed by this custodian\'s audit key.', {
      hint: 'Run `custodian audit verify` to see what is wrong. A new custodian has no log until its first recorded action.',
    });
  }
  return { ...checkpoint, note: snapshot.checkpointNote };
}

export interface EntryFilter {
  since?: Date;
  action?: string;
}

export function parseEntries(lines: readonly Buffer[], filter: EntryFilter = {}): Record<string, JsonValue>[] {
  const out: Record<string, JsonValue>[] = [];
  for (const line of lines) {
    let entry: Record<string, JsonValue>;
    try {
      entry = JSON.parse(line.toString('utf8')) as Record<string, JsonValue>;
    } catch {
      continue; // verify reports it; a viewer shows what it can read
    }
    if (filter.since && !(typeof entry['time'] === 'string' && Date.parse(entry['time']) >= filter.since.getTime())) continue;
    if (filter.action && !(typeof entry['action'] === 'string' && (entry['action'] === filter.action || entry['action'].startsWith(`${filter.action}.`)))) continue;
    out.push(entry);
  }
  return out;
}

/** `value` if it is an integer in [min, max], else AUDIT_ENTRY_NOT_FOUND naming what was asked for. */
function inRange(value: number, min: number, max: number, what: string, size: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CustodianError('AUDIT_ENTRY_NOT_FOUND', `There is no ${what} ${value} in the signed audit log (it has ${size} entries).`, {
      hint: 'Entries are numbered from 0; `custodian audit log --json` shows each entry\'s "seq". Tree sizes run from 1 to the number of entries.',
    });
  }
  return value;
}

export interface InclusionProofJson {
  index: number;
  tree_size: number;
  leaf_hash: string;
  root_hash: string;
  inclusion_path: string[];
}

/** RFC 9162 inclusion proof of entry `index` in the tree of `size` (default: the signed checkpoint's size). */
export function proveEntry(snapshot: AuditSnapshot, index: number, size?: number): InclusionProofJson {
  const checkpoint = signedCheckpoint(snapshot);
  const treeSize = size === undefined ? checkpoint.size : inRange(size, 1, checkpoint.size, 'tree size', checkpoint.size);
  inRange(index, 0, treeSize - 1, 'entry', treeSize);
  const leaves = snapshot.lines.slice(0, treeSize).map((line) => leafHash(line));
  return {
    index, tree_size: treeSize, leaf_hash: leaves[index]!.toString('base64'), root_hash: treeHash(leaves).toString('base64'),
    inclusion_path: inclusionProof(leaves, index).map((h) => h.toString('base64')),
  };
}

export interface ConsistencyProofJson {
  old_size: number;
  old_root: string;
  tree_size: number;
  root_hash: string;
  consistency_path: string[];
}

/** RFC 9162 consistency proof from the tree of `oldSize` to the signed checkpoint's tree. */
export function proveConsistency(snapshot: AuditSnapshot, oldSize: number): ConsistencyProofJson {
  const checkpoint = signedCheckpoint(snapshot);
  inRange(oldSize, 1, checkpoint.size, 'tree size', checkpoint.size);
  const leaves = snapshot.lines.slice(0, checkpoint.size).map((line) => leafHash(line));
  return {
    old_size: oldSize, old_root: treeHash(leaves.slice(0, oldSize)).toString('base64'), tree_size: checkpoint.size,
    root_hash: treeHash(leaves).toString('base64'), consistency_path: consistencyProof(leaves, oldSize).map((h) => h.toString('base64')),
  };
}
