/**
 * An audit entry as stored: the caller's event plus who, where and when, as one canonical JSON object
 * (canonical.ts). `seq` is the entry's index in the tree and `prev` the previous entry's leaf hash: neither is
 * needed for the Merkle tree, but together they let `audit verify` say which entry was edited, is missing or was
 * moved, rather than only that the tree changed.
 */
import { hostname, userInfo } from 'node:os';
import type { AuditEvent } from './event.js';
import { canonicalJson, type JsonValue } from './canonical.js';

export type AuditSource = 'cli' | 'app';

/** Who acted: OS user, host, custodian identity fingerprint (when one exists), and the face used. */
export interface Actor {
  user: string;
  host: string;
  custodian?: string;
  source: AuditSource;
}

const RESERVED = new Set(['seq', 'prev', 'time', 'by']);

export function osActor(source: AuditSource, custodian: string | null): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username || user;
  } catch {
    // no passwd entry (a container's uid): the host still says where
  }
  return { user, host: hostname(), ...(custodian ? { custodian } : {}), source };
}

export function entryBytes(seq: number, prev: Buffer | null, time: Date, by: Actor, event: AuditEvent): Buffer {
  const entry: Record<string, JsonValue | undefined> = {};
  for (const [key, value] of Object.entries(event)) entry[RESERVED.has(key) ? `${key}_` : key] = value;
  Object.assign(entry, { seq, time: time.toISOString(), by: { ...by } });
  if (prev) entry['prev'] = prev.toString('base64');
  return Buffer.from(canonicalJson(entry), 'utf8');
}
