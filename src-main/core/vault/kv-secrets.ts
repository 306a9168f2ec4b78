import { createHash, randomInt } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import { CustodianError } from '../errors.js';
import type { VaultCluster } from './cluster.js';
import { kvMountSegment, kvPathSegments, kvRead, kvWrite, type KvSecret } from './kv.js';
import { asRequestFailed, VaultResponseError } from './node.js';

/**
 * Managing an application's secrets in a KV v2 mount (secret/mail-helper/postgresql, …): list, metadata,
 * merge-and-write with check-and-set, soft delete, and what may be shown of a value without revealing it.
 */

/** Letters and digits without the look-alikes 0 O o 1 l I (a password read off a screen or a sheet). */
export const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
export const DEFAULT_PASSWORD_LENGTH = 32;
export const MIN_PASSWORD_LENGTH = 16;
export const MAX_PASSWORD_LENGTH = 256;

/** A random password as bytes (never a JS string): each character from node:crypto's unbiased randomInt. */
export function generatePassword(length = DEFAULT_PASSWORD_LENGTH): Buffer {
  if (!Number.isInteger(length) || length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new CustodianError('USAGE', `A generated password must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, not ${length}.`);
  }
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = PASSWORD_ALPHABET.charCodeAt(randomInt(PASSWORD_ALPHABET.length));
  return out;
}

/**
 * What may be shown of a value without revealing it: 12 hex digits of SHA-256 over mount, path, field and value.
 * Enough to see whether two reads (or two sites) hold the same value; the domain separation means equal
 * passwords in different secrets do not show equal fingerprints. A weak value could be guessed offline from it,
 * which is why generated passwords are 32 random characters.
 */
export function valueFingerprint(mount: string, path: string, field: string, value: Uint8Array): string {
  const hash = createHash('sha256');
  hash.update(`key-custodian kv fingerprint v1\0${mount}\0${kvPathSegments(path).join('/')}\0${field}\0`);
  hash.update(value);
  return hash.digest('hex').slice(0, 12);
}

export interface KvFieldSummary {
  name: string;
  fingerprint: string;
}

/** A secret version as it may be shown without --reveal. */
export function summarise(mount: string, path: string, secret: KvSecret): { version: number; createdTime: string | null; fields: KvFieldSummary[] } {
  return {
    version: secret.version,
    createdTime: secret.createdTime ?? null,
    fields: Object.keys(secret.data).sort().map((name) => ({ name, fingerprint: valueFingerprint(mount, path, name, secret.data[name]!) })),
  };
}

/** Keys directly under `prefix` ('' = the mount's root); folders end in '/'. Empty when nothing is there. */
export async function kvList(cluster: VaultCluster, mount: string, prefix: string): Promise<string[]> {
  const node = await cluster.activeNode();
  const segments = prefix.split('/').filter(Boolean).length === 0 ? [] : kvPathSegments(prefix);
  const path = `/${kvMountSegment(mount)}/metadata/${segments.map(encodeURIComponent).join('/')}${segments.length ? '/' : ''}?list=true`;
  try {
    const body = await node.call<{ data?: { keys?: unknown } }>('GET', path, undefined, { authenticated: true });
    const keys = Array.isArray(body.data?.keys) ? body.data.keys.filter((k): k is string => typeof k === 'string') : [];
    return keys.sort();
  } catch (error) {
    if (error instanceof VaultResponseError && error.statusCode === 404) return [];
    throw asRequestFailed(error, `Listing ${mount}/${prefix}`);
  }
}

export interface KvVersionInfo {
  version: number;
  createdTime: string | null;
  deletionTime: string | null;
  destroyed: boolean;
}

export interface KvMetadata {
  currentVersion: number;
  oldestVersion: number;
  createdTime: string | null;
  updatedTime: string | null;
  versions: KvVersionInfo[];
}

interface MetadataBody {
  data?: {
    current_version?: number; oldest_version?: number; created_time?: string; updated_time?: string;
    versions?: Record<string, { created_time?: string; deletion_time?: string; destroyed?: boolean }>;
  };
}

/** The secret's metadata (no values), or null when the path holds no secret. */
export async function kvMetadata(cluster: VaultCluster, mount: string, path: string): Promise<KvMetadata | null> {
  const node = await cluster.activeNode();
  let body: MetadataBody;
  try {
    body = await node.call<MetadataBody>('GET', `/${kvMountSegment(mount)}/metadata/${kvPathSegments(path).map(encodeURIComponent).join('/')}`, undefined, { authenticated: true });
  } catch (error) {
    if (error instanceof VaultResponseError && error.statusCode === 404) return null;
    throw asRequestFailed(error, `Reading the metadata of ${mount}/${path}`);
  }
  const versions = Object.entries(body.data?.versions ?? {}).map(([number, v]) => ({
    version: Number(number),
    createdTime: v.created_time || null,
    // Vault sends "" for "not deleted".
    deletionTime: v.deletion_time || null,
    destroyed: Boolean(v.destroyed),
  })).sort((a, b) => a.version - b.version);
  return {
    currentVersion: body.data?.current_version ?? 0,
    oldestVersion: body.data?.oldest_version ?? 0,
    createdTime: body.data?.created_time || null,
    updatedTime: body.data?.updated_time || null,
    versions,
  };
}

/** The latest readable version, or the coded "no such secret" error. */
export async function kvGet(cluster: VaultCluster, mount: string, path: string, version?: number): Promise<KvSecret> {
  const secret = await kvRead(cluster, mount, path, version);
  if (!secret) {
    throw new CustodianError('VAULT_KV_NOT_FOUND', `${mount}/${path}${version ? ` version ${version}` : ''} holds no secret (absent, or that version is deleted).`, {
      hint: `List what is there with \`custodian vault kv list ${parentOf(path)}\`, or see the versions with \`custodian vault kv versions ${path}\`.`,
    });
  }
  return secret;
}

export interface KvPutOptions {
  /** Check-and-set: the version the write must replace (0 = only if absent). Default: the version read here. */
  cas?: number;
  /** Drop the fields not given (default: keep them, so rotating one password keeps the others). */
  replace?: boolean;
  audit?: AuditLog;
}

/**
 * Writes a new version: the fields given over (unless `replace`) the latest version's other fields, with
 * check-and-set against the version read, so a change made meanwhile by someone else is refused, not lost.
 * The caller keeps and wipes the buffers it passed.
 */
export async function kvPut(cluster: VaultCluster, mount: string, path: string, fields: Record<string, Uint8Array>, options: KvPutOptions = {}): Promise<{ version: number; previousVersion: number; fields: string[]; kept: string[] }> {
  if (Object.keys(fields).length === 0) throw new CustodianError('USAGE', 'Nothing to write: name at least one field.');
  for (const name of Object.keys(fields)) checkFieldName(name);
  const current = await kvRead(cluster, mount, path);
  // A secret whose latest version is deleted reads as absent, but its metadata still counts versions.
  const readVersion = current?.version ?? (await kvMetadata(cluster, mount, path))?.currentVersion ?? 0;
  const cas = options.cas ?? readVersion;
  const data: Record<string, Uint8Array> = {};
  const kept: string[] = [];
  if (current && !options.replace) {
    for (const [name, value] of Object.entries(current.data)) {
      if (!(name in fields)) {
        data[name] = value;
        kept.push(name);
      }
    }
  }
  Object.assign(data, fields);
  try {
    const { version } = await kvWrite(cluster, mount, path, data, { cas });
    await options.audit?.record({ action: 'vault.kv.put', outcome: 'ok', mount, path: kvPathSegments(path).join('/'), version, fields: Object.keys(fields).sort() });
    return { version, previousVersion: readVersion, fields: Object.keys(fields).sort(), kept: kept.sort() };
  } catch (error) {
    await options.audit?.record({ action: 'vault.kv.put', outcome: 'error', mount, path: kvPathSegments(path).join('/'), code: (error as { code?: string }).code ?? 'unknown' });
    throw error;
  } finally {
    if (current) for (const value of Object.values(current.data)) value.fill(0);
  }
}

/** Soft-deletes the latest version (or the given ones): `vault kv undelete` can bring them back. */
export async function kvDelete(cluster: VaultCluster, mount: string, path: string, options: { versions?: number[]; audit?: AuditLog } = {}): Promise<{ versions: number[] }> {
  const metadata = await kvMetadata(cluster, mount, path);
  if (!metadata || metadata.versions.length === 0) {
    throw new CustodianError('VAULT_KV_NOT_FOUND', `${mount}/${path} holds no secret.`, { hint: `List what is there with \`custodian vault kv list ${parentOf(path)}\`.` });
  }
  const versions = options.versions?.length ? [...new Set(options.versions)].sort((a, b) => a - b) : [metadata.currentVersion];
  const known = new Set(metadata.versions.map((v) => v.version));
  const unknown = versions.filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new CustodianError('VAULT_KV_NOT_FOUND', `${mount}/${path} has no version ${unknown.join(', ')}.`, { hint: `See the versions with \`custodian vault kv versions ${path}\`.` });
  }
  const node = await cluster.activeNode();
  try {
    await node.call('POST', `/${kvMountSegment(mount)}/delete/${kvPathSegments(path).map(encodeURIComponent).join('/')}`, { versions }, { authenticated: true });
  } catch (error) {
    await options.audit?.record({ action: 'vault.kv.delete', outcome: 'error', mount, path: kvPathSegments(path).join('/'), versions: versions.map(String) });
    throw asRequestFailed(error, `Deleting ${mount}/${path}`);
  }
  await options.audit?.record({ action: 'vault.kv.delete', outcome: 'ok', mount, path: kvPathSegments(path).join('/'), versions: versions.map(String) });
  return { versions };
}

/** Field names go into JSON keys, audit entries and prompts: keep them plain. */
export function checkFieldName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) {
    throw new CustodianError('USAGE', `"${name.slice(0, 40)}" is not a valid field name.`, { hint: 'Use letters, digits, - _ and . only (e.g. password, username).' });
  }
  return name;
}

function parentOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length > 1 ? `${parts.slice(0, -1).join('/')}/` : '';
}
