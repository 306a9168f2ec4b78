/**
 * `audit export --out DIR`: what an auditor needs to check the log with tools nobody here wrote (docs/audit.md):
 *   checkpoint.txt    the latest signed checkpoint (C2SP signed note)
 *   verifier-key.txt  the note verifier key (Go's note.NewVerifier format)
 *   log.jsonl         every entry the checkpoint covers, one canonical entry per line (the tree's leaves)
 *   inclusion.json    RFC 9162 inclusion proof of one entry (the last, or --entry N)
 *   consistency.json  RFC 9162 consistency proof from an earlier tree size to the checkpoint's
 *   verify.json       this custodian's own verification report
 * With `entry` (a single transcript, for a ceremony holder): entry.jsonl with that one line instead of log.jsonl
 * and no consistency proof. Existing files are never overwritten.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { CustodianError } from '../errors.js';
import { proveConsistency, proveEntry, signedCheckpoint, verifySnapshot, type AuditSnapshot } from './reader.js';

export interface ExportResult {
  dir: string;
  files: string[];
  size: number;
  entry: number;
}

export async function exportAudit(snapshot: AuditSnapshot, dir: string, options: { entry?: number; oldSize?: number } = {}): Promise<ExportResult> {
  const checkpoint = signedCheckpoint(snapshot);
  if (!snapshot.signer) throw new Error('unreachable: a verified checkpoint has a signer');
  const entry = options.entry ?? checkpoint.size - 1;
  const inclusion = proveEntry(snapshot, entry);
  const files: [string, string | Buffer][] = [
    ['checkpoint.txt', checkpoint.note],
    ['verifier-key.txt', `${snapshot.signer.verifierKey}\n`],
    ['inclusion.json', `${JSON.stringify(inclusion, null, 2)}\n`],
    ['verify.json', `${JSON.stringify(verifySnapshot(snapshot), null, 2)}\n`],
  ];
  if (options.entry === undefined) {
    files.push(['log.jsonl', Buffer.concat(snapshot.lines.slice(0, checkpoint.size).flatMap((line) => [line, Buffer.from('\n')]))]);
    const oldSize = options.oldSize ?? Math.max(1, Math.floor(checkpoint.size / 2));
    files.push(['consistency.json', `${JSON.stringify(proveConsistency(snapshot, oldSize), null, 2)}\n`]);
  } else {
    files.push(['entry.jsonl', Buffer.concat([snapshot.lines[entry]!, Buffer.from('\n')])]);
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const [name, data] of files) {
      const handle = await open(join(dir, name), 'wx', 0o600);
      try {
        await handle.writeFile(data);
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CustodianError('OUTPUT_UNWRITABLE', exists ? 'The export directory already holds an audit export; nothing was overwritten.' : 'The export directory could not be written.', {
      hint: 'Choose a new, writable directory for --out.', cause: error,
    });
  }
  return { dir, files: files.map(([name]) => name), size: checkpoint.size, entry };
}
