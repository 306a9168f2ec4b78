/**
 * `custodian push` (the real CLI, bin/custodian.js, real gnome-keyring on a private bus) to the Python receiver:
 * the demo server (`python -m custodian_receiver`) and the example Flask app shaped like the story's mail helper
 * (`python -m mail_helper`, ENCRYPTION_KEY_SOURCE=custodian), both as real processes on loopback. The example
 * app answers 503 "locked" until the push and then serves rows it decrypts with the pushed keys.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { httpGet } from '../support/http-get.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { repoRoot } from '../support/protocol-vectors.js';
import { pythonReceiverCommand, startReceiver, type ReceiverProcess, type StartReceiverOptions } from '../support/receivers.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { type CliRun, jsonError, jsonOf, ok, runCustodian } from '../support/run-cli.js';
import { filesLeaking, filesUnder, leakedForms } from '../support/secret-forms.js';

const EXAMPLE_DIR = join(repoRoot(), 'receivers', 'python', 'examples', 'mail_helper');

let session: KeyringSession;
let env: Record<string, string | undefined>;
let entry: string;
let fingerprint: string;
let python: string;
const keys = { current: randomBytes(32), previous: randomBytes(32), wrong: randomBytes(32) };
const ids = { current: '', previous: '', wrong: '' };
const receivers: ReceiverProcess[] = [];
const proxies: RecordingProxy[] = [];
const dirs: string[] = [];

const custodian = (args: string[], input?: string): Promise<CliRun> =>
  runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 30_000 });

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function pythonReceiver(options: Partial<StartReceiverOptions> = {}): Promise<ReceiverProcess> {
  const started = await startReceiver({
    command: pythonReceiverCommand(),
    authorizedCustodians: `# test\n${entry}\n`,
    keyChecks: [ids.current, ids.previous],
    serverId: 'py-1',
    ...options,
  });
  receivers.push(started);
  return started;
}

const get = httpGet;

/** The receiver's own view of its state (GET status, payload read without the CLI). */
async function stateOf(r: ReceiverProcess): Promise<string> {
  const { body } = await get(`${r.url}/status`);
  const token = (JSON.parse(body) as { status: string }).status;
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { state: string }).state;
}

function post(url: string, body: Buffer): Promise<{ status: number; code: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/unlock`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { error?: { code: string } }).error?.code ?? null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function pin(name: string, url: string, identity: string): Promise<void> {
  ok(await custodian(['server', 'add', name, url, '--identity', identity]));
}

function resultOf(run: CliRun): { server: string; outcome: string; keyIds?: string[]; error?: { code: string; details?: { receiver_code?: string } } } {
  return (jsonOf(run)['results'] as { server: string; outcome: string }[])[0]!;
}

function assertNoKeyLeaks(r: ReceiverProcess): void {
  const files = filesUnder(r.dir);
  assert.ok(files.some((f) => f.endsWith('identity.key')), `the scan saw the receiver's files: ${files.join(', ')}`);
  for (const key of [keys.current, keys.previous]) {
    assert.deepEqual(filesLeaking(r.dir, key), [], 'no file in the receiver directory (identity, custodians, database, TMPDIR)');
    assert.deepEqual(leakedForms(r.stdout() + r.stderr(), key), [], 'nothing the receiver printed');
  }
}

before(async () => {
  python = process.env['CUSTODIAN_TEST_PYTHON'] ?? '';
  assert.ok(python && existsSync(python), 'CUSTODIAN_TEST_PYTHON must name the venv python (export the output of `node scripts/setup.mjs`)');
  const probe = spawnSync(python, ['-c', 'import custodian_receiver, flask'], { encoding: 'utf8' });
  assert.equal(probe.status, 0, `the venv lacks custodian_receiver or flask (run node scripts/setup.mjs): ${probe.stderr}`);
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  for (const name of ['current', 'previous', 'wrong'] as const) {
    const imported = jsonOf(ok(await custodian(['--json', 'key', 'import', '--name', name], encodeFernetKey(keys[name]).toString('ascii'))));
    ids[name] = imported['id'] as string;
  }
  entry = ok(await custodian(['identity', 'show'])).stdout.toString().trimEnd();
  fingerprint = entry.split(' ')[0]!;
});

after(async () => {
  for (const p of proxies) await p.close();
  for (const r of receivers) await r.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await session?.stop();
});

describe('custodian push -> Python demo receiver', () => {
  let py: ReceiverProcess;
  let proxy: RecordingProxy;
  let captured: Buffer;

  before(async () => {
    py = await pythonReceiver();
    proxy = await startRecordingProxy(py.url);
    proxies.push(proxy);
    await pin('py-1', proxy.url, py.identity);
  });

  test('the start line carries the url and identity that `server add` takes', () => {
    assert.match(py.url, /^http:\/\/127\.0\.0\.1:\d+\/custodian$/);
    assert.match(py.identity, /^ed25519:[A-Za-z0-9_-]{43}$/);
    assert.equal(py.serverId, 'py-1');
  });

  test('a wrong key is refused before anything is sent; the receiver stays locked', async () => {
    const run = await custodian(['--json', 'push', '--key', 'wrong', '--server', 'py-1']);
    assert.equal(run.status, 7);
    assert.deepEqual([resultOf(run).outcome, resultOf(run).error?.code], ['refused', 'PUSH_REFUSED']);
    assert.equal(proxy.requests.filter((r) => r.method === 'POST').length, 0);
    assert.equal(py.unlockAttempts(), 0);
    assert.equal(await stateOf(py), 'locked');
  });

  test('a request tampered in flight is refused by the Python receiver (BAD_SIGNATURE); still locked', async () => {
    proxy.rewrite = (body) => {
      const envelope = JSON.parse(body.toString()) as { protocol: string; request: string };
      const [h, p, s] = envelope.request.split('.') as [string, string, string];
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { sealed: string };
      const sealed = Buffer.from(payload.sealed, 'base64url');
      sealed[40]! ^= 1; // one bit of the HPKE ciphertext
      payload.sealed = sealed.toString('base64url');
      return Buffer.from(JSON.stringify({ ...envelope, request: `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}` }));
    };
    try {
      const run = await custodian(['--json', 'push', '--key', 'current', '--server', 'py-1']);
      assert.equal(run.status, 7);
      assert.equal(resultOf(run).error?.details?.receiver_code, 'BAD_SIGNATURE');
      await py.waitFor((e) => e['error'] === 'BAD_SIGNATURE');
    } finally {
      proxy.rewrite = null;
    }
    assert.equal(await stateOf(py), 'locked');
  });

  test('push --key --previous unlocks it; the event line names the keys and the custodian', async () => {
    const run = ok(await custodian(['--json', 'push', '--key', 'current', '--previous', 'previous', '--server', 'py-1']));
    assert.deepEqual([resultOf(run).outcome, resultOf(run).keyIds], ['unlocked', [ids.current, ids.previous]]);
    const event = await py.waitFor((e) => e['ok'] === true);
    assert.deepEqual(event, { event: 'unlock', ok: true, key_ids: [ids.current, ids.previous], custodian: fingerprint });
    assert.equal(await stateOf(py), 'unlocked');
    const status = jsonOf(ok(await custodian(['--json', 'server', 'status', 'py-1'])));
    assert.equal(status['state'], 'unlocked');
    captured = proxy.requests.filter((r) => r.method === 'POST').at(-1)!.body;
  });

  test('no file written by the Python receiver, nor its output, holds either key in any encoding', () => {
    assertNoKeyLeaks(py);
  });

  test('the captured request replayed is refused; after a restart it is locked and the replay cannot unlock it', async () => {
    assert.ok(captured, 'a request was captured');
    assert.deepEqual(await post(py.url, captured), { status: 409, code: 'ALREADY_UNLOCKED' });
    const oldBoot = py.bootId;
    const oldIdentity = py.identity;
    await py.restart();
    assert.notEqual(py.bootId, oldBoot);
    assert.equal(py.identity, oldIdentity, 'the identity key file is reused');
    assert.equal(await stateOf(py), 'locked', 'a restarted receiver is locked');
    assert.deepEqual(await post(py.url, captured), { status: 409, code: 'WRONG_BOOT' });
    assert.equal(await stateOf(py), 'locked');
    const again = ok(await custodian(['--json', 'push', '--key', 'current', '--server', 'py-1']));
    assert.equal(resultOf(again).outcome, 'unlocked', 'the officer can push again after the restart');
    assertNoKeyLeaks(py);
  });

  test('a receiver that does not list this custodian refuses (UNKNOWN_CUSTODIAN) and stays locked', async () => {
    const strict = await pythonReceiver({ serverId: 'py-strict', authorizedCustodians: `ed25519:${randomBytes(32).toString('base64url')} someone else\n` });
    await pin('py-strict', strict.url, strict.identity);
    const run = await custodian(['--json', 'push', '--key', 'current', '--server', 'py-strict']);
    assert.equal(run.status, 7);
    assert.equal(jsonError(run).code, 'PUSH_REFUSED');
    assert.equal(resultOf(run).error?.details?.receiver_code, 'UNKNOWN_CUSTODIAN');
    await strict.waitFor((e) => e['error'] === 'UNKNOWN_CUSTODIAN');
    assert.equal(await stateOf(strict), 'locked');
  });

  test('identity mismatch: another Python receiver at the pinned address gets nothing', async () => {
    const dir = tempDir('custodian-py-moving-');
    const original = await pythonReceiver({ serverId: 'py-moving', dir: join(dir, 'a') });
    await pin('py-moving', original.url, original.identity);
    const port = original.port;
    await original.stop();
    const impostor = await pythonReceiver({ serverId: 'py-moving', dir: join(dir, 'b'), port });
    assert.notEqual(impostor.identity, original.identity);
    const run = await custodian(['--json', 'push', '--key', 'current', '--server', 'py-moving']);
    assert.equal(run.status, 7);
    assert.equal(jsonError(run).code, 'IDENTITY_MISMATCH');
    assert.equal(impostor.unlockAttempts(), 0, 'the impostor saw no unlock request');
    assert.equal(await stateOf(impostor), 'locked');
  });
});

describe('custodian push -> example Flask app (mail helper, ENCRYPTION_KEY_SOURCE=custodian)', () => {
  let app: ReceiverProcess;
  let appUrl: string;
  let dir: string;

  function seed(raw: Buffer, sender: string, text: string): void {
    // The rows are written before the server boots, with the key on stdin (never a file), as a data job would.
    const run = spawnSync(python, ['-m', 'mail_helper.seed', '--sender', sender, '--database-url', `sqlite:///${join(dir, 'mail.db')}`], {
      input: `${encodeFernetKey(raw).toString('ascii')}\n${text}`,
      env: { ...process.env, PYTHONPATH: EXAMPLE_DIR, PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
  }

  before(async () => {
    dir = tempDir('custodian-mail-helper-');
    seed(keys.previous, 'old@example.org', 'written under the previous key');
    seed(keys.current, 'alice@example.org', 'Hallo Welt – verschlüsselt');
    app = await pythonReceiver({
      command: [python, '-m', 'mail_helper'],
      dir,
      serverId: 'mail-helper',
      env: { PYTHONPATH: EXAMPLE_DIR, PYTHONDONTWRITEBYTECODE: '1', ENCRYPTION_KEY_SOURCE: 'custodian', DATABASE_URL: `sqlite:///${join(dir, 'mail.db')}` },
    });
    appUrl = app.url.replace(/\/custodian$/, '');
    await pin('mail-helper', app.url, app.identity);
  });

  test('before the push the app is up but answers 503 "locked" for its data', async () => {
    assert.deepEqual(JSON.parse((await get(`${appUrl}/health`)).body), { status: 'ok', encryption: 'locked' });
    const locked = await get(`${appUrl}/api/messages`);
    assert.equal(locked.status, 503);
    assert.equal((JSON.parse(locked.body) as { error: string }).error, 'locked');
  });

  test('a wrong key is refused and the data stays locked', async () => {
    const run = await custodian(['--json', 'push', '--key', 'wrong', '--server', 'mail-helper']);
    assert.equal(run.status, 7);
    assert.equal(resultOf(run).error?.code, 'PUSH_REFUSED');
    assert.equal((await get(`${appUrl}/api/messages`)).status, 503);
  });

  test('after push --key --previous it serves the rows decrypted with the pushed keys', async () => {
    const run = ok(await custodian(['--json', 'push', '--key', 'current', '--previous', 'previous', '--server', 'mail-helper']));
    assert.equal(resultOf(run).outcome, 'unlocked');
    const served = await get(`${appUrl}/api/messages`);
    assert.equal(served.status, 200, served.body);
    const messages = (JSON.parse(served.body) as { messages: { sender: string; body: string }[] }).messages;
    assert.deepEqual(messages.map((m) => [m.sender, m.body]), [
      ['old@example.org', 'written under the previous key'],
      ['alice@example.org', 'Hallo Welt – verschlüsselt'],
    ]);
    assert.equal((JSON.parse((await get(`${appUrl}/health`)).body) as { encryption: string }).encryption, 'unlocked');
  });

  test('no file of the app (database, identity, TMPDIR) and none of its output holds a key', () => {
    assert.ok(filesUnder(dir).some((f) => f.endsWith('mail.db')), 'the database was scanned');
    assertNoKeyLeaks(app);
  });

  test('restarted, the app is locked again until the next push', async () => {
    await app.restart();
    assert.equal((await get(`${appUrl}/api/messages`)).status, 503);
    ok(await custodian(['--json', 'push', '--key', 'current', '--previous', 'previous', '--server', 'mail-helper']));
    assert.equal((await get(`${appUrl}/api/messages`)).status, 200);
    assertNoKeyLeaks(app);
  });
});
