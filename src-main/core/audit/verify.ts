/**
 * `audit verify`: recomputes the tree from audit.log, checks the checkpoint file's signature and root, and the
 * keychain's checkpoint (which a file-level attacker cannot roll back). Reports the first entry that fails and
 * why, or null; plus warnings that do not make the log untrustworthy (a torn tail from a crash, a lagging
 * keychain checkpoint, a log that was restarted).
 */
import { isCanonicalText, type JsonValue } from './canonical.js';
import { parseCheckpointText, type Checkpoint } from './checkpoint.js';
import { splitLog } from './log-lines.js';
import { leafHash, treeHash } from './merkle.js';
import { openNote, type NoteVerifierKey } from './note.js';

export type FailureReason = 'edited' | 'missing' | 'reordered' | 'truncated' | 'rolled-back' | 'torn' | 'foreign-key' | 'no-checkpoint';

export interface VerifyFailure {
  /** Index (seq) of the first entry that fails; null when the failure is not about one entry. */
  entry: number | null;
  reason: FailureReason;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Complete entries in the log. */
  entries: number;
  checkpointSize: number | null;
  keychainSize: number | null;
  /** Root of the entries the checkpoint covers (base64), when it could be computed. */
  root: string | null;
  failure: VerifyFailure | null;
  warnings: string[];
}

export interface VerifyInput {
  log: Buffer;
  checkpointNote: string | null;
  keychainNote: string | null;
  /** This custodian's audit key; null when the keychain has none (then nothing can be vouched for). */
  key: NoteVerifierKey | null;
  setAsideBytes: number;
}

export function verifyLog(input: VerifyInput): VerifyReport {
  const { lines, torn } = splitLog(input.log);
  const warnings: string[] = [];
  const leaves = lines.map((line) => leafHash(line));
  let failure: VerifyFailure | null = null;
  if (torn) warnings.push(`a torn last line (${torn.length} bytes) after entry ${lines.length - 1}, left by an interrupted append: it is not part of the tree and the next append moves it to audit.set-aside`);
  if (input.setAsideBytes > 0) warnings.push(`audit.set-aside holds ${input.setAsideBytes} bytes of torn or unsigned lines set aside after interrupted appends`);

  // Reads `failure` when called, so every early return reports the first failure found so far.
  const report = (extra: Partial<VerifyReport>): VerifyReport => ({
    ok: failure === null, entries: lines.length, checkpointSize: null, keychainSize: null, root: null, failure, warnings, ...extra,
  });
  const fileCheckpoint = openCheckpoint(input.checkpointNote, input.key, 'the checkpoint file');
  // Entries past the signed checkpoint (an interrupted append) are reported, not judged.
  const signed = 'checkpoint' in fileCheckpoint ? Math.min(fileCheckpoint.checkpoint.size, lines.length) : lines.length;
  failure = checkEntries(lines.slice(0, signed), leaves, warnings);
  if ('failure' in fileCheckpoint) {
    if (lines.length > 0 || input.checkpointNote !== null) failure ??= fileCheckpoint.failure;
    return report({});
  }
  const checkpoint = fileCheckpoint.checkpoint;
  if (checkpoint.size > lines.length) {
    failure ??= { entry: lines.length, reason: 'truncated', detail: `the signed checkpoint covers ${checkpoint.size} entries but the log has ${lines.length}: entries from ${lines.length} on were removed` };
    return report({ checkpointSize: checkpoint.size });
  }
  const root = treeHash(leaves.slice(0, checkpoint.size));
  if (!root.equals(checkpoint.root)) {
    failure ??= { entry: Math.max(0, checkpoint.size - 1), reason: 'edited', detail: 'the entries do not hash to the signed checkpoint\'s root: the last signed entry was edited (or entries were rewritten together with their links)' };
  }
  if (lines.length > checkpoint.size) warnings.push(`entries ${checkpoint.size}-${lines.length - 1} are not covered by a signed checkpoint (an interrupted append); the next append sets them aside`);

  let keychainSize: number | null = null;
  if (input.keychainNote === null) {
    if (checkpoint.size > 0) failure ??= { entry: null, reason: 'no-checkpoint', detail: 'the OS keychain holds no checkpoint for this log (deleted, or the log comes from elsewhere)' };
  } else {
    const fromKeychain = openCheckpoint(input.keychainNote, input.key, 'the keychain\'s checkpoint');
    if ('failure' in fromKeychain) {
      failure ??= fromKeychain.failure;
    } else {
      keychainSize = fromKeychain.checkpoint.size;
      if (keychainSize > checkpoint.size) {
        failure ??= { entry: checkpoint.size, reason: 'rolled-back', detail: `the keychain's checkpoint covers ${keychainSize} entries, the log's checkpoint ${checkpoint.size}: the log was rolled back or truncated together with its checkpoint` };
      } else if (!(keychainSize === checkpoint.size ? root : treeHash(leaves.slice(0, keychainSize))).equals(fromKeychain.checkpoint.root)) {
        failure ??= { entry: null, reason: 'edited', detail: `the log's first ${keychainSize} entries differ from what the keychain's checkpoint signed` };
      } else if (keychainSize < checkpoint.size) {
        warnings.push(`the keychain's checkpoint lags ${checkpoint.size - keychainSize} entries behind (an append was interrupted before the keychain was updated)`);
      }
    }
  }
  return report({ checkpointSize: checkpoint.size, keychainSize, root: root.toString('base64') });
}

function openCheckpoint(note: string | null, key: NoteVerifierKey | null, what: string): { checkpoint: Checkpoint } | { failure: VerifyFailure } {
  if (note === null) return { failure: { entry: null, reason: 'no-checkpoint', detail: `${what} is missing` } };
  if (!key) return { failure: { entry: null, reason: 'foreign-key', detail: 'this keychain holds no audit key: the log was not written by this custodian (or its key was lost)' } };
  const opened = openNote(note, key);
  if (!opened) return { failure: { entry: null, reason: 'edited', detail: `${what} is not a well-formed signed note` } };
  if (!opened.verified) return { failure: { entry: null, reason: 'foreign-key', detail: `${what} is not signed by this custodian's audit key ${key.name} (signed by: ${opened.signers.join(', ') || 'nobody'})` } };
  const checkpoint = parseCheckpointText(opened.text);
  if (!checkpoint) return { failure: { entry: null, reason: 'edited', detail: `${what} is not a tlog checkpoint` } };
  if (checkpoint.origin !== key.name) return { failure: { entry: null, reason: 'foreign-key', detail: `${what} names the log ${checkpoint.origin}, not ${key.name}` } };
  return { checkpoint };
}

/** seq/prev links and canonical form, entry by entry: the first entry that is edited, missing or moved. */
function checkEntries(lines: Buffer[], leaves: Buffer[], warnings: string[]): VerifyFailure | null {
  const texts = lines.map((line) => line.toString('utf8')); // decoded once: parsed, then compared with its canonical form
  const parsed = texts.map((text) => parseEntry(text));
  const seqs = new Set(parsed.map((entry) => entry?.['seq']));
  for (let i = 0; i < lines.length; i += 1) {
    const entry = parsed[i];
    if (entry === undefined) return { entry: i, reason: 'torn', detail: `line ${i + 1} is not a complete JSON entry` };
    if (entry === null || !isCanonicalText(texts[i]!, entry)) return { entry: i, reason: 'edited', detail: `line ${i + 1} is not a canonical entry (changed by hand?)` };
    const seq = entry['seq'];
    if (seq !== i) {
      if (typeof seq !== 'number') return { entry: i, reason: 'edited', detail: `line ${i + 1} has no sequence number` };
      if (seq > i && !seqs.has(i)) return { entry: i, reason: 'missing', detail: `entry ${i} is missing (line ${i + 1} holds entry ${seq})` };
      return { entry: i, reason: 'reordered', detail: `line ${i + 1} holds entry ${seq}: entries were moved` };
    }
    const prev = entry['prev'];
    if (i > 0 && prev !== leaves[i - 1]!.toString('base64')) return { entry: i - 1, reason: 'edited', detail: `entry ${i - 1} no longer hashes to what entry ${i} recorded` };
    if (i === 0 && prev !== undefined) return { entry: 0, reason: 'missing', detail: 'the first entry links to an earlier one: entries before it were removed' };
    if (entry['action'] === 'audit.log-restarted') warnings.push(`entry ${i}: the log was restarted (${String(entry['reason'])})`);
    if (entry['action'] === 'audit.set-aside') warnings.push(`entry ${i}: ${String(entry['entries'])} unsigned or torn line(s) were set aside after an interrupted append`);
  }
  return null;
}

/** undefined: not JSON at all (a torn write); null: JSON but not an object. */
function parseEntry(text: string): Record<string, JsonValue> | null | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, JsonValue>) : null;
  } catch {
    return undefined;
  }
}
