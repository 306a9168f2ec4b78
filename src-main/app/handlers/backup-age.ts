/**
 * Backup screen, age part: key backups to recipients or a passphrase, imports with this custodian's keychain
 * identity, an identity file or a passphrase, the custodian's own age recipient, and the state backup. Files are
 * chosen in main through the dialog port (a path never comes from the renderer). Passphrases become Buffers at
 * once and are wiped; the core writes the files (0600, atomic) and records the audit entries.
 */
import { readFile, stat } from 'node:fs/promises';
import { exportKeyBackup, importKeyBackup, MAX_KEY_BACKUP_BYTES } from '../../core/backup/age-backup.js';
import type { AgeKey, AgeTarget } from '../../core/backup/age-file.js';
import { ageRecipient, keychainAgeKey } from '../../core/backup/age-identity.js';
import { MAX_KEY_FILE_BYTES, parseIdentityFile, parseRecipient } from '../../core/backup/age-keys.js';
import { exportState, MAX_STATE_BACKUP_BYTES, restoreState } from '../../core/backup/state-backup.js';
import type { AuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import { keychainTimeoutMs, OsKeychain, type KeyStore, type SecretStore } from '../../core/keystore/index.js';
import { keychainService } from '../../core/paths.js';
import type { DialogPort } from '../dialogs.js';
import type { Handler } from '../dispatch.js';
import { keyView } from './keys.js';

type AgeActions = 'ageRecipient' | 'ageExport' | 'ageImport' | 'stateBackup' | 'stateRestore';

export interface AgeHandlerDeps {
  env: NodeJS.ProcessEnv;
  home: string;
  keys: () => KeyStore;
  audit: AuditLog;
  dialogs: DialogPort;
}

const AGE_FILES = ['age'];

export function ageHandlers(deps: AgeHandlerDeps): { [A in AgeActions]: Handler<A> } {
  const secrets = (): SecretStore => new OsKeychain(keychainService(deps.env), { timeoutMs: keychainTimeoutMs(deps.env) });

  /** Recipients (public) or a passphrase; the caller wipes a passphrase target. */
  function target(recipients: string[] | undefined, passphrase: string | undefined): AgeTarget {
    if (passphrase !== undefined) return { kind: 'passphrase', passphrase: Buffer.from(passphrase, 'utf8') };
    return { kind: 'recipients', recipients: (recipients ?? []).map((text, i) => parseRecipient(text, i + 1)) };
  }

  /** What opens a file: this custodian's keychain identity, an identity file chosen now, or a passphrase. */
  async function openingKey(identity: 'keychain' | 'file' | 'passphrase', passphrase: string | undefined): Promise<AgeKey | undefined> {
    if (identity === 'passphrase') return { kind: 'passphrase', passphrase: Buffer.from(passphrase ?? '', 'utf8') };
    if (identity === 'file') {
      const path = await deps.dialogs.chooseOpenFile({ title: 'Choose the age identity file (AGE-SECRET-KEY-1…; SSH keys are not supported)' });
      if (!path) return undefined;
      const file = await readLimited(path, MAX_KEY_FILE_BYTES, 'identity file');
      try {
        return { kind: 'identities', identities: await parseIdentityFile(file) };
      } finally {
        file.fill(0);
      }
    }
    // The core says BACKUP_DECRYPT_FAILED (changing nothing) when this keychain has no age identity.
    return keychainAgeKey(secrets());
  }

  return {
    ageRecipient: async () => {
      const { recipient, created } = await ageRecipient(secrets());
      if (created) await deps.audit.record({ action: 'identity.age.create', outcome: 'ok', recipient, via: 'desktop' });
      return { recipient };
    },

    ageExport: async ({ key, recipients, passphrase }) => {
      const record = await deps.keys().resolve(key);
      const to = target(recipients, passphrase);
      try {
        const path = await deps.dialogs.chooseSaveFile({ title: `Save the encrypted backup of ${record.name}`, defaultName: `${fileSafe(record.name)}.age`, extensions: AGE_FILES });
        if (!path) return { saved: false };
        // The save dialog already asked before replacing an existing file.
        const result = await exportKeyBackup(deps.keys(), deps.audit, record.id, to, path, { force: true });
        return { saved: true, path, recipients: result.recipients };
      } finally {
        if (to.kind === 'passphrase') to.passphrase.fill(0);
      }
    },

    ageImport: async ({ name, identity, passphrase }) => {
      const path = await deps.dialogs.chooseOpenFile({ title: `Open the age backup to import as "${name}"`, extensions: AGE_FILES });
      if (!path) return { imported: false };
      const file = await readLimited(path, MAX_KEY_BACKUP_BYTES, 'backup');
      let opening: AgeKey | undefined;
      try {
        opening = await openingKey(identity, passphrase);
        if (!opening) return { imported: false };
        return { imported: true, key: keyView(await importKeyBackup(deps.keys(), deps.audit, name, file, opening)) };
      } finally {
        file.fill(0);
        wipeKey(opening);
      }
    },

    stateBackup: async ({ recipients, passphrase, withKeys }) => {
      const to = target(recipients, passphrase);
      try {
        const stamp = new Date().toISOString().slice(0, 10);
        const path = await deps.dialogs.chooseSaveFile({ title: 'Save the custodian\'s state backup', defaultName: `custodian-state-${stamp}.age`, extensions: AGE_FILES });
        if (!path) return { saved: false };
        const result = await exportState({ home: deps.home, secrets: secrets() }, to, path, { withKeys, force: true });
        return { saved: true, path, recipients: result.recipients, keys: result.keys };
      } finally {
        if (to.kind === 'passphrase') to.passphrase.fill(0);
      }
    },

    stateRestore: async ({ identity, passphrase, replace }) => {
      const path = await deps.dialogs.chooseOpenFile({ title: 'Open the custodian\'s state backup', extensions: AGE_FILES });
      if (!path) return { restored: false };
      const file = await readLimited(path, MAX_STATE_BACKUP_BYTES, 'state backup');
      let opening: AgeKey | undefined;
      try {
        opening = await openingKey(identity, passphrase);
        if (!opening) return { restored: false };
        const result = await restoreState({ home: deps.home, secrets: secrets() }, file, opening, { replace });
        return { restored: true, ...result };
      } finally {
        file.fill(0);
        wipeKey(opening);
      }
    },
  };
}

function wipeKey(key: AgeKey | undefined): void {
  if (!key) return;
  if (key.kind === 'passphrase') key.passphrase.fill(0);
  else key.identities.dispose();
}

/** Reads a file the user chose, refusing one far larger than what it should be (without reading it). */
async function readLimited(path: string, max: number, what: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a file');
    if (info.size > max) {
      throw new CustodianError('BACKUP_CORRUPT', `That file is far larger than any ${what}; nothing was changed.`, { hint: `Choose the ${what} itself.` });
    }
    return await readFile(path);
  } catch (error) {
    if (error instanceof CustodianError) throw error;
    throw new CustodianError('BACKUP_CORRUPT', `The chosen ${what} cannot be read; nothing was changed.`, { hint: 'Choose a readable file.' });
  }
}

function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'key';
}
