/** One custodian action. Fields are public facts only: ids, names, addresses, outcomes. Never secrets. */
export interface AuditEvent {
  action: string;
  outcome: 'ok' | 'error';
  [field: string]: string | number | boolean | string[] | null | undefined;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}
