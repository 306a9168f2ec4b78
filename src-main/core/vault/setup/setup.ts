import type { AuditLog } from '../../audit.js';
import { CustodianError, isCustodianError } from '../../errors.js';
import { describe, type VaultCluster } from '../cluster.js';
import { asRequestFailed, VaultResponseError, type VaultNode } from '../node.js';
import { checkAuditWriting } from './audit-check.js';
import { forbidden, missingCapabilities, type Need } from './capabilities.js';
import { inspect, inspectNeeds, roleBody, type LiveFacts } from './inspect.js';
import { planAsFile, type SetupPlan } from './plan.js';
import { renderPolicy } from './policy.js';
import type { MissingCapability, PlannedStep, StepResult } from './steps.js';

export interface SetupOptions {
  keepToken?: boolean;
  audit?: AuditLog;
  /** Called after each step with its result (the CLI and the app show them as they come). */
  onStep?: (result: StepResult) => void | Promise<void>;
}

/** The plan against the cluster: every step's state, and what the token would lack to apply the difference. */
export interface SetupDiff {
  app: string;
  plan: ReturnType<typeof planAsFile>;
  steps: PlannedStep[];
  changes: number;
  conflicts: number;
  missingCapabilities: MissingCapability[];
}

export interface SetupReport extends SetupDiff {
  results: StepResult[];
  changed: boolean;
  tokenRevoked: boolean;
}

/**
 * Reads the cluster and returns the plan's difference without changing anything (`--dry-run`). A token that cannot
 * even read what setup compares is refused here (VAULT_SETUP_FORBIDDEN, naming each capability and path).
 */
export async function diffSetup(cluster: VaultCluster, plan: SetupPlan, options: { keepToken?: boolean } = {}): Promise<SetupDiff> {
  const node = await cluster.activeNode();
  const cannotRead = await missingCapabilities(node, inspectNeeds(plan));
  if (cannotRead.length > 0) throw forbidden(cannotRead, 'read what setup compares');
  const { steps, facts } = await inspect(node, plan, Boolean(options.keepToken));
  return {
    app: plan.app,
    plan: planAsFile(plan),
    steps,
    changes: steps.filter((s) => s.state === 'missing' || s.state === 'different').length,
    conflicts: steps.filter((s) => s.state === 'conflict').length,
    missingCapabilities: await missingCapabilities(node, applyNeeds(steps, facts)),
  };
}

/** `--dry-run`: the difference, recorded in the custodian's audit log as a dry run; nothing is changed. */
export async function dryRunSetup(cluster: VaultCluster, plan: SetupPlan, options: { keepToken?: boolean; audit?: AuditLog } = {}): Promise<SetupDiff> {
  try {
    const diff = await diffSetup(cluster, plan, options);
    await options.audit?.record({ action: 'vault.setup', outcome: 'ok', app: plan.app, dry_run: true, changes: diff.changes, conflicts: diff.conflicts });
    return diff;
  } catch (error) {
    await options.audit?.record({ action: 'vault.setup', outcome: 'error', app: plan.app, dry_run: true, code: codeOf(error) });
    throw error;
  }
}

/**
 * Brings the cluster to the plan: computes the difference, refuses conflicts and missing capabilities before
 * changing anything, then applies only the missing/different steps in order, each audited. A step that fails
 * stops the run; the error lists every step as applied, unchanged, failed or not run (state is then "as the plan
 * says up to that step", and running setup again finishes it). The token used is revoked last unless keepToken.
 */
export async function applySetup(cluster: VaultCluster, plan: SetupPlan, options: SetupOptions = {}): Promise<SetupReport> {
  const audit = options.audit;
  let diff: SetupDiff;
  try {
    diff = await diffSetup(cluster, plan, options);
    if (diff.conflicts > 0) {
      const lines = diff.steps.filter((s) => s.state === 'conflict').flatMap((s) => s.differences.map((d) => `${s.target}: ${d}`));
      throw new CustodianError('VAULT_SETUP_CONFLICT', `The cluster has something the plan cannot change in place: ${lines.join('; ')}. Nothing was changed.`, {
        hint: 'Choose another mount or audit path in the plan (--plan FILE), or fix the cluster by hand; then run setup again.',
        details: { steps: diff.steps },
      });
    }
    if (diff.missingCapabilities.length > 0) throw forbidden(diff.missingCapabilities, 'apply the plan');
  } catch (error) {
    await audit?.record({ action: 'vault.setup', outcome: 'error', app: plan.app, dry_run: false, code: codeOf(error) });
    throw error;
  }

  const facts: Pick<LiveFacts, 'auditPath' | 'auditDeviceCount'> = { auditPath: diff.steps[0]!.target.replace(/^sys\/audit\//, ''), auditDeviceCount: 0 };
  const results: StepResult[] = [];
  let tokenRevoked = false;
  for (const [index, step] of diff.steps.entries()) {
    let result: StepResult;
    try {
      result = await runStep(cluster, plan, step, facts);
      if (step.id === 'revoke-token' && result.outcome === 'applied') tokenRevoked = true;
    } catch (error) {
      const failed: StepResult = { id: step.id, target: step.target, outcome: 'failed', error: describe(asRequestFailed(error, step.summary)) };
      results.push(failed, ...diff.steps.slice(index + 1).map((s): StepResult => ({ id: s.id, target: s.target, outcome: 'not-run' })));
      await audit?.record({ action: 'vault.setup.step', outcome: 'error', app: plan.app, step: step.id, target: step.target, code: failed.error!.code });
      await options.onStep?.(failed);
      await audit?.record({ action: 'vault.setup', outcome: 'error', app: plan.app, dry_run: false, failed_step: step.id, code: failed.error!.code });
      throw stopped(error, failed, results);
    }
    results.push(result);
    await audit?.record({ action: 'vault.setup.step', outcome: 'ok', app: plan.app, step: step.id, target: step.target, state: step.state, result: result.outcome });
    await options.onStep?.(result);
  }
  const changed = results.some((r) => r.outcome === 'applied' && r.id !== 'revoke-token');
  await audit?.record({ action: 'vault.setup', outcome: 'ok', app: plan.app, dry_run: false, changed, token_revoked: tokenRevoked });
  return { ...diff, results, changed, tokenRevoked };
}

/** One step: nothing for present/skipped (the audit device is still checked to be writing), else the change. */
async function runStep(cluster: VaultCluster, plan: SetupPlan, step: PlannedStep, facts: Pick<LiveFacts, 'auditPath' | 'auditDeviceCount'>): Promise<StepResult> {
  const base = { id: step.id, target: step.target };
  if (step.state === 'skipped') return { ...base, outcome: 'skipped', detail: 'kept (--keep-token): revoke it yourself when done' };
  // Each step asks for the active node again: a standby may have taken over, or the node been sealed meanwhile.
  const node = await cluster.activeNode();
  const call = (method: string, path: string, body?: Record<string, unknown>): Promise<unknown> => node.call(method, path, body, { authenticated: true });
  switch (step.id) {
    case 'audit': {
      if (step.state === 'missing') {
        try {
          await call('PUT', `/sys/audit/${plan.audit.path}`, { type: 'file', description: `Key Custodian setup for ${plan.app}`, options: { file_path: plan.audit.filePath } });
        } catch (error) {
          if (error instanceof VaultResponseError && error.serverErrors.some((m) => /cannot enable audit device via API|declarative/i.test(m))) throw auditConfigRefused(plan);
          throw error;
        }
      }
      const devices = await node.call<Record<string, unknown>>('GET', '/sys/audit', undefined, { authenticated: true });
      facts.auditDeviceCount = Object.keys((devices['data'] ?? devices) as Record<string, unknown>).length;
      const check = await checkAuditWriting(node, facts.auditPath, plan.audit.filePath, facts.auditDeviceCount);
      return { ...base, outcome: step.state === 'missing' ? 'applied' : 'unchanged', detail: `writing (${check.method}): ${check.detail}` };
    }
    case 'kv':
      if (step.state === 'present') return { ...base, outcome: 'unchanged' };
      await call('POST', `/sys/mounts/${plan.kv.mount}`, { type: 'kv', description: `Key Custodian: application secrets`, options: { version: '2' } });
      await kvReady(node, plan.kv.mount);
      return { ...base, outcome: 'applied', detail: `KV v2 mounted at ${plan.kv.mount}/` };
    case 'approle-auth':
      if (step.state === 'present') return { ...base, outcome: 'unchanged' };
      await call('POST', `/sys/auth/${plan.approle.mount}`, { type: 'approle', description: 'Key Custodian: application logins' });
      return { ...base, outcome: 'applied', detail: `AppRole enabled at auth/${plan.approle.mount}/` };
    case 'policy':
      if (step.state === 'present') return { ...base, outcome: 'unchanged' };
      await call('PUT', `/sys/policies/acl/${plan.policy.name}`, { policy: renderPolicy(plan.app, plan.policy.paths) });
      return { ...base, outcome: 'applied', detail: step.state === 'different' ? `rewritten (was: ${step.differences.join('; ')})` : 'written' };
    case 'role':
      if (step.state === 'present') return { ...base, outcome: 'unchanged' };
      await call('POST', `/auth/${plan.approle.mount}/role/${plan.approle.role}`, roleBody(plan));
      return { ...base, outcome: 'applied', detail: step.state === 'different' ? `updated (was: ${step.differences.join('; ')})` : 'created' };
    case 'revoke-token': {
      await call('POST', '/auth/token/revoke-self');
      // Proof, not hope: the same token must now be refused.
      const refused = await node.call('GET', '/auth/token/lookup-self', undefined, { authenticated: true }).then(() => false, (e: unknown) => e instanceof VaultResponseError && e.statusCode === 403);
      if (!refused) throw new CustodianError('VAULT_REQUEST_FAILED', 'The token was asked to revoke itself, but it still works.', { hint: 'Revoke it by hand (bao token revoke -self) and check with bao token lookup.' });
      return { ...base, outcome: 'applied', detail: 'revoked: a lookup with it is now refused' };
    }
  }
}

/**
 * A new KV v2 mount answers "upgrading ... resume service shortly" for a moment (seen on OpenBao 2.4): wait, bounded,
 * so that `vault kv put` right after setup works. Any other answer (even a 403 for a token without read on the
 * mount's config) means the mount is serving.
 */
async function kvReady(node: VaultNode, mount: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      await node.call('GET', `/${mount}/config`, undefined, { authenticated: true });
      return;
    } catch (error) {
      if (!(error instanceof VaultResponseError) || !error.serverErrors.some((m) => /upgrad|resume service/i.test(m))) return;
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** The capabilities the difference needs, per step (checked before any change). */
function applyNeeds(steps: PlannedStep[], facts: LiveFacts): Need[] {
  const needs: Need[] = [];
  for (const step of steps) {
    if (step.id === 'audit') {
      if (step.state === 'missing') needs.push({ path: step.target, capabilities: ['create|update', 'sudo'], step: 'audit' });
      needs.push({ path: `sys/audit-hash/${facts.auditPath}`, capabilities: ['create|update'], step: 'audit' });
      continue;
    }
    if (step.state !== 'missing' && step.state !== 'different') continue;
    switch (step.id) {
      case 'kv': needs.push({ path: step.target, capabilities: ['create|update'], step: 'kv' }); break;
      case 'approle-auth': needs.push({ path: step.target, capabilities: ['create|update', 'sudo'], step: 'approle-auth' }); break;
      case 'policy': needs.push({ path: step.target, capabilities: ['create|update'], step: 'policy' }); break;
      case 'role': needs.push({ path: step.target, capabilities: [step.state === 'missing' ? 'create' : 'update'], step: 'role' }); break;
      case 'revoke-token': needs.push({ path: step.target, capabilities: ['update'], step: 'revoke-token' }); break;
    }
  }
  return needs;
}

function auditConfigRefused(plan: SetupPlan): CustodianError {
  const stanza = `audit "file" "${plan.audit.path}" {\n  description = "Key Custodian setup for ${plan.app}"\n  options {\n    file_path = "${plan.audit.filePath}"\n  }\n}`;
  return new CustodianError('VAULT_SETUP_AUDIT_CONFIG', `The server refuses to enable audit devices through the API (OpenBao 2.4 allows them only in its configuration). Nothing was changed.`, {
    hint: `Add this to every node's configuration file, reload the servers (SIGHUP or restart), then run setup again:\n${stanza}`,
    details: { stanza },
  });
}

/** The error a stopped run throws: the cause itself when nothing was applied yet, else VAULT_SETUP_INCOMPLETE. */
function stopped(error: unknown, failed: StepResult, results: StepResult[]): CustodianError {
  const applied = results.filter((r) => r.outcome === 'applied');
  const steps = results.map((r) => ({ id: r.id, target: r.target, outcome: r.outcome, ...(r.detail ? { detail: r.detail } : {}), ...(r.error ? { error: r.error } : {}) }));
  if (applied.length === 0 && isCustodianError(error)) {
    return new CustodianError(error.code, error.message, { ...(error.hint ? { hint: error.hint } : {}), details: { ...(error.details ?? {}), steps }, cause: error });
  }
  const cause = failed.error!;
  return new CustodianError('VAULT_SETUP_INCOMPLETE',
    `Setup stopped at step "${failed.id}" (${cause.code}: ${cause.message}). Applied before it: ${applied.map((r) => r.id).join(', ') || 'nothing'}; not run: ${results.filter((r) => r.outcome === 'not-run').map((r) => r.id).join(', ') || 'nothing'}.`, {
      hint: cause.code === 'VAULT_SEALED' || /sealed/i.test(cause.message)
        ? 'Unseal the cluster (custodian vault unseal), then run setup again: the applied steps show as present and the rest is done.'
        : 'Fix the cause named, then run setup again: the applied steps show as present and the rest is done.',
      details: { steps, cause: cause.code },
      cause: error,
    });
}

function codeOf(error: unknown): string {
  return isCustodianError(error) ? error.code : 'INTERNAL';
}
