import { z } from 'zod';
import { CustodianError } from '../../errors.js';

/**
 * The declarative day-one plan of `custodian vault setup` (docs/vault-setup.md): what a cluster must have for one
 * application. A plan file is JSON; every field is optional and falls back to the defaults for `--app NAME`, but an
 * unknown field is an error (a typo such as "secret_id_tll" must never silently leave a default in force).
 */

/** Application names become policy and role names; Vault lowercases policy names, so only lowercase is accepted. */
export const APP_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MOUNT = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const DURATION = /^(\d{1,7})(s|m|h)?$/;

/** Bounds that keep the AppRole "short-lived and single-use" whatever a plan file says. */
export const LIMITS = {
  secretIdTtl: { min: 30, max: 3600 },
  tokenTtl: { min: 60, max: 86_400 },
  tokenMaxTtl: { min: 60, max: 7 * 86_400 },
} as const;

const duration = z.string().regex(DURATION, 'a duration such as "90s", "10m" or "1h"');

const planFileSchema = z.object({
  version: z.literal(1).optional(),
  app: z.string().regex(APP_NAME, 'lowercase letters, digits, - and _ (up to 63)').optional(),
  kv: z.object({ mount: z.string().regex(MOUNT).optional() }).strict().optional(),
  audit: z.object({
    path: z.string().regex(MOUNT).optional(),
    file_path: z.string().min(2).max(4096).refine((p) => p.startsWith('/'), 'an absolute path on the Vault server').optional(),
  }).strict().optional(),
  approle: z.object({
    mount: z.string().regex(MOUNT).optional(),
    secret_id_ttl: duration.optional(),
    token_ttl: duration.optional(),
    token_max_ttl: duration.optional(),
  }).strict().optional(),
}).strict();

export type PlanFile = z.infer<typeof planFileSchema>;

/** A complete plan, every value resolved (durations in seconds). */
export interface SetupPlan {
  app: string;
  kv: { mount: string };
  audit: { path: string; filePath: string };
  policy: { name: string; paths: Record<string, string[]> };
  approle: {
    mount: string;
    role: string;
    secretIdNumUses: 1;
    secretIdTtl: number;
    tokenTtl: number;
    tokenMaxTtl: number;
    tokenPolicies: string[];
  };
}

export const DEFAULT_AUDIT_FILE = '/var/log/openbao/audit.log';

/** The plan for `--app NAME` without a plan file (docs/vault-setup.md shows it for mail-helper). */
export function defaultPlan(app: string): SetupPlan {
  checkAppName(app);
  return resolvePlan(app, {});
}

/**
 * Parses a plan file's text: JSON, strict. `app` (from --app) must agree with the file's "app" when it has one.
 * Every failure is VAULT_SETUP_PLAN_INVALID naming the field, and nothing is contacted before it passes.
 */
export function parsePlan(text: string, app: string): SetupPlan {
  checkAppName(app);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw planInvalid('The plan file is not valid JSON.', 'Check it with `python3 -m json.tool FILE`.');
  }
  const parsed = planFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      throw planInvalid(`The plan has an unknown field ${keys} in ${where}.`, 'Remove it or fix its spelling; docs/vault-setup.md lists every field.', { field: [...issue.path, issue.keys[0]].join('.') });
    }
    throw planInvalid(`The plan's field ${where} is invalid: ${issue.message}.`, 'docs/vault-setup.md lists every field and its allowed values.', { field: where });
  }
  if (parsed.data.app !== undefined && parsed.data.app !== app) {
    throw planInvalid(`The plan is for the app "${parsed.data.app}", but --app says "${app}".`, 'Use the same name in both, or drop "app" from the plan file.', { field: 'app' });
  }
  return resolvePlan(app, parsed.data);
}

function resolvePlan(app: string, file: PlanFile): SetupPlan {
  const mount = file.kv?.mount ?? 'secret';
  const secretIdTtl = seconds(file.approle?.secret_id_ttl ?? '10m', 'approle.secret_id_ttl', LIMITS.secretIdTtl);
  const tokenTtl = seconds(file.approle?.token_ttl ?? '1h', 'approle.token_ttl', LIMITS.tokenTtl);
  const tokenMaxTtl = seconds(file.approle?.token_max_ttl ?? '24h', 'approle.token_max_ttl', LIMITS.tokenMaxTtl);
  if (tokenMaxTtl < tokenTtl) {
    throw planInvalid('approle.token_max_ttl is shorter than approle.token_ttl.', 'Make token_max_ttl at least token_ttl.', { field: 'approle.token_max_ttl' });
  }
  return {
    app,
    kv: { mount },
    audit: { path: file.audit?.path ?? 'file', filePath: file.audit?.file_path ?? DEFAULT_AUDIT_FILE },
    // Read only: the application reads its secrets; the officer writes them with a token of their own.
    policy: { name: app, paths: { [`${mount}/data/${app}/*`]: ['read'], [`${mount}/metadata/${app}/*`]: ['read'] } },
    approle: {
      mount: file.approle?.mount ?? 'approle',
      role: app,
      secretIdNumUses: 1,
      secretIdTtl,
      tokenTtl,
      tokenMaxTtl,
      tokenPolicies: [app],
    },
  };
}

/** The plan as the JSON a plan file may contain (the defaults written out), for docs and `--dry-run --json`. */
export function planAsFile(plan: SetupPlan): Required<Pick<PlanFile, 'version' | 'app'>> & PlanFile {
  return {
    version: 1,
    app: plan.app,
    kv: { mount: plan.kv.mount },
    audit: { path: plan.audit.path, file_path: plan.audit.filePath },
    approle: {
      mount: plan.approle.mount,
      secret_id_ttl: formatDuration(plan.approle.secretIdTtl),
      token_ttl: formatDuration(plan.approle.tokenTtl),
      token_max_ttl: formatDuration(plan.approle.tokenMaxTtl),
    },
  };
}

export function checkAppName(app: string): string {
  if (!APP_NAME.test(app)) {
    throw planInvalid(`"${app.slice(0, 64)}" is not a valid application name.`, 'Use lowercase letters, digits, - and _ (up to 63), e.g. mail-helper.', { field: 'app' });
  }
  return app;
}

export function formatDuration(total: number): string {
  if (total % 3600 === 0) return `${total / 3600}h`;
  if (total % 60 === 0) return `${total / 60}m`;
  return `${total}s`;
}

function seconds(value: string, field: string, limits: { min: number; max: number }): number {
  const match = DURATION.exec(value)!;
  const total = Number(match[1]) * (match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1);
  if (total < limits.min || total > limits.max) {
    throw planInvalid(`${field} is ${value}; it must be between ${formatDuration(limits.min)} and ${formatDuration(limits.max)}.`,
      'Short-lived credentials are the point of the AppRole: keep the TTLs within these bounds.', { field });
  }
  return total;
}

function planInvalid(message: string, hint: string, details?: Record<string, unknown>): CustodianError {
  return new CustodianError('VAULT_SETUP_PLAN_INVALID', message, { hint, ...(details ? { details } : {}) });
}
