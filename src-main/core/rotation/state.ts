/**
 * The rotation state of the custodian (`rotation.json` in the custodian home, part of every state backup): the
 * rotation interval, each key's rotation state (`current`, `previous`, `retired`) and the open rotation. Key ids,
 * server names, times and Vault paths only: never key material.
 *
 *   { "version": 1, "intervalDays": 90,
 *     "keys": { "K1-OLD...": { "state": "previous", "since": "..." }, "K1-NEW...": { "state": "current", "since": "..." } },
 *     "open": { "oldKeyId": "K1-OLD...", "newKeyId": "K1-NEW...", "started": "...", "graceEnd": "...",
 *               "servers": ["app-1", "app-2"], "vaultKv": { "mount": "secret", "path": "mail-helper/encryption",
 *               "profile": "prod", "version": 4 } },
 *     "history": [ { "oldKeyId": "...", "newKeyId": "...", "started": "...", "ended": "...", "outcome": "finished" } ] }
 *
 * A key with no entry in `keys` has never been part of a rotation (`key list` shows no state for it).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { isKeyId } from '../crypto/index.js';
import { SERVER_NAME_PATTERN } from '../push/servers.js';
import { JsonFile } from '../storage/json-file.js';
import { MAX_DAYS } from './days.js';

export const ROTATION_FILE = 'rotation.json';
export const DEFAULT_INTERVAL_DAYS = 90;
export const DEFAULT_GRACE_DAYS = 30;
/** Finished and aborted rotations kept for `rotate status` (the audit log keeps all of them). */
const HISTORY_LIMIT = 50;

export type KeyRotationState = 'current' | 'previous' | 'retired';

export interface VaultKvLink {
  mount: string;
  path: string;
  /** The Vault profile to reach the cluster with at finish (absent: flags / VAULT_ADDR). */
  profile?: string;
  /** The KV version this rotation wrote last: the next write is check-and-set against it. */
  version: number;
}

export interface OpenRotation {
  oldKeyId: string;
  newKeyId: string;
  started: string;
  graceEnd: string;
  /** The pinned servers this rotation covers (chosen at begin). */
  servers: string[];
  vaultKv?: VaultKvLink;
}

export interface RotationRecord {
  oldKeyId: string;
  newKeyId: string;
  started: string;
  ended: string;
  outcome: 'finished' | 'aborted';
  forced?: boolean;
}

export interface RotationState {
  version: 1;
  intervalDays: number;
  keys: Record<string, { state: KeyRotationState; since: string }>;
  open: OpenRotation | null;
  history: RotationRecord[];
}

const keyIdSchema = z.string().refine(isKeyId, 'not a key id');
const time = z.iso.datetime();
const vaultKvSchema = z.strictObject({
  mount: z.string().min(1), path: z.string().min(1), profile: z.string().min(1).optional(), version: z.number().int().min(0),
});
const openSchema = z.strictObject({
  oldKeyId: keyIdSchema, newKeyId: keyIdSchema, started: time, graceEnd: time,
  servers: z.array(z.string().regex(SERVER_NAME_PATTERN)),
  vaultKv: vaultKvSchema.optional(),
});
const recordSchema = z.strictObject({
  oldKeyId: keyIdSchema, newKeyId: keyIdSchema, started: time, ended: time, outcome: z.enum(['finished', 'aborted']), forced: z.boolean().optional(),
});
// strict, like keys.json: an unknown field means a newer or hand-edited file that a write could damage.
const stateSchema = z.strictObject({
  version: z.literal(1),
  intervalDays: z.number().int().min(1).max(MAX_DAYS),
  keys: z.record(keyIdSchema, z.strictObject({ state: z.enum(['current', 'previous', 'retired']), since: time })),
  open: openSchema.nullable(),
  history: z.array(recordSchema),
});

export function emptyRotationState(): RotationState {
  return { version: 1, intervalDays: DEFAULT_INTERVAL_DAYS, keys: {}, open: null, history: [] };
}

export function rotationFile(home: string): JsonFile<RotationState> {
  return new JsonFile<RotationState>(join(home, ROTATION_FILE), emptyRotationState, (value) => stateSchema.parse(value) as RotationState);
}

/** Appends to the history, keeping the newest HISTORY_LIMIT entries. */
export function remember(state: RotationState, record: RotationRecord): void {
  state.history.push(record);
  if (state.history.length > HISTORY_LIMIT) state.history.splice(0, state.history.length - HISTORY_LIMIT);
}
