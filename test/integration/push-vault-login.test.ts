/**
 * `custodian push --vault-role` (docs/protocol.md §12.13) end to end, all real: OpenBao (a single node, then the
 * 3-node Raft cluster) set up for the app, the `custodian` CLI with a real keyring, a real redis-server whose
 * password lives in Vault, and the real Python mail-helper example with VAULT_ENABLED=true, which answers
 * /api/messages only with the database URL it reads from Vault with the pushed login. Also: a wrapping token that
 * was unwrapped before the server got it is refused (VAULT_WRAP_USED) while the data key installs; a sealed
 * Vault still lets the data key through; and no Vault token, SecretID or wrapping token in any file, log or output.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import type { PushResult } from '../../src-main/core/push/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startRaftCluster, startSingleNode, type BaoCluster } from '../support/openbao.js';
import type { ReceiverProcess } from '../support/receivers.js';
import { httpGetJson } from '../support/http-get.js';
import { jsonError, jsonOf, ok, type CliRun } from '../support/run-cli.js';
import { filesUnder } from '../support/secret-forms.js';
import {
  APP, cliRecorder, environOf, initShares, pushWithInterceptedWrap, seed, setupApp, startMailHelper, startRedis, statusPayload, vaultSecretsIn, withRawAudit, type Redis,
} from './vault-login-support.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let python: string;
let entry: string;
const dataKey = randomBytes(32);
let keyId = '';
const { dirs, outputs, tempDir, custodian } = cliRecorder(() => env);

const get = httpGetJson;

function results(run: CliRun): PushResult[] {
  return jsonOf(run)['results'] as PushResult[];
}

before(async () => {
  python = process.env['CUSTODIAN_TEST_PYTHON'] ?? '';
  assert.ok(python, 'CUSTODIAN_TEST_PYTHON names the venv python (scripts/test.mjs sets it)');
  session = await startKeyring();
  Object.assign(process.env, session.env); // the in-process keychain (the interceptor test) uses the private bus
  env = { ...process.env, ...session.env, VAULT_TOKEN: undefined, VAULT_ADDR: undefined };
  keyId = jsonOf(ok(await custodian('import', ['--json', 'key', 'import', '--name', 'mail-data'], {}, encodeFernetKey(dataKey).toString('ascii'))))['id'] as string;
  entry = ok(await custodian('identity', ['identity', 'show'])).stdout.toString().trimEnd();
});

after(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await session?.stop();
});

/** One cluster's whole story; `raft` selects the 3-node cluster. */
function story(kind: 'single' | 'raft'): void {
  describe(`push --vault-role to the mail helper, OpenBao ${kind === 'raft' ? '3-node Raft cluster' : 'single node'}`, () => {
    let server: BaoCluster;
    let auditLog: string;
    let root: Buffer;
    let redis: Redis;
    let app: ReceiverProcess;
    let appUrl: string;
    let dir: string;
    const name = `mail-${kind}`;
    const dbPassword = randomBytes(18).toString('base64url');
    const redisPassword = randomBytes(18).toString('base64url');
    const vaultEnv = (): Record<string, string> => ({ VAULT_TOKEN: root.toString('utf8') });

    before(async () => {
      server = kind === 'raft' ? await startRaftCluster() : await startSingleNode();
      auditLog = await withRawAudit(server);
      const init = await initShares(server);
      root = init.root;
      ok(await custodian(`${kind} unseal`, ['vault', 'unseal', ...server.addresses.flatMap((a) => ['--addr', a]), '--ca-cert', server.ca.caCert, '--shares-file', '-'], {}, init.shares.map((s) => `${s.toString('base64')}\n`).join('')));
      for (const share of init.shares) share.fill(0);
      dir = tempDir(`custodian-vault-login-${kind}-`);
      const database = join(dir, 'mail.db');
      seed(python, database, encodeFernetKey(dataKey).toString('ascii'), 'alice@example.org', 'Hallo aus Vault');
      const roleId = await setupApp(server, root, {
        postgresql: { scheme: 'sqlite', database, username: 'mail', password: dbPassword },
        redis: { password: redisPassword },
      });
      redis = await startRedis(tempDir(`custodian-redis-${kind}-`), redisPassword);
      app = await startMailHelper({ python, dir, entry, keyCheck: keyId, serverId: name, vaultAddr: server.addresses[0]!, caCert: server.ca.caCert, roleId, redisPort: redis.port });
      appUrl = app.url.replace(/\/custodian$/, '');
      ok(await custodian(`${kind} pin`, ['server', 'add', name, app.url, '--identity', app.identity]));
      ok(await custodian(`${kind} profile`, ['vault', 'profile', 'save', kind, ...server.addresses.flatMap((a) => ['--addr', a]), '--ca-cert', server.ca.caCert]));
    });

    after(async () => {
      await app?.stop();
      await redis?.stop();
      await server?.stop();
    });

    test('before the push the app is up but locked, for its data key and for Vault', async () => {
      assert.equal((await get(`${appUrl}/api/messages`)).status, 503);
      const deps = await get(`${appUrl}/api/dependencies`);
      assert.deepEqual([deps.status, deps.body['error'], deps.body['state']], [503, 'vault_locked', 'awaiting']);
      assert.deepEqual((await statusPayload(app))['vault_login'], { role: APP, state: 'awaiting' });
      const environ = environOf(app.pid);
      assert.doesNotMatch(environ, /VAULT_TOKEN/, 'no Vault token in the app\'s environment');
      assert.match(environ, /VAULT_ROLE_ID=/, 'the RoleID is configuration');
    });

    test('push --vault-role delivers the login; the app reads its database URL and Redis password from Vault', async () => {
      const run = ok(await custodian(`${kind} push`, ['--json', 'push', '--key', 'mail-data', '--server', name, '--vault-role', APP, '--profile', kind], vaultEnv()));
      const [result] = results(run);
      assert.equal(result!.outcome, 'unlocked');
      assert.deepEqual(result!.vaultLogin, { role: APP, delivered: true, state: 'delivered' });
      const messages = await get(`${appUrl}/api/messages`);
      assert.equal(messages.status, 200, JSON.stringify(messages.body));
      assert.deepEqual((messages.body['messages'] as { body: string }[]).map((m) => m.body), ['Hallo aus Vault']);
      const deps = await get(`${appUrl}/api/dependencies`);
      assert.deepEqual(deps.body, { vault: 'delivered', database: `sqlite:///${join(dir, 'mail.db')}`, redis: 'ok' });
      assert.deepEqual((await statusPayload(app))['vault_login'], { role: APP, state: 'delivered' });
    });

    test('a wrapping token unwrapped before the server got it is refused (VAULT_WRAP_USED); the data key installs', async () => {
      ok(await custodian(`${kind} lock`, ['server', 'lock', name]));
      assert.equal((await get(`${appUrl}/api/dependencies`)).status, 503, 'lock() forgot the Vault token');
      // The interceptor: mints like the custodian, unwraps it first, then lets the token travel on.
      const { result, intercepted } = await pushWithInterceptedWrap(server, root, session.env, name, dataKey);
      assert.ok(intercepted);
      assert.equal(result.outcome, 'unlocked', 'the data key went through');
      assert.equal(result.vaultLogin?.state, 'VAULT_WRAP_USED');
      assert.equal(result.vaultLogin?.delivered, false);
      assert.match(result.vaultLogin?.hint ?? '', /intercepted/);
      assert.equal((await get(`${appUrl}/health`)).body['encryption'], 'unlocked');
      const deps = await get(`${appUrl}/api/dependencies`);
      assert.deepEqual([deps.status, deps.body['state']], [503, 'VAULT_WRAP_USED'], 'locked for Vault');
      assert.deepEqual((await statusPayload(app))['vault_login'], { role: APP, state: 'VAULT_WRAP_USED' });
      assert.ok(app.events().some((e) => e['event'] === 'unlock' && e['ok'] === true));
    });

    test('a sealed Vault still lets the data key through; the result says the Vault login was not delivered', async () => {
      ok(await custodian(`${kind} lock again`, ['server', 'lock', name]));
      // Every node restarted comes up sealed (a standby cannot be sealed over the API).
      await Promise.all(server.nodes.map((node) => node.stop()));
      await Promise.all(server.nodes.map((node) => node.start()));
      const run = await custodian(`${kind} push sealed`, ['--json', 'push', '--key', 'mail-data', '--server', name, '--vault-role', APP, '--profile', kind], vaultEnv());
      assert.equal(run.status, 6, run.stderr);
      assert.equal(jsonError(run).code, 'VAULT_LOGIN_NOT_DELIVERED');
      assert.match(jsonError(run).message, /data key was pushed/);
      const [result] = results(run);
      assert.equal(result!.outcome, 'unlocked');
      assert.equal(result!.vaultLogin?.delivered, false);
      assert.equal(result!.vaultLogin?.state, 'VAULT_SEALED');
      assert.match(result!.vaultLogin?.hint ?? '', /unseal/);
      assert.equal((await get(`${appUrl}/health`)).body['encryption'], 'unlocked');
      assert.equal((await get(`${appUrl}/api/dependencies`)).status, 503);
      const text = await custodian(`${kind} push sealed text`, ['push', '--key', 'mail-data', '--server', name, '--vault-role', APP, '--profile', kind], vaultEnv());
      assert.equal(text.status, 6, 'unlocked, still without a Vault login: not a success');
      assert.match(text.stdout.toString(), /already-unlocked/, 'nothing is minted for a server that is already unlocked');
      assert.match(text.stdout.toString(), /vault login: NOT delivered/);
    });

    test('no Vault token, SecretID or wrapping token in any file, log or output of either side', () => {
      const found = vaultSecretsIn(auditLog);
      assert.ok(found.wrapTokens >= 2 && found.secretIds >= 2 && found.clientTokens >= 2, `the audit log named what to look for: ${JSON.stringify({ ...found, all: found.all.length })}`);
      const secrets = [...found.all, root, Buffer.from(dbPassword), Buffer.from(redisPassword)];
      const places: Record<string, Buffer> = {
        'app stdout': Buffer.from(app.stdout()), 'app stderr': Buffer.from(app.stderr()), 'app environment': Buffer.from(environOf(app.pid)),
        ...Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, Buffer.from(v, 'latin1')])),
      };
      const files = [...filesUnder(app.dir), ...filesUnder(session.env['CUSTODIAN_HOME']!)];
      assert.ok(files.some((f) => f.endsWith('mail.db')) && files.some((f) => f.endsWith('receipts.jsonl')), 'the scan saw both sides');
      for (const file of files) places[file] = readFileSync(file);
      for (const [where, text] of Object.entries(places)) {
        const index = secrets.findIndex((s) => s.length >= 8 && text.includes(s));
        assert.equal(index, -1, `secret #${index} leaked into ${where}`);
      }
    });
  });
}

story('single');
story('raft');
