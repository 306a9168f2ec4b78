export { AuditTail, type AuditEntry } from './audit-tail.js';
export { splitCommand } from './command-line.js';
export { MAX_DURATION_MS, parseDuration } from './duration.js';
export { HOOK_TIMEOUT_MS, checkProgram, hookEnvironment, spawnHook, type HookEvent, type HookEventName, type HookOutcome, type HookRunner } from './hooks.js';
export { StateTurns } from './turns.js';
export {
  HOOK_CONCURRENCY, HOOK_QUEUE_LIMIT, formatDuration, systemMonitorClock, watchServers,
  type MonitorClock, type MonitorEvent, type WatchOptions, type WatchedServer,
} from './watch.js';
