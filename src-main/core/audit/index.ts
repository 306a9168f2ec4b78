export type { AuditEvent, AuditLog } from './event.js';
export { FileAuditLog, setDefaultAuditSource, type FileAuditLogOptions } from './file-log.js';
export { readSnapshot, verifySnapshot, parseEntries, proveEntry, proveConsistency, signedCheckpoint, type AuditSnapshot, type EntryFilter } from './reader.js';
export { exportAudit, type ExportResult } from './export.js';
export { loadAuditSigner, AUDIT_KEY_ACCOUNT } from './signing-key.js';
export type { VerifyReport, VerifyFailure, FailureReason } from './verify.js';
