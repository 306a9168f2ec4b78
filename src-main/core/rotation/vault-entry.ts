/**
 * The seed's copy of the data key in Vault KV v2, kept in step with the rotation (the plan's
 * `secret/mail-helper/encryption`): `current_key`, `previous_key`, `rotation_date`, `current_key_id`,
 * `previous_key_id`. Every write is check-and-set against the version this rotation read or wrote last, so an
 * entry someone else changed in between is refused (VAULT_KV_CONFLICT), never overwritten. Only ids, dates and
 * versions leave this file; the key text goes to Vault and nowhere else.
 */
import type { AuditLog } from '../audit.js';
import { decodeFernetKey, encodeFernetKey, keyId } from '../crypto/index.js';
import { CustodianError } from '../errors.js';
import type { VaultCluster } from '../vault/cluster.js';
import { kvRead } from '../vault/kv.js';
import { kvMetadata, kvPut } from '../vault/kv-secrets.js';
import type { VaultKvLink } from './state.js';

/** `secret/mail-helper/encryption` -> mount `secret`, path `mail-helper/encryption`. */
export function parseKvTarget(target: string): { mount: string; path: string } {
  const parts = target.split('/').filter(Boolean);
  if (parts.length < 2 || parts.some((p) => !/^[A-Za-z0-9_.@-]+$/.test(p) || p === '.' || p === '..')) {
    throw new CustodianError('USAGE', '--vault-kv takes MOUNT/PATH, e.g. secret/mail-helper/encryption.', { hint: 'The first segment is the KV v2 mount.' });
  }
  return { mount: parts[0]!, path: parts.slice(1).join('/') };
}

/** The version the entry is at now (0: absent). */
export async function currentKvVersion(cluster: VaultCluster, mount: string, path: string): Promise<number> {
  return (await kvMetadata(cluster, mount, path))?.currentVersion ?? 0;
}

/** Refuses (changing nothing) when the entry moved past the version this rotation wrote. */
export async function checkUnchanged(cluster: VaultCluster, link: VaultKvLink): Promise<void> {
  const now = await currentKvVersion(cluster, link.mount, link.path);
  if (now !== link.version) throw kvChanged(link, now);
}

export function kvChanged(link: VaultKvLink, found: number): CustodianError {
  return new CustodianError('VAULT_KV_CONFLICT', `${link.mount}/${link.path} is at version ${found}, but this rotation wrote version ${link.version}: someone changed it in between; nothing was changed.`, {
    hint: `See who wrote it (\`custodian vault kv versions ${link.path} --mount ${link.mount}\`); once you know the entry may be replaced, run the command again with --kv-cas ${found}.`,
    details: { expectedVersion: link.version, foundVersion: found },
  });
}

export interface EntryKeys {
  /** Raw 32-byte current key; the caller wipes it. */
  current: Buffer;
  /** Raw previous key, or null to write `previous_key` empty (finish). */
  previous: Buffer | null;
}

/** Writes the five fields as a new version with check-and-set against `cas`; returns the version written. */
export async function writeEntry(cluster: VaultCluster, target: { mount: string; path: string }, keys: EntryKeys, date: Date, cas: number, audit?: AuditLog): Promise<number> {
  const currentText = encodeFernetKey(keys.current);
  const previousText = keys.previous ? encodeFernetKey(keys.previous) : Buffer.alloc(0);
  try {
    const fields: Record<string, Uint8Array> = {
      current_key: currentText,
      previous_key: previousText,
      rotation_date: Buffer.from(date.toISOString()),
      current_key_id: Buffer.from(keyId(keys.current)),
      previous_key_id: Buffer.from(keys.previous ? keyId(keys.previous) : ''),
    };
    const { version } = await kvPut(cluster, target.mount, target.path, fields, { cas, ...(audit ? { audit } : {}) });
    return version;
  } finally {
    currentText.fill(0);
    previousText.fill(0);
  }
}

/** What `rotate status` shows of the entry: ids, date, version, and whether the key text matches its id. */
export interface EntrySummary {
  mount: string;
  path: string;
  version: number;
  rotationDate: string | null;
  currentKeyId: string | null;
  previousKeyId: string | null;
  /** current_key really is the key named by current_key_id (checked here, the text never shown). */
  currentKeyMatches: boolean;
  previousKeyEmpty: boolean;
}

export async function readEntrySummary(cluster: VaultCluster, mount: string, path: string): Promise<EntrySummary | null> {
  const secret = await kvRead(cluster, mount, path);
  if (!secret) return null;
  try {
    const text = (name: string): string | null => (secret.data[name] && secret.data[name].length > 0 ? secret.data[name].toString('utf8') : null);
    const currentKeyId = text('current_key_id');
    return {
      mount, path, version: secret.version,
      rotationDate: text('rotation_date'),
      currentKeyId,
      previousKeyId: text('previous_key_id'),
      currentKeyMatches: currentKeyId !== null && idOfKeyText(secret.data['current_key']) === currentKeyId,
      previousKeyEmpty: !secret.data['previous_key'] || secret.data['previous_key'].length === 0,
    };
  } finally {
    for (const value of Object.values(secret.data)) value.fill(0);
  }
}

function idOfKeyText(text: Buffer | undefined): string | null {
  if (!text || text.length === 0) return null;
  let raw: Buffer;
  try {
    raw = decodeFernetKey(text);
  } catch {
    return null;
  }
  try {
    return keyId(raw);
  } finally {
    raw.fill(0);
  }
}
