/**
 * The plaintext inside a custodian state backup (`custodian backup state`): one UTF-8 JSON document, versioned.
 *
 *   {
 *     "format": "key-custodian-state", "version": 1, "created": "2026-12-01T10:00:00.000Z", "withKeys": false,
 *     "keychain": [ { "account": "custodian-identity-ed25519", "kind": "signing-identity", "value": "<base64>" },
 *                   { "account": "custodian-identity-ed25519-retired", "kind": "retired-signing-identity", ... },
 *                   { "account": "custodian-identity-age", "kind": "age-identity", "value": "<base64>" },
 *                   { "account": "K1-...", "kind": "key", "value": "<base64>" } ],   // keys only with --with-keys
 *     "files": { "keys.json": "<file text>", "servers.json": "...", "vault-profiles.json": "...",
 *                "receipts.jsonl": "...", "statements.json": "...", "settings.json": "...", "audit.log": "...",
 *                "rotation.json": "..." }
 *   }
 *
 * The retired signing identity (only while an identity hand-over is pending) and statements.json (the hand-over
 * and revocation statements with their delivery state per server) travel together: a restored custodian keeps
 * delivering a pending hand-over and signing with the old identity for servers that have not applied it.
 * receipts.json is the receipt file before the JSON Lines log (receipts.ts); backups made then still restore.
 *
 * `value` is the keychain item's bytes exactly as stored (base64): the 32-byte Ed25519 seed, the
 * `AGE-SECRET-KEY-1...` text, the 44-character Fernet key text. `files` holds each file of the custodian home
 * that exists, verbatim. A reader refuses other formats, other versions and unknown fields or file names.
 *
 * JSON makes the keychain values JavaScript strings while the document is built and parsed; strings cannot be
 * wiped (docs/threat-model.md), so the document lives only for one export or restore and the Buffers are wiped.
 */
import { z } from 'zod';
import { isKeyId } from '../crypto/index.js';
import { IDENTITY_ACCOUNT, RETIRED_IDENTITY_ACCOUNT } from '../push/identity.js';
import { AGE_IDENTITY_ACCOUNT } from './age-identity.js';

export const STATE_FORMAT = 'key-custodian-state';
export const STATE_VERSION = 1;

/**
 * The files of the custodian home that make up its state (every JsonFile there, the settings and the audit log).
 * A new state file in the custodian home belongs here, or a state backup silently leaves it behind.
 */
export const STATE_FILES = [
  'keys.json', 'servers.json', 'vault-profiles.json', 'receipts.jsonl', 'receipts.json', 'statements.json', 'settings.json', 'audit.log',
  'rotation.json',
] as const;
export type StateFileName = typeof STATE_FILES[number];

export type KeychainKind = 'signing-identity' | 'retired-signing-identity' | 'age-identity' | 'key';

/** The keychain account of each kind of identity item (keys use their key id). */
export const IDENTITY_ITEMS = [
  [IDENTITY_ACCOUNT, 'signing-identity'],
  [RETIRED_IDENTITY_ACCOUNT, 'retired-signing-identity'],
  [AGE_IDENTITY_ACCOUNT, 'age-identity'],
] as const;

export interface KeychainEntry {
  account: string;
  kind: KeychainKind;
  /** The item's bytes. The owner wipes them. */
  value: Buffer;
}

export interface StateDocument {
  created: string;
  withKeys: boolean;
  keychain: KeychainEntry[];
  files: Partial<Record<StateFileName, string>>;
}

const entrySchema = z.strictObject({
  account: z.string(),
  kind: z.enum(['signing-identity', 'retired-signing-identity', 'age-identity', 'key']),
  value: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
}).refine((entry) => entry.kind === 'key'
  ? isKeyId(entry.account)
  : IDENTITY_ITEMS.some(([account, kind]) => account === entry.account && kind === entry.kind), 'account does not fit its kind');

const documentSchema = z.strictObject({
  format: z.literal(STATE_FORMAT),
  version: z.literal(STATE_VERSION),
  created: z.iso.datetime(),
  withKeys: z.boolean(),
  keychain: z.array(entrySchema),
  files: z.strictObject(Object.fromEntries(STATE_FILES.map((name) => [name, z.string().optional()])) as Record<StateFileName, z.ZodOptional<z.ZodString>>),
});

/** The document as UTF-8 bytes. The caller wipes them. */
export function encodeState(state: StateDocument): Buffer {
  const body = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    created: state.created,
    withKeys: state.withKeys,
    keychain: state.keychain.map((entry) => ({ account: entry.account, kind: entry.kind, value: entry.value.toString('base64') })),
    files: state.files,
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** Parses and checks the shape; returns null when the bytes are not a state document of this version. */
export function decodeState(bytes: Buffer): StateDocument | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  const result = documentSchema.safeParse(parsed);
  if (!result.success) return null;
  const accounts = new Set<string>();
  for (const entry of result.data.keychain) {
    if (accounts.has(entry.account)) return null;
    accounts.add(entry.account);
  }
  const files: Partial<Record<StateFileName, string>> = {};
  for (const name of STATE_FILES) {
    const text = result.data.files[name];
    if (text !== undefined) files[name] = text;
  }
  return {
    created: result.data.created,
    withKeys: result.data.withKeys,
    keychain: result.data.keychain.map((entry) => ({ account: entry.account, kind: entry.kind, value: Buffer.from(entry.value, 'base64') })),
    files,
  };
}

/** Wipes every keychain value of a document. */
export function wipeState(state: StateDocument): void {
  for (const entry of state.keychain) entry.value.fill(0);
}
