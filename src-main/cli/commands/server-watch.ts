/**
 * `custodian server watch` (hooks that page someone when a server turns locked, stops answering, or a push to it
 * fails) and the loop of `custodian server status --watch`. Both run the core's watch (src-main/core/monitor):
 * this file only turns flags into its options and its events into lines.
 */
import type { Command } from 'commander';
import { CustodianError } from '../../core/errors.js';
import {
  AuditTail, HOOK_TIMEOUT_MS, checkProgram, formatDuration, parseDuration, splitCommand, watchServers,
  type HookEventName, type MonitorEvent,
} from '../../core/monitor/index.js';
import { DEFAULT_TIMEOUT_MS, statusOf, type PinnedServer, type StatusResult } from '../../core/push/index.js';
import { commandHelp as help } from '../io.js';
import type { CommandContext } from '../main.js';
import { CONCURRENCY_FLAG, audit, contactOptions, servers } from './push-context.js';

type StatusLine = (result: StatusResult) => string;

const HOOK_FLAGS: Record<HookEventName, string> = { locked: '--on-locked', 'failed-push': '--on-failed-push', unreachable: '--on-unreachable' };

interface WatchFlags {
  all?: boolean;
  onLocked?: string;
  onFailedPush?: string;
  onUnreachable?: string;
  interval: string;
  timeout?: string;
  concurrency?: string;
}

/** Registers `custodian server watch` on the `server` command group. */
export function registerServerWatch(server: Command, context: CommandContext, statusLine: StatusLine): void {
  server
    .command('watch')
    .description('watch servers and run a command (to page someone) when one turns locked, stops answering, or a push to it fails')
    .argument('[names...]', 'server names (or --all)')
    .option('--all', 'every pinned server')
    .option('--on-locked <cmd>', 'run CMD when a server turns locked (it was seen unlocked in this watch, then locked: it restarted)')
    .option('--on-failed-push <cmd>', 'run CMD when a push to a watched server fails (any `custodian push` of this custodian, from the audit log)')
    .option('--on-unreachable <cmd>', 'run CMD when a server stops giving a valid signed status (down, or another identity answers)')
    .option('--interval <seconds>', 'seconds between rounds', '10')
    .option('--timeout <duration>', 'end the watch after this long (90s, 5m, 1h) with exit status 9 (WATCH_TIMEOUT)')
    .option(...CONCURRENCY_FLAG)
    .addHelpText('after', help([
      'custodian server watch --all --on-locked \'notify-send "Server locked"\'',
      'custodian server watch app-1 app-2 --on-locked \'sh -c "echo $CUSTODIAN_SERVER locked | mail -s custodian oncall@example.org"\'',
      'custodian --json server watch --all --on-failed-push /usr/local/bin/page-oncall --interval 30',
    ], [
      'Hooks run without a shell (write sh -c \'...\' for one), stdin closed, output on this command\'s stderr, killed',
      `after ${HOOK_TIMEOUT_MS / 1000} s. The event is in the environment: CUSTODIAN_EVENT (locked | failed-push | unreachable),`,
      'CUSTODIAN_SERVER, CUSTODIAN_STATE (locked | unreachable | refused | failed), CUSTODIAN_CODE (the error code, empty',
      'for locked), CUSTODIAN_URL, CUSTODIAN_TIME; variables whose names look secret (…TOKEN…, …SECRET…, …PASSWORD…) are',
      'removed. A failing hook is reported and the watch goes on. A server first seen locked does not count as',
      'turning locked; one that does not answer at the first round counts as unreachable. Each change and event is',
      'one line on stdout (one JSON object per line with --json). Ctrl-C or SIGTERM end the watch with status 0.',
    ].join('\n')))
    .action(async (names: string[], flags: WatchFlags) => {
      if (Boolean(flags.all) === (names.length > 0)) {
        throw new CustodianError('USAGE', 'Choose the servers: NAME... or --all (not both).', { hint: 'See `custodian server list`.' });
      }
      const intervalMs = parseInterval(flags.interval);
      const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
      const hooks: Partial<Record<HookEventName, string[]>> = {};
      const given: Record<HookEventName, string | undefined> = { locked: flags.onLocked, 'failed-push': flags.onFailedPush, unreachable: flags.onUnreachable };
      for (const [event, text] of Object.entries(given) as [HookEventName, string | undefined][]) {
        if (text === undefined) continue;
        const argv = splitCommand(text, HOOK_FLAGS[event]);
        await checkProgram(argv[0]!, context.io.env, HOOK_FLAGS[event]);
        hooks[event] = argv;
      }
      const chosen = await servers(context).select(names, Boolean(flags.all));
      const output = context.output();
      const tail = await AuditTail.atEnd(audit(context).path);
      output.note(`Watching ${chosen.length} server(s) every ${flags.interval} s${timeoutMs ? ` for ${formatDuration(timeoutMs)}` : ''}; hooks: ${Object.keys(hooks).map((e) => HOOK_FLAGS[e as HookEventName]).join(', ') || 'none'}. Ctrl-C stops.`);
      await withStopSignal((signal) => watchServers({
        servers: chosen, probe: probe(chosen, flags.concurrency), intervalMs, ...(timeoutMs ? { timeoutMs } : {}), hooks,
        environment: context.io.env, auditEntries: () => tail.next(), signal,
        report: (event) => printEvent(context, output.json, event, statusLine),
      }));
    });
}

/** `custodian server status --watch [--until STATE] [--timeout D]`: prints a line whenever a server changes. */
export async function watchStatus(
  context: CommandContext, chosen: PinnedServer[], flags: { interval: string; until?: string; timeout?: string; concurrency?: string }, statusLine: StatusLine,
): Promise<void> {
  const intervalMs = parseInterval(flags.interval);
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
  const json = context.output().json;
  await withStopSignal((signal) => watchServers({
    servers: chosen, probe: probe(chosen, flags.concurrency), intervalMs, ...(timeoutMs ? { timeoutMs } : {}),
    ...(flags.until ? { until: flags.until as 'locked' | 'unlocked' } : {}), signal,
    report: (event) => {
      if (event.kind !== 'status') return;
      context.io.stdout.write(`${json ? JSON.stringify({ time: event.time, ...event.result }) : `${event.time}  ${statusLine(event.result)}`}\n`);
    },
  }));
}

function parseInterval(text: string): number {
  const interval = Number(text);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 86_400) throw new CustodianError('USAGE', '--interval must be a number of seconds, from 0.1 to 86400.');
  return interval * 1000;
}

/** Statuses of the chosen servers (at most --concurrency at once); with a --timeout, no request outlives it. */
function probe(chosen: PinnedServer[], concurrencyText: string | undefined): (remainingMs: number | undefined) => Promise<StatusResult[]> {
  const { concurrency } = contactOptions(concurrencyText === undefined ? {} : { concurrency: concurrencyText });
  return (remainingMs) => statusOf(chosen, undefined, {
    ...(concurrency ? { concurrency } : {}),
    ...(remainingMs === undefined ? {} : { timeoutMs: Math.min(DEFAULT_TIMEOUT_MS, remainingMs) }),
  });
}

/** Ctrl-C and SIGTERM end the watch after the current round (status 0), as a service manager expects. */
async function withStopSignal<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function printEvent(context: CommandContext, json: boolean, event: MonitorEvent, statusLine: StatusLine): void {
  const { stdout, stderr } = context.io;
  if (event.kind === 'hook' && event.output) {
    // The hook's own output goes to stderr, line by line with where it came from: stdout stays one event per line.
    for (const line of event.output.split('\n').filter(Boolean)) stderr.write(`hook ${HOOK_FLAGS[event.hook]} (${event.server}): ${line}\n`);
  }
  if (json) {
    const { kind, time, ...rest } = event;
    const body = kind === 'status' ? { ...event.result }
      : kind === 'hook' ? { hook: HOOK_FLAGS[event.hook].slice(2), server: event.server, ...event.outcome }
        : kind === 'hook-dropped' ? { hook: HOOK_FLAGS[event.hook].slice(2), server: event.server }
          : rest;
    stdout.write(`${JSON.stringify({ time, event: kind, ...body })}\n`);
    return;
  }
  stdout.write(`${event.time}  ${humanLine(event, statusLine)}\n`);
}

function humanLine(event: MonitorEvent, statusLine: StatusLine): string {
  switch (event.kind) {
    case 'status': return statusLine(event.result);
    case 'locked': return `${event.server}  TURNED LOCKED (it restarted and waits for its key: custodian push --server ${event.server} --key ...)`;
    case 'unreachable': return `${event.server}  UNREACHABLE [${event.code}]`;
    case 'failed-push': return `${event.server}  PUSH FAILED (${event.outcome}) [${event.code}]`;
    case 'hook-dropped': return `${event.server}  hook ${HOOK_FLAGS[event.hook]} NOT RUN: too many hooks waiting`;
    case 'hook': {
      const o = event.outcome;
      if (o.ok) return `${event.server}  hook ${HOOK_FLAGS[event.hook]} ran (exit 0, ${o.durationMs} ms)`;
      const why = o.startError ? `could not start (${o.startError})` : o.timedOut ? `killed after ${HOOK_TIMEOUT_MS / 1000} s` : o.signal ? `killed by ${o.signal}` : `exit ${o.exitCode}`;
      return `${event.server}  hook ${HOOK_FLAGS[event.hook]} FAILED: ${why}`;
    }
  }
}
