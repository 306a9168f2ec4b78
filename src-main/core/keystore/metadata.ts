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
  origin: 'generated' | 'imported';
}

export interface KeyMetadata {
  version: 1;
  keys: KeyRecord[];
}

export const METADATA_FILE = 'keys.json';

const recordSchema = z.strictObject({
  id: z.string().refine(isKeyId, 'not a key id'),
  name: z.string().min(1),
  created: z.iso.datetime(),
  origin: z.enum(['generated', 'imported']),
});

// strict: an unknown field means a newer or hand-edited file; reading it as ours could drop data on the next write.
const metadataSchema = z.strictObject({
  version: z.literal(1),
  keys: z.array(recordSchema),
});

export function metadataFile(home: string): JsonFile<KeyMetadata> {
  return new JsonFile<KeyMetadata>(join(home, METADATA_FILE), () => ({ version: 1, keys: [] }), (value) => metadataSchema.parse(value));
}
