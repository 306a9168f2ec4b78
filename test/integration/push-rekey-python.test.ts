/**
 * Issue 11's trap, as a regression test with real processes: the real CLI (real gnome-keyring) and the example
 * mail helper (`python -m mail_helper`, its own receiver, SQLite rows) on loopback.
 *
 * Before protocol §12.12: `custodian push --key NEW` without `--previous` exited 0, the app then answered 500
 * "undecryptable" for every old row, and a corrective push was refused until the server was restarted. Now the
 * push is refused (REKEY_KEY_IN_USE) while rows are under the old key, the corrective push rekeys the running
 * server (no restart), `python -m mail_helper rotate` re-encrypts, the signed status counts what is left
 * (tokens_under_previous), and only at 0 does `push --key NEW` retire the old key. The key-check file is re-read
 * on SIGHUP, so the new key id is deployed first, without a restart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { repoRoot } from '../support/protocol-vectors.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { httpGet } from '../support/http-get.js';
import { jsonError, jsonOf, ok, runCustodian, type CliRun } from '../support/run-cli.js';
import { filesLeaking, leakedForms } from '../support/secret-forms.js';

const EXAMPLE_DIR = join(repoRoot(), 'receivers', 'python', 'examples', 'mail_helper');
// The repo's receiver package first, so the test runs this checkout's code whatever the venv has installed.
const PYTHONPATH = `${join(repoRoot(), 'receivers', 'python', 'src')}:${EXAMPLE_DIR}`;

let session: KeyringSession;
let env: Record<string, string | undefined>;
let python: string;
let app: ReceiverProcess;
let appUrl: string;
let dir: string;
let checkFile: string;
const keys = { old: randomBytes(32), next: randomBytes(32) };
const ids = { old: '', next: '' };

const custodian = (args: string[], input?: string): Promise<CliRun> =>
  runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 30_000 });

const get = httpGet;

type Result = { outcome: string; retired?: string[]; error?: { code: string; details?: Record<string, unknown> } };
const resultOf = (run: CliRun): Result => (jsonOf(run)['results'] as Result[])[0]!;

async function status(): Promise<{ state: string; installedKeyIds: string[]; keyChecks: string[]; tokensUnderPrevious: number | null }> {
  const run = ok(await custodian(['--json', 'server', 'status', 'mail-helper']));
  return (jsonOf(run)['servers'] as { state: string; installedKeyIds: string[]; keyChecks: string[]; tokensUnderPrevious: number | null }[])[0]!;
}

function seed(raw: Buffer, sender: string, text: string): void {
  const run = spawnSync(python, ['-m', 'mail_helper.seed', '--sender', sender, '--database-url', `sqlite:///${join(dir, 'mail.db')}`], {
    input: `${encodeFernetKey(raw).toString('ascii')}\n${text}`,
    env: { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
}

async function messagesServed(): Promise<string[]> {
  const served = await get(`${appUrl}/api/messages`);
  assert.equal(served.status, 200, `every row decrypts: ${served.body}`);
  return (JSON.parse(served.body) as { messages: { body: string }[] }).messages.map((m) => m.body);
}

before(async () => {
  python = process.env['CUSTODIAN_TEST_PYTHON'] ?? '';
  assert.ok(python && existsSync(python), 'CUSTODIAN_TEST_PYTHON must name the venv python');
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  for (const name of ['old', 'next'] as const) {
    ids[name] = jsonOf(ok(await custodian(['--json', 'key', 'import', '--name', `mail-${name}`], encodeFernetKey(keys[name]).toString('ascii'))))['id'] as string;
  }
  const entry = ok(await custodian(['identity', 'show'])).stdout.toString().trimEnd();
  dir = mkdtempSync(join(tmpdir(), 'custodian-rekey-'));
  for (let i = 0; i < 3; i++) seed(keys.old, `user${i}@example.org`, `row ${i} under the old key`);
  checkFile = join(dir, 'key-checks');
  writeFileSync(checkFile, `# newest first\n${ids.old}\n`);
  app = await startReceiver({
    command: [python, '-m', 'mail_helper'],
    dir,
    authorizedCustodians: `# test\n${entry}\n`,
    keyChecks: [],
    serverId: 'mail-helper',
    args: ['--key-check-file', checkFile],
    env: { PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1', ENCRYPTION_KEY_SOURCE: 'custodian', DATABASE_URL: `sqlite:///${join(dir, 'mail.db')}` },
  });
  appUrl = app.url.replace(/\/custodian$/, '');
  ok(await custodian(['server', 'add', 'mail-helper', app.url, '--identity', app.identity]));
});

after(async () => {
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await session?.stop();
});

describe('issue 11: rotating the mail helper\'s key without a restart and without losing old rows', () => {
  test('unlocked with the old key, the signed status reports 0 tokens under previous keys', async () => {
    assert.equal(resultOf(ok(await custodian(['--json', 'push', '--key', 'mail-old', '--server', 'mail-helper']))).outcome, 'unlocked');
    assert.equal((await messagesServed()).length, 3);
    const seen = await status();
    assert.deepEqual([seen.state, seen.installedKeyIds, seen.tokensUnderPrevious], ['unlocked', [ids.old], 0]);
  });

  test('the new key id is deployed first: SIGHUP re-reads the key-check file, the status lists it', async () => {
    writeFileSync(checkFile, `${ids.next}\n${ids.old}\n`);
    process.kill(app.pid, 'SIGHUP');
    const line = await app.waitFor((event) => event.event === 'key_checks', 10_000);
    assert.deepEqual(line, { event: 'key_checks', ok: true, key_checks: [ids.next, ids.old] });
    assert.deepEqual((await status()).keyChecks, [ids.next, ids.old]);
  });

  test('THE TRAP: push --key NEW without --previous is refused (it used to exit 0 and leave every old row undecryptable)', async () => {
    const run = await custodian(['--json', 'push', '--key', 'mail-next', '--server', 'mail-helper']);
    assert.equal(run.status, 7, run.stdout.toString());
    assert.equal(resultOf(run).error?.code, 'REKEY_KEY_IN_USE');
    assert.equal(jsonError(run).code, 'REKEY_KEY_IN_USE');
    assert.equal((await messagesServed()).length, 3, 'the old rows still decrypt: nothing was sent');
    assert.deepEqual((await status()).installedKeyIds, [ids.old]);
  });

  test('the corrective push --key NEW --previous OLD rekeys the running server (no restart)', async () => {
    const bootBefore = app.bootId;
    const result = resultOf(ok(await custodian(['--json', 'push', '--key', 'mail-next', '--previous', 'mail-old', '--server', 'mail-helper'])));
    assert.equal(result.outcome, 'rekeyed');
    const seen = await status();
    assert.deepEqual([seen.state, seen.installedKeyIds, seen.tokensUnderPrevious], ['unlocked', [ids.next, ids.old], 3]);
    assert.equal(app.bootId, bootBefore, 'the same process and boot');
    assert.equal((await messagesServed()).length, 3);
    assert.ok(app.events().some((e) => e.event === 'rekey' && e['ok'] === true));
  });

  test('while rows are under the old key, dropping it is refused; after `mail_helper rotate` it is retired', async () => {
    const refused = await custodian(['--json', 'push', '--key', 'mail-next', '--server', 'mail-helper']);
    assert.equal(refused.status, 7);
    assert.equal(resultOf(refused).error?.code, 'REKEY_KEY_IN_USE');
    assert.equal(resultOf(refused).error?.details?.['tokens_under_previous'], 3);
    const rotate = spawnSync(python, ['-m', 'mail_helper', 'rotate', '--app-url', appUrl], {
      env: { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(rotate.status, 0, rotate.stderr);
    assert.equal((await status()).tokensUnderPrevious, 0);
    const result = resultOf(ok(await custodian(['--json', 'push', '--key', 'mail-next', '--server', 'mail-helper'])));
    assert.deepEqual([result.outcome, result.retired], ['rekeyed', [ids.old]]);
    assert.deepEqual((await status()).installedKeyIds, [ids.next]);
    assert.equal((await messagesServed()).length, 3, 'every row decrypts with the new key alone');
  });

  test('a locked server that also accepts the old key: push --key NEW alone warns loudly, the old key stays pushable', async () => {
    await app.restart();
    const run = ok(await custodian(['--json', 'push', '--key', 'mail-next', '--server', 'mail-helper']));
    assert.equal(resultOf(run).outcome, 'unlocked');
    assert.match(((jsonOf(run)['results'] as { warnings?: string[] }[])[0]!.warnings ?? []).join('\n'), /also accepts .*which you hold/);
    assert.equal((await messagesServed()).length, 3, 'every row is under the new key (re-encrypted above)');
  });

  test('no file of the app and none of its output holds either key', () => {
    for (const key of [keys.old, keys.next]) {
      assert.deepEqual(filesLeaking(dir, key), []);
      assert.deepEqual(leakedForms(app.stdout() + app.stderr(), key), []);
    }
  });
});
