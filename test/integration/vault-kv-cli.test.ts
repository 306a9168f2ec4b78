// `custodian vault kv` against one real OpenBao node (TLS, per-run CA) with `secret/` as a KV v2 mount, through
// the CLI as a user runs it. The tests run in order and build on each other. No value, generated password or
// token may appear in argv, in an error, in the audit log, or in output that is not a --reveal.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { invokeAction, type HandlerTable } from '../../src-main/app/dispatch.js';
import { vaultKvHandlers } from '../../src-main/app/handlers/vault-kv.js';
import type { AuditEvent, AuditLog } from '../../src-main/core/audit.js';
import { kvRead, PASSWORD_ALPHABET, resolveConnection, VaultCluster } from '../../src-main/core/vault/index.js';
import { startKvVault } from '../support/kv-vault.js';
import { assertNoSecrets, custodianEnv, filesUnder, type BaoCluster } from '../support/openbao.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { runInTerminal } from '../support/terminal.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';

let server: BaoCluster;
let home: string;
let env: Record<string, string>;
let rootToken: Buffer;
const secrets: Buffer[] = [];
const outputs: Record<string, string> = {};
const argvs: string[][] = [];
const DB_PASSWORD = Buffer.from('db-pass-typed-9f8e7d6c');
const REDIS_PASSWORD = Buffer.from('redis-pass-typed-4a5b6c7d');
const TYPED_AT_PROMPT = Buffer.from('typed-hidden-value-31c2');

let auditKeyring: KeyringSession | undefined;

before(async () => {
  const vaultNode = await startKvVault();
  server = vaultNode.server;
  rootToken = vaultNode.rootToken;
  secrets.push(...vaultNode.shares, rootToken);
  home = await mkdtemp(join(tmpdir(), 'custodian-vault-kv-'));
  // The audit log's signing key and latest checkpoint live in the OS keychain: the CLI needs one to record.
  auditKeyring = await startKeyring();
  env = { ...auditKeyring.env, ...custodianEnv(home, { VAULT_ADDR: server.addresses[0]!, VAULT_CACERT: server.ca.caCert, VAULT_TOKEN: rootToken.toString('utf8') }) };
  secrets.push(DB_PASSWORD, REDIS_PASSWORD, TYPED_AT_PROMPT);
});

after(async () => {
  await auditKeyring?.stop();
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function cli(name: string, args: string[], input?: string, options: { reveals?: boolean; extraEnv?: Record<string, string> } = {}): Promise<CliRun> {
  argvs.push(args);
  const run = await runCustodian(args, { env: { ...env, ...(options.extraEnv ?? {}) }, ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });
  assert.equal(run.timedOut, false, `${name} timed out`);
  if (!options.reveals) outputs[`${name} stdout`] = run.stdout.toString('latin1');
  outputs[`${name} stderr`] = run.stderr;
  return run;
}

async function readSecret(path: string): Promise<Record<string, Buffer> | undefined> {
  const cluster = new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert, token: rootToken }, {}));
  try {
    return (await kvRead(cluster, 'secret', path))?.data;
  } finally {
    cluster.close();
  }
}

test('put from stdin (FIELD=value lines), then get shows names, version and fingerprints, not values', async () => {
  const put = await cli('put-stdin', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql'], `username=mail\npassword=${DB_PASSWORD.toString()}\n`);
  assert.equal(put.status, 0, put.stderr);
  const written = jsonOf(put);
  assert.equal(written['version'], 1);
  assert.deepEqual(written['fields'], ['password', 'username']);
  assert.deepEqual((await readSecret('mail-helper/postgresql'))?.['password'], DB_PASSWORD, 'the server holds exactly the value piped in');

  const get = await cli('get-hidden', ['--json', 'vault', 'kv', 'get', 'mail-helper/postgresql']);
  assert.equal(get.status, 0, get.stderr);
  const shown = jsonOf(get);
  assert.equal(shown['version'], 1);
  assert.match(String(shown['created_time']), /^\d{4}-\d\d-\d\dT/);
  assert.equal(shown['data'], undefined, 'no values without --reveal');
  const fields = shown['fields'] as Array<{ name: string; fingerprint: string }>;
  assert.deepEqual(fields.map((f) => f.name), ['password', 'username']);
  assert.ok(fields.every((f) => /^[0-9a-f]{12}$/.test(f.fingerprint)));

  const human = await cli('get-hidden-human', ['vault', 'kv', 'get', 'mail-helper/postgresql']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout.toString(), /password {2}sha256:[0-9a-f]{12}/);
  assert.match(human.stderr, /--reveal/);
});

test('get --reveal prints the values; --field gives one value for a pipe', async () => {
  const reveal = await cli('get-reveal', ['--json', 'vault', 'kv', 'get', 'mail-helper/postgresql', '--reveal'], undefined, { reveals: true });
  assert.equal(reveal.status, 0, reveal.stderr);
  assert.deepEqual(jsonOf(reveal)['data'], { password: DB_PASSWORD.toString(), username: 'mail' });
  const one = await cli('get-field', ['vault', 'kv', 'get', 'mail-helper/postgresql', '--reveal', '--field', 'password'], undefined, { reveals: true });
  assert.equal(one.status, 0, one.stderr);
  assert.deepEqual(one.stdout, Buffer.concat([DB_PASSWORD, Buffer.from('\n')]));
  const missing = await cli('get-no-field', ['--json', 'vault', 'kv', 'get', 'mail-helper/postgresql', '--field', 'nope']);
  assert.equal(missing.status, 4);
  assert.equal(jsonError(missing).code, 'VAULT_KV_NOT_FOUND');
});

test('--generate makes a 32-character password from the unambiguous alphabet, keeps the other fields, prints nothing of it', async () => {
  const put = await cli('put-generate', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql', '--generate', 'password'], '');
  assert.equal(put.status, 0, put.stderr);
  const result = jsonOf(put);
  assert.equal(result['version'], 2);
  assert.deepEqual(result['kept'], ['username']);
  assert.deepEqual(result['generated'], ['password']);
  const data = await readSecret('mail-helper/postgresql');
  const password = data!['password']!;
  secrets.push(Buffer.from(password));
  assert.equal(password.length, 32);
  assert.ok([...password.toString()].every((c) => PASSWORD_ALPHABET.includes(c)), 'only the documented alphabet');
  assert.ok(!/[0Oo1lI]/.test(password.toString()), 'no look-alike characters');
  assert.equal(data!['username']?.toString(), 'mail');

  const long = await cli('put-generate-48', ['--json', 'vault', 'kv', 'put', 'mail-helper/redis', '--generate', 'password:48'], '');
  assert.equal(long.status, 0, long.stderr);
  const redis = (await readSecret('mail-helper/redis'))!['password']!;
  secrets.push(Buffer.from(redis));
  assert.equal(redis.length, 48);
  const short = await cli('put-generate-short', ['--json', 'vault', 'kv', 'put', 'mail-helper/redis', '--generate', 'password:8'], '');
  assert.equal(short.status, 2);
  assert.equal(jsonError(short).code, 'USAGE');

  const help = await cli('put-help', ['vault', 'kv', 'put', '--help']);
  assert.ok(help.stdout.toString().includes(PASSWORD_ALPHABET), '--help names the alphabet');
});

test('check-and-set: --cas with a stale version is refused with VAULT_KV_CONFLICT and nothing is written', async () => {
  const before = await readSecret('mail-helper/postgresql');
  const stale = await cli('put-stale', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql', 'password', '--cas', '1'], `password=${REDIS_PASSWORD.toString()}\n`);
  assert.equal(stale.status, 6, stale.stderr);
  const error = jsonError(stale);
  assert.equal(error.code, 'VAULT_KV_CONFLICT');
  assert.match(error.message, /changed since it was read/);
  assert.match(error.hint ?? '', /versions/);
  assert.deepEqual(await readSecret('mail-helper/postgresql'), before, 'nothing was written');
  const create = await cli('put-cas0', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql', 'password', '--cas', '0'], `password=${REDIS_PASSWORD.toString()}\n`);
  assert.equal(jsonError(create).code, 'VAULT_KV_CONFLICT', 'cas 0 means "only if absent"');
  const right = await cli('put-cas2', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql', 'password', '--cas', '2'], `password=${REDIS_PASSWORD.toString()}\n`);
  assert.equal(right.status, 0, right.stderr);
  assert.equal(jsonOf(right)['version'], 3);
});

test('bad input is refused with a code and changes nothing', async () => {
  const unnamed = await cli('put-unnamed', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql', 'username'], `password=${DB_PASSWORD.toString()}\n`);
  assert.equal(jsonError(unnamed).code, 'INVALID_INPUT');
  const garbage = await cli('put-garbage', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql'], `${DB_PASSWORD.toString()}\n`);
  assert.equal(jsonError(garbage).code, 'INVALID_INPUT');
  const badPath = await cli('put-badpath', ['--json', 'vault', 'kv', 'put', '../sys/x', '--generate', 'p'], '');
  assert.equal(jsonError(badPath).code, 'INVALID_INPUT');
  const absent = await cli('get-absent', ['--json', 'vault', 'kv', 'get', 'mail-helper/none']);
  assert.equal(absent.status, 4);
  assert.equal(jsonError(absent).code, 'VAULT_KV_NOT_FOUND');
  const noToken = await cli('get-no-token', ['--json', 'vault', 'kv', 'get', 'mail-helper/postgresql'], undefined, { extraEnv: { VAULT_TOKEN: '' } });
  assert.equal(jsonError(noToken).code, 'USAGE');
  const wrongToken = await cli('get-wrong-token', ['--json', 'vault', 'kv', 'get', 'mail-helper/postgresql'], undefined, { extraEnv: { VAULT_TOKEN: 'hvs.not-a-real-token-0000' } });
  assert.equal(jsonError(wrongToken).code, 'VAULT_REQUEST_FAILED');
  assert.equal((await readSecret('mail-helper/postgresql'))?.['password']?.toString(), REDIS_PASSWORD.toString());
});

test('token from --token-file; list shows folders and secrets; versions lists metadata; delete soft-deletes the latest', async () => {
  const tokenFile = join(home, 'token');
  await writeFile(tokenFile, rootToken, { mode: 0o600 });
  const list = await cli('list', ['--json', 'vault', 'kv', 'list', '--token-file', tokenFile], undefined, { extraEnv: { VAULT_TOKEN: '' } });
  await rm(tokenFile);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual(jsonOf(list)['keys'], ['mail-helper/']);
  const inner = await cli('list-inner', ['vault', 'kv', 'list', 'mail-helper/']);
  assert.equal(inner.stdout.toString(), 'mail-helper/postgresql\nmail-helper/redis\n');

  const versions = await cli('versions', ['--json', 'vault', 'kv', 'versions', 'mail-helper/postgresql']);
  assert.equal(versions.status, 0, versions.stderr);
  const meta = jsonOf(versions);
  assert.equal(meta['current_version'], 3);
  assert.deepEqual((meta['versions'] as Array<{ version: number; deletionTime: string | null }>).map((v) => [v.version, v.deletionTime]), [[1, null], [2, null], [3, null]]);

  const del = await cli('delete', ['--json', 'vault', 'kv', 'delete', 'mail-helper/postgresql']);
  assert.equal(del.status, 0, del.stderr);
  assert.deepEqual(jsonOf(del)['deleted_versions'], [3]);
  const gone = await cli('get-deleted', ['--json', 'vault', 'kv', 'get', 'mail-helper/postgresql']);
  assert.equal(jsonError(gone).code, 'VAULT_KV_NOT_FOUND');
  const old = await cli('get-v2', ['--json', 'vault', 'kv', 'get', 'mail-helper/postgresql', '--version', '2']);
  assert.equal(jsonOf(old)['version'], 2, 'older versions stay readable');
  const after = jsonOf(await cli('versions-after', ['--json', 'vault', 'kv', 'versions', 'mail-helper/postgresql']));
  assert.ok((after['versions'] as Array<{ version: number; deletionTime: string | null }>)[2]!.deletionTime, 'version 3 is marked deleted');
  const delOld = await cli('delete-versions', ['--json', 'vault', 'kv', 'delete', 'mail-helper/postgresql', '--versions', '1,9']);
  assert.equal(jsonError(delOld).code, 'VAULT_KV_NOT_FOUND', 'an unknown version is refused before anything is deleted');

  // After a soft delete of the latest version, put continues from the metadata's version (check-and-set 3).
  const again = await cli('put-after-delete', ['--json', 'vault', 'kv', 'put', 'mail-helper/postgresql', '--generate', 'password'], '');
  assert.equal(jsonOf(again)['version'], 4);
  secrets.push(Buffer.from((await readSecret('mail-helper/postgresql'))!['password']!));
});

test('on a terminal: the token and each field are asked hidden, and not echoed', async () => {
  const session = await runInTerminal(['vault', 'kv', 'put', 'mail-helper/smtp', 'password', '--addr', server.addresses[0]!, '--ca-cert', server.ca.caCert],
    { ...auditKeyring!.env, ...custodianEnv(home) }, [
      { after: /Vault token \(hidden\): /, send: rootToken.toString('utf8') },
      { after: /Value for password \(hidden\): /, send: TYPED_AT_PROMPT.toString() },
    ]);
  assert.equal(session.status, 0, session.output);
  assert.match(session.output, /Wrote secret\/mail-helper\/smtp version 1/);
  outputs['terminal'] = session.output;
  assert.deepEqual((await readSecret('mail-helper/smtp'))?.['password'], TYPED_AT_PROMPT);
});

test('the app\'s handlers: put a generated password, list, get names only, reveal one field, delete', async () => {
  const events: AuditEvent[] = [];
  const audit: AuditLog = { record: async (event) => { events.push(event); } };
  const table = vaultKvHandlers({ env: { VAULT_CACERT: server.ca.caCert }, home: join(home, 'custodian'), audit, revealClearSeconds: async () => 20 }) as unknown as HandlerTable;
  const base = { addrs: server.addresses, token: rootToken.toString('utf8'), mount: 'secret' };
  const call = async <T,>(action: Parameters<typeof invokeAction>[1], payload: Record<string, unknown>): Promise<T> => {
    const result = await invokeAction(table, action, { ...base, ...payload });
    assert.ok(result.ok, `${action}: ${JSON.stringify(result)}`);
    outputs[`app ${action} ${Object.keys(outputs).length}`] = action === 'vaultKvReveal' ? '' : JSON.stringify(result);
    return (result as { value: T }).value;
  };
  const put = await call<{ version: number; generated: string[] }>('vaultKvPut', { path: 'app-ui/db', generate: [{ field: 'password', length: 40 }], values: [{ field: 'username', value: 'ui' }] });
  assert.deepEqual(put, { version: 1, fields: ['password', 'username'], kept: [], generated: ['password'] });
  assert.deepEqual(await call('vaultKvList', { prefix: 'app-ui/' }), { keys: ['db'] });
  const view = await call<{ fields: Array<{ name: string }>; versions: unknown[] }>('vaultKvGet', { path: 'app-ui/db' });
  assert.deepEqual(view.fields.map((f) => f.name), ['password', 'username']);
  assert.equal(view.versions.length, 1);
  const revealed = await call<{ value: string; clearsAfterSeconds: number }>('vaultKvReveal', { path: 'app-ui/db', field: 'password' });
  const stored = (await readSecret('app-ui/db'))!['password']!;
  secrets.push(Buffer.from(stored));
  assert.equal(revealed.value, stored.toString());
  assert.equal(revealed.value.length, 40);
  assert.equal(revealed.clearsAfterSeconds, 20);
  assert.deepEqual(await call('vaultKvDelete', { path: 'app-ui/db' }), { versions: [1] });
  const afterDelete = await call<{ fields: unknown[]; versions: Array<{ deletionTime: string | null }> }>('vaultKvGet', { path: 'app-ui/db' });
  assert.deepEqual(afterDelete.fields, [], 'a deleted latest version shows no fields');
  assert.ok(afterDelete.versions[0]!.deletionTime);
  assert.deepEqual(events.map((e) => e.action), ['vault.kv.put', 'vault.kv.reveal', 'vault.kv.delete']);
  outputs['app audit events'] = JSON.stringify(events);
});

test('no value, password or token in argv, output (except --reveal), or the audit log', async () => {
  const files = filesUnder(join(home, 'custodian'));
  const auditFile = files.find((f) => f.endsWith('audit.log'));
  assert.ok(auditFile, 'the audit log was written');
  const audit = await readFile(auditFile, 'utf8');
  // Entries are canonical JSON (sorted members, docs/audit.md): compare parsed fields, not text order.
  const entries = audit.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(entries.some((e) => e['action'] === 'vault.kv.put' && e['outcome'] === 'ok' && e['mount'] === 'secret' && e['path'] === 'mail-helper/postgresql'), 'the put is audited');
  assert.ok(entries.some((e) => e['action'] === 'vault.kv.delete'), 'the delete is audited');
  assertNoSecrets(secrets, { files, texts: { ...outputs, argv: argvs.map((a) => a.join(' ')).join('\n') } });
});
