/**
 * Backup screen: SLIP-39 hand-outs, restores and drills (backup-shares.ts, held here in main between calls) and
 * age files with the state backup (backup-age.ts). Files are chosen through the dialog port, never named by the
 * renderer.
 */
import type { AuditLog } from '../../core/audit.js';
import type { KeyStore } from '../../core/keystore/index.js';
import type { DialogPort } from '../dialogs.js';
import { ageHandlers } from './backup-age.js';
import { shareHandlers, type ShareHandlers } from './backup-shares.js';

export interface BackupHandlerDeps {
  env: NodeJS.ProcessEnv;
  home: string;
  keys: () => KeyStore;
  audit: AuditLog;
  dialogs: DialogPort;
}

export interface BackupHandlers {
  handlers: ShareHandlers['handlers'] & ReturnType<typeof ageHandlers>;
  openHandouts(): number;
  closeAll(): void;
}

export function backupHandlers(deps: BackupHandlerDeps): BackupHandlers {
  const shares = shareHandlers(deps);
  return {
    handlers: { ...shares.handlers, ...ageHandlers(deps) },
    openHandouts: shares.openHandouts,
    closeAll: shares.closeAll,
  };
}
