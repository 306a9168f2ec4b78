/**
 * The Vault setup view (issue 12 §1): `custodian vault setup` from the window. The core does the work
 * (core/vault/setup); this file maps the window's request onto the default plan and answers paths, states and
 * results only (the token is never sent back, nor put in an error).
 */
import type { VaultSetupDiffView, VaultSetupReportView } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { applySetup, defaultPlan, dryRunSetup, type SetupDiff, type SetupPlan } from '../../core/vault/setup/index.js';
import type { Handler } from '../dispatch.js';
import { tokenRequests } from './vault-token.js';

type SetupActions = 'vaultSetupPlan' | 'vaultSetupApply';

export function vaultSetupHandlers(deps: { env: NodeJS.ProcessEnv; home: string; audit: AuditLog }): { [A in SetupActions]: Handler<A> } {
  const withToken = tokenRequests(deps);
  const planFor = (app: string, auditFilePath: string | undefined): SetupPlan => {
    const plan = defaultPlan(app);
    return auditFilePath ? { ...plan, audit: { ...plan.audit, filePath: auditFilePath } } : plan;
  };
  return {
    vaultSetupPlan: async ({ token, app, auditFilePath, keepToken, ...target }) => withToken(target, token, async (cluster) =>
      diffView(await dryRunSetup(cluster, planFor(app, auditFilePath), { keepToken, audit: deps.audit }))),

    vaultSetupApply: async ({ token, app, auditFilePath, keepToken, ...target }) => withToken(target, token, async (cluster): Promise<VaultSetupReportView> => {
      const report = await applySetup(cluster, planFor(app, auditFilePath), { keepToken, audit: deps.audit });
      return {
        ...diffView(report),
        results: report.results.map((r) => ({ id: r.id, target: r.target, outcome: r.outcome, ...(r.detail ? { detail: r.detail } : {}) })),
        changed: report.changed,
        tokenRevoked: report.tokenRevoked,
      };
    }),
  };
}

function diffView(diff: SetupDiff): VaultSetupDiffView {
  return {
    app: diff.app,
    steps: diff.steps.map((s) => ({ id: s.id, target: s.target, state: s.state, summary: s.summary, differences: s.differences })),
    changes: diff.changes,
    conflicts: diff.conflicts,
    missingCapabilities: diff.missingCapabilities.map((m) => ({ path: m.path, capability: m.capability })),
  };
}
