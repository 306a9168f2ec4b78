/**
 * The audit log's interface for the ~120 places that record an action. The log itself is a signed transparency
 * log: see audit/file-log.ts and docs/audit.md.
 */
import type { AuditEvent, AuditLog } from './audit/event.js';

export type { AuditEvent, AuditLog } from './audit/event.js';
export { FileAuditLog, setDefaultAuditSource, type FileAuditLogOptions } from './audit/file-log.js';

/** For unit tests. */
export class MemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  async record(event: AuditEvent): Promise<void> {
    this.events.push(event);
  }
}
