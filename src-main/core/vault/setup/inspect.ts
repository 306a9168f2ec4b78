import { asRequestFailed, VaultResponseError, type VaultNode } from '../node.js';
import { formatDuration, type SetupPlan } from './plan.js';
import { comparePolicy } from './policy.js';
import type { Need } from './capabilities.js';
import type { PlannedStep } from './steps.js';

/** What inspecting the cluster found besides the step states: facts the apply phase needs. */
export interface LiveFacts {
  /** The audit device path that satisfies the plan (the plan's, or a declared one writing the same file). */
  auditPath: string;
  /** Enabled audit devices, for deciding how the writing check can conclude. */
  auditDeviceCount: number;
  /** The policies of the token used (e.g. ["root"]): shown in the revoke step; never the token itself. */
  tokenPolicies: string[];
}

interface Mount { type?: string; options?: Record<string, string> | null }

/** The read capabilities inspecting needs (checked first, so a weak token is told exactly what it lacks). */
export function inspectNeeds(plan: SetupPlan): Need[] {
  return [
    { path: 'sys/audit', capabilities: ['read', 'sudo'], step: 'inspect' },
    { path: 'sys/mounts', capabilities: ['read'], step: 'inspect' },
    { path: 'sys/auth', capabilities: ['read'], step: 'inspect' },
    { path: `sys/policies/acl/${plan.policy.name}`, capabilities: ['read'], step: 'inspect' },
    { path: `auth/${plan.approle.mount}/role/${plan.approle.role}`, capabilities: ['read'], step: 'inspect' },
    { path: 'auth/token/lookup-self', capabilities: ['read'], step: 'inspect' },
  ];
}

/** Reads the cluster and states each step of the plan as present, missing, different or conflict. Changes nothing. */
export async function inspect(node: VaultNode, plan: SetupPlan, keepToken: boolean): Promise<{ steps: PlannedStep[]; facts: LiveFacts }> {
  const read = async <T>(path: string, what: string): Promise<T | null> => {
    try {
      return await node.call<T>('GET', path, undefined, { authenticated: true });
    } catch (error) {
      if (error instanceof VaultResponseError && error.statusCode === 404) return null;
      throw asRequestFailed(error, `Reading ${what}`);
    }
  };
  const table = (body: Record<string, unknown> | null): Record<string, Mount> => (body?.['data'] ?? body ?? {}) as Record<string, Mount>;
  const audits = table(await read('/sys/audit', 'the audit devices (sys/audit)'));
  const mounts = table(await read('/sys/mounts', 'the secrets engines (sys/mounts)'));
  const auths = table(await read('/sys/auth', 'the auth methods (sys/auth)'));
  const self = await read<{ data?: { policies?: unknown } }>('/auth/token/lookup-self', 'the token used (lookup-self)');
  const tokenPolicies = Array.isArray(self?.data?.policies) ? self.data.policies.filter((p): p is string => typeof p === 'string').sort() : [];

  const steps: PlannedStep[] = [];
  const facts: LiveFacts = { auditPath: plan.audit.path, auditDeviceCount: Object.keys(audits).length, tokenPolicies };

  // 1. audit device: the plan's path, or any file device (e.g. declared in the server's config) writing the same file.
  const auditSummary = `file audit device at ${plan.audit.path}/ writing ${plan.audit.filePath}`;
  const atPath = audits[`${plan.audit.path}/`];
  const sameFile = Object.entries(audits).find(([, d]) => d.type === 'file' && d.options?.['file_path'] === plan.audit.filePath);
  if (atPath && !(atPath.type === 'file' && atPath.options?.['file_path'] === plan.audit.filePath)) {
    steps.push({ id: 'audit', target: `sys/audit/${plan.audit.path}`, state: 'conflict', summary: auditSummary, differences: [
      `an audit device of type ${atPath.type ?? '?'}${atPath.options?.['file_path'] ? ` writing ${atPath.options['file_path']}` : ''} is already at ${plan.audit.path}/; audit devices cannot be changed in place`,
    ] });
  } else if (atPath || sameFile) {
    facts.auditPath = atPath ? plan.audit.path : sameFile![0].replace(/\/$/, '');
    steps.push({ id: 'audit', target: `sys/audit/${facts.auditPath}`, state: 'present', summary: auditSummary, differences: [] });
  } else {
    steps.push({ id: 'audit', target: `sys/audit/${plan.audit.path}`, state: 'missing', summary: auditSummary, differences: [] });
  }

  // 2. KV version 2 at the mount.
  const kv = mounts[`${plan.kv.mount}/`];
  const kvStep: PlannedStep = { id: 'kv', target: `sys/mounts/${plan.kv.mount}`, state: 'missing', summary: `KV version 2 mounted at ${plan.kv.mount}/`, differences: [] };
  if (kv) {
    const version = kv.options?.['version'] ?? '1';
    if (kv.type === 'kv' && version === '2') kvStep.state = 'present';
    else {
      kvStep.state = 'conflict';
      kvStep.differences.push(kv.type === 'kv' ? `${plan.kv.mount}/ is KV version ${version}; upgrading it is a data migration this command does not do` : `${plan.kv.mount}/ is a ${kv.type ?? 'different'} secrets engine`);
    }
  }
  steps.push(kvStep);

  // 3. AppRole auth method.
  const auth = auths[`${plan.approle.mount}/`];
  const authStep: PlannedStep = { id: 'approle-auth', target: `sys/auth/${plan.approle.mount}`, state: 'missing', summary: `AppRole auth method enabled at auth/${plan.approle.mount}/`, differences: [] };
  if (auth) {
    if (auth.type === 'approle') authStep.state = 'present';
    else {
      authStep.state = 'conflict';
      authStep.differences.push(`auth/${plan.approle.mount}/ is a ${auth.type ?? 'different'} auth method`);
    }
  }
  steps.push(authStep);

  // 4. The policy, compared by meaning.
  const policyPath = `sys/policies/acl/${plan.policy.name}`;
  const policy = await read<{ data?: { policy?: string } }>(`/${policyPath}`, `the policy ${plan.policy.name}`);
  const policyStep: PlannedStep = {
    id: 'policy', target: policyPath, state: 'missing',
    summary: `policy ${plan.policy.name}: only ${Object.entries(plan.policy.paths).map(([p, c]) => `${c.join(',')} on ${p}`).join(' and ')}`, differences: [],
  };
  if (policy) {
    policyStep.differences = comparePolicy(policy.data?.policy ?? '', plan.policy.paths);
    policyStep.state = policyStep.differences.length ? 'different' : 'present';
  }
  steps.push(policyStep);

  // 5. The AppRole role (only readable once the auth method exists).
  const rolePath = `auth/${plan.approle.mount}/role/${plan.approle.role}`;
  const a = plan.approle;
  const roleStep: PlannedStep = {
    id: 'role', target: rolePath, state: 'missing', differences: [],
    summary: `AppRole role ${a.role}: single-use SecretIDs (ttl ${formatDuration(a.secretIdTtl)}), tokens ttl ${formatDuration(a.tokenTtl)} (max ${formatDuration(a.tokenMaxTtl)}), policies ${a.tokenPolicies.join(', ')}`,
  };
  if (authStep.state === 'present') {
    const role = await read<{ data?: Record<string, unknown> }>(`/${rolePath}`, `the AppRole role ${a.role}`);
    if (role) {
      roleStep.differences = compareRole(role.data ?? {}, plan);
      roleStep.state = roleStep.differences.length ? 'different' : 'present';
    }
  }
  steps.push(roleStep);

  // 6. Revoking the token used, last.
  steps.push({
    id: 'revoke-token', target: 'auth/token/revoke-self', state: keepToken ? 'skipped' : 'missing', differences: [],
    summary: keepToken ? `keep the token used (--keep-token; policies ${tokenPolicies.join(', ') || 'none'})` : `revoke the token used (policies ${tokenPolicies.join(', ') || 'none'})`,
  });
  return { steps, facts };
}

/** The role's settings that the plan fixes, worded as differences. */
export function compareRole(live: Record<string, unknown>, plan: SetupPlan): string[] {
  const a = plan.approle;
  const differences: string[] = [];
  const expect = (field: string, wanted: unknown, why = ''): void => {
    const value = live[field];
    if (value !== wanted) differences.push(`${field} is ${JSON.stringify(value ?? null)}, the plan says ${JSON.stringify(wanted)}${why}`);
  };
  expect('bind_secret_id', true, ' (a SecretID must be required)');
  expect('secret_id_num_uses', a.secretIdNumUses, ' (single-use SecretIDs)');
  expect('secret_id_ttl', a.secretIdTtl);
  expect('token_ttl', a.tokenTtl);
  expect('token_max_ttl', a.tokenMaxTtl);
  expect('token_period', 0, ' (a periodic token can be renewed forever)');
  expect('token_num_uses', 0);
  expect('token_no_default_policy', false, ' (the default policy lets the token renew and revoke itself)');
  const policies = Array.isArray(live['token_policies']) ? (live['token_policies'] as unknown[]).map(String).sort() : [];
  if (policies.join(',') !== [...a.tokenPolicies].sort().join(',')) differences.push(`token_policies are [${policies.join(', ')}], the plan says [${a.tokenPolicies.join(', ')}]`);
  return differences;
}

/** The role as written to Vault (every field the plan fixes, so an update also removes what the plan forbids). */
export function roleBody(plan: SetupPlan): Record<string, unknown> {
  const a = plan.approle;
  return {
    bind_secret_id: true,
    secret_id_num_uses: a.secretIdNumUses,
    secret_id_ttl: a.secretIdTtl,
    token_ttl: a.tokenTtl,
    token_max_ttl: a.tokenMaxTtl,
    token_period: 0,
    token_num_uses: 0,
    token_no_default_policy: false,
    token_policies: a.tokenPolicies,
  };
}
