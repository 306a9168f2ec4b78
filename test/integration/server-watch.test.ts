/**
 * `custodian server watch` and `server status --watch --timeout` as a user runs them (child processes of
 * bin/custodian.js, a real gnome-keyring on a private bus) against real Node receiver processes on loopback that
 * are restarted (they boot locked) and stopped. Hooks are real programs (sh) writing files in a temp dir; the
 * hook runner's deadline is checked on a real process tree.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { spawnHook } from '../../src-main/core/monitor/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { CLI, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let entry: string;
let dir: string;
const keys = { current: randomBytes(32), wrong: randomBytes(32) };
const ids = { current: '', wrong: '' };
const receivers: ReceiverProcess[] = [];
const watches: Watch[] = [];

const custodian = (args: string[], input?: string, timeoutMs = 30_000): Promise<CliRun> =>
  runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs });

function ok(run: CliRun): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished');
  assert.equal(run.status, 0, `exit ${run.status}; stderr: ${run.stderr}; stdout: ${run.stdout}`);
  return run;
}

async function receiver(serverId: string): Promise<ReceiverProcess> {
  const started = await startReceiver({ authorizedCustodians: `${entry}\n`, keyChecks: [ids.current], serverId });
  receivers.push(started);
  ok(await custodian(['server', 'add', serverId, started.url, '--identity', started.identity]));
  return started;
}

/** Reads KEY=VALUE lines that a hook wrote with `env > FILE`. */
function envFile(path: string): Map<string, string> {
  return new Map(readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Watch {
  stdout(): string;
  stderr(): string;
  events(): Record<string, unknown>[];
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** A long-running CLI whose output is read while it runs (runCustodian only returns at the end). */
function startWatch(args: string[], extraEnv: Record<string, string> = {}): Watch {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => { out += t; });
  child.stderr.setEncoding('utf8').on('data', (t: string) => { err += t; });
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (status, signal) => { clearTimeout(killer); resolve({ status, signal }); });
  });
  const watch: Watch = {
    stdout: () => out,
    stderr: () => err,
    events: () => out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    done,
    kill: (signal) => child.kill(signal),
  };
  watches.push(watch);
  return watch;
}

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  dir = mkdtempSync(join(tmpdir(), 'custodian-watch-'));
  for (const name of ['current', 'wrong'] as const) {
    ids[name] = jsonOf(ok(await custodian(['--json', 'key', 'import', '--name', name], encodeFernetKey(keys[name]).toString('ascii'))))['id'] as string;
  }
  entry = ok(await custodian(['identity', 'show'])).stdout.toString().trimEnd();
});

after(async () => {
  for (const w of watches) w.kill('SIGKILL');
  for (const r of receivers) await r.stop();
  await session?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('custodian server watch', () => {
  test('a restart runs --on-locked with the event in its environment; a failed push runs --on-failed-push; SIGTERM ends it with 0', async () => {
    const r = await receiver('app-1');
    ok(await custodian(['push', '--key', 'current', '--server', 'app-1']));
    const watch = startWatch([
      // --all as DEPLOYMENT.md runs it; app-1 is the only server pinned so far.
      '--json', 'server', 'watch', '--all', '--interval', '0.2', '--timeout', '80s',
      '--on-locked', `sh -c 'env > ${dir}/locked.tmp && mv ${dir}/locked.tmp ${dir}/locked.env; echo "paged for $CUSTODIAN_SERVER"'`,
      '--on-failed-push', `sh -c 'env > ${dir}/failed.tmp && mv ${dir}/failed.tmp ${dir}/failed.env'`,
    ], { VAULT_TOKEN: 'hvs.watch-test-token', CUSTODIAN_TEST_PASSWORD: 'hunter2' });
    await until('the first status line', () => watch.events().some((e) => e['event'] === 'status' && e['state'] === 'unlocked'));

    await r.restart();
    await until('the --on-locked hook', () => existsSync(join(dir, 'locked.env')) && watch.events().some((e) => e['event'] === 'hook'));
    const locked = envFile(join(dir, 'locked.env'));
    assert.equal(locked.get('CUSTODIAN_EVENT'), 'locked');
    assert.equal(locked.get('CUSTODIAN_SERVER'), 'app-1');
    assert.equal(locked.get('CUSTODIAN_STATE'), 'locked');
    assert.equal(locked.get('CUSTODIAN_CODE'), '');
    assert.equal(locked.get('CUSTODIAN_URL'), r.url);
    assert.equal(locked.get('VAULT_TOKEN'), undefined, 'secret-looking variables are not passed to hooks');
    assert.equal(locked.get('CUSTODIAN_TEST_PASSWORD'), undefined);
    assert.ok(!readFileSync(join(dir, 'locked.env'), 'utf8').includes('hvs.watch-test-token'));

    const push = await custodian(['push', '--key', 'wrong', '--server', 'app-1']);
    assert.equal(push.status, 7, push.stderr);
    await until('the --on-failed-push hook', () => existsSync(join(dir, 'failed.env')));
    const failed = envFile(join(dir, 'failed.env'));
    assert.equal(failed.get('CUSTODIAN_EVENT'), 'failed-push');
    assert.equal(failed.get('CUSTODIAN_SERVER'), 'app-1');
    assert.equal(failed.get('CUSTODIAN_STATE'), 'refused');
    assert.equal(failed.get('CUSTODIAN_CODE'), 'PUSH_REFUSED');
    await until('two hook reports', () => watch.events().filter((e) => e['event'] === 'hook').length === 2);

    watch.kill('SIGTERM');
    const end = await watch.done;
    assert.equal(end.status, 0, watch.stderr());
    const events = watch.events(); // every stdout line parses: the hook's "paged for" went to stderr
    assert.deepEqual(events.filter((e) => e['event'] === 'locked').map((e) => e['server']), ['app-1']);
    assert.deepEqual(events.filter((e) => e['event'] === 'failed-push').map((e) => [e['server'], e['code'], e['outcome']]), [['app-1', 'PUSH_REFUSED', 'refused']]);
    assert.ok(events.filter((e) => e['event'] === 'hook').every((e) => e['ok'] === true && e['exitCode'] === 0), JSON.stringify(events));
    assert.match(watch.stderr(), /hook --on-locked \(app-1\): paged for app-1/);
    assert.ok(!watch.stdout().includes('paged for'));
  });

  test('a stopped server runs --on-unreachable; a failing hook is reported and the watch goes on until --timeout (exit 9)', async () => {
    const r = await receiver('app-2');
    await r.stop();
    const started = Date.now();
    const run = await custodian([
      '--json', 'server', 'watch', 'app-2', '--interval', '0.2', '--timeout', '3s',
      '--on-unreachable', `sh -c 'echo "$CUSTODIAN_CODE" >> ${dir}/unreachable.log; echo pager down >&2; exit 3'`,
    ]);
    const elapsed = Date.now() - started;
    assert.equal(run.status, 9, run.stderr);
    assert.ok(elapsed < 15_000, `ended near its --timeout (${elapsed} ms)`);
    assert.match(run.stderr, /"code":"WATCH_TIMEOUT"/);
    assert.match(run.stderr, /hook --on-unreachable \(app-2\): pager down/);
    assert.equal(readFileSync(join(dir, 'unreachable.log'), 'utf8'), 'SERVER_UNREACHABLE\n', 'one hook for one outage');
    const events = run.stdout.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(events.filter((e) => e['event'] === 'unreachable').map((e) => [e['server'], e['code']]), [['app-2', 'SERVER_UNREACHABLE']]);
    const hook = events.find((e) => e['event'] === 'hook')!;
    assert.equal(hook['ok'], false);
    assert.equal(hook['exitCode'], 3);
  });

  test('bad flags change nothing: no servers chosen, a hook program that does not exist, an unclosed quote, a bad duration', async () => {
    const cases: Array<[string[], number, string]> = [
      [['server', 'watch'], 2, 'USAGE'],
      [['server', 'watch', 'app-1', '--all'], 2, 'USAGE'],
      [['server', 'watch', 'app-1', '--on-locked', 'no-such-program-xyz --flag'], 2, 'INVALID_INPUT'],
      [['server', 'watch', 'app-1', '--on-locked', 'sh -c "echo'], 2, 'USAGE'],
      [['server', 'watch', 'app-1', '--timeout', 'soon'], 2, 'USAGE'],
      [['server', 'watch', 'no-such-server'], 4, 'SERVER_NOT_FOUND'],
    ];
    for (const [args, status, code] of cases) {
      const run = await custodian(args);
      assert.equal(run.status, status, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`error \\[${code}\\]`), args.join(' '));
      assert.equal(run.stdout.length, 0);
    }
  });
});

describe('custodian server status --watch --timeout', () => {
  test('--until unlocked on a locked server ends at the --timeout with exit 9 and names it; --until locked exits 0', async () => {
    await receiver('app-3');
    const started = Date.now();
    const run = await custodian(['server', 'status', 'app-3', '--watch', '--interval', '0.2', '--until', 'unlocked', '--timeout', '2s']);
    assert.equal(run.status, 9, run.stderr);
    assert.ok(Date.now() - started < 12_000);
    assert.match(run.stderr, /error \[WATCH_TIMEOUT\]: 1 of 1 server\(s\) were not unlocked after 2s: app-3\./);
    assert.match(run.stderr, /\nhint: ./);
    assert.match(run.stdout.toString(), /app-3 {2}locked/);
    ok(await custodian(['server', 'status', 'app-3', '--watch', '--interval', '0.2', '--until', 'locked', '--timeout', '20s']));
    ok(await custodian(['push', '--key', 'current', '--server', 'app-3']));
    const unlocked = ok(await custodian(['--json', 'server', 'status', 'app-3', '--watch', '--until', 'unlocked', '--timeout', '2m']));
    assert.equal(JSON.parse(unlocked.stdout.toString().trim())['state'], 'unlocked');
  });
});

describe('hook runner', () => {
  test('a hook that outlives its deadline is killed with its whole process group and reported as timed out', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const outcome = await spawnHook(['sh', '-c', `sleep 60 & echo $! > ${pidFile}; echo started; wait`], { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, 500);
    assert.equal(outcome.timedOut, true);
    assert.equal(outcome.ok, false);
    assert.ok(outcome.durationMs < 5000);
    assert.match(outcome.output, /started/);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await until('the grandchild to be gone', () => { try { process.kill(grandchild, 0); return false; } catch { return true; } }, 5000);
  });

  test('exit status, start errors and output are reported; no shell interprets the arguments', async () => {
    const failed = await spawnHook(['sh', '-c', 'echo out; echo err >&2; exit 4'], { PATH: process.env['PATH'] ?? '' });
    assert.deepEqual([failed.ok, failed.exitCode, failed.timedOut], [false, 4, false]);
    assert.match(failed.output, /out/);
    assert.match(failed.output, /err/);
    const missing = await spawnHook([join(dir, 'nothing-here')], {});
    assert.equal(missing.ok, false);
    assert.equal(missing.startError, 'ENOENT');
    const literal = await spawnHook(['echo', '$HOME; rm -rf /', '`id`'], { PATH: process.env['PATH'] ?? '', HOME: '/nowhere' });
    assert.equal(literal.output, '$HOME; rm -rf / `id`\n');
  });
});
