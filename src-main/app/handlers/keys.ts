/** Keys screen: the keychain-backed KeyStore. Only ids, names and dates go to the renderer, except revealKey. */
import type { KeyView, Responses } from '../../../src-shared/contract.js';
import { encodeFernetKey } from '../../core/crypto/index.js';
import { CustodianError } from '../../core/errors.js';
import type { KeyRecord, KeyStore } from '../../core/keystore/index.js';
import type { AuditLog } from '../../core/audit.js';
import type { AutoClearClipboard } from '../clipboard.js';
import type { Handler } from '../dispatch.js';

export interface KeyHandlerDeps {
  keys: () => KeyStore;
  audit: AuditLog;
  clipboard: AutoClearClipboard;
  clipboardClearSeconds: () => Promise<number>;
}

type KeyActions = 'listKeys' | 'generateKey' | 'importKey' | 'deleteKey' | 'revealKey' | 'copyKey';

export function keyHandlers(deps: KeyHandlerDeps): { [A in KeyActions]: Handler<A> } {
  /** Sensitive actions name the key they act on: the typed name must match the key's name exactly. */
  async function confirmed(ref: string, confirmName: string): Promise<KeyRecord> {
    const record = await deps.keys().resolve(ref);
    if (confirmName !== record.name) {
      throw new CustodianError('CONFIRMATION_REQUIRED', `Type the key's name, "${record.name}", to confirm.`, {
        hint: 'This protects against acting on the wrong key.',
      });
    }
    return record;
  }

  return {
    listKeys: async () => (await deps.keys().list()).map(keyView),
    generateKey: async ({ name }) => keyView(await deps.keys().generate(name)),
    importKey: async ({ name, keyText }) => {
      // The key text goes into a Buffer at once and is wiped after the keystore has validated and stored it.
      const bytes = Buffer.from(keyText.trim(), 'utf8');
      try {
        return keyView(await deps.keys().import(name, bytes));
      } finally {
        bytes.fill(0);
      }
    },
    deleteKey: async ({ ref, confirmName }) => {
      const record = await confirmed(ref, confirmName);
      return keyView(await deps.keys().delete(record.id));
    },
    revealKey: async ({ ref, confirmName }): Promise<Responses['revealKey']> => {
      const record = await confirmed(ref, confirmName);
      const keyText = await deps.keys().withKey(record.id, (raw) => {
        const text = encodeFernetKey(raw);
        try { return text.toString('ascii'); } finally { text.fill(0); }
      });
      await deps.audit.record({ action: 'key.reveal', outcome: 'ok', id: record.id, name: record.name, via: 'desktop' });
      return { key: keyView(record), keyText };
    },
    copyKey: async ({ ref, confirmName }) => {
      const record = await confirmed(ref, confirmName);
      const seconds = await deps.clipboardClearSeconds();
      await deps.keys().withKey(record.id, async (raw) => {
        const text = encodeFernetKey(raw);
        try { await deps.clipboard.copy(text.toString('ascii'), seconds); } finally { text.fill(0); }
      });
      await deps.audit.record({ action: 'key.copy', outcome: 'ok', id: record.id, name: record.name, via: 'desktop' });
      return { clearsAfterSeconds: seconds };
    },
  };
}

/** What the renderer sees of a key (also used by the Backup screen's handlers). */
export function keyView(record: KeyRecord): KeyView {
  return {
    id: record.id, name: record.name, created: record.created, origin: record.origin,
    ...(record.lastBackup ? { lastBackup: { ...record.lastBackup } } : {}),
    ...(record.lastDrill ? { lastDrill: { ...record.lastDrill } } : {}),
  };
}
