/**
 * Backup screen, SLIP-39 part: the split hand-out and the restore/drill wizard, both held here in main between
 * calls (the renderer holds only an opaque id). Shares leave main only one holder at a time, for the holder in
 * front of the screen; typed shares arrive as word fields and are dropped as soon as the collector has them.
 * Audit entries name keys, holders and counts, never words or passphrases.
 */
import { randomBytes } from 'node:crypto';
import type { KeyView, RestoreOutcome } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { writeShareSheets, type Slip39Sheet } from '../../core/backup/sheets.js';
import { restoreKey, SLIP39_WORDS, splitKey } from '../../core/backup/slip39.js';
import { CustodianError } from '../../core/errors.js';
import { checkKeyName, type KeyRecord, type KeyStore } from '../../core/keystore/index.js';
import { expectedConfirmation, Handout } from '../backup/handout.js';
import { RestoreWizard } from '../backup/restore-wizard.js';
import type { DialogPort } from '../dialogs.js';
import type { Handler } from '../dispatch.js';
import { keyView } from './keys.js';

type ShareActions = 'backupWords' | 'backupHandouts' | 'backupSplitBegin' | 'backupHandoutView' | 'backupHandoutWords' | 'backupHandoutConfirm'
  | 'backupHandoutSaveSheets' | 'backupHandoutEnd' | 'restoreBegin' | 'restoreView' | 'restoreAddShare' | 'restoreFinish' | 'restoreCancel';

export interface ShareHandlerDeps {
  keys: () => KeyStore;
  audit: AuditLog;
  dialogs: DialogPort;
}

export interface ShareHandlers {
  handlers: { [A in ShareActions]: Handler<A> };
  /** Open hand-outs (the window warns before it unloads while one is open). */
  openHandouts(): number;
  /** Wipes every open hand-out and restore (app quit). */
  closeAll(): void;
}

export function shareHandlers(deps: ShareHandlerDeps): ShareHandlers {
  const handouts = new Map<string, Handout>();
  const restores = new Map<string, RestoreWizard>();
  const via = 'desktop';

  function handout(id: string): Handout {
    const found = handouts.get(id);
    if (!found) throw notOpen('hand-out');
    return found;
  }
  function wizard(id: string): RestoreWizard {
    const found = restores.get(id);
    if (!found) throw notOpen('restore');
    return found;
  }

  const handlers: ShareHandlers['handlers'] = {
    // The word list is public (SLIP-39 standard); the restore wizard checks and completes words with it.
    backupWords: async () => [...SLIP39_WORDS],
    backupHandouts: async () => [...handouts.values()].map((h) => h.view()),

    backupSplitBegin: async ({ key, shares, threshold, holders, passphrase }) => {
      const secret = passphrase === undefined ? undefined : Buffer.from(passphrase, 'utf8');
      try {
        const { record, split } = await deps.keys().withKey(key, (raw, record) => ({
          record,
          split: splitKey(raw, { shares, threshold, ...(secret ? { passphrase: secret } : {}) }),
        }), { purpose: 'backup-split' });
        const id = randomBytes(12).toString('base64url');
        const h = new Handout(id, { id: record.id, name: record.name }, threshold, split.passphraseProtected, split, holders);
        handouts.set(id, h);
        const view = h.view();
        await deps.audit.record({
          action: 'backup.split', outcome: 'ok', keyId: record.id, keyName: record.name, threshold, shares,
          holders: view.holders.map((holder) => holder.name), passphrase: split.passphraseProtected, via,
        });
        return view;
      } finally {
        secret?.fill(0);
      }
    },
    backupHandoutView: async ({ handoutId }) => handout(handoutId).view(),
    backupHandoutWords: async ({ handoutId, index }) => {
      const h = handout(handoutId);
      const words = h.words(index);
      await deps.audit.record({ action: 'backup.handout.show', outcome: 'ok', keyId: h.key.id, holder: words.name, share: index, via });
      return words;
    },
    backupHandoutConfirm: async ({ handoutId, index, words }) => {
      const h = handout(handoutId);
      try {
        const holder = h.confirm(index, words);
        await deps.audit.record({ action: 'backup.handout.confirm', outcome: 'ok', keyId: h.key.id, holder: holder.name, share: index, via });
      } catch (error) {
        await deps.audit.record({ action: 'backup.handout.confirm', outcome: 'error', keyId: h.key.id, share: index, code: codeOf(error), via });
        throw error;
      }
      return h.view();
    },
    backupHandoutSaveSheets: async ({ handoutId, index }) => {
      const h = handout(handoutId);
      const directory = await deps.dialogs.chooseDirectory({
        title: index === undefined ? `Save all ${h.total} share sheets of ${h.key.name}` : `Save the share sheet of holder ${index} of ${h.key.name}`,
      });
      if (!directory) return { saved: false };
      const chosen = h.sheetShares(index);
      const date = new Date();
      const sheets: Slip39Sheet[] = chosen.map((share) => ({
        kind: 'slip39', holder: share.name, index: share.index, total: h.total, threshold: h.threshold, date,
        keyName: h.key.name, keyId: h.key.id, words: share.words, passphraseProtected: h.passphraseProtected,
      }));
      let files: string[];
      try {
        files = await writeShareSheets(directory, sheetBaseName(h.key.name), sheets);
      } catch (error) {
        await deps.audit.record({ action: 'backup.sheets', outcome: 'error', keyId: h.key.id, directory, code: codeOf(error), via });
        throw error;
      } finally {
        for (const sheet of sheets) sheet.words.fill('');
      }
      const indices = chosen.map((share) => share.index);
      h.recordSheets(files, indices);
      await deps.audit.record({ action: 'backup.sheets', outcome: 'ok', keyId: h.key.id, directory, shares: indices.map(String), via });
      return { saved: true, directory, files };
    },
    backupHandoutEnd: async ({ handoutId, confirmation }) => {
      const h = handout(handoutId);
      h.checkEnd(confirmation);
      const missing = h.missing();
      // The key counts as backed up when enough holders have their share to recover it.
      const backedUp = h.delivered >= h.threshold;
      handouts.delete(handoutId);
      h.wipe();
      if (backedUp) await deps.keys().markBackedUp(h.key.id, 'slip39');
      await deps.audit.record({
        action: 'backup.handout.end', outcome: 'ok', keyId: h.key.id, keyName: h.key.name, confirmed: h.confirmed(), missing,
        backedUp, ...(missing.length > 0 ? { abandonedWith: expectedConfirmation(missing) } : {}), via,
      });
      return { confirmed: h.confirmed().length, missing, backedUp };
    },

    restoreBegin: async (request) => {
      const id = randomBytes(12).toString('base64url');
      if (request.mode === 'restore') {
        restores.set(id, new RestoreWizard(id, { mode: 'restore', name: checkKeyName(request.name), ...(request.expectedId ? { expectedId: request.expectedId } : {}) }));
      } else {
        const record = await deps.keys().resolve(request.key);
        restores.set(id, new RestoreWizard(id, { mode: 'drill', key: { id: record.id, name: record.name } }));
      }
      return wizard(id).view();
    },
    restoreView: async ({ restoreId }) => wizard(restoreId).view(),
    restoreAddShare: async ({ restoreId, words }) => {
      const w = wizard(restoreId);
      w.add(words);
      return w.view();
    },
    restoreFinish: async ({ restoreId, passphrase }): Promise<RestoreOutcome> => {
      const w = wizard(restoreId);
      const secret = passphrase === undefined ? undefined : Buffer.from(passphrase, 'utf8');
      try {
        return w.target.mode === 'drill' ? await drill(w, secret) : await restore(w, secret);
      } finally {
        secret?.fill(0);
      }
    },
    restoreCancel: async ({ restoreId }) => {
      restores.get(restoreId)?.clear();
      restores.delete(restoreId);
      return {};
    },
  };

  /** Recombines and compares with the key's id; a mismatch is recorded as such and reported as RESTORE_MISMATCH. */
  async function drill(w: RestoreWizard, passphrase: Buffer | undefined): Promise<RestoreOutcome> {
    if (w.target.mode !== 'drill') throw new CustodianError('INTERNAL', 'Not a drill.');
    const { key } = w.target;
    const shares = w.view().accepted;
    try {
      const recovered = restoreKey(w.collector, passphrase, key.id);
      recovered.rawKey.fill(0);
    } catch (error) {
      if (error instanceof CustodianError && error.code === 'RESTORE_MISMATCH') {
        await deps.keys().markDrilled(key.id, 'mismatch');
        await deps.audit.record({ action: 'backup.drill', outcome: 'error', keyId: key.id, keyName: key.name, result: 'mismatch', shares, passphrase: passphrase !== undefined, via });
      }
      // The wizard stays open: the officer may retry with the right passphrase without retyping the shares.
      throw error;
    }
    const record = await deps.keys().markDrilled(key.id, 'match');
    await deps.audit.record({ action: 'backup.drill', outcome: 'ok', keyId: key.id, keyName: key.name, result: 'match', shares, passphrase: passphrase !== undefined, via });
    close(w);
    return { mode: 'drill', outcome: 'match', key: keyView(record) };
  }

  async function restore(w: RestoreWizard, passphrase: Buffer | undefined): Promise<RestoreOutcome> {
    if (w.target.mode !== 'restore') throw new CustodianError('INTERNAL', 'Not a restore.');
    const { name, expectedId } = w.target;
    const shares = w.view().accepted;
    // With the sheet's key id, a wrong passphrase (which silently gives another key) stops here, before any import.
    const recovered = restoreKey(w.collector, passphrase, expectedId);
    let record: KeyRecord;
    try {
      record = await deps.keys().importRaw(name, recovered.rawKey, 'restored');
    } catch (error) {
      await deps.audit.record({ action: 'backup.restore', outcome: 'error', keyId: recovered.id, keyName: name, code: codeOf(error), via });
      throw error;
    } finally {
      recovered.rawKey.fill(0);
    }
    await deps.audit.record({ action: 'backup.restore', outcome: 'ok', keyId: record.id, keyName: record.name, shares, passphrase: passphrase !== undefined, via });
    close(w);
    return { mode: 'restore', outcome: 'restored', key: keyView(record) satisfies KeyView };
  }

  function close(w: RestoreWizard): void {
    w.clear();
    restores.delete(w.id);
  }

  return {
    handlers,
    openHandouts: () => handouts.size,
    closeAll() {
      for (const h of handouts.values()) h.wipe();
      handouts.clear();
      for (const w of restores.values()) w.clear();
      restores.clear();
    },
  };
}

/** Sheet file names start with the key's name, made safe for every file system. */
function sheetBaseName(keyName: string): string {
  return keyName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'key';
}

function notOpen(what: 'hand-out' | 'restore'): CustodianError {
  return new CustodianError('CEREMONY_NOT_STARTED', `This ${what} is no longer open in Key Custodian (it ended, or the app restarted).`, {
    hint: what === 'hand-out'
      ? 'Start a new split: shares of an ended hand-out cannot be shown again (the old sheets stay valid).'
      : 'Start the restore again; no key was stored.',
  });
}

function codeOf(error: unknown): string {
  return error instanceof CustodianError ? error.code : 'INTERNAL';
}
