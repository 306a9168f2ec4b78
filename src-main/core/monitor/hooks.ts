/**
 * Hooks of `custodian server watch`: a command the officer gives (`--on-locked CMD` …) run once per event,
 * without a shell (argv from splitCommand), with the event in CUSTODIAN_* environment variables, its output
 * captured (never mixed into the watch's JSON lines), and killed with its whole process group after 30 s.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CustodianError } from '../errors.js';
import { lazyRequire } from '../lazy.js';

const childProcess = lazyRequire<typeof import('node:child_process')>('node:child_process');

export type HookEventName = 'locked' | 'failed-push' | 'unreachable';

/** What a hook is told, all public facts (names, states, error codes): set as CUSTODIAN_* variables. */
export interface HookEvent {
  event: HookEventName;
  server: string;
  /** locked | unreachable | refused | failed (the push outcome) */
  state: string;
  /** The error code (SERVER_UNREACHABLE, PUSH_REFUSED, …); empty for "locked". */
  code: string;
  url: string;
  time: string;
}

export interface HookOutcome {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The spawn error code (ENOENT, EACCES) when the program could not be started. */
  startError?: string;
  /** The last bytes of stdout and stderr together, for the watch to show on its stderr. */
  output: string;
}

export type HookRunner = (argv: readonly string[], env: Record<string, string>) => Promise<HookOutcome>;

export const HOOK_TIMEOUT_MS = 30_000;
const OUTPUT_TAIL_BYTES = 4096;

/** Environment names that look like they hold a secret; never passed to a hook. */
const SECRET_NAME = /TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|PRIVATE|API_?KEY/i;

/**
 * The parent's environment minus anything that looks like a secret (VAULT_TOKEN and names with TOKEN, SECRET,
 * PASSWORD, PASSPHRASE, CREDENTIAL, PRIVATE or API_KEY), plus the event. A hook pages someone; it needs PATH and
 * the event, not the officer's Vault token.
 */
export function hookEnvironment(parent: NodeJS.ProcessEnv, event: HookEvent): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && !SECRET_NAME.test(name)) env[name] = value;
  }
  env['CUSTODIAN_EVENT'] = event.event;
  env['CUSTODIAN_SERVER'] = event.server;
  env['CUSTODIAN_STATE'] = event.state;
  env['CUSTODIAN_CODE'] = event.code;
  env['CUSTODIAN_URL'] = event.url;
  env['CUSTODIAN_TIME'] = event.time;
  return env;
}

/** Checks that a hook's program exists and is executable before the watch starts (a typo fails at once). */
export async function checkProgram(program: string, env: NodeJS.ProcessEnv, flag: string): Promise<void> {
  const candidates = program.includes('/') ? [program] : (env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return;
    } catch {
      // next candidate
    }
  }
  throw new CustodianError('INVALID_INPUT', `${flag}: the program was not found or is not executable.`, {
    hint: 'Give a program on PATH or its full path; for shell syntax use sh -c \'...\'.',
  });
}

/** Runs one hook: no shell, stdin closed, its own process group (killed whole at the deadline). */
export function spawnHook(argv: readonly string[], env: Record<string, string>, timeoutMs = HOOK_TIMEOUT_MS): Promise<HookOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
      output = Buffer.concat([output, chunk]);
      if (output.length > OUTPUT_TAIL_BYTES) output = output.subarray(output.length - OUTPUT_TAIL_BYTES);
    };
    let child: ChildProcess;
    try {
      child = childProcess().spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false });
    } catch (error) {
      resolve({ ok: false, exitCode: null, signal: null, timedOut: false, durationMs: 0, startError: (error as NodeJS.ErrnoException).code ?? 'EINVAL', output: '' });
      return;
    }
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, timeoutMs);
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let done = false;
    const finish = (outcome: { ok: boolean; exitCode: number | null; signal: string | null; startError?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout!.destroy();
      child.stderr!.destroy();
      if (timedOut) killGroup();
      resolve({ ...outcome, ok: outcome.ok && !timedOut, timedOut, durationMs: Date.now() - started, output: output.toString('utf8') });
    };
    child.once('error', (error: NodeJS.ErrnoException) => finish({ ok: false, exitCode: null, signal: null, startError: error.code ?? 'EINVAL' }));
    child.once('exit', (code, signal) => {
      const outcome = { ok: code === 0, exitCode: code, signal };
      // Read what is still in the pipes, but a grandchild (sh -c 'sleep 100 &') may keep them open: stop after 200 ms.
      const grace = setTimeout(() => finish(outcome), 200);
      child.once('close', () => { clearTimeout(grace); finish(outcome); });
    });
  });
}
