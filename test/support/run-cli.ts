/**
 * Runs the `custodian` CLI as a user does: `node bin/custodian.js ...` in a child process (build first).
 * A hung CLI is killed after `timeoutMs` and reported as such, so a test fails instead of hanging.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../bin/custodian.js', import.meta.url));

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

export function runCustodian(args: string[], options: { env: Record<string, string | undefined>; input?: Uint8Array | string; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => { /* the CLI may exit before reading all input */ });
    child.stdin.end(options.input ?? '');
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), timedOut });
    });
  });
}

/** Parses the single JSON object a --json command prints on stdout (and fails if there is anything else). */
export function jsonOf(run: CliRun): Record<string, unknown> {
  const text = run.stdout.toString();
  const lines = text.split('\n').filter((line) => line.length > 0);
  if (lines.length !== 1) throw new Error(`expected exactly one JSON line on stdout, got ${lines.length}: ${text.slice(0, 200)} / stderr: ${run.stderr}`);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

/** The {"error": {...}} object a --json command prints on stderr. */
export function jsonError(run: CliRun): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
  const lines = run.stderr.split('\n').filter((line) => line.length > 0);
  if (lines.length !== 1) throw new Error(`expected one JSON error line on stderr, got: ${run.stderr}`);
  return (JSON.parse(lines[0] as string) as { error: { code: string; message: string } }).error;
}

/** Asserts that the CLI finished with exit 0 (the failure message carries its stderr). */
export function ok(run: CliRun): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished');
  assert.equal(run.status, 0, `exit ${run.status}; stderr: ${run.stderr}`);
  return run;
}

/** Asserts a coded failure: the exit status, `error [CODE]` and a hint on stderr, nothing on stdout. */
export function failed(run: CliRun, status: number, code: string): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished instead of hanging');
  assert.equal(run.status, status, `expected exit ${status}, got ${run.status}; stderr: ${run.stderr}`);
  assert.match(run.stderr, new RegExp(`error \\[${code}\\]`), run.stderr);
  assert.match(run.stderr, /\nhint: ./, 'every error comes with a hint');
  assert.equal(run.stdout.length, 0, 'nothing on stdout');
  return run;
}
