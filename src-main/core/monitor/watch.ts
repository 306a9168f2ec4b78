/**
 * The watch loop behind `custodian server watch` and `custodian server status --watch`: probe the servers every
 * interval, report each change, and turn what needs a person into events, each running the officer's hook:
 *
 *   locked       a server turns locked (StateTurns: the same rule as the desktop watcher)
 *   unreachable  a server stops giving a valid signed status (its previous answer in this watch was valid, or
 *                it does not answer at the first round); CUSTODIAN_CODE says why (SERVER_UNREACHABLE,
 *                IDENTITY_MISMATCH, …)
 *   failed-push  a push to one of the watched servers failed: an audit entry `action: "push", outcome: "error"`
 *                appended since the watch started (by any `custodian push` or the desktop app of this custodian)
 *
 * Hooks never stop the watch: a failing, hanging (killed after 30 s) or missing hook is reported as an event.
 * At most HOOK_CONCURRENCY hooks run at once and HOOK_QUEUE_LIMIT wait; more are dropped and reported. The
 * clock, the probe, the audit tail and the hook runner are injected, so unit tests drive it with a fake clock.
 */
import { CustodianError } from '../errors.js';
import type { StatusResult } from '../push/push.js';
import type { AuditEntry } from './audit-tail.js';
import { hookEnvironment, spawnHook, type HookEvent, type HookEventName, type HookOutcome, type HookRunner } from './hooks.js';
import { StateTurns } from './turns.js';

export interface MonitorClock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemMonitorClock: MonitorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  }),
};

export type MonitorEvent =
  | { kind: 'status'; time: string; result: StatusResult }
  | { kind: 'locked'; time: string; server: string; url: string; bootId?: string }
  | { kind: 'unreachable'; time: string; server: string; url: string; code: string }
  | { kind: 'failed-push'; time: string; server: string; url: string; code: string; outcome: string; pushedAt?: string }
  | { kind: 'hook'; time: string; hook: HookEventName; server: string; outcome: Omit<HookOutcome, 'output'>; output: string }
  | { kind: 'hook-dropped'; time: string; hook: HookEventName; server: string };

export interface WatchedServer {
  name: string;
  url: string;
}

export interface WatchOptions {
  servers: readonly WatchedServer[];
  /** One status per server; `remainingMs` (until the --timeout) bounds each request when set. */
  probe(remainingMs: number | undefined): Promise<StatusResult[]>;
  intervalMs: number;
  /** Ends the watch with WATCH_TIMEOUT after this long. */
  timeoutMs?: number;
  /** Ends the watch (resolves 'until') once every server is in this state. */
  until?: 'locked' | 'unlocked';
  /** argv per event (from splitCommand). */
  hooks?: Partial<Record<HookEventName, readonly string[]>>;
  runHook?: HookRunner;
  /** The environment hooks inherit (secret-looking names are removed, see hookEnvironment). */
  environment?: NodeJS.ProcessEnv;
  /** Audit entries appended since the last call (AuditTail.next); enables failed-push events. */
  auditEntries?: () => Promise<AuditEntry[]>;
  clock?: MonitorClock;
  /** Aborting it ends the watch (resolves 'stopped') after the current round. */
  signal?: AbortSignal;
  report(event: MonitorEvent): void;
}

export const HOOK_CONCURRENCY = 4;
export const HOOK_QUEUE_LIMIT = 64;

export async function watchServers(options: WatchOptions): Promise<'until' | 'stopped'> {
  const clock = options.clock ?? systemMonitorClock;
  const time = () => new Date(clock.now()).toISOString();
  const deadline = options.timeoutMs === undefined ? undefined : clock.now() + options.timeoutMs;
  const names = new Set(options.servers.map((s) => s.name));
  const lastLine = new Map<string, string>();
  const turns = new StateTurns<'locked' | 'unlocked'>();
  const answered = new Map<string, boolean>();
  const hooks = new HookQueue(options, time);
  let last: StatusResult[] = [];
  try {
    while (!options.signal?.aborted) {
      const results = await options.probe(deadline === undefined ? undefined : Math.max(1, deadline - clock.now()));
      last = results;
      if (options.until && results.every((r) => r.ok && r.state === options.until)) {
        report(results);
        return 'until';
      }
      // Requests cut short by the deadline are not "unreachable": stop before judging this round.
      if (deadline !== undefined && clock.now() >= deadline) throw timeoutError(options, last);
      report(results);
      await pushFailures();
      if (options.signal?.aborted) break;
      const wait = deadline === undefined ? options.intervalMs : Math.min(options.intervalMs, deadline - clock.now());
      await clock.sleep(Math.max(0, wait), options.signal);
      if (deadline !== undefined && clock.now() >= deadline && !options.signal?.aborted) throw timeoutError(options, last);
    }
    return 'stopped';
  } finally {
    await hooks.finish();
  }

  function report(results: StatusResult[]): void {
    for (const result of results) {
      const line = result.ok ? `${result.state}|${result.bootId}` : `error|${result.error?.code}`;
      if (lastLine.get(result.server) !== line) {
        lastLine.set(result.server, line);
        options.report({ kind: 'status', time: time(), result });
      }
      if (!result.ok) {
        const code = result.error?.code ?? 'SERVER_UNREACHABLE';
        if (answered.get(result.server) !== false) {
          options.report({ kind: 'unreachable', time: time(), server: result.server, url: result.url, code });
          hooks.fire({ event: 'unreachable', server: result.server, state: 'unreachable', code, url: result.url, time: time() });
        }
        answered.set(result.server, false);
        continue;
      }
      answered.set(result.server, true);
      if (result.state && turns.see(result.server, result.state) === 'locked') {
        options.report({ kind: 'locked', time: time(), server: result.server, url: result.url, ...(result.bootId ? { bootId: result.bootId } : {}) });
        hooks.fire({ event: 'locked', server: result.server, state: 'locked', code: '', url: result.url, time: time() });
      }
    }
  }

  async function pushFailures(): Promise<void> {
    if (!options.auditEntries) return;
    for (const entry of await options.auditEntries()) {
      if (entry.action !== 'push' || entry.outcome !== 'error' || typeof entry['server'] !== 'string' || !names.has(entry['server'])) continue;
      const server = entry['server'];
      const code = typeof entry['code'] === 'string' ? entry['code'] : '';
      const outcome = typeof entry['result'] === 'string' ? entry['result'] : 'failed';
      const url = typeof entry['url'] === 'string' ? entry['url'] : options.servers.find((s) => s.name === server)?.url ?? '';
      options.report({ kind: 'failed-push', time: time(), server, url, code, outcome, ...(typeof entry.time === 'string' ? { pushedAt: entry.time } : {}) });
      hooks.fire({ event: 'failed-push', server, state: outcome, code, url, time: time() });
    }
  }
}

function timeoutError(options: WatchOptions, last: StatusResult[]): CustodianError {
  const after = formatDuration(options.timeoutMs!);
  if (options.until) {
    const waiting = options.servers.map((s) => s.name).filter((name) => {
      const result = last.find((r) => r.server === name);
      return !(result?.ok && result.state === options.until);
    });
    return new CustodianError('WATCH_TIMEOUT', `${waiting.length} of ${options.servers.length} server(s) were not ${options.until} after ${after}: ${waiting.join(', ')}.`, {
      hint: 'See the last line of each server above; `custodian server status NAME` shows why. A locked server needs `custodian push`.',
      details: { until: options.until, waiting },
    });
  }
  return new CustodianError('WATCH_TIMEOUT', `The watch ended at its --timeout (${after}).`, {
    hint: 'This is how a bounded watch ends; leave out --timeout to watch until stopped (Ctrl-C or SIGTERM end it with status 0).',
  });
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Runs hooks with bounded concurrency; reports each outcome; never throws into the watch. */
class HookQueue {
  private running = new Set<Promise<void>>();
  private waiting: HookEvent[] = [];
  private closed = false;

  constructor(private readonly options: WatchOptions, private readonly time: () => string) {}

  fire(event: HookEvent): void {
    if (!this.options.hooks?.[event.event] || this.closed) return;
    if (this.running.size < HOOK_CONCURRENCY) this.start(event);
    else if (this.waiting.length < HOOK_QUEUE_LIMIT) this.waiting.push(event);
    else this.options.report({ kind: 'hook-dropped', time: this.time(), hook: event.event, server: event.server });
  }

  /** Waits for the hooks that run (each bounded by its timeout); drops those still waiting, reporting each. */
  async finish(): Promise<void> {
    this.closed = true;
    for (const event of this.waiting.splice(0)) this.options.report({ kind: 'hook-dropped', time: this.time(), hook: event.event, server: event.server });
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private start(event: HookEvent): void {
    const argv = this.options.hooks![event.event]!;
    const run = this.options.runHook ?? ((a, env) => spawnHook(a, env));
    const task = (async () => {
      let outcome: HookOutcome;
      try {
        outcome = await run(argv, hookEnvironment(this.options.environment ?? {}, event));
      } catch {
        outcome = { ok: false, exitCode: null, signal: null, timedOut: false, durationMs: 0, startError: 'EINVAL', output: '' };
      }
      const { output, ...rest } = outcome;
      this.options.report({ kind: 'hook', time: this.time(), hook: event.event, server: event.server, outcome: rest, output });
    })().finally(() => {
      this.running.delete(task);
      const next = this.closed ? undefined : this.waiting.shift();
      if (next) this.start(next);
    });
    this.running.add(task);
  }
}
