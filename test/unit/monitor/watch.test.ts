/**
 * The core watch of `custodian server watch` / `server status --watch`, with a fake clock, scripted probes, a
 * scripted audit log and a recording hook runner: which changes become events and hooks, that a failing hook
 * never stops the watch, what the hook's environment holds (and does not), --until and --timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusResult } from '../../../src-main/core/push/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import {
  HOOK_CONCURRENCY, HOOK_QUEUE_LIMIT, watchServers, type AuditEntry, type HookOutcome, type MonitorClock, type MonitorEvent, type WatchOptions,
} from '../../../src-main/core/monitor/index.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');

/** A clock whose sleep moves time on at once: every round is instantaneous, time is exact. */
class FakeClock implements MonitorClock {
  time = T0;
  sleeps: number[] = [];
  now(): number { return this.time; }
  async sleep(ms: number): Promise<void> { this.sleeps.push(ms); this.time += ms; }
}

const up = (server: string, state: 'locked' | 'unlocked', bootId = 'boot-1'): StatusResult => ({ server, url: `http://127.0.0.1/${server}`, ok: true, state, bootId, serverId: server });
const down = (server: string, code = 'SERVER_UNREACHABLE'): StatusResult => ({
  server, url: `http://127.0.0.1/${server}`, ok: false, error: { code: code as 'SERVER_UNREACHABLE', message: 'no' },
});
const ok: HookOutcome = { ok: true, exitCode: 0, signal: null, timedOut: false, durationMs: 5, output: '' };

interface Setup {
  rounds: StatusResult[][];
  audit?: AuditEntry[][];
  hookResult?: (argv: readonly string[]) => HookOutcome | Promise<HookOutcome>;
  options?: Partial<WatchOptions>;
}

async function run(setup: Setup) {
  const clock = new FakeClock();
  const events: MonitorEvent[] = [];
  const hooks: Array<{ argv: readonly string[]; env: Record<string, string> }> = [];
  const remaining: Array<number | undefined> = [];
  const controller = new AbortController();
  let round = 0;
  const names = [...new Set(setup.rounds.flat().map((r) => r.server))];
  let error: unknown;
  let ended: string | undefined;
  try {
    ended = await watchServers({
      servers: names.map((name) => ({ name, url: `http://127.0.0.1/${name}` })),
      probe: async (left) => {
        remaining.push(left);
        const results = setup.rounds[Math.min(round, setup.rounds.length - 1)]!;
        round += 1;
        if (round >= setup.rounds.length && !setup.options?.until && !setup.options?.timeoutMs) controller.abort();
        return results;
      },
      intervalMs: 1000,
      hooks: { locked: ['page', 'locked'], 'failed-push': ['page', 'push'], unreachable: ['page', 'down'] },
      runHook: async (argv, env) => { hooks.push({ argv, env }); return setup.hookResult ? setup.hookResult(argv) : ok; },
      environment: { PATH: '/usr/bin', HOME: '/home/officer', VAULT_TOKEN: 'hvs.secret', MY_API_KEY: 'k', DB_PASSWORD: 'p', CREDENTIALS_DIRECTORY: '/run/c', CUSTODIAN_HOME: '/h' },
      ...(setup.audit ? { auditEntries: async () => setup.audit!.shift() ?? [] } : {}),
      clock,
      signal: controller.signal,
      report: (event) => events.push(event),
      ...setup.options,
    });
  } catch (caught) {
    error = caught;
  }
  return { clock, events, hooks, remaining, ended, error, rounds: round };
}

const kinds = (events: MonitorEvent[], kind: MonitorEvent['kind']) => events.filter((e) => e.kind === kind);

test('a server seen unlocked then locked turns locked once: one event, one hook with the event in its environment', async () => {
  const { events, hooks } = await run({ rounds: [[up('app-1', 'unlocked')], [up('app-1', 'unlocked')], [up('app-1', 'locked', 'boot-2')], [up('app-1', 'locked', 'boot-2')]] });
  assert.equal(kinds(events, 'locked').length, 1);
  assert.equal(hooks.length, 1);
  assert.deepEqual(hooks[0]!.argv, ['page', 'locked']);
  const env = hooks[0]!.env;
  assert.equal(env['CUSTODIAN_EVENT'], 'locked');
  assert.equal(env['CUSTODIAN_SERVER'], 'app-1');
  assert.equal(env['CUSTODIAN_STATE'], 'locked');
  assert.equal(env['CUSTODIAN_CODE'], '');
  assert.equal(env['CUSTODIAN_URL'], 'http://127.0.0.1/app-1');
  assert.equal(env['PATH'], '/usr/bin', 'the hook finds its programs');
  assert.equal(env['CUSTODIAN_HOME'], '/h');
  for (const secret of ['VAULT_TOKEN', 'MY_API_KEY', 'DB_PASSWORD', 'CREDENTIALS_DIRECTORY']) assert.equal(env[secret], undefined, `${secret} is not passed to hooks`);
  assert.ok(!Object.values(env).includes('hvs.secret'));
  // status lines only when something changed: unlocked (boot-1), locked (boot-2)
  assert.deepEqual(kinds(events, 'status').map((e) => (e as { result: StatusResult }).result.state), ['unlocked', 'locked']);
});

test('a server first seen locked does not turn locked (it may never have been unlocked by this officer)', async () => {
  const { events, hooks } = await run({ rounds: [[up('app-1', 'locked')], [up('app-1', 'locked')], [up('app-1', 'locked', 'boot-2')]] });
  assert.equal(kinds(events, 'locked').length, 0);
  assert.equal(hooks.length, 0);
});

test('unlocked -> unreachable (restarting) -> locked: unreachable once, then locked once (the desktop rule)', async () => {
  const { events, hooks } = await run({ rounds: [[up('app-1', 'unlocked')], [down('app-1')], [down('app-1')], [up('app-1', 'locked', 'boot-2')]] });
  assert.deepEqual(events.filter((e) => e.kind !== 'status' && e.kind !== 'hook').map((e) => e.kind), ['unreachable', 'locked']);
  assert.deepEqual(hooks.map((h) => h.env['CUSTODIAN_EVENT']), ['unreachable', 'locked']);
  assert.equal(hooks[0]!.env['CUSTODIAN_CODE'], 'SERVER_UNREACHABLE');
  assert.equal(hooks[0]!.env['CUSTODIAN_STATE'], 'unreachable');
});

test('a server that does not answer at the first round is unreachable; an identity mismatch is too, with its code', async () => {
  const { hooks } = await run({ rounds: [[down('app-1'), down('app-2', 'IDENTITY_MISMATCH')], [down('app-1'), down('app-2', 'IDENTITY_MISMATCH')]] });
  assert.deepEqual(hooks.map((h) => [h.env['CUSTODIAN_SERVER'], h.env['CUSTODIAN_CODE']]), [['app-1', 'SERVER_UNREACHABLE'], ['app-2', 'IDENTITY_MISMATCH']]);
});

test('failed pushes come from audit entries appended during the watch, for the watched servers only', async () => {
  const { events, hooks } = await run({
    rounds: [[up('app-1', 'locked')], [up('app-1', 'locked')], [up('app-1', 'locked')]],
    audit: [
      [],
      [
        { time: '2026-12-01T00:00:01Z', action: 'push', outcome: 'ok', server: 'app-1', result: 'unlocked', code: null },
        { time: '2026-12-01T00:00:01Z', action: 'push', outcome: 'error', server: 'app-1', url: 'http://127.0.0.1/app-1', result: 'refused', code: 'PUSH_REFUSED' },
        { time: '2026-12-01T00:00:01Z', action: 'push', outcome: 'error', server: 'other', result: 'failed', code: 'SERVER_UNREACHABLE' },
        { time: '2026-12-01T00:00:01Z', action: 'server.add', outcome: 'error', server: 'app-1', code: 'IDENTITY_MISMATCH' },
      ],
    ],
  });
  const failed = kinds(events, 'failed-push');
  assert.equal(failed.length, 1);
  assert.deepEqual(hooks.map((h) => [h.argv[1], h.env['CUSTODIAN_EVENT'], h.env['CUSTODIAN_SERVER'], h.env['CUSTODIAN_STATE'], h.env['CUSTODIAN_CODE']]), [['push', 'failed-push', 'app-1', 'refused', 'PUSH_REFUSED']]);
});

test('a failing, hanging or missing hook is reported and the watch goes on', async () => {
  const outcomes: HookOutcome[] = [
    { ok: false, exitCode: 3, signal: null, timedOut: false, durationMs: 2, output: 'pager down\n' },
    { ok: false, exitCode: null, signal: 'SIGKILL', timedOut: true, durationMs: 30000, output: '' },
  ];
  const { events, rounds } = await run({
    rounds: [[up('a', 'unlocked'), up('b', 'unlocked'), down('c')], [up('a', 'locked'), up('b', 'locked'), down('c')], [up('a', 'unlocked'), up('b', 'unlocked'), up('c', 'unlocked')]],
    hookResult: (argv) => {
      if (argv[1] === 'down') throw new Error('spawn failed');
      return outcomes.shift()!;
    },
  });
  assert.equal(rounds, 3, 'every round ran');
  const reported = kinds(events, 'hook') as Extract<MonitorEvent, { kind: 'hook' }>[];
  assert.equal(reported.length, 3);
  assert.ok(reported.some((e) => e.hook === 'unreachable' && e.outcome.startError === 'EINVAL'));
  assert.ok(reported.some((e) => e.outcome.exitCode === 3 && e.output === 'pager down\n'));
  assert.ok(reported.some((e) => e.outcome.timedOut));
});

test('hooks run at most HOOK_CONCURRENCY at once; beyond the queue limit they are dropped and reported', async () => {
  const count = HOOK_CONCURRENCY + HOOK_QUEUE_LIMIT + 3;
  const names = Array.from({ length: count }, (_, i) => `s-${i}`);
  const events: MonitorEvent[] = [];
  const controller = new AbortController();
  let running = 0;
  let most = 0;
  let finished = 0;
  let calls = 0;
  await watchServers({
    servers: names.map((name) => ({ name, url: name })),
    probe: async () => {
      calls += 1;
      if (calls === 2) {
        // the second round waits (bounded) until the queue has drained, then stops the watch
        for (let i = 0; i < 2000 && finished < HOOK_CONCURRENCY + HOOK_QUEUE_LIMIT; i++) await new Promise((resolve) => setImmediate(resolve));
        controller.abort();
      }
      return names.map((n) => down(n));
    },
    intervalMs: 1000, clock: new FakeClock(), signal: controller.signal, hooks: { unreachable: ['page'] },
    runHook: async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      finished += 1;
      return ok;
    },
    report: (event) => events.push(event),
  });
  assert.equal(most, HOOK_CONCURRENCY);
  assert.equal(kinds(events, 'hook-dropped').length, 3);
  assert.equal(kinds(events, 'hook').length, HOOK_CONCURRENCY + HOOK_QUEUE_LIMIT);
});

test('hooks still waiting when the watch ends are dropped and reported; running ones finish', async () => {
  const { events } = await run({
    rounds: [Array.from({ length: HOOK_CONCURRENCY + 2 }, (_, i) => down(`s-${i}`))],
    hookResult: async () => { await new Promise((resolve) => setImmediate(resolve)); return ok; },
  });
  assert.equal(kinds(events, 'hook').length, HOOK_CONCURRENCY);
  assert.equal(kinds(events, 'hook-dropped').length, 2);
});

test('--until resolves once every server is in the state', async () => {
  const { ended, rounds } = await run({ rounds: [[up('a', 'locked'), up('b', 'unlocked')], [up('a', 'unlocked'), down('b')], [up('a', 'unlocked'), up('b', 'unlocked')]], options: { until: 'unlocked' } });
  assert.equal(ended, 'until');
  assert.equal(rounds, 3);
});

test('--timeout ends the watch with WATCH_TIMEOUT (exit 9) at the deadline, naming the servers still waiting', async () => {
  const { error, clock, remaining } = await run({ rounds: [[up('a', 'unlocked'), up('b', 'locked')]], options: { until: 'unlocked', timeoutMs: 4500 } });
  assert.ok(error instanceof CustodianError);
  assert.equal(error.code, 'WATCH_TIMEOUT');
  assert.equal(error.exitStatus, 9);
  assert.match(error.message, /1 of 2 server\(s\) were not unlocked after 4500ms: b\./);
  assert.deepEqual(error.details, { until: 'unlocked', waiting: ['b'] });
  assert.equal(clock.time - T0, 4500, 'the last wait is cut to the deadline');
  assert.equal(clock.sleeps.at(-1), 500);
  assert.deepEqual(remaining, [4500, 3500, 2500, 1500, 500], 'each probe is bounded by the time left');
});

test('--timeout without --until: the watch ends at the deadline; requests cut by it do not fire "unreachable"', async () => {
  const clockProbe: StatusResult[][] = [[up('a', 'unlocked')]];
  let calls = 0;
  const clock = new FakeClock();
  const hooks: string[] = [];
  await assert.rejects(watchServers({
    servers: [{ name: 'a', url: 'u' }],
    probe: async (left) => {
      calls += 1;
      if (calls === 1) return clockProbe[0]!;
      clock.time += left!; // the request ran until the deadline and was cut
      return [down('a')];
    },
    intervalMs: 1000, timeoutMs: 2000, clock, hooks: { unreachable: ['x'] },
    runHook: async (_argv, env) => { hooks.push(env['CUSTODIAN_EVENT']!); return ok; },
    report: () => undefined,
  }), (error: unknown) => error instanceof CustodianError && error.code === 'WATCH_TIMEOUT' && /ended at its --timeout \(2s\)/.test(error.message));
  assert.deepEqual(hooks, []);
});

test('a stop signal ends the watch after the current round', async () => {
  const controller = new AbortController();
  let calls = 0;
  const ended = await watchServers({
    servers: [{ name: 'a', url: 'u' }],
    probe: async () => { calls += 1; if (calls === 2) controller.abort(); return [up('a', 'locked')]; },
    intervalMs: 1000, clock: new FakeClock(), signal: controller.signal, report: () => undefined,
  });
  assert.equal(ended, 'stopped');
  assert.equal(calls, 2);
});
