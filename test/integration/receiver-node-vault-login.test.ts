/**
 * The Node receiver's Vault login delivered by push (docs/protocol.md §12.13), all real: OpenBao (single node, raw
 * audit device so the test learns every token and SecretID), the `custodian` CLI with a real keyring, and a real
 * Node process: an application on receivers/node (test/support/node-vault-app.ts) whose getSecret() reads its
 * secrets with the pushed login, plus the demo server (cli.ts) for its start checks. A wrapping token unwrapped
 * before the server got it is refused (VAULT_WRAP_USED) while the data key installs; lock revokes the token; no
 * Vault token, SecretID or wrapping token lands in any file, log or output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startSingleNode, type BaoCluster } from '../support/openbao.js';
import { repoRoot } from '../support/protocol-vectors.js';
import { nodeReceiverCommand, startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { httpGetJson } from '../support/http-get.js';
import { jsonOf, ok } from '../support/run-cli.js';
import { filesUnder } from '../support/secret-forms.js';
import { APP, cliRecorder, environOf, pushWithInterceptedWrap, initShares, setupApp, statusPayload, vaultSecretsIn, withRawAudit } from './vault-login-support.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let entry = '';
let keyId = '';
const dataKey = randomBytes(32);
const { dirs, outputs, tempDir, custodian } = cliRecorder(() => env);
const appCommand = [process.execPath, join(repoRoot(), 'dist', 'test', 'support', 'node-vault-app.js')];

const get = httpGetJson;
const vaultLoginOf = async (r: ReceiverProcess): Promise<unknown> => (await statusPayload(r))['vault_login'];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

before(async () => {
  session = await startKeyring();
  Object.assign(process.env, session.env); // the in-process keychain (the interceptor test) uses the private bus
  env = { ...process.env, ...session.env, VAULT_TOKEN: undefined, VAULT_ADDR: undefined };
  keyId = jsonOf(ok(await custodian('import', ['--json', 'key', 'import', '--name', 'node-data'], {}, encodeFernetKey(dataKey).toString('ascii'))))['id'] as string;
  entry = ok(await custodian('identity', ['identity', 'show'])).stdout.toString().trimEnd();
});

after(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await session?.stop();
});

describe('push --vault-role to a Node receiver (OpenBao single node)', () => {
  let server: BaoCluster;
  let auditLog: string;
  let root: Buffer;
  let app: ReceiverProcess;
  let appUrl: string;
  let roleId = '';
  const name = 'node-app';
  const dbPassword = randomBytes(18).toString('base64url');
  const vaultEnv = (): Record<string, string> => ({ VAULT_TOKEN: root.toString('utf8') });
  const appEnv = (): Record<string, string> => ({
    VAULT_ENABLED: 'true', VAULT_ADDR: server.addresses[0]!, VAULT_CACERT: server.ca.caCert, VAULT_ROLE: APP, VAULT_ROLE_ID: roleId,
  });

  before(async () => {
    server = await startSingleNode();
    auditLog = await withRawAudit(server);
    const init = await initShares(server);
    root = init.root;
    ok(await custodian('unseal', ['vault', 'unseal', '--addr', server.addresses[0]!, '--ca-cert', server.ca.caCert, '--shares-file', '-'], {}, init.shares.map((s) => `${s.toString('base64')}\n`).join('')));
    for (const share of init.shares) share.fill(0);
    roleId = await setupApp(server, root, { postgresql: { username: 'app', password: dbPassword } });
    app = await startReceiver({
      command: appCommand, dir: tempDir('custodian-node-vault-app-'), serverId: name, authorizedCustodians: `# test\n${entry}\n`, keyChecks: [keyId], env: appEnv(),
    });
    appUrl = app.url.replace(/\/custodian$/, '');
    ok(await custodian('pin', ['server', 'add', name, app.url, '--identity', app.identity]));
    ok(await custodian('profile', ['vault', 'profile', 'save', 'single', '--addr', server.addresses[0]!, '--ca-cert', server.ca.caCert]));
  });

  after(async () => {
    await app?.stop();
    await server?.stop();
  });

  test('the demo server refuses to start with VAULT_TOKEN set, and announces the Vault login when configured', async () => {
    const dir = tempDir('custodian-node-demo-');
    writeFileSync(join(dir, 'custodians'), `${entry}\n`);
    const token = `s.${randomBytes(18).toString('base64url')}`;
    const refused = spawnSync(nodeReceiverCommand()[0]!, [...nodeReceiverCommand().slice(1), '--identity-key', join(dir, 'id.key'), '--authorized-custodians', join(dir, 'custodians'), '--key-check', keyId, '--port', '0'], {
      env: { ...process.env, ...appEnv(), VAULT_TOKEN: token }, encoding: 'utf8', timeout: 20_000,
    });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /INVALID_CONFIG.*VAULT_TOKEN is set/);
    assert.ok(!refused.stderr.includes(token) && !refused.stdout.includes(token), 'the token is not repeated');
    const demo = await startReceiver({ dir, authorizedCustodians: `${entry}\n`, keyChecks: [keyId], serverId: 'node-demo', env: appEnv() });
    try {
      assert.deepEqual(await vaultLoginOf(demo), { role: APP, state: 'awaiting' });
    } finally {
      await demo.stop();
    }
    const wrongRoleId = spawnSync(nodeReceiverCommand()[0]!, [...nodeReceiverCommand().slice(1), '--identity-key', join(dir, 'id.key'), '--authorized-custodians', join(dir, 'custodians'), '--key-check', keyId, '--port', '0'], {
      env: { ...process.env, ...appEnv(), VAULT_ROLE_ID: '' }, encoding: 'utf8', timeout: 20_000,
    });
    assert.equal(wrongRoleId.status, 2);
    assert.match(wrongRoleId.stderr, /set VAULT_ROLE_ID/);
  });

  test('before the push the app is locked for its data key and for Vault', async () => {
    const secret = await get(`${appUrl}/app/secret/postgresql`);
    assert.deepEqual([secret.status, secret.body['error'], secret.body['state']], [503, 'vault_locked', 'awaiting']);
    assert.deepEqual(await vaultLoginOf(app), { role: APP, state: 'awaiting' });
    const environ = environOf(app.pid);
    assert.doesNotMatch(environ, /VAULT_TOKEN/);
    assert.match(environ, /VAULT_ROLE_ID=/);
  });

  test('push --vault-role delivers the login; getSecret reads the app secret with it', async () => {
    const run = ok(await custodian('push', ['--json', 'push', '--key', 'node-data', '--server', name, '--vault-role', APP, '--profile', 'single'], vaultEnv()));
    const [result] = jsonOf(run)['results'] as { outcome: string; vaultLogin?: Record<string, unknown> }[];
    assert.equal(result!.outcome, 'unlocked');
    assert.deepEqual(result!.vaultLogin, { role: APP, delivered: true, state: 'delivered' });
    const secret = await get(`${appUrl}/app/secret/postgresql`);
    assert.equal(secret.status, 200, JSON.stringify(secret.body));
    assert.deepEqual(secret.body['fields'], { username: sha256('app'), password: sha256(dbPassword) });
    assert.equal((await get(`${appUrl}/app/secret/not-there`)).status, 502, 'a missing secret is a read failure, not a crash');
    assert.deepEqual(await vaultLoginOf(app), { role: APP, state: 'delivered' });
    assert.ok(app.events().some((e) => e['event'] === 'unlock' && e['ok'] === true && e['vault_login'] === 'delivered'));
  });

  test('lock forgets the token at once and revokes it in Vault before the lock is answered', async () => {
    ok(await custodian('lock', ['server', 'lock', name]));
    const secret = await get(`${appUrl}/app/secret/postgresql`);
    assert.deepEqual([secret.status, secret.body['state']], [503, 'awaiting']);
    assert.deepEqual(await vaultLoginOf(app), { role: APP, state: 'awaiting' });
    const revoked = readFileSync(auditLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; request?: { path?: string }; error?: string })
      .filter((e) => e.type === 'response' && e.request?.path === 'auth/token/revoke-self');
    assert.equal(revoked.length, 1, 'one revoke-self');
    assert.equal(revoked[0]!.error ?? '', '', 'and Vault accepted it');
  });

  test('a wrapping token unwrapped before the server got it is VAULT_WRAP_USED; the data key installs anyway', async () => {
    const { result, intercepted } = await pushWithInterceptedWrap(server, root, session.env, name, dataKey);
    assert.ok(intercepted);
    assert.equal(result.outcome, 'unlocked', 'the data key went through');
    assert.equal(result.vaultLogin?.state, 'VAULT_WRAP_USED');
    assert.equal(result.vaultLogin?.delivered, false);
    const secret = await get(`${appUrl}/app/secret/postgresql`);
    assert.deepEqual([secret.status, secret.body['state']], [503, 'VAULT_WRAP_USED'], 'locked for Vault');
    assert.deepEqual(await vaultLoginOf(app), { role: APP, state: 'VAULT_WRAP_USED' });
    assert.ok(app.events().some((e) => e['event'] === 'unlock' && e['ok'] === true && e['vault_login'] === 'VAULT_WRAP_USED'));
  });

  test('no Vault token, SecretID or wrapping token in any file, log or output of either side', () => {
    const found = vaultSecretsIn(auditLog);
    assert.ok(found.wrapTokens >= 2 && found.secretIds >= 2 && found.clientTokens >= 1, `the audit log named what to look for: ${JSON.stringify({ ...found, all: found.all.length })}`);
    const secrets = [...found.all, root, Buffer.from(dbPassword)];
    const places: Record<string, Buffer> = {
      'app stdout': Buffer.from(app.stdout()), 'app stderr': Buffer.from(app.stderr()),
      ...Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, Buffer.from(v, 'latin1')])),
    };
    const files = [...filesUnder(app.dir), ...filesUnder(session.env['CUSTODIAN_HOME']!)];
    assert.ok(files.some((f) => f.endsWith('receipts.jsonl')), 'the scan saw the custodian side');
    for (const file of files) places[file] = readFileSync(file);
    for (const [where, text] of Object.entries(places)) {
      const index = secrets.findIndex((s) => s.length >= 8 && text.includes(s));
      assert.equal(index, -1, `secret #${index} leaked into ${where}`);
    }
  });
});
