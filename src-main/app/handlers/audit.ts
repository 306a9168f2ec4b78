/**
 * The Audit screen (issue 13 §3): the same core as `custodian audit log|verify|export`. Reading and verifying
 * record nothing (an audit of the audit log would grow it on every look). Verify answers the report rather than
 * an error, so the screen can show the verdict: OK, or the first entry that fails and why. The export directory
 * is chosen in main's dialog; a new sub-directory is made in it, so an existing export is never overwritten.
 */
import { join } from 'node:path';
import type { AuditEntryView, AuditVerifyView } from '../../../src-shared/contract.js';
import { exportAudit, parseEntries, readSnapshot, verifySnapshot } from '../../core/audit/index.js';
import type { SecretStore } from '../../core/keystore/secret-store.js';
import type { DialogPort } from '../dialogs.js';
import type { Handler } from '../dispatch.js';

type AuditActions = 'auditLog' | 'auditVerify' | 'auditExport';

export function auditHandlers(deps: { home: string; secrets: SecretStore; dialogs: DialogPort; now?: () => Date }): { [A in AuditActions]: Handler<A> } {
  const snapshot = () => readSnapshot(deps.home, deps.secrets);
  return {
    auditLog: async ({ action, since }) => {
      const entries = parseEntries((await snapshot()).lines, { ...(action ? { action } : {}), ...(since ? { since: new Date(Date.parse(since)) } : {}) });
      return { entries: entries as unknown as AuditEntryView[] };
    },
    auditVerify: async () => {
      const report = verifySnapshot(await snapshot());
      const view: AuditVerifyView = { ...report, failure: report.failure ? { ...report.failure } : null, warnings: [...report.warnings] };
      return view;
    },
    auditExport: async ({ entry }) => {
      const parent = await deps.dialogs.chooseDirectory({ title: entry === undefined ? 'Export the audit log' : `Export audit entry ${entry}` });
      if (!parent) return { saved: false };
      const stamp = (deps.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
      const dir = join(parent, entry === undefined ? `audit-export-${stamp}` : `audit-entry-${entry}-${stamp}`);
      const result = await exportAudit(await snapshot(), dir, entry === undefined ? {} : { entry });
      return { saved: true, directory: result.dir, files: result.files, size: result.size, entry: result.entry };
    },
  };
}
