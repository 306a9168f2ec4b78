// `custodian vault setup` against real OpenBao nodes (TLS, per-run CA), through the CLI as a user runs it; the
// tests run in order and build on each other. The main node allows API-created audit devices (as HashiCorp Vault
// does); a second node keeps OpenBao 2.4's default, which refuses them.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { kvRead, sealNodes } from '../../src-main/core/vault/index.js';
import { applySetup, defaultPlan, parsePolicy } from '../../src-main/core/vault/setup/index.js';
import { startSingleNode } from '../support/openbao.js';
import { jsonError, jsonOf } from '../support/run-cli.js';
import { resultsOf, SetupLab, stepsOf } from './vault-setup-support.js';

let lab: SetupLab;
let refusing: SetupLab;
let officer: Buffer;

before(async () => {
  const [main, strict] = await Promise.all([startSingleNode({ audit: 'api' }), startSingleNode()]);
  lab = new SetupLab(main);
  refusing = new SetupLab(strict);
  await Promise.all([lab.initAndUnseal(), refusing.initAndUnseal()]);
});

after(async () => {
  await Promise.all([lab?.stop(), refusing?.stop()]);
});

const setup = (...extra: string[]): string[] => ['--json', 'vault', 'setup', ...lab.conn(), '--app', 'mail-helper', ...extra];

test('a plan file with an unknown field is refused before anything is contacted', async () => {
  const plan = join(lab.home, 'typo.json');
  await writeFile(plan, JSON.stringify({ app: 'mail-helper', approle: { secret_id_tll: '5m' } }));
  const run = await lab.cli('typo', ['--json', 'vault', 'setup', '--addr', 'https://127.0.0.1:1', '--app', 'mail-helper', '--plan', plan]);
  assert.equal(run.status, 2);
  const error = jsonError(run);
  assert.equal(error.code, 'VAULT_SETUP_PLAN_INVALID');
  assert.match(error.message, /unknown field "secret_id_tll" in approle/);
  const other = join(lab.home, 'other-app.json');
  await writeFile(other, JSON.stringify({ app: 'billing' }));
  const mismatch = await lab.cli('mismatch', ['--json', 'vault', 'setup', '--addr', 'https://127.0.0.1:1', '--app', 'mail-helper', '--plan', other]);
  assert.equal(jsonError(mismatch).code, 'VAULT_SETUP_PLAN_INVALID');
  await writeFile(other, JSON.stringify({ approle: { secret_id_ttl: '48h' } }));
  const tooLong = await lab.cli('too-long', ['--json', 'vault', 'setup', '--addr', 'https://127.0.0.1:1', '--app', 'mail-helper', '--plan', other]);
  assert.match(jsonError(tooLong).message, /secret_id_ttl is 48h; it must be between 30s and 1h/);
});

test('status warns when no audit device is enabled', async () => {
  const run = await lab.cli('status-no-audit', ['--json', 'vault', 'status', ...lab.conn()], { token: lab.rootToken });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(jsonOf(run)['audit_devices'], []);
  assert.match(run.stderr, /WARNING: no audit device is enabled/);
});

test('--dry-run shows every step missing and changes nothing', async () => {
  const plan = join(lab.home, 'plan.json');
  await writeFile(plan, JSON.stringify({ audit: { file_path: lab.server.auditFile } }));
  const run = await lab.cli('dry-run', [...setup('--plan', plan, '--dry-run')], { token: lab.rootToken });
  assert.equal(run.status, 0, run.stderr);
  const steps = stepsOf(run);
  assert.deepEqual(Object.keys(steps), ['audit', 'kv', 'approle-auth', 'policy', 'role', 'revoke-token']);
  assert.ok(Object.values(steps).every((s) => s.state === 'missing'), JSON.stringify(steps));
  assert.equal(jsonOf(run)['changes'], 6);
  const mounts = await lab.api<{ data: Record<string, unknown> }>(lab.rootToken, 'GET', '/sys/mounts');
  assert.equal(mounts.data['secret/'], undefined, 'no KV mount was made');
  assert.deepEqual((await lab.api<{ data: Record<string, unknown> }>(lab.rootToken, 'GET', '/sys/audit')).data, {});
  assert.equal(await lab.statusOf(lab.rootToken, 'GET', '/auth/token/lookup-self'), 200, 'the token still works');
  assert.ok((await lab.auditEvents()).some((e) => e['action'] === 'vault.setup' && e['dry_run'] === true));
});

test('a token without the capabilities is told which capability on which path, and nothing changes', async () => {
  await lab.api(lab.rootToken, 'PUT', '/sys/policies/acl/reader', { policy: 'path "sys/mounts" { capabilities = ["read"] }\npath "sys/auth" { capabilities = ["read"] }\n' });
  const created = await lab.api<{ auth: { client_token: string } }>(lab.rootToken, 'POST', '/auth/token/create', { policies: ['reader'], ttl: '10m' });
  const weak = Buffer.from(created.auth.client_token);
  lab.secrets.push(weak);
  const run = await lab.cli('weak', setup('--plan', join(lab.home, 'plan.json')), { token: weak });
  assert.equal(run.status, 6);
  const error = jsonError(run);
  assert.equal(error.code, 'VAULT_SETUP_FORBIDDEN');
  assert.match(error.message, /sudo on sys\/audit/);
  assert.match(error.message, /read on sys\/policies\/acl\/mail-helper/);
  assert.equal((await lab.api<{ data: Record<string, unknown> }>(lab.rootToken, 'GET', '/sys/mounts')).data['secret/'], undefined);
  await lab.api(lab.rootToken, 'POST', '/auth/token/revoke', { token: weak.toString() });
});

test('setup applies the plan with the root token, checks the audit file, and revokes the root token', async () => {
  const run = await lab.cli('setup', setup('--plan', join(lab.home, 'plan.json')), { token: lab.rootToken });
  assert.equal(run.status, 0, run.stderr);
  const results = resultsOf(run);
  assert.deepEqual(Object.values(results).map((r) => r.outcome), ['applied', 'applied', 'applied', 'applied', 'applied', 'applied']);
  assert.match(results['audit']!.detail!, /file-contains-request/);
  assert.equal(jsonOf(run)['tokenRevoked'], true);
  // The root token is refused from now on.
  assert.equal(await lab.statusOf(lab.rootToken, 'GET', '/auth/token/lookup-self'), 403);
  const events = await lab.auditEvents();
  assert.deepEqual(events.filter((e) => e['action'] === 'vault.setup.step' && e['outcome'] === 'ok').slice(-6).map((e) => e['step']), ['audit', 'kv', 'approle-auth', 'policy', 'role', 'revoke-token']);
  assert.ok(events.some((e) => e['action'] === 'vault.setup' && e['outcome'] === 'ok' && e['token_revoked'] === true));
  lab.assertNothingLeaked();
});

test('a second run changes nothing (with a new root token from generate-root, kept for the next steps)', async () => {
  officer = await lab.newRootToken();
  const run = await lab.cli('second', setup('--plan', join(lab.home, 'plan.json'), '--keep-token'), { token: officer });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(Object.values(stepsOf(run)).every((s) => s.state === 'present' || (s.id === 'revoke-token' && s.state === 'skipped')));
  assert.deepEqual(Object.values(resultsOf(run)).map((r) => r.outcome), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'skipped']);
  assert.equal(jsonOf(run)['changed'], false);
  assert.equal(await lab.statusOf(officer, 'GET', '/auth/token/lookup-self'), 200, '--keep-token kept it');
  const human = await lab.cli('second-human', ['vault', 'setup', ...lab.conn(), '--app', 'mail-helper', '--plan', join(lab.home, 'plan.json'), '--keep-token', '--dry-run'], { token: officer });
  assert.match(human.stdout.toString(), /Dry run: nothing to change\./);
});

test('kv put --generate under secret/mail-helper/postgresql works; the AppRole reads it once per single-use SecretID and cannot write', async () => {
  const put = await lab.cli('kv-put', ['--json', 'vault', 'kv', 'put', ...lab.conn(), 'mail-helper/postgresql', '--generate', 'password:32'], { token: officer });
  assert.equal(put.status, 0, put.stderr);
  const cluster = lab.core(officer);
  const written = (await kvRead(cluster, 'secret', 'mail-helper/postgresql'))!;
  cluster.close();
  assert.equal(written.data['password']!.length, 32);
  lab.secrets.push(written.data['password']!);

  const roleId = (await lab.api<{ data: { role_id: string } }>(officer, 'GET', '/auth/approle/role/mail-helper/role-id')).data.role_id;
  const secretId = (await lab.api<{ data: { secret_id: string } }>(officer, 'POST', '/auth/approle/role/mail-helper/secret-id')).data.secret_id;
  lab.secrets.push(Buffer.from(secretId));
  const anonymous = lab.core();
  const node = await anonymous.activeNode();
  const login = await node.call<{ auth: { client_token: string; lease_duration: number; policies: string[] } }>('POST', '/auth/approle/login', { role_id: roleId, secret_id: secretId });
  await assert.rejects(node.call('POST', '/auth/approle/login', { role_id: roleId, secret_id: secretId }), 'the SecretID is single-use');
  anonymous.close();
  const appToken = Buffer.from(login.auth.client_token);
  lab.secrets.push(appToken);
  assert.equal(login.auth.lease_duration, 3600);
  assert.deepEqual(login.auth.policies.sort(), ['default', 'mail-helper']);
  assert.equal(await lab.statusOf(appToken, 'GET', '/secret/data/mail-helper/postgresql'), 200);
  assert.equal(await lab.statusOf(appToken, 'POST', '/secret/data/mail-helper/postgresql', { data: { password: 'x' } }), 403);
  assert.equal(await lab.statusOf(appToken, 'GET', '/secret/data/other-app/postgresql'), 403);
  lab.assertNothingLeaked();
});

test('a policy granting more than the plan is reported with what it grants extra, and fixed', async () => {
  await lab.api(officer, 'PUT', '/sys/policies/acl/mail-helper', {
    policy: 'path "secret/data/mail-helper/*" { capabilities = ["read", "update"] }\npath "secret/metadata/mail-helper/*" { capabilities = ["read"] }\npath "sys/*" { capabilities = ["read"] }\n',
  });
  const dry = await lab.cli('broad-dry', setup('--plan', join(lab.home, 'plan.json'), '--keep-token', '--dry-run'), { token: officer });
  const policy = stepsOf(dry)['policy']!;
  assert.equal(policy.state, 'different');
  assert.deepEqual(policy.differences, ['grants more than the plan: update on secret/data/mail-helper/*', 'grants more than the plan: read on sys/*']);
  const fix = await lab.cli('broad-fix', setup('--plan', join(lab.home, 'plan.json'), '--keep-token'), { token: officer });
  assert.equal(fix.status, 0, fix.stderr);
  assert.equal(resultsOf(fix)['policy']!.outcome, 'applied');
  const live = await lab.api<{ data: { policy: string } }>(officer, 'GET', '/sys/policies/acl/mail-helper');
  assert.deepEqual(parsePolicy(live.data.policy), { 'secret/data/mail-helper/*': ['read'], 'secret/metadata/mail-helper/*': ['read'] });
});

test('a second setup with a different plan: TTLs are updated in place; another audit file is a conflict and changes nothing', async () => {
  const shorter = join(lab.home, 'shorter.json');
  await writeFile(shorter, JSON.stringify({ audit: { file_path: lab.server.auditFile }, approle: { token_ttl: '30m' } }));
  const run = await lab.cli('shorter', setup('--plan', shorter, '--keep-token'), { token: officer });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(stepsOf(run)['role']!.differences, ['token_ttl is 3600, the plan says 1800']);
  assert.equal((await lab.api<{ data: { token_ttl: number } }>(officer, 'GET', '/auth/approle/role/mail-helper')).data.token_ttl, 1800);

  const otherFile = join(lab.home, 'other-audit.json');
  await writeFile(otherFile, JSON.stringify({ audit: { file_path: join(lab.server.dir, 'elsewhere.log') }, approle: { token_ttl: '2h', token_max_ttl: '24h' } }));
  const conflict = await lab.cli('conflict', setup('--plan', otherFile, '--keep-token'), { token: officer });
  assert.equal(conflict.status, 6);
  assert.equal(jsonError(conflict).code, 'VAULT_SETUP_CONFLICT');
  assert.match(jsonError(conflict).message, /audit devices cannot be changed in place/);
  assert.equal((await lab.api<{ data: { token_ttl: number } }>(officer, 'GET', '/auth/approle/role/mail-helper')).data.token_ttl, 1800, 'the role was not touched');
});

test('a node sealed mid-setup: coded error with every step reported; after unsealing, setup finishes', async () => {
  const plan = { ...defaultPlan('billing'), audit: { path: 'file', filePath: lab.server.auditFile } };
  const cluster = lab.core(officer);
  const seen: string[] = [];
  try {
    await assert.rejects(applySetup(cluster, plan, {
      keepToken: true, audit: cluster.audit!,
      onStep: async (result) => {
        seen.push(`${result.id}:${result.outcome}`);
        if (result.id === 'policy') await sealNodes(cluster);
      },
    }), (error: { code: string; message: string; details: { steps: Array<{ id: string; outcome: string }> } }) => {
      assert.equal(error.code, 'VAULT_SETUP_INCOMPLETE');
      assert.match(error.message, /stopped at step "role" \(VAULT_SEALED/);
      assert.deepEqual(error.details.steps.map((s) => `${s.id}:${s.outcome}`), ['audit:unchanged', 'kv:unchanged', 'approle-auth:unchanged', 'policy:applied', 'role:failed', 'revoke-token:not-run']);
      return true;
    });
  } finally {
    cluster.close();
  }
  assert.deepEqual(seen, ['audit:unchanged', 'kv:unchanged', 'approle-auth:unchanged', 'policy:applied', 'role:failed']);
  await lab.unseal();
  const again = await lab.cli('after-unseal', ['--json', 'vault', 'setup', ...lab.conn(), '--app', 'billing', '--plan', join(lab.home, 'plan.json'), '--keep-token'], { token: officer });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(stepsOf(again)['policy']!.state, 'present');
  assert.equal(resultsOf(again)['role']!.outcome, 'applied');
});

test('OpenBao 2.4 by default refuses API audit devices: setup says how to declare it and changes nothing', async () => {
  const run = await refusing.cli('refused', ['--json', 'vault', 'setup', ...refusing.conn(), '--app', 'mail-helper'], { token: refusing.rootToken });
  assert.equal(run.status, 6);
  const error = jsonError(run);
  assert.equal(error.code, 'VAULT_SETUP_AUDIT_CONFIG');
  assert.match(error.hint!, /audit "file" "file" \{\n {2}description = "Key Custodian setup for mail-helper"\n {2}options \{\n {4}file_path = "\/var\/log\/openbao\/audit.log"/);
  assert.deepEqual((error.details!['steps'] as Array<{ outcome: string }>).map((s) => s.outcome), ['failed', 'not-run', 'not-run', 'not-run', 'not-run', 'not-run']);
  const mounts = await refusing.api<{ data: Record<string, unknown> }>(refusing.rootToken, 'GET', '/sys/mounts');
  assert.equal(mounts.data['secret/'], undefined, 'nothing else was changed');
  assert.equal(await refusing.statusOf(refusing.rootToken, 'GET', '/auth/token/lookup-self'), 200, 'the token was not revoked');
});

test('finally: setup without --keep-token revokes the officer\'s token; nothing secret leaked', async () => {
  const run = await lab.cli('final', ['vault', 'setup', ...lab.conn(), '--app', 'mail-helper', '--plan', join(lab.home, 'plan.json')], { token: officer });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /Applying:\n {2}audit {9}unchanged: writing \(file-contains-request\)/);
  assert.match(run.stderr, /revoke-token {2}applied: revoked: a lookup with it is now refused/);
  assert.match(run.stdout.toString(), /Result per step:\n[^]*role {10}applied: updated \(was: token_ttl is 1800, the plan says 3600\)\n[^]*Setup for mail-helper applied\.\nThe token used is revoked/);
  assert.equal(await lab.statusOf(officer, 'GET', '/auth/token/lookup-self'), 403);
  const status = await lab.cli('status-audit', ['--json', 'vault', 'status', ...lab.conn()], { token: await lab.newRootToken() });
  assert.deepEqual((jsonOf(status)['audit_devices'] as Array<{ path: string }>).map((d) => d.path), ['file/']);
  assert.doesNotMatch(status.stderr, /WARNING: no audit device/);
  lab.assertNothingLeaked();
  refusing.assertNothingLeaked();
});
