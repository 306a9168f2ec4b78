import { join } from 'node:path';
import { z } from 'zod';
import { isKeyId } from '../crypto/index.js';
import { JsonFile } from '../storage/json-file.js';

/** What Key Custodian remembers about a key, in keys.json. Public facts only: never key material. */
export interface KeyRecord {
  id: string;
  name: string;
  /** ISO 8601 time the key was generated or imported. */
  created: string;
  origin: KeyOrigin;
  /** Last time a backup of this key was made (SLIP-39 split, age export, state backup with keys), and how. */
  lastBackup?: { at: string; kind: BackupKind };
  /** Last restore drill: when, and whether the shares recombined to this key. */
  lastDrill?: { at: string; outcome: 'match' | 'mismatch' };
}

export type KeyOrigin = 'generated' | 'imported' | 'restored';
export type BackupKind = 'slip39' | 'age' | 'state';

export interface KeyMetadata {
  version: 1;
  keys: KeyRecord[];
}

export const METADATA_FILE = 'keys.json';

const recordSchema = z.strictObject({
  id: z.string().refine(isKeyId, 'not a key id'),
  name: z.string().min(1),
  created: z.iso.datetime(),
  origin: z.enum(['generated', 'imported', 'restored']),
  lastBackup: z.strictObject({ at: z.iso.datetime(), kind: z.enum(['slip39', 'age', 'state']) }).optional(),
  lastDrill: z.strictObject({ at: z.iso.datetime(), outcome: z.enum(['match', 'mismatch']) }).optional(),
});

// strict: an unknown field means a newer or hand-edited file; reading it as ours could drop data on the next write.
const metadataSchema = z.strictObject({
  version: z.literal(1),
  keys: z.array(recordSchema),
});

export function metadataFile(home: string): JsonFile<KeyMetadata> {
  return new JsonFile<KeyMetadata>(join(home, METADATA_FILE), () => ({ version: 1, keys: [] }), (value) => metadataSchema.parse(value));
}
