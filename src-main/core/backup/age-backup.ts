/**
 * Encrypted key backups in the age format. The plaintext is exactly the 44-character Fernet key text and "\n",
 * so `age -d -i identity.txt FILE` gives what Python's `Fernet()` accepts, and any age implementation can
 * restore a key without Key Custodian. Moving a key to a second custodian without plaintext: export to the
 * other custodian's `custodian identity show --age` recipient; they import with their keychain identity.
 */
import type { AuditLog } from '../audit.js';
import { decodeFernetKey, encodeFernetKey } from '../crypto/index.js';
import { CustodianError } from '../errors.js';
import { checkKeyName, type KeyRecord, type KeyStore } from '../keystore/index.js';
import { ageDecrypt, ageEncrypt, corrupt, describeTarget, type AgeKey, type AgeTarget } from './age-file.js';
import { writePrivateFile } from './output-file.js';

/** An age key backup is a few hundred bytes (a few KiB armored, or with many recipients); anything far larger is not one. */
export const MAX_KEY_BACKUP_BYTES = 1024 * 1024;

export interface KeyBackupResult {
  record: KeyRecord;
  /** Public recipient strings, or ["passphrase"]. */
  recipients: string[];
}

/**
 * Encrypts key `ref` to `target` and writes the age file to `out` (0600; refuses to overwrite unless `force`).
 * Records `backup.export` in the audit log and the backup in keys.json.
 */
export async function exportKeyBackup(keys: KeyStore, audit: AuditLog, ref: string, target: AgeTarget, out: string, options: { force?: boolean } = {}): Promise<KeyBackupResult> {
  const recipients = describeTarget(target);
  const { record, file } = await keys.withKey(ref, async (raw, record) => {
    const plaintext = keyPlaintext(raw);
    try {
      return { record, file: await ageEncrypt(plaintext, target) };
    } finally {
      plaintext.fill(0);
    }
  }, { purpose: 'backup-export' });
  try {
    await writePrivateFile(out, file, options);
  } catch (error) {
    await audit.record({ action: 'backup.export', outcome: 'error', keyId: record.id, keyName: record.name, recipients, code: codeOf(error) }).catch(() => undefined);
    throw error;
  }
  await audit.record({ action: 'backup.export', outcome: 'ok', keyId: record.id, keyName: record.name, recipients, format: 'age' });
  const updated = await keys.markBackedUp(record.id, 'age');
  return { record: updated, recipients };
}

/**
 * Decrypts an age key backup and stores the key as `name` (origin `restored`). Nothing changes on any failure:
 * decryption and checks happen before the key store is touched, and KeyStore.import is itself all-or-nothing.
 */
export async function importKeyBackup(keys: KeyStore, audit: AuditLog, name: string, file: Uint8Array, key: AgeKey): Promise<KeyRecord> {
  checkKeyName(name); // before the (slow, for a passphrase) decryption
  if (file.length > MAX_KEY_BACKUP_BYTES) throw corrupt('is far larger than a key backup');
  const plaintext = await ageDecrypt(file, key);
  let record: KeyRecord;
  try {
    checkKeyPlaintext(plaintext);
    record = await keys.import(name, plaintext, 'restored');
  } finally {
    plaintext.fill(0);
  }
  await audit.record({ action: 'backup.import', outcome: 'ok', keyId: record.id, keyName: record.name, source: key.kind === 'passphrase' ? 'passphrase' : 'identity', format: 'age' });
  return record;
}

/** The backup's plaintext: the Fernet key text and a newline. The caller wipes it. */
export function keyPlaintext(raw: Uint8Array): Buffer {
  const text = encodeFernetKey(Buffer.from(raw));
  try {
    return Buffer.concat([text, Buffer.from('\n')]);
  } finally {
    text.fill(0);
  }
}

/**
 * The decrypted bytes must be a Fernet key: 44 characters and an optional LF or CRLF (files other tools made,
 * such as `echo KEY | age -r ...`). A state backup opened with `backup import` gets a hint to use restore-state.
 */
function checkKeyPlaintext(plaintext: Buffer): void {
  if (plaintext.length > 0 && plaintext[0] === 0x7b /* { */) {
    throw new CustodianError('BACKUP_CORRUPT', 'This age file holds something other than a Fernet key (it looks like a custodian state backup); nothing was changed.', {
      hint: 'Restore a state backup with `custodian backup restore-state FILE`.',
    });
  }
  let end = plaintext.length;
  if (end > 0 && plaintext[end - 1] === 0x0a) end -= 1;
  if (end > 0 && plaintext[end - 1] === 0x0d) end -= 1;
  let ok = end === 44;
  if (ok) {
    try {
      decodeFernetKey(plaintext.subarray(0, end)).fill(0);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new CustodianError('BACKUP_CORRUPT', 'The age file decrypted, but it does not hold a Fernet key; nothing was changed.', {
      hint: 'A key backup holds exactly the 44-character key text and a newline. Check that this is the right file.',
    });
  }
}

function codeOf(error: unknown): string {
  return error instanceof CustodianError ? error.code : 'INTERNAL';
}
