/**
 * The custodian's own state in ONE age file, so a replacement laptop is set up in minutes: the Ed25519 signing
 * identity, the retired one while an identity hand-over is pending, and the age identity (from the keychain),
 * the files of the custodian home (STATE_FILES: key metadata, pinned servers, Vault profiles, receipts,
 * identity statements, settings, audit log) and, only with `withKeys`, every key's keychain item. Format:
 * state-format.ts.
 *
 * Restore is all-or-nothing: the document is decrypted and checked completely, the files are written to a
 * staging directory next to the custodian home and read back through the app's own stores, then the keychain
 * items are written (each previous value remembered), then the staging directory replaces the home with two
 * renames. A failure at any step puts back what was changed. An existing state is replaced only with `replace`,
 * and then kept: the old home is moved aside (its path is returned) and replaced identities stay in the keychain
 * under `<account>.before-restore-<time>` (a retired identity the backup does not have is moved there too: it
 * belongs to the replaced state's hand-over, not to the restored one).
 */
import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FileAuditLog, type AuditLog } from '../audit.js';
import { decodeFernetKey, keyId } from '../crypto/index.js';
import { CustodianError } from '../errors.js';
import { KeyStore, type SecretStore } from '../keystore/index.js';
import { metadataFile } from '../keystore/metadata.js';
import { RETIRED_IDENTITY_ACCOUNT, loadOrCreateIdentity } from '../push/identity.js';
import { ReceiptLog } from '../push/receipts.js';
import { ServerRegistry } from '../push/servers.js';
import { StatementLog } from '../push/statements.js';
import { VaultProfiles } from '../vault/profiles.js';
import { checkAgeIdentityBytes } from './age-identity.js';
import { ageDecrypt, ageEncrypt, corrupt, describeTarget, type AgeKey, type AgeTarget } from './age-file.js';
import { writePrivateFile } from './output-file.js';
import { IDENTITY_ITEMS, STATE_FILES, decodeState, encodeState, wipeState, type KeychainEntry, type StateDocument, type StateFileName } from './state-format.js';

/** Receipts and the audit log grow; this is far beyond a decade of use and still fits in memory. */
export const MAX_STATE_BACKUP_BYTES = 256 * 1024 * 1024;

export interface StateContext {
  /** The custodian home (custodianHome()). */
  home: string;
  /** The OS keychain (same service as the keys). */
  secrets: SecretStore;
  now?: () => Date;
}

export interface StateExportResult {
  recipients: string[];
  files: StateFileName[];
  signingIdentity: boolean;
  /** The retired signing identity of a pending hand-over was included. */
  retiredIdentity: boolean;
  ageIdentity: boolean;
  /** Ids of the keys in the backup (empty without withKeys). */
  keys: string[];
  /** Keys listed in keys.json whose keychain item is missing or damaged (not in the backup). */
  missingKeys: string[];
}

export interface StateRestoreResult {
  created: string;
  files: StateFileName[];
  /** Fingerprint (ed25519:...) of the restored signing identity, or null if the backup had none. */
  signingIdentity: string | null;
  /** The backup held the retired signing identity of a pending hand-over, and it was restored. */
  retiredIdentity: boolean;
  /** The restored age recipient (age1...), or null. */
  ageRecipient: string | null;
  keys: string[];
  /** Keys that keys.json lists but that neither the backup nor this keychain holds (restore them separately). */
  keysNotInKeychain: string[];
  /** Where the replaced custodian home was moved (only with replace), or null. */
  previousHome: string | null;
}

/** Writes the state backup to `out` (0600; refuses to overwrite unless `force`). */
export async function exportState(context: StateContext, target: AgeTarget, out: string, options: { withKeys?: boolean; force?: boolean } = {}): Promise<StateExportResult> {
  const now = context.now ?? (() => new Date());
  const audit = new FileAuditLog(context.home, { now, secrets: context.secrets });
  const files = await readStateFiles(context.home);
  const keychain: KeychainEntry[] = [];
  const missingKeys: string[] = [];
  let state: StateDocument | undefined;
  let plaintext: Buffer | undefined;
  try {
    for (const [account, kind] of IDENTITY_ITEMS) {
      const value = await context.secrets.get(account);
      if (value) keychain.push({ account, kind, value });
    }
    if (options.withKeys) {
      for (const record of (await metadataFile(context.home).read()).keys) {
        const value = await context.secrets.get(record.id);
        if (value && holdsKey(value, record.id)) keychain.push({ account: record.id, kind: 'key', value });
        else {
          value?.fill(0);
          missingKeys.push(record.id);
        }
      }
    }
    state = { created: now().toISOString(), withKeys: Boolean(options.withKeys), keychain, files };
    plaintext = encodeState(state);
    const file = await ageEncrypt(plaintext, target);
    await writePrivateFile(out, file, options);
  } finally {
    plaintext?.fill(0);
    for (const entry of keychain) entry.value.fill(0);
  }
  const keys = keychain.filter((entry) => entry.kind === 'key').map((entry) => entry.account);
  const recipients = describeTarget(target);
  await audit.record({ action: 'state.export', outcome: 'ok', recipients, files: Object.keys(files), keys, missingKeys, withKeys: Boolean(options.withKeys) });
  if (keys.length > 0) {
    const store = new KeyStore({ secrets: context.secrets, home: context.home, now });
    for (const id of keys) await store.markBackedUp(id, 'state');
  }
  return {
    recipients,
    files: Object.keys(files) as StateFileName[],
    signingIdentity: keychain.some((entry) => entry.kind === 'signing-identity'),
    retiredIdentity: keychain.some((entry) => entry.kind === 'retired-signing-identity'),
    ageIdentity: keychain.some((entry) => entry.kind === 'age-identity'),
    keys,
    missingKeys,
  };
}

/** Restores a state backup into `context` (see the file comment for the order and what `replace` keeps). */
export async function restoreState(context: StateContext, file: Uint8Array, key: AgeKey, options: { replace?: boolean } = {}): Promise<StateRestoreResult> {
  if (file.length > MAX_STATE_BACKUP_BYTES) throw corrupt('is larger than any custodian state backup');
  const plaintext = await ageDecrypt(file, key);
  let state: StateDocument | null;
  try {
    state = decodeState(plaintext);
  } finally {
    plaintext.fill(0);
  }
  if (!state) throw notState(plaintext.length);
  try {
    await checkKeychainValues(state);
    const existing = await existingState(context);
    if (existing.length > 0 && !options.replace) {
      throw new CustodianError('CONFIRMATION_REQUIRED', `This machine already has custodian state (${existing.join(', ')}); nothing was changed.`, {
        hint: 'Add --replace to replace it: the current custodian home is moved aside and the current identities are kept in the keychain under "<account>.before-restore-<time>".',
        details: { existing },
      });
    }
    return await applyState(context, state, existing.length > 0);
  } finally {
    wipeState(state);
  }
}

async function applyState(context: StateContext, state: StateDocument, replacing: boolean): Promise<StateRestoreResult> {
  const now = context.now ?? (() => new Date());
  const stamp = now().toISOString().replace(/[:.]/g, '-');
  const home = context.home;
  await mkdir(dirname(home), { recursive: true, mode: 0o700 });
  const staging = `${home}.restore-${randomBytes(4).toString('hex')}`;
  const journal = new KeychainJournal(context.secrets);
  let aside: string | null = null;
  let swapped = false;
  try {
    await stageFiles(staging, state.files);
    await checkStagedFiles(staging);
    await carryOverOtherFiles(home, staging);

    for (const entry of state.keychain) {
      if (entry.kind === 'key') {
        const present = await context.secrets.get(entry.account);
        const same = present !== null && present.equals(entry.value);
        present?.fill(0);
        if (!same) await journal.set(entry.account, entry.value); // a damaged item under a key id gets the real key
      } else {
        await journal.set(entry.account, entry.value, replacing ? `${entry.account}.before-restore-${stamp}` : undefined);
      }
    }
    if (!state.keychain.some((entry) => entry.account === RETIRED_IDENTITY_ACCOUNT)) {
      await journal.remove(RETIRED_IDENTITY_ACCOUNT, `${RETIRED_IDENTITY_ACCOUNT}.before-restore-${stamp}`);
    }

    if (await exists(home)) {
      aside = `${home}.before-restore-${stamp}`;
      await rename(home, aside);
    }
    await rename(staging, home);
    swapped = true;
    journal.commit();
  } catch (error) {
    if (!swapped && aside) await rename(aside, home).catch(() => undefined);
    await journal.rollback();
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof CustodianError) throw error;
    throw new CustodianError('STORAGE_FAILED', 'The state could not be restored; the keychain and the custodian home were put back as they were.', {
      hint: 'Check free disk space and the permissions of the directory above the custodian home, then try again.',
      cause: error,
    });
  }
  // A fresh machine's home held nothing of ours (other files were carried over): drop the empty copy.
  let previousHome: string | null = aside;
  if (aside && !replacing) {
    await rm(aside, { recursive: true, force: true }).catch(() => undefined);
    previousHome = null;
  }

  const signing = state.keychain.some((entry) => entry.kind === 'signing-identity') ? (await loadOrCreateIdentity(context.secrets)).fingerprint : null;
  const ageEntry = state.keychain.find((entry) => entry.kind === 'age-identity');
  const ageRecipient = ageEntry ? await checkAgeIdentityBytes(ageEntry.value) : null;
  const keys = state.keychain.filter((entry) => entry.kind === 'key').map((entry) => entry.account);
  const keysNotInKeychain: string[] = [];
  for (const record of (await metadataFile(home).read()).keys) {
    if (keys.includes(record.id)) continue;
    const present = await context.secrets.get(record.id);
    if (present === null) keysNotInKeychain.push(record.id);
    present?.fill(0);
  }
  const audit: AuditLog = new FileAuditLog(home, { now, secrets: context.secrets });
  const retiredIdentity = state.keychain.some((entry) => entry.kind === 'retired-signing-identity');
  await audit.record({ action: 'state.restore', outcome: 'ok', backupCreated: state.created, files: Object.keys(state.files), signingIdentity: signing, retiredIdentity, ageRecipient, keys, keysNotInKeychain, replaced: replacing });
  return { created: state.created, files: Object.keys(state.files) as StateFileName[], signingIdentity: signing, retiredIdentity, ageRecipient, keys, keysNotInKeychain, previousHome };
}

/** Every keychain value must be what its account holds, before anything is written. */
async function checkKeychainValues(state: StateDocument): Promise<void> {
  for (const entry of state.keychain) {
    let ok: boolean;
    if (entry.kind === 'signing-identity' || entry.kind === 'retired-signing-identity') ok = entry.value.length === 32;
    else if (entry.kind === 'age-identity') ok = await checkAgeIdentityBytes(entry.value).then(() => true, () => false);
    else ok = holdsKey(entry.value, entry.account);
    if (!ok) throw notState();
  }
}

function holdsKey(value: Buffer, id: string): boolean {
  try {
    const raw = decodeFernetKey(value);
    try {
      return keyId(raw) === id;
    } finally {
      raw.fill(0);
    }
  } catch {
    return false;
  }
}

/** What of a state this machine already has: state files in the home, identities in the keychain. */
async function existingState(context: StateContext): Promise<string[]> {
  const found: string[] = [];
  for (const name of STATE_FILES) if (await exists(join(context.home, name))) found.push(name);
  for (const [account] of IDENTITY_ITEMS) {
    const value = await context.secrets.get(account);
    if (value) {
      value.fill(0);
      found.push(`keychain item ${account}`);
    }
  }
  return found;
}

async function readStateFiles(home: string): Promise<Partial<Record<StateFileName, string>>> {
  const files: Partial<Record<StateFileName, string>> = {};
  for (const name of STATE_FILES) {
    try {
      files[name] = await readFile(join(home, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new CustodianError('STORAGE_FAILED', `Cannot read ${join(home, name)} for the state backup.`, { hint: 'Check the permissions of the custodian home.', cause: error });
    }
  }
  return files;
}

async function stageFiles(staging: string, files: Partial<Record<StateFileName, string>>): Promise<void> {
  await mkdir(staging, { mode: 0o700 });
  for (const [name, text] of Object.entries(files)) {
    const handle = await open(join(staging, name), 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** The restored files must be readable by the stores that use them; anything else means a damaged backup. */
async function checkStagedFiles(staging: string): Promise<void> {
  try {
    await metadataFile(staging).read();
    await new ServerRegistry(staging).list();
    await new VaultProfiles(staging).list();
    await new ReceiptLog(staging).list();
    await new StatementLog(staging).list();
    for (const name of ['settings.json'] as const) {
      const text = await readFile(join(staging, name), 'utf8').catch(() => null);
      if (text !== null) JSON.parse(text);
    }
    const audit = await readFile(join(staging, 'audit.log'), 'utf8').catch(() => null);
    if (audit !== null) for (const line of audit.split('\n')) if (line.trim()) JSON.parse(line);
  } catch {
    throw notState();
  }
}

/** Files in the current home that are not state files (another tool's, or newer ones) move with the restore. */
async function carryOverOtherFiles(home: string, staging: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(home);
  } catch {
    return;
  }
  for (const name of names) {
    if ((STATE_FILES as readonly string[]).includes(name)) continue;
    await cp(join(home, name), join(staging, name), { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
  }
}

/** Keychain writes that can be undone: each previous value is kept (and optionally saved under an aside account). */
class KeychainJournal {
  private readonly undo: Array<() => Promise<unknown>> = [];
  private readonly previous: Buffer[] = [];
  constructor(private readonly secrets: SecretStore) {}

  async set(account: string, value: Buffer, asideAccount?: string): Promise<void> {
    const previous = await this.secrets.get(account);
    if (previous) this.previous.push(previous);
    if (previous && asideAccount && !previous.equals(value)) {
      await this.secrets.set(asideAccount, previous);
      this.undo.push(() => this.secrets.delete(asideAccount));
    }
    this.undo.push(() => (previous ? this.secrets.set(account, previous) : this.secrets.delete(account)));
    await this.secrets.set(account, value);
  }

  /** Deletes `account` if present, saving its value under `asideAccount` first. */
  async remove(account: string, asideAccount: string): Promise<void> {
    const previous = await this.secrets.get(account);
    if (!previous) return;
    this.previous.push(previous);
    await this.secrets.set(asideAccount, previous);
    this.undo.push(() => this.secrets.delete(asideAccount));
    this.undo.push(() => this.secrets.set(account, previous));
    await this.secrets.delete(account);
  }

  /** Forgets (and wipes) the previous values once the restore has succeeded. */
  commit(): void {
    for (const previous of this.previous) previous.fill(0);
    this.undo.length = 0;
  }

  async rollback(): Promise<void> {
    for (const step of this.undo.reverse()) await step().catch(() => undefined);
    this.commit();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

function notState(length?: number): CustodianError {
  return new CustodianError('BACKUP_CORRUPT', 'The age file decrypted, but it is not a valid Key Custodian state backup; nothing was changed.', {
    hint: length !== undefined && length <= 46
      ? 'It looks like a single-key backup: import it with `custodian backup import FILE --name NAME`.'
      : 'Use another copy of the state backup, made by `custodian backup state` (format version 1).',
  });
}
