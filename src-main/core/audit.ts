import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One custodian action. Fields are public facts only: ids, names, addresses, outcomes. Never secrets. */
export interface AuditEvent {
  action: string;
  outcome: 'ok' | 'error';
  [field: string]: string | number | boolean | string[] | null | undefined;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

/** Append-only JSON Lines log (`audit.log` in the custodian home), one event per line with a timestamp. */
export class FileAuditLog implements AuditLog {
  readonly path: string;
  constructor(home: string, private readonly now: () => Date = () => new Date()) {
    this.path = join(home, 'audit.log');
  }

  async record(event: AuditEvent): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const line = JSON.stringify({ time: this.now().toISOString(), ...event });
    await appendFile(this.path, `${line}\n`, { mode: 0o600 });
  }
}

/** For unit tests. */
export class MemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  async record(event: AuditEvent): Promise<void> {
    this.events.push(event);
  }
}
