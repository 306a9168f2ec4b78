/**
 * The plan's whole rotation (issue 11, "Done when") through the real CLI: real gnome-keyring on a private bus,
 * two real Python mail-helper apps (`python -m mail_helper`, ENCRYPTION_KEY_SOURCE=custodian) with rows in their
 * SQLite databases, and a real OpenBao with a KV v2 mount for `secret/mail-helper/encryption`.
 *
 * Run 1: begin (refused without a backup, then --no-backup-check), deploy the new key id (the apps restart with
 * it as first --key-check), `rotate push` (both keys), re-encrypt (`python -m mail_helper rotate`), finish; then
 * every row decrypts with the new key alone, the old key is retired, and Vault holds the new key with an empty
 * previous_key. Run 2 adds faults: begin twice, a server restarted mid-rotation (locked: finish refuses, the next
 * push sends both keys), the KV entry changed by someone else (finish refuses, --kv-cas after review), finish twice.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeFernetKey, keyId } from '../../src-main/core/crypto/index.js';
import { kvRead, kvWrite, resolveConnection, VaultCluster } from '../../src-main/core/vault/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { httpGet } from '../support/http-get.js';
import { startKvVault } from '../support/kv-vault.js';
import type { BaoCluster } from '../support/openbao.js';
import { appUrl as mailHelperUrl, reencrypt as reencryptRows, rowsOpeningWith as rowsUnder, seedRows, startMailHelper } from '../support/mail-helper.js';
import type { ReceiverProcess } from '../support/receivers.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { leakedForms } from '../support/secret-forms.js';

const KV = 'secret/mail-helper/encryption';
const ROWS_PER_SERVER = 25;

let session: KeyringSession;
let bao: BaoCluster;
let rootToken: Buffer;
let env: Record<string, string | undefined>;
let python: string;
let entry: string;
const apps: ReceiverProcess[] = [];
const dirs: string[] = [];
const outputs: string[] = [];

const custodian = async (args: string[], input?: string): Promise<CliRun> => {
  const run = await runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 60_000 });
  outputs.push(run.stdout.toString('latin1'), run.stderr);
  return run;
};

function ok(run: CliRun): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished');
  assert.equal(run.status, 0, `exit ${run.status}; stderr: ${run.stderr}; stdout: ${run.stdout}`);
  return run;
}

function refused(run: CliRun, code: string): ReturnType<typeof jsonError> {
  assert.notEqual(run.status, 0, `expected ${code}; stdout: ${run.stdout}`);
  const error = jsonError(run);
  assert.equal(error.code, code, `${error.message} ${error.hint ?? ''}`);
  return error;
}

const get = httpGet;

function vault(): VaultCluster {
  return new VaultCluster(resolveConnection({ addresses: bao.addresses, caCert: bao.ca.caCert, token: rootToken }, {}));
}

async function readEntry(): Promise<Record<string, string>> {
  const cluster = vault();
  try {
    const secret = await kvRead(cluster, 'secret', 'mail-helper/encryption');
    assert.ok(secret, 'the entry exists');
    return { ...Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, v.toString('utf8')])), version: String(secret.version) };
  } finally {
    cluster.close();
  }
}

interface App { name: string; dir: string; process: ReceiverProcess; port: number }

async function startApp(name: string, dir: string, keyChecks: string[], port?: number): Promise<ReceiverProcess> {
  const started = await startMailHelper(name, dir, `${entry}\n`, keyChecks, port);
  apps.push(started);
  return started;
}

/** "Deploy" the new key id: the app restarts with the given key checks (same files and port: same identity). */
async function redeploy(app: App, keyChecks: string[]): Promise<void> {
  await app.process.stop();
  app.process = await startApp(app.name, app.dir, keyChecks, app.port);
}

const appUrl = (app: App): string => mailHelperUrl(app.process);

function reencrypt(app: App): { status: number | null; stdout: string } {
  const run = reencryptRows(app.process);
  outputs.push(run.stdout, run.stderr);
  return run;
}

const rowsOpeningWith = (app: App, keyText: string): { opened: number; total: number } => rowsUnder(app.dir, keyText);

async function keyText(ref: string): Promise<string> {
  return ok(await custodian(['key', 'export', ref, '--reveal'])).stdout.toString('ascii').trim();
}

before(async () => {
  python = process.env['CUSTODIAN_TEST_PYTHON'] ?? '';
  assert.ok(python && existsSync(python), 'CUSTODIAN_TEST_PYTHON must name the venv python');
  session = await startKeyring();
  const vaultNode = await startKvVault();
  bao = vaultNode.server;
  rootToken = vaultNode.rootToken;
  for (const share of vaultNode.shares) share.fill(0);
  env = { ...process.env, ...session.env, VAULT_ADDR: bao.addresses[0]!, VAULT_CACERT: bao.ca.caCert, VAULT_TOKEN: rootToken.toString('utf8') };
  entry = ok(await custodian(['identity', 'show'])).stdout.toString().trimEnd();
});

after(async () => {
  for (const app of apps) await app.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await bao?.stop();
  await session?.stop();
});

/** Two apps with rows under the old key, pinned and unlocked with it (the state before a rotation). */
async function fleet(prefix: string, oldId: string, oldText: string): Promise<App[]> {
  const out: App[] = [];
  for (const n of [1, 2]) {
    const name = `${prefix}-${n}`;
    const dir = mkdtempSync(join(tmpdir(), `custodian-rotation-${name}-`));
    dirs.push(dir);
    seedRows(dir, oldText, ROWS_PER_SERVER);
    const process = await startApp(name, dir, [oldId]);
    out.push({ name, dir, process, port: process.port });
    ok(await custodian(['server', 'add', name, process.url, '--identity', process.identity]));
  }
  ok(await custodian(['--json', 'push', '--key', oldId, '--server', ...out.map((a) => a.name)]));
  for (const app of out) assert.equal((await get(`${appUrl(app)}/api/messages`)).status, 200);
  return out;
}

async function status(): Promise<{ ready: boolean; servers: { server: string; state: string | null; acceptsNew: boolean; tokensUnderPrevious: number | null; installedKeyIds: string[]; blocker?: { message: string; hint?: string } }[]; vault: { currentKeyId: string | null; currentKeyMatches: boolean; previousKeyEmpty: boolean } | null }> {
  return jsonOf(ok(await custodian(['--json', 'rotate', 'status']))) as never;
}

describe('run 1: the plan\'s rotation, begin to finish, against two mail-helper apps and OpenBao', () => {
  let oldId: string;
  let oldText: string;
  let newId: string;
  let servers: App[];

  before(async () => {
    oldId = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'mail-data'])))['id'] as string;
    oldText = await keyText(oldId);
    servers = await fleet('mail', oldId, oldText);
  });

  test('begin generates the new key but refuses to start while it has no backup; nothing is recorded', async () => {
    const error = refused(await custodian(['--json', 'rotate', 'begin', '--key', 'mail-data', '--name', 'mail-data-2027', '--vault-kv', KV]), 'ROTATION_BACKUP_MISSING');
    newId = error.details?.['newKeyId'] as string;
    assert.match(newId, /^K1-/);
    assert.match(error.hint ?? '', /backup split/);
    const none = jsonOf(ok(await custodian(['--json', 'rotate', 'status'])));
    assert.equal(none['open'], null);
  });

  test('begin --new --no-backup-check records the rotation, writes the Vault entry and names the servers that do not accept the new id', async () => {
    const begun = jsonOf(ok(await custodian(['--json', 'rotate', 'begin', '--key', 'mail-data', '--new', newId, '--no-backup-check', '--grace', '30d', '--vault-kv', KV])));
    assert.deepEqual((begun['notAccepting'] as string[]).sort(), ['mail-1', 'mail-2']);
    const kv = await readEntry();
    assert.equal(kv['current_key'], await keyText(newId));
    assert.equal(kv['previous_key'], oldText);
    assert.deepEqual([kv['current_key_id'], kv['previous_key_id']], [newId, oldId]);
    assert.ok(!Number.isNaN(Date.parse(kv['rotation_date']!)));
    const listed = jsonOf(ok(await custodian(['--json', 'key', 'list']))) as { keys: { id: string; state: string | null }[] };
    assert.deepEqual([oldId, newId].map((id) => listed.keys.find((k) => k.id === id)?.state), ['previous', 'current']);
    refused(await custodian(['--json', 'key', 'delete', oldId, '--yes']), 'ROTATION_KEY_IN_USE');
  });

  test('deploy the new id, push both keys: each app serves every row, old and new key installed', async () => {
    for (const app of servers) await redeploy(app, [newId, oldId]);
    const pushed = jsonOf(ok(await custodian(['--json', 'rotate', 'push'])));
    assert.ok(pushed['ok']);
    const view = await status();
    for (const s of view.servers) assert.deepEqual(s.installedKeyIds, [newId, oldId]);
    assert.equal(view.ready, false, 'rows are still under the old key');
    refused(await custodian(['--json', 'rotate', 'finish']), 'ROTATION_NOT_READY');
    for (const app of servers) {
      const served = await get(`${appUrl(app)}/api/messages`);
      assert.equal(served.status, 200, served.body);
    }
  });

  test('re-encrypt on each server; status then reports 0 tokens under the previous key and the rotation is ready', async () => {
    for (const app of servers) assert.equal(reencrypt(app).status, 0);
    const view = await status();
    assert.deepEqual(view.servers.map((s) => s.tokensUnderPrevious), [0, 0]);
    assert.equal(view.ready, true, JSON.stringify(view.servers.map((s) => s.blocker)));
    assert.ok(view.vault?.currentKeyMatches);
  });

  test('finish: every server runs the new key alone, every row decrypts with it alone, the old key is retired, Vault holds previous_key empty', async () => {
    ok(await custodian(['--json', 'rotate', 'finish']));
    const view = jsonOf(ok(await custodian(['--json', 'server', 'status', 'mail-1', 'mail-2']))) as { servers: { installedKeyIds: string[] }[] };
    assert.equal(view.servers.length, 2);
    for (const r of view.servers) assert.deepEqual(r.installedKeyIds, [newId]);
    const newText = await keyText(newId);
    for (const app of servers) {
      assert.deepEqual(rowsOpeningWith(app, newText), { opened: ROWS_PER_SERVER, total: ROWS_PER_SERVER });
      assert.equal((await get(`${appUrl(app)}/api/messages`)).status, 200);
    }
    const kv = await readEntry();
    assert.deepEqual([kv['current_key'], kv['previous_key'], kv['current_key_id'], kv['previous_key_id']], [newText, '', newId, '']);
    const listed = jsonOf(ok(await custodian(['--json', 'key', 'list']))) as { keys: { id: string; state: string | null }[] };
    assert.deepEqual([oldId, newId].map((id) => listed.keys.find((k) => k.id === id)?.state), ['retired', 'current']);
    refused(await custodian(['--json', 'rotate', 'finish']), 'ROTATION_NONE');
  });

  test('no key text in any output but the exports, nor in the audit log', async () => {
    for (const text of [oldText]) {
      const raw = decodeFernetKey(text);
      const leaks = outputs.filter((o) => !o.includes(text)).flatMap((o) => leakedForms(o, raw));
      assert.deepEqual(leaks, [], 'no output other than the key exports');
      const audit = readFileSync(join(session.env['CUSTODIAN_HOME']!, 'audit.log'));
      assert.deepEqual(leakedForms(audit, raw), [], 'the audit log');
      assert.match(audit.toString(), /rotate\.finish/);
      raw.fill(0);
    }
    assert.equal(keyId(decodeFernetKey(oldText)), oldId);
  });
});

describe('run 2: a server restarts mid-rotation, someone else writes the KV entry, begin and finish twice', () => {
  let oldId: string;
  let newId: string;
  let servers: App[];

  before(async () => {
    oldId = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'mail-b'])))['id'] as string;
    newId = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'mail-b-2027'])))['id'] as string;
    servers = await fleet('bmail', oldId, await keyText(oldId));
    for (const app of servers) await redeploy(app, [newId, oldId]);
  });

  test('begin, begin again (ROTATION_OPEN), push both', async () => {
    ok(await custodian(['--json', 'rotate', 'begin', '--key', oldId, '--new', newId, '--no-backup-check', '--server', 'bmail-1', 'bmail-2', '--vault-kv', KV]));
    refused(await custodian(['--json', 'rotate', 'begin', '--key', oldId, '--no-backup-check']), 'ROTATION_OPEN');
    ok(await custodian(['--json', 'rotate', 'push']));
    for (const app of servers) assert.equal(reencrypt(app).status, 0);
  });

  test('a restarted server boots locked: status explains it, finish refuses, rotate push sends both keys again', async () => {
    await servers[1]!.process.restart();
    const view = await status();
    const restarted = view.servers.find((s) => s.server === 'bmail-2')!;
    assert.equal(restarted.state, 'locked');
    assert.match(restarted.blocker?.hint ?? '', /rotate push/);
    refused(await custodian(['--json', 'rotate', 'finish']), 'ROTATION_NOT_READY');
    ok(await custodian(['--json', 'rotate', 'push', '--server', 'bmail-2']));
    assert.equal((await status()).ready, true);
  });

  test('the KV entry changed by someone else: finish refuses and changes nothing; --kv-cas after review finishes', async () => {
    const cluster = vault();
    let version: number;
    try {
      ({ version } = await kvWrite(cluster, 'secret', 'mail-helper/encryption', { note: 'edited by hand' }));
    } finally {
      cluster.close();
    }
    const error = refused(await custodian(['--json', 'rotate', 'finish']), 'VAULT_KV_CONFLICT');
    assert.equal(error.details?.['foundVersion'], version);
    for (const s of (await status()).servers) assert.deepEqual(s.installedKeyIds, [newId, oldId], 'no server was changed');
    ok(await custodian(['--json', 'rotate', 'finish', '--kv-cas', String(version)]));
    const kv = await readEntry();
    assert.deepEqual([kv['current_key_id'], kv['previous_key']], [newId, '']);
    refused(await custodian(['--json', 'rotate', 'finish']), 'ROTATION_NONE');
  });
});
