/**
 * `custodian identity|server|push` as a user runs them (child processes of bin/custodian.js, real gnome-keyring on
 * a private bus) against real Node receiver processes (bin/custodian-receiver.js) on loopback.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { repoRoot } from '../support/protocol-vectors.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { CLI, type CliRun, jsonError, jsonOf, ok, runCustodian } from '../support/run-cli.js';
import { filesLeaking, filesUnder, leakedForms } from '../support/secret-forms.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let entry: string;
let fingerprint: string;
const keys = { current: randomBytes(32), previous: randomBytes(32), wrong: randomBytes(32) };
const ids = { current: '', previous: '', wrong: '' };
const receivers: ReceiverProcess[] = [];
const proxies: RecordingProxy[] = [];

const custodian = (args: string[], input?: string): Promise<CliRun> =>
  runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 30_000 });

async function receiver(options: { serverId?: string; authorized?: string; keyChecks?: string[]; port?: number; dir?: string; args?: string[] } = {}): Promise<ReceiverProcess> {
  const started = await startReceiver({
    authorizedCustodians: options.authorized ?? `# test\n${entry}\n`,
    keyChecks: options.keyChecks ?? [ids.current, ids.previous],
    serverId: options.serverId ?? 'app-1',
    ...(options.port ? { port: options.port } : {}),
    ...(options.dir ? { dir: options.dir } : {}),
    ...(options.args ? { args: options.args } : {}),
  });
  receivers.push(started);
  return started;
}

/** GET status straight from the receiver (not through the CLI) to see its state. */
function stateOf(r: ReceiverProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    request(`${r.url}/status`, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => {
        const token = (JSON.parse(text) as { status: string }).status;
        resolve((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { state: string }).state);
      });
    }).on('error', reject).end();
  });
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

async function pin(name: string, url: string, identity: string, extra: string[] = []): Promise<void> {
  ok(await custodian(['server', 'add', name, url, '--identity', identity, ...extra]));
}

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  for (const name of ['current', 'previous', 'wrong'] as const) {
    const imported = jsonOf(ok(await custodian(['--json', 'key', 'import', '--name', name], encodeFernetKey(keys[name]).toString('ascii'))));
    ids[name] = imported['id'] as string;
  }
  const shown = ok(await custodian(['identity', 'show']));
  entry = shown.stdout.toString().trimEnd();
  fingerprint = entry.split(' ')[0]!;
});

after(async () => {
  for (const p of proxies) await p.close();
  for (const r of receivers) await r.stop();
  await session?.stop();
});

describe('custodian identity', () => {
  test('show prints exactly one line, the authorized-custodians entry, and the identity persists in the keychain', async () => {
    const again = ok(await custodian(['identity', 'show']));
    const text = again.stdout.toString();
    assert.equal(text.split('\n').filter(Boolean).length, 1);
    assert.equal(text.trimEnd(), entry);
    assert.match(entry, /^ed25519:[A-Za-z0-9_-]{43} \S/);
    assert.equal(again.stderr, '', 'no "created" note the second time');
    const json = jsonOf(ok(await custodian(['--json', 'identity', 'show'])));
    assert.equal(json['fingerprint'], fingerprint);
    const items = spawnSync('secret-tool', ['search', '--all', 'service', session.env['CUSTODIAN_KEYCHAIN_SERVICE']!], { env: { ...process.env, ...session.env }, encoding: 'utf8' });
    assert.match(`${items.stdout}${items.stderr}`, /custodian-identity-ed25519/);
  });
});

describe('custodian server', () => {
  test('add without --identity and without a terminal shows the fingerprint and refuses; nothing is pinned', async () => {
    const r = await receiver({ serverId: 'unconfirmed' });
    const run = await custodian(['server', 'add', 'unconfirmed', r.url]);
    assert.equal(run.status, 7, run.stderr);
    assert.match(run.stderr, /error \[IDENTITY_UNCONFIRMED\]/);
    assert.ok(run.stderr.includes(r.identity), 'the presented fingerprint is shown');
    assert.match(run.stderr, /hint: .*--identity/);
    const list = jsonOf(ok(await custodian(['--json', 'server', 'list'])));
    assert.ok(!(list['servers'] as { name: string }[]).some((s) => s.name === 'unconfirmed'));
  });

  test('add without --identity on a terminal shows the fingerprint and asks: "y" pins it, "n" pins nothing', async () => {
    const r = await receiver({ serverId: 'asked' });
    // util-linux `script` gives the CLI a real pseudo-terminal; we answer once the question is on screen.
    const onTerminal = (name: string, answer: string) => new Promise<{ status: number | null; screen: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', `'${process.execPath}' '${CLI}' server add ${name} ${r.url}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let screen = '';
      let answered = false;
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no prompt; screen: ${screen}`)); }, 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
        if (!answered && screen.includes('[y/N]')) {
          answered = true;
          child.stdin.write(`${answer}\r`);
        }
      });
      child.once('close', (status) => { clearTimeout(timer); resolve({ status, screen }); });
    });
    const declined = await onTerminal('asked', 'n');
    assert.ok(declined.screen.includes(r.identity), 'the fingerprint is shown before the question');
    assert.match(declined.screen, /CONFIRMATION_REQUIRED/);
    assert.notEqual(declined.status, 0);
    const accepted = await onTerminal('asked', 'y');
    assert.equal(accepted.status, 0, accepted.screen);
    const list = jsonOf(ok(await custodian(['--json', 'server', 'list'])));
    const pinned = (list['servers'] as { name: string; identity: string }[]).find((s) => s.name === 'asked');
    assert.equal(pinned?.identity, r.identity);
  });

  test('add with a wrong --identity refuses with IDENTITY_MISMATCH; nothing is pinned', async () => {
    const r = await receiver({ serverId: 'mismatch' });
    const other = await receiver({ serverId: 'other' });
    const run = await custodian(['--json', 'server', 'add', 'mismatch', r.url, '--identity', other.identity]);
    assert.equal(run.status, 7, run.stderr);
    assert.equal(jsonError(run).code, 'IDENTITY_MISMATCH');
    const list = jsonOf(ok(await custodian(['--json', 'server', 'list'])));
    assert.ok(!(list['servers'] as { name: string }[]).some((s) => s.name === 'mismatch'));
  });

  test('add, list, status (locked), remove', async () => {
    const r = await receiver({ serverId: 'listed' });
    const added = jsonOf(ok(await custodian(['--json', 'server', 'add', 'listed', r.url, '--identity', r.identity])));
    assert.equal((added['server'] as { identity: string }).identity, r.identity);
    const listed = jsonOf(ok(await custodian(['--json', 'server', 'list'])));
    assert.ok((listed['servers'] as { name: string; url: string }[]).some((s) => s.name === 'listed' && s.url === r.url));
    const status = jsonOf(ok(await custodian(['--json', 'server', 'status', 'listed'])));
    assert.equal(status['state'], 'locked');
    const human = ok(await custodian(['server', 'status', 'listed'])).stdout.toString();
    assert.match(human, /^listed {2}locked {2}server-id listed/);
    const duplicate = await custodian(['server', 'add', 'listed', r.url, '--identity', r.identity]);
    assert.match(duplicate.stderr, /error \[SERVER_EXISTS\]/);
    ok(await custodian(['server', 'remove', 'listed']));
    const gone = await custodian(['server', 'status', 'listed']);
    assert.equal(gone.status, 4);
    assert.match(gone.stderr, /error \[SERVER_NOT_FOUND\]/);
  });
});

describe('custodian push -> Node receiver', () => {
  let app: ReceiverProcess;
  let proxy: RecordingProxy;
  let captured: Buffer;

  before(async () => {
    app = await receiver({ serverId: 'app-1' });
    proxy = await startRecordingProxy(app.url);
    proxies.push(proxy);
    // Pinned through the proxy: every byte the CLI sends passes a recorder (like a TLS-terminating proxy).
    await pin('app-1', proxy.url, app.identity);
  });

  test('a key the receiver does not expect is refused before anything is sent; still locked', async () => {
    const run = await custodian(['--json', 'push', '--key', ids.wrong, '--server', 'app-1']);
    assert.equal(run.status, 7, run.stderr);
    const result = (jsonOf(run)['results'] as { outcome: string; error: { code: string } }[])[0]!;
    assert.equal(result.outcome, 'refused');
    assert.equal(result.error.code, 'PUSH_REFUSED');
    assert.equal(proxy.requests.filter((r) => r.method === 'POST').length, 0, 'no unlock request went out');
    assert.equal(app.unlockAttempts(), 0);
    assert.equal(await stateOf(app), 'locked');
  });

  test('a request tampered in flight is refused (BAD_SIGNATURE) and the receiver stays locked', async () => {
    proxy.rewrite = (body) => {
      const envelope = JSON.parse(body.toString()) as { protocol: string; request: string };
      const [h, p, s] = envelope.request.split('.') as [string, string, string];
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { sealed: string };
      const sealed = Buffer.from(payload.sealed, 'base64url');
      sealed[sealed.length - 1]! ^= 1; // one bit of the HPKE tag
      payload.sealed = sealed.toString('base64url');
      return Buffer.from(JSON.stringify({ ...envelope, request: `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}` }));
    };
    try {
      const run = await custodian(['--json', 'push', '--key', ids.current, '--server', 'app-1']);
      assert.equal(run.status, 7, run.stderr);
      const result = (jsonOf(run)['results'] as { error: { code: string; details: { receiver_code: string } } }[])[0]!;
      assert.equal(result.error.details.receiver_code, 'BAD_SIGNATURE');
      await app.waitFor((e) => e['error'] === 'BAD_SIGNATURE');
    } finally {
      proxy.rewrite = null;
    }
    assert.equal(await stateOf(app), 'locked');
  });

  test('push --key --previous unlocks it; receipt kept; status says unlocked', async () => {
    const run = ok(await custodian(['--json', 'push', '--key', 'current', '--previous', 'previous', '--server', 'app-1']));
    for (const key of [keys.current, keys.previous]) assert.deepEqual(leakedForms(run.stdout.toString() + run.stderr, key), [], 'CLI output');
    const out = jsonOf(run);
    assert.equal(out['ok'], true);
    const result = (out['results'] as { server: string; outcome: string; keyIds: string[] }[])[0]!;
    assert.deepEqual([result.server, result.outcome, result.keyIds], ['app-1', 'unlocked', [ids.current, ids.previous]]);
    const event = await app.waitFor((e) => e['ok'] === true);
    assert.deepEqual(event['key_ids'], [ids.current, ids.previous]);
    assert.equal(event['custodian'], fingerprint);
    assert.equal(await stateOf(app), 'unlocked');
    const status = jsonOf(ok(await custodian(['--json', 'server', 'status', 'app-1'])));
    assert.equal(status['state'], 'unlocked');
    const receipts = readFileSync(join(session.env['CUSTODIAN_HOME']!, 'receipts.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { server: string; keyIds: string[]; jws: string });
    const receipt = receipts.find((r) => r.server === 'app-1');
    assert.ok(receipt, 'the receipt is stored');
    assert.deepEqual(receipt.keyIds, [ids.current, ids.previous]);
    assert.equal(receipt.jws.split('.').length, 3);
    captured = proxy.requests.filter((r) => r.method === 'POST').at(-1)!.body;
  });

  test('pushing again reports already-unlocked and sends nothing', async () => {
    const posts = proxy.requests.filter((r) => r.method === 'POST').length;
    const out = jsonOf(ok(await custodian(['--json', 'push', '--key', 'current', '--previous', 'previous', '--server', 'app-1'])));
    assert.equal((out['results'] as { outcome: string }[])[0]!.outcome, 'already-unlocked');
    assert.equal(proxy.requests.filter((r) => r.method === 'POST').length, posts);
  });

  test('no file written by the receiver, nor its output, holds either key in any encoding', () => {
    const files = filesUnder(app.dir);
    assert.ok(files.some((f) => f.endsWith('identity.key')), `scanned ${files.join(', ')}`);
    for (const key of [keys.current, keys.previous]) {
      assert.deepEqual(filesLeaking(app.dir, key), []);
      assert.deepEqual(leakedForms(app.stdout() + app.stderr(), key), []);
      assert.deepEqual(filesLeaking(session.env['CUSTODIAN_HOME']!, key), [], 'custodian home (servers, receipts, audit log)');
    }
  });

  test('the captured request replayed is refused while unlocked, and after a restart (locked again) cannot unlock it', async () => {
    assert.ok(captured, 'a request was captured');
    const replay = await post(app.url, captured);
    assert.deepEqual(replay, { status: 409, code: 'ALREADY_UNLOCKED' });
    const oldBoot = app.bootId;
    await app.restart();
    assert.notEqual(app.bootId, oldBoot);
    assert.equal(await stateOf(app), 'locked', 'a restarted receiver is locked');
    const afterRestart = await post(app.url, captured);
    assert.deepEqual(afterRestart, { status: 409, code: 'WRONG_BOOT' });
    assert.equal(await stateOf(app), 'locked');
    const again = jsonOf(ok(await custodian(['--json', 'push', '--key', 'current', '--server', 'app-1'])));
    assert.equal((again['results'] as { outcome: string }[])[0]!.outcome, 'unlocked', 'the officer can push again after the restart');
  });
});

describe('custodian push refusals', () => {
  test('a receiver that does not list this custodian refuses (UNKNOWN_CUSTODIAN) and stays locked', async () => {
    const stranger = `ed25519:${randomBytes(32).toString('base64url')} someone else`;
    const r = await receiver({ serverId: 'strict', authorized: `${stranger}\n` });
    await pin('strict', r.url, r.identity);
    const run = await custodian(['--json', 'push', '--key', 'current', '--server', 'strict']);
    assert.equal(run.status, 7, run.stderr);
    const result = (jsonOf(run)['results'] as { error: { code: string; hint: string; details: { receiver_code: string } } }[])[0]!;
    assert.equal(result.error.details.receiver_code, 'UNKNOWN_CUSTODIAN');
    assert.match(result.error.hint, /identity show/);
    assert.equal(jsonError(run).code, 'PUSH_REFUSED');
    assert.equal(await stateOf(r), 'locked');
  });

  test('identity mismatch: another receiver now answers at the pinned address; the client sends nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custodian-moving-'));
    try {
      const original = await receiver({ serverId: 'moving', dir: join(dir, 'a') });
      await pin('moving', original.url, original.identity);
      const port = original.port;
      await original.stop();
      const impostor = await receiver({ serverId: 'moving', dir: join(dir, 'b'), port });
      assert.notEqual(impostor.identity, original.identity);
      const run = await custodian(['--json', 'push', '--key', 'current', '--server', 'moving']);
      assert.equal(run.status, 7, run.stderr);
      assert.equal(jsonError(run).code, 'IDENTITY_MISMATCH');
      const result = (jsonOf(run)['results'] as { outcome: string; error: { code: string } }[])[0]!;
      assert.equal(result.error.code, 'IDENTITY_MISMATCH');
      assert.equal(impostor.unlockAttempts(), 0, 'the impostor saw no unlock request');
      assert.equal(await stateOf(impostor), 'locked');
      const status = await custodian(['--json', 'server', 'status', 'moving']);
      assert.equal(status.status, 7, status.stderr);
      assert.equal(((jsonOf(status)['servers'] as { error: { code: string } }[])[0]!).error.code, 'IDENTITY_MISMATCH');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('parallel push to three servers: one result each; --watch --until unlocked sees them all', async () => {
    const group = await Promise.all(['p-1', 'p-2', 'p-3'].map((id) => receiver({ serverId: id })));
    for (const [i, r] of group.entries()) await pin(`p-${i + 1}`, r.url, r.identity);
    const watcher = custodian(['server', 'status', 'p-1', 'p-2', 'p-3', '--watch', '--interval', '0.2', '--until', 'unlocked']);
    const out = jsonOf(ok(await custodian(['--json', 'push', '--key', 'current', '--server', 'p-1', 'p-2', 'p-3'])));
    const results = out['results'] as { server: string; outcome: string }[];
    assert.deepEqual(results.map((r) => [r.server, r.outcome]), [['p-1', 'unlocked'], ['p-2', 'unlocked'], ['p-3', 'unlocked']]);
    const watched = ok(await watcher).stdout.toString();
    for (const name of ['p-1', 'p-2', 'p-3']) assert.match(watched, new RegExp(`${name} {2}unlocked`));
  });

  test('an https receiver with a self-signed certificate: refused until its certificate is pinned with --tls-ca', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custodian-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.pem')], { stdio: 'ignore' });
      const r = await receiver({ serverId: 'tls', args: ['--tls-cert', join(dir, 'tls.pem'), '--tls-key', join(dir, 'tls.key')] });
      assert.match(r.url, /^https:/);
      const unpinned = await custodian(['server', 'add', 'tls', r.url, '--identity', r.identity]);
      assert.equal(unpinned.status, 7, unpinned.stderr);
      assert.match(unpinned.stderr, /error \[SERVER_UNREACHABLE\].*TLS/);
      assert.match(unpinned.stderr, /--tls-ca/);
      await pin('tls', r.url, r.identity, ['--tls-ca', join(dir, 'tls.pem')]);
      const out = jsonOf(ok(await custodian(['--json', 'push', '--key', 'current', '--server', 'tls'])));
      assert.equal((out['results'] as { outcome: string }[])[0]!.outcome, 'unlocked');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('custodian-receiver command', () => {
  test('`npx custodian-receiver --help` works from the repository root', () => {
    const run = spawnSync('npx', ['--no-install', 'custodian-receiver', '--help'], { cwd: repoRoot(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /--identity-key FILE/);
  });

  test('refuses to start with a group-readable identity key, or an authorized-custodians file without custodians', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custodian-config-'));
    try {
      writeFileSync(join(dir, 'id.key'), 'x', { mode: 0o644 });
      const insecure = await startReceiver({ dir, authorizedCustodians: `${entry}\n`, keyChecks: [ids.current], args: ['--identity-key', join(dir, 'id.key')] })
        .then(() => 'started', (error: Error) => error.message);
      assert.match(insecure, /INSECURE_FILE.*chmod 600/s);
      const empty = await startReceiver({ dir: join(dir, 'e'), authorizedCustodians: '# nobody\n', keyChecks: [ids.current] }).then(() => 'started', (error: Error) => error.message);
      assert.match(empty, /INVALID_CONFIG.*lists no custodian/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
