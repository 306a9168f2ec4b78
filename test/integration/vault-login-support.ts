/**
 * For the Vault-login-by-push tests (docs/protocol.md §12.13): a real OpenBao (single node or Raft) with a raw file
 * audit device (so the test learns every token and SecretID Vault handed out, and can look for them in every file
 * and output), set up as `custodian vault setup --app mail-helper` would (KV v2 at secret/, policy, AppRole role
 * with single-use SecretIDs); a real redis-server with a password from Vault; the real mail-helper example.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsKeychain } from '../../src-main/core/keystore/index.js';
import { loadOrCreateIdentity, pushKeys, ServerRegistry, type PushResult } from '../../src-main/core/push/index.js';
import { initialize, kvRead, kvWrite, resolveConnection, VaultCluster, WrappedSecretIdMinter } from '../../src-main/core/vault/index.js';
import { httpGetJson } from '../support/http-get.js';
import { freePorts, waitFor, type BaoCluster } from '../support/openbao.js';
import { repoRoot } from '../support/protocol-vectors.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { runCustodian, type CliRun } from '../support/run-cli.js';

export const APP = 'mail-helper';
export const EXAMPLE_DIR = join(repoRoot(), 'receivers', 'python', 'examples', 'mail_helper');
export const PYTHON_SRC = join(repoRoot(), 'receivers', 'python', 'src');

/**
 * The CLI side of these tests: `custodian` runs with the environment `envOf()` gives at call time, and every stdout
 * and stderr is kept under its name in `outputs` for the final secrets scan; `tempDir` dirs are for `after` to remove.
 */
export function cliRecorder(envOf: () => Record<string, string | undefined>): {
  dirs: string[];
  outputs: Record<string, string>;
  tempDir(prefix: string): string;
  custodian(name: string, args: string[], extraEnv?: Record<string, string>, input?: string): Promise<CliRun>;
} {
  const dirs: string[] = [];
  const outputs: Record<string, string> = {};
  return {
    dirs,
    outputs,
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    async custodian(name, args, extraEnv = {}, input) {
      const run = await runCustodian(args, { env: { ...envOf(), ...extraEnv }, ...(input === undefined ? {} : { input }), timeoutMs: 90_000 });
      assert.ok(!run.timedOut, `${name} finished`);
      outputs[`${name} stdout`] = run.stdout.toString('latin1');
      outputs[`${name} stderr`] = run.stderr;
      return run;
    },
  };
}

/** The payload of a receiver's signed /status (the middle part of its JWS), e.g. its `vault_login`. */
export async function statusPayload(r: ReceiverProcess): Promise<Record<string, unknown>> {
  const { body } = await httpGetJson(`${r.url}/status`);
  return JSON.parse(Buffer.from((body['status'] as string).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

/** Adds a raw file audit device (declarative: OpenBao refuses audit devices over the API) and restarts the nodes. */
export async function withRawAudit(server: BaoCluster): Promise<string> {
  const path = join(server.dir, 'audit-raw.log');
  await Promise.all(server.nodes.map((node) => node.stop()));
  for (const node of server.nodes) {
    appendFileSync(node.configPath, `audit "file" "raw" {\n  options {\n    file_path = "${path}"\n    log_raw = "true"\n  }\n}\n`);
  }
  await Promise.all(server.nodes.map((node) => node.start()));
  return path;
}

export function cluster(server: BaoCluster, token?: Buffer): VaultCluster {
  return new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert, ...(token ? { token } : {}) }, {}));
}

/** init 3/2; two shares (33 bytes each, as the CLI expects) and the root token (the caller unseals with the CLI). */
/**
 * The interception case: pushes `key` to `serverName` with a wrapping token that someone unwrapped first (minted
 * like the custodian does, then unwrapped, then sent on), through the core's push with the session's identity.
 */
export async function pushWithInterceptedWrap(server: BaoCluster, root: Buffer, env: Record<string, string | undefined>, serverName: string, key: Buffer): Promise<{ result: PushResult; intercepted: boolean }> {
  const c = cluster(server, root);
  const minter = new WrappedSecretIdMinter(c);
  let intercepted = false;
  const mint = async (role: string): Promise<Buffer> => {
    const wrap = await minter.mint(role);
    const node = await c.activeNode();
    await node.call('POST', '/sys/wrapping/unwrap', { token: wrap.toString('ascii') }, { authenticated: true });
    intercepted = true;
    return wrap;
  };
  try {
    const signer = await loadOrCreateIdentity(new OsKeychain(env['CUSTODIAN_KEYCHAIN_SERVICE'] ?? 'key-custodian'));
    const servers = await new ServerRegistry(env['CUSTODIAN_HOME']!).select([serverName], false);
    const [result] = await pushKeys({ servers, keys: [key], signer, vaultLogin: { role: APP, mint } });
    return { result: result!, intercepted };
  } finally {
    c.close();
  }
}

export async function initShares(server: BaoCluster): Promise<{ shares: Buffer[]; root: Buffer }> {
  const c = cluster(server);
  try {
    const init = await initialize(c, { shares: 3, threshold: 2 });
    const result = { shares: init.shares.slice(0, 2).map((s) => Buffer.from(s)), root: Buffer.from(init.rootToken) };
    init.wipe();
    return result;
  } finally {
    c.close();
  }
}

/** What `custodian vault setup --app mail-helper` brings: KV v2, policy, AppRole role; then the app's secrets. */
export async function setupApp(server: BaoCluster, root: Buffer, secrets: Record<string, Record<string, string>>): Promise<string> {
  const c = cluster(server, root);
  try {
    await waitFor('an active node', async () => Boolean(await c.activeNode()), 60_000);
    const node = await c.activeNode();
    const call = (method: string, path: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> => node.call(method, path, body, { authenticated: true });
    await call('POST', '/sys/mounts/secret', { type: 'kv', options: { version: '2' } });
    await call('POST', '/sys/auth/approle', { type: 'approle' });
    await call('PUT', `/sys/policies/acl/${APP}`, { policy: `path "secret/data/${APP}/*" { capabilities = ["read"] }\npath "secret/metadata/${APP}/*" { capabilities = ["read", "list"] }\n` });
    await call('POST', `/auth/approle/role/${APP}`, { token_policies: [APP], secret_id_num_uses: 1, secret_id_ttl: '10m', token_ttl: '1h', token_max_ttl: '4h' });
    await waitFor('the KV v2 mount to be ready', async () => (await kvRead(c, 'secret', `${APP}/not-yet`)) === null, 30_000);
    for (const [name, fields] of Object.entries(secrets)) await kvWrite(c, 'secret', `${APP}/${name}`, fields);
    const roleId = await call('GET', `/auth/approle/role/${APP}/role-id`) as { data: { role_id: string } };
    return roleId.data.role_id;
  } finally {
    c.close();
  }
}

/** Every token, wrapping token and SecretID in the raw audit log (for the leak scans), and how many of each. */
export function vaultSecretsIn(auditLog: string): { all: Buffer[]; wrapTokens: number; clientTokens: number; secretIds: number } {
  const found = { wrap: new Set<string>(), client: new Set<string>(), secretId: new Set<string>() };
  const walk = (value: unknown, key = ''): void => {
    if (typeof value === 'string') {
      if (value.length < 8) return;
      if (key === 'secret_id') found.secretId.add(value);
      else if (key === 'client_token') found.client.add(value);
      else if (key === 'token') found.wrap.add(value);
      return;
    }
    if (Array.isArray(value)) value.forEach((v) => walk(v, key));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  for (const line of readFileSync(auditLog, 'utf8').split('\n')) if (line) walk(JSON.parse(line));
  const all = [...found.wrap, ...found.client, ...found.secretId].map((s) => Buffer.from(s));
  return { all, wrapTokens: found.wrap.size, clientTokens: found.client.size, secretIds: found.secretId.size };
}

export interface Redis {
  port: number;
  stop(): Promise<void>;
}

/** A real redis-server on loopback that requires `password` (given on stdin-free config file, not argv). */
export async function startRedis(dir: string, password: string): Promise<Redis> {
  const [port] = await freePorts(1);
  const config = join(dir, 'redis.conf');
  appendFileSync(config, `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\nrequirepass ${password}\ndir ${dir}\n`, { mode: 0o600 });
  const child: ChildProcess = spawn('redis-server', [config], { stdio: 'ignore' });
  await waitFor('redis-server', async () => spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.includes('NOAUTH'), 15_000);
  return {
    port: port!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((ok) => { if (child.exitCode !== null) ok(null); else child.once('exit', ok); });
    },
  };
}

/** Rows written before the server boots, with the key on stdin (as a data job would). */
export function seed(python: string, database: string, key: string, sender: string, text: string): void {
  const run = spawnSync(python, ['-m', 'mail_helper.seed', '--sender', sender, '--database-url', `sqlite:///${database}`], {
    input: `${key}\n${text}`, env: { ...process.env, PYTHONPATH: `${EXAMPLE_DIR}:${PYTHON_SRC}`, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
}

/** The real mail helper with VAULT_ENABLED=true: no DATABASE_URL, no VAULT_TOKEN; its RoleID is configuration. */
export async function startMailHelper(options: { python: string; dir: string; entry: string; keyCheck: string; serverId: string; vaultAddr: string; caCert: string; roleId: string; redisPort: number }): Promise<ReceiverProcess> {
  return startReceiver({
    command: [options.python, '-m', 'mail_helper'],
    dir: options.dir,
    serverId: options.serverId,
    authorizedCustodians: `# test\n${options.entry}\n`,
    keyChecks: [options.keyCheck],
    env: {
      PYTHONPATH: `${EXAMPLE_DIR}:${PYTHON_SRC}`, PYTHONDONTWRITEBYTECODE: '1', ENCRYPTION_KEY_SOURCE: 'custodian',
      VAULT_ENABLED: 'true', VAULT_ADDR: options.vaultAddr, VAULT_CACERT: options.caCert, VAULT_ROLE: APP, VAULT_ROLE_ID: options.roleId,
      REDIS_URL: `redis://127.0.0.1:${options.redisPort}/0`,
    },
  });
}

/** The environment of a running process, as the kernel has it. */
export function environOf(pid: number): string {
  const path = `/proc/${pid}/environ`;
  assert.ok(existsSync(path), `no ${path}`);
  return readFileSync(path).toString('latin1');
}
