// `custodian vault setup` against a real 3-node OpenBao cluster (Raft, TLS) whose audit device is declared in the
// servers' configuration (the OpenBao 2.4 way): init -> unseal -> setup (root token revoked) -> a new root token
// from generate-root -> a second run changes nothing -> `vault kv put --generate` works -> the AppRole reads it.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startRaftCluster } from '../support/openbao.js';
import { jsonOf } from '../support/run-cli.js';
import { resultsOf, SetupLab, stepsOf } from './vault-setup-support.js';

let lab: SetupLab;

before(async () => {
  lab = new SetupLab(await startRaftCluster(3, { audit: 'config' }));
  await lab.initAndUnseal(3, 2);
});

after(async () => {
  await lab?.stop();
});

test('3-node Raft cluster: setup finds the declared audit device, applies the rest, revokes the root token; a second run changes nothing', async () => {
  const args = ['--json', 'vault', 'setup', ...lab.conn(), '--app', 'mail-helper'];
  const plan = `${lab.home}/plan.json`;
  await writeFile(plan, JSON.stringify({ audit: { file_path: lab.server.auditFile } }));
  const first = await lab.cli('setup', [...args, '--plan', plan], { token: lab.rootToken });
  assert.equal(first.status, 0, first.stderr);
  const steps = stepsOf(first);
  assert.equal(steps['audit']!.state, 'present', 'declared in the configuration');
  assert.deepEqual(['kv', 'approle-auth', 'policy', 'role', 'revoke-token'].map((id) => steps[id]!.state), ['missing', 'missing', 'missing', 'missing', 'missing']);
  const results = resultsOf(first);
  assert.match(results['audit']!.detail!, /file-contains-request/);
  assert.deepEqual(['kv', 'approle-auth', 'policy', 'role', 'revoke-token'].map((id) => results[id]!.outcome), ['applied', 'applied', 'applied', 'applied', 'applied']);
  assert.equal(await lab.statusOf(lab.rootToken, 'GET', '/auth/token/lookup-self'), 403, 'the root token is refused');

  const officer = await lab.newRootToken();
  const second = await lab.cli('second', [...args, '--plan', plan, '--keep-token'], { token: officer });
  assert.equal(second.status, 0, second.stderr);
  assert.equal(jsonOf(second)['changed'], false);
  assert.deepEqual(Object.values(resultsOf(second)).map((r) => r.outcome), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'skipped']);

  const put = await lab.cli('kv-put', ['--json', 'vault', 'kv', 'put', ...lab.conn(), 'mail-helper/postgresql', '--generate', 'password:32'], { token: officer });
  assert.equal(put.status, 0, put.stderr);
  const roleId = (await lab.api<{ data: { role_id: string } }>(officer, 'GET', '/auth/approle/role/mail-helper/role-id')).data.role_id;
  const secretId = (await lab.api<{ data: { secret_id: string } }>(officer, 'POST', '/auth/approle/role/mail-helper/secret-id')).data.secret_id;
  lab.secrets.push(Buffer.from(secretId));
  const anonymous = lab.core();
  const login = await (await anonymous.activeNode()).call<{ auth: { client_token: string } }>('POST', '/auth/approle/login', { role_id: roleId, secret_id: secretId });
  anonymous.close();
  const appToken = Buffer.from(login.auth.client_token);
  lab.secrets.push(appToken);
  const read = await lab.api<{ data: { data: { password: string } } }>(appToken, 'GET', '/secret/data/mail-helper/postgresql');
  assert.equal(read.data.data.password.length, 32);
  lab.secrets.push(Buffer.from(read.data.data.password));
  await lab.api(officer, 'POST', '/auth/token/revoke-self');
  lab.assertNothingLeaked();
});
