import type { AuditEvent, AuditLog } from '../audit.js';
import { withoutLineEnding } from '../line-ending.js';
import { decodeFernetKey, encodeFernetKey, generateFernetKey, keyId } from '../crypto/index.js';
import { CustodianError } from '../errors.js';
import type { JsonFile } from '../storage/json-file.js';
import { metadataFile, type BackupKind, type KeyMetadata, type KeyRecord } from './metadata.js';
import { checkKeyName } from './names.js';
import type { SecretStore } from './secret-store.js';

export interface KeyStoreOptions {
  secrets: SecretStore;
  /** The custodian home: keys.json and audit.log live here. */
  home: string;
  audit?: AuditLog;
  now?: () => Date;
}

/** Shortest id prefix accepted as a reference, after "K1-": short enough to type, long enough to be unlikely to clash. */
const MIN_PREFIX_CHARS = 4;
/** A Fernet key is 16 bytes of signing key and 16 of encryption key. */
const RAW_KEY_BYTES = 32;

/**
 * The custodian's keys: key material in a SecretStore (the OS keychain), one item per key under its key id, and
 * the public facts about each key (name, id, created, origin) in keys.json. The keychain item holds the 44-byte
 * Fernet key text, so a person can still recover a key with the keychain's own tools (Seahorse, Keychain Access).
 *
 * Invariants:
 * - keys.json never holds key material.
 * - Metadata is written only after the keychain accepted the key, and a failed metadata write removes the new
 *   keychain item again: no key exists that Key Custodian does not list, and no plaintext fallback exists.
 * - Delete removes the keychain item first, then the metadata; an item already gone from the keychain still lets
 *   the metadata be dropped.
 * - Names are labels and may repeat; a name that matches more than one key is reported as KEY_AMBIGUOUS with the ids.
 */
export class KeyStore {
  private readonly secrets: SecretStore;
  private readonly metadata: JsonFile<KeyMetadata>;
  private readonly audit: AuditLog | undefined;
  private readonly now: () => Date;

  constructor(options: KeyStoreOptions) {
    this.secrets = options.secrets;
    this.metadata = metadataFile(options.home);
    this.audit = options.audit;
    this.now = options.now ?? (() => new Date());
  }

  /** Path of keys.json, for messages and docs. */
  get metadataPath(): string {
    return this.metadata.path;
  }

  /** A new key from the CSPRNG, straight into the keychain. */
  async generate(name: string): Promise<KeyRecord> {
    const raw = generateFernetKey();
    try {
      return await this.store(checkKeyName(name), raw, 'generated');
    } finally {
      raw.fill(0);
    }
  }

  /** Stores existing Fernet key text (44 characters; one trailing newline is tolerated). The caller wipes keyText. */
  async import(name: string, keyText: Uint8Array, origin: 'imported' | 'restored' = 'imported'): Promise<KeyRecord> {
    checkKeyName(name);
    const raw = decodeFernetKey(withoutLineEnding(keyText));
    try {
      return await this.store(name, raw, origin);
    } finally {
      raw.fill(0);
    }
  }

  /** Stores 32 raw key bytes recovered from a backup (origin `restored`). The caller wipes rawKey. */
  async importRaw(name: string, rawKey: Uint8Array, origin: 'imported' | 'restored' = 'restored'): Promise<KeyRecord> {
    if (rawKey.length !== RAW_KEY_BYTES) throw new CustodianError('INVALID_KEY', 'invalid Fernet key', { hint: 'A Fernet key is 32 bytes.' });
    const raw = Buffer.from(rawKey);
    try {
      return await this.store(checkKeyName(name), raw, origin);
    } finally {
      raw.fill(0);
    }
  }

  /** Records that a backup of the key was made (shown by `key list`/`show` and the Keys screen). */
  async markBackedUp(id: string, kind: BackupKind): Promise<KeyRecord> {
    return this.updateRecord(id, (record) => { record.lastBackup = { at: this.now().toISOString(), kind }; });
  }

  /** Records the outcome of a restore drill for the key. */
  async markDrilled(id: string, outcome: 'match' | 'mismatch'): Promise<KeyRecord> {
    return this.updateRecord(id, (record) => { record.lastDrill = { at: this.now().toISOString(), outcome }; });
  }

  private async updateRecord(id: string, change: (record: KeyRecord) => void): Promise<KeyRecord> {
    let updated: KeyRecord | undefined;
    await this.metadata.update((current) => {
      const record = current.keys.find((key) => key.id === id);
      if (!record) throw new CustodianError('KEY_NOT_FOUND', 'No key matches that id.', { hint: '`custodian key list` shows the keys.' });
      change(record);
      updated = { ...record };
    });
    return updated as KeyRecord;
  }

  async list(): Promise<KeyRecord[]> {
    const { keys } = await this.metadata.read();
    return [...keys].sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  }

  /** A key by full id, unique id prefix ("K1-ABCD..."), or unique name. */
  async resolve(ref: string): Promise<KeyRecord> {
    return resolveIn(await this.list(), ref);
  }

  /**
   * Lends the raw 32 key bytes to `use` and wipes them afterwards (the callback must not keep them).
   * Checks that the keychain item still holds the key the metadata names, by recomputing its key id.
   */
  async withKey<T>(ref: string, use: (rawKey: Buffer, record: KeyRecord) => T | Promise<T>, options: { purpose?: string } = {}): Promise<T> {
    const record = await this.resolve(ref);
    const raw = await this.load(record);
    try {
      const result = await use(raw, record);
      await this.record({ action: 'key.use', outcome: 'ok', keyId: record.id, keyName: record.name, purpose: options.purpose ?? null });
      return result;
    } finally {
      raw.fill(0);
    }
  }

  /** `withKey` for several keys at once (nested, in order): every raw key is wiped when `use` returns. */
  async withKeys<T>(refs: readonly string[], use: (rawKeys: Buffer[]) => T | Promise<T>, options: { purpose?: string } = {}, loaded: Buffer[] = []): Promise<T> {
    if (loaded.length === refs.length) return use(loaded);
    return this.withKey(refs[loaded.length]!, (raw) => this.withKeys(refs, use, options, [...loaded, raw]), options);
  }

  /** The record, after checking that the keychain still holds the key it names (nothing leaves the keychain). */
  async verify(ref: string): Promise<KeyRecord> {
    const record = await this.resolve(ref);
    (await this.load(record)).fill(0);
    return record;
  }

  /** Removes the key from the keychain and then from the metadata. */
  async delete(ref: string): Promise<KeyRecord> {
    const record = await this.resolve(ref);
    const existed = await this.secrets.delete(record.id);
    await this.metadata.update((current) => {
      current.keys = current.keys.filter((key) => key.id !== record.id);
    });
    await this.record({ action: 'key.delete', outcome: 'ok', keyId: record.id, keyName: record.name, keychainItemExisted: existed });
    return record;
  }

  private async store(name: string, raw: Buffer, origin: KeyRecord['origin']): Promise<KeyRecord> {
    const id = keyId(raw);
    const record: KeyRecord = { id, name, created: this.now().toISOString(), origin };
    // Read first: a corrupt metadata file or a duplicate stops us before the keychain is touched.
    const existing = (await this.metadata.read()).keys.find((key) => key.id === id);
    if (existing) return this.restore(existing, raw);

    const text = encodeFernetKey(raw);
    try {
      await this.secrets.set(id, text);
    } finally {
      text.fill(0);
    }
    try {
      await this.metadata.update((current) => {
        const raced = current.keys.find((key) => key.id === id);
        if (raced) throw alreadyStored(raced);
        current.keys.push(record);
      });
    } catch (error) {
      // The metadata write failed (or another process stored the same key meanwhile): take the item back out
      // unless it belongs to that other record, so the keychain holds no key we do not list.
      if (!(error instanceof CustodianError && error.code === 'KEY_EXISTS')) await this.secrets.delete(id).catch(() => false);
      // An audit failure here must not hide the error that matters.
      await this.record({ action: `key.${origin === 'generated' ? 'generate' : 'import'}`, outcome: 'error', keyId: id, keyName: name, code: codeOf(error) }).catch(() => undefined);
      throw error;
    }
    await this.record({ action: `key.${origin === 'generated' ? 'generate' : origin === 'restored' ? 'restore' : 'import'}`, outcome: 'ok', keyId: id, keyName: name });
    return record;
  }

  /**
   * Importing a key that is listed but whose keychain item is gone puts the item back (the documented recovery
   * for KEY_MISSING_FROM_KEYCHAIN); a key that is fully present is refused as KEY_EXISTS.
   */
  private async restore(existing: KeyRecord, raw: Buffer): Promise<KeyRecord> {
    const present = await this.secrets.get(existing.id);
    if (present !== null) {
      present.fill(0);
      throw alreadyStored(existing);
    }
    const text = encodeFernetKey(raw);
    try {
      await this.secrets.set(existing.id, text);
    } finally {
      text.fill(0);
    }
    await this.record({ action: 'key.restore', outcome: 'ok', keyId: existing.id, keyName: existing.name });
    return existing;
  }

  private async load(record: KeyRecord): Promise<Buffer> {
    const text = await this.secrets.get(record.id);
    if (text === null) {
      await this.record({ action: 'key.load', outcome: 'error', keyId: record.id, keyName: record.name, code: 'KEY_MISSING_FROM_KEYCHAIN' });
      throw missingFromKeychain(record);
    }
    let raw: Buffer;
    try {
      raw = decodeFernetKey(text);
    } catch {
      throw replacedInKeychain(record);
    } finally {
      text.fill(0);
    }
    if (keyId(raw) !== record.id) {
      raw.fill(0);
      throw replacedInKeychain(record);
    }
    return raw;
  }

  private async record(event: AuditEvent): Promise<void> {
    await this.audit?.record(event);
  }
}

/** Resolution rules, shared with anything that lists keys: exact id, then exact name or unique id prefix. */
export function resolveIn(keys: KeyRecord[], ref: string): KeyRecord {
  const wanted = ref.trim();
  if (wanted.length === 0) throw new CustodianError('USAGE', 'No key given.', { hint: 'Pass a key id or name; `custodian key list` shows them.' });
  const upper = wanted.toUpperCase();
  const byId = keys.find((key) => key.id === upper);
  if (byId) return byId;
  const looksLikeIdPrefix = /^K1-/.test(upper) && upper.replace(/-/g, '').length - 2 >= MIN_PREFIX_CHARS;
  const matches = keys.filter((key) => key.name === wanted || (looksLikeIdPrefix && key.id.startsWith(upper)));
  if (matches.length === 1) return matches[0] as KeyRecord;
  if (matches.length > 1) {
    const ids = matches.map((key) => key.id);
    // The reference is never echoed: people paste the wrong thing, and that could be key text.
    throw new CustodianError('KEY_AMBIGUOUS', `${matches.length} keys match that name or id prefix.`, {
      hint: `Refer to the key by its id: ${ids.join(', ')}.`,
      details: { ids },
    });
  }
  throw new CustodianError('KEY_NOT_FOUND', 'No key matches that id or name.', {
    hint: 'Refer to a key by its id (K1-...), a unique id prefix, or its name; `custodian key list` shows them.',
  });
}

function alreadyStored(existing: KeyRecord): CustodianError {
  return new CustodianError('KEY_EXISTS', `This key is already stored as "${existing.name}" (${existing.id}).`, {
    hint: 'Use the existing key; a key is stored once, whatever its names.',
    details: { id: existing.id },
  });
}

function missingFromKeychain(record: KeyRecord): CustodianError {
  return new CustodianError('KEY_MISSING_FROM_KEYCHAIN', `Key "${record.name}" (${record.id}) is listed but its item is gone from the OS keychain.`, {
    hint: `Restore the key from its backup (\`custodian backup import FILE --name NAME\` for an age file, \`custodian backup restore --name NAME\` for SLIP-39 shares), or drop the listing with \`custodian key delete ${record.id}\`.`,
    details: { id: record.id },
  });
}

function replacedInKeychain(record: KeyRecord): CustodianError {
  return new CustodianError('INVALID_KEY', `The OS keychain item for key "${record.name}" (${record.id}) no longer holds that key.`, {
    hint: 'Someone changed the item outside Key Custodian. Restore the key from a backup, or drop the listing with `custodian key delete`.',
    details: { id: record.id },
  });
}

function codeOf(error: unknown): string {
  return error instanceof CustodianError ? error.code : 'INTERNAL';
}
