import { join } from 'node:path';

/** The audit log's files in the custodian home, and its items in the OS keychain. */
export interface AuditPaths {
  /** JSON Lines: one canonical entry per line (the tree's leaves, in order). */
  log: string;
  /** The latest signed checkpoint (C2SP signed note). */
  checkpoint: string;
  /** A cache of the tree's right edge, so an append does not re-read the log; checked against the log. */
  state: string;
  /** Lines that never became part of the tree (a torn or unsigned tail after a crash), kept for inspection. */
  setAside: string;
  lock: string;
}

export function auditPaths(home: string): AuditPaths {
  return {
    log: join(home, 'audit.log'),
    checkpoint: join(home, 'audit.checkpoint'),
    state: join(home, 'audit.state.json'),
    setAside: join(home, 'audit.set-aside'),
    lock: join(home, 'audit.lock'),
  };
}

/** Keychain account of the latest checkpoint (not secret; the keychain is where a file-level attacker cannot roll it back). */
export const CHECKPOINT_ACCOUNT = 'custodian-audit-checkpoint';
