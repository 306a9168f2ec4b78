import type { JsonValue } from './canonical.js';

/**
 * One custodian action. Fields are public facts only: ids, names, addresses, outcomes. Never secrets. Most fields
 * are flat; a ceremony transcript (vault/transcript.ts) carries lists of small objects (holders, per-node results).
 */
export interface AuditEvent {
  action: string;
  outcome: 'ok' | 'error';
  [field: string]: JsonValue | undefined;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}
