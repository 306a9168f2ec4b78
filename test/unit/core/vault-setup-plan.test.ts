// The pure parts of `vault setup`: the strict plan (defaults, unknown fields, bounds, app mismatch), the policy
// rendered and compared by meaning (more rights are named), and the role compared field by field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparePolicy, compareRole, defaultPlan, parsePlan, parsePolicy, planAsFile, renderPolicy, roleBody } from '../../../src-main/core/vault/setup/index.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
  return 'no error';
};

test('the default plan for mail-helper is the one docs/vault-setup.md shows', () => {
  const plan = defaultPlan('mail-helper');
  assert.deepEqual(planAsFile(plan), {
    version: 1, app: 'mail-helper', kv: { mount: 'secret' }, audit: { path: 'file', file_path: '/var/log/openbao/audit.log' },
    approle: { mount: 'approle', secret_id_ttl: '10m', token_ttl: '1h', token_max_ttl: '24h' },
  });
  assert.deepEqual(plan.policy, { name: 'mail-helper', paths: { 'secret/data/mail-helper/*': ['read'], 'secret/metadata/mail-helper/*': ['read'] } });
  assert.equal(plan.approle.secretIdNumUses, 1);
  assert.deepEqual(parsePlan('{}', 'mail-helper'), plan, 'an empty plan file is the default plan');
});

test('a plan file is strict: unknown fields, bad values, out-of-bounds TTLs and another app are coded errors', () => {
  assert.match(code(() => parsePlan('{"kv": {"mount": "secret", "versoin": 2}}', 'mail-helper')), /^VAULT_SETUP_PLAN_INVALID: The plan has an unknown field "versoin" in kv\./);
  assert.match(code(() => parsePlan('{"extra": 1}', 'mail-helper')), /unknown field "extra" in \(top level\)/);
  assert.match(code(() => parsePlan('not json', 'mail-helper')), /not valid JSON/);
  assert.match(code(() => parsePlan('{"approle": {"token_ttl": "forever"}}', 'mail-helper')), /approle\.token_ttl is invalid/);
  assert.match(code(() => parsePlan('{"approle": {"secret_id_ttl": "2h"}}', 'mail-helper')), /between 30s and 1h/);
  assert.match(code(() => parsePlan('{"approle": {"token_ttl": "2h", "token_max_ttl": "1h"}}', 'mail-helper')), /token_max_ttl is shorter/);
  assert.match(code(() => parsePlan('{"audit": {"file_path": "relative.log"}}', 'mail-helper')), /audit\.file_path is invalid/);
  assert.match(code(() => parsePlan('{"app": "billing"}', 'mail-helper')), /for the app "billing", but --app says "mail-helper"/);
  assert.match(code(() => defaultPlan('Mail Helper')), /not a valid application name/);
  const custom = parsePlan('{"kv": {"mount": "apps"}, "approle": {"token_ttl": "90s", "token_max_ttl": "30m"}}', 'billing');
  assert.deepEqual(custom.policy.paths, { 'apps/data/billing/*': ['read'], 'apps/metadata/billing/*': ['read'] });
  assert.equal(custom.approle.tokenTtl, 90);
  assert.equal(custom.approle.tokenMaxTtl, 1800);
});

test('the policy round-trips, and a broader one is reported with what it grants extra', () => {
  const wanted = defaultPlan('mail-helper').policy.paths;
  const text = renderPolicy('mail-helper', wanted);
  assert.deepEqual(parsePolicy(text), wanted);
  assert.deepEqual(comparePolicy(text, wanted), []);
  assert.deepEqual(comparePolicy('path "secret/data/mail-helper/*" { capabilities = ["read", "update", "delete"] }\npath "secret/metadata/mail-helper/*" { capabilities = ["read"] }', wanted),
    ['grants more than the plan: delete, update on secret/data/mail-helper/*']);
  assert.deepEqual(comparePolicy(`${text}path "secret/data/*" {\n  capabilities = ["read"]\n}\n`, wanted), ['grants more than the plan: read on secret/data/*']);
  assert.deepEqual(comparePolicy('path "secret/data/mail-helper/*" { capabilities = ["read"] }', wanted), ['lacks read on secret/metadata/mail-helper/*']);
  assert.deepEqual(comparePolicy(`${text}path "x" { capabilities = ["read"] allowed_parameters = { "a" = [] } }`, wanted), ['has content Key Custodian does not recognise (it would be replaced by the plan\'s rules)']);
});

test('the role is compared on every setting the plan fixes; a periodic or multi-use role is different', () => {
  const plan = defaultPlan('mail-helper');
  const live = { ...roleBody(plan), token_type: 'default', secret_id_bound_cidrs: null };
  assert.deepEqual(compareRole(live, plan), []);
  assert.deepEqual(compareRole({ ...live, secret_id_num_uses: 0, token_period: 3600, token_policies: ['mail-helper', 'admin'] }, plan), [
    'secret_id_num_uses is 0, the plan says 1 (single-use SecretIDs)',
    'token_period is 3600, the plan says 0 (a periodic token can be renewed forever)',
    'token_policies are [admin, mail-helper], the plan says [mail-helper]',
  ]);
});
