/**
 * Starts a real receiver process on loopback for tests: the Node demo server (bin/custodian-receiver.js) by
 * default, or any command that speaks the same flags and start line (docs/protocol.md §10), such as
 * `$CUSTODIAN_TEST_PYTHON -m custodian_receiver` (see pythonReceiverCommand()).
 *
 * The receiver's files (identity key, authorized-custodians, TMPDIR) live in one directory, so a test can scan
 * everything the process could have written. stdout is captured; every JSON line after the start line is an
 * event (one per unlock attempt). Processes still running when the test process exits are killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './protocol-vectors.js';

export interface StartReceiverOptions {
  /** Program and leading arguments; default: node bin/custodian-receiver.js */
  command?: readonly string[];
  /** Directory for the receiver's files; a temp dir (removed by stop()) when omitted. */
  dir?: string;
  /** Text of the authorized-custodians file. */
  authorizedCustodians: string;
  keyChecks: readonly string[];
  serverId?: string;
  host?: string;
  port?: number;
  /** The identity key file (default: identity.key in dir); ignored with identityKeyCredential. */
  identityKeyFile?: string;
  /** Pass --identity-key-credential NAME instead of --identity-key (set CREDENTIALS_DIRECTORY in env). */
  identityKeyCredential?: string;
  /** More flags, e.g. ['--tls-cert', cert, '--tls-key', key]. */
  args?: readonly string[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface ReceiverEvent {
  event: string;
  [field: string]: unknown;
}

export interface ReceiverProcess {
  readonly url: string;
  readonly identity: string;
  readonly serverId: string;
  readonly bootId: string;
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  /** Everything the process printed on stdout so far (all starts, across restarts). */
  stdout(): string;
  stderr(): string;
  /** Events of the current process (JSON lines after its start line). */
  events(): ReceiverEvent[];
  /** Number of unlock requests the current process has seen (accepted or refused). */
  unlockAttempts(): number;
  waitFor(predicate: (event: ReceiverEvent) => boolean, timeoutMs?: number): Promise<ReceiverEvent>;
  /** Stops and starts again with the same files and port: same identity and URL, new boot, locked. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The Python receiver's command line (needs CUSTODIAN_TEST_PYTHON from scripts/setup.mjs). */
export function pythonReceiverCommand(): string[] {
  const python = process.env['CUSTODIAN_TEST_PYTHON'];
  if (!python) throw new Error('CUSTODIAN_TEST_PYTHON is not set: run the tests through `npm test`, or export the variables printed by `node scripts/setup.mjs`');
  return [python, '-m', 'custodian_receiver'];
}

export function nodeReceiverCommand(): string[] {
  return [process.execPath, join(repoRoot(), 'bin', 'custodian-receiver.js')];
}

export async function startReceiver(options: StartReceiverOptions): Promise<ReceiverProcess> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'custodian-receiver-'));
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const custodiansFile = join(dir, 'authorized-custodians');
  writeFileSync(custodiansFile, options.authorizedCustodians);
  const command = options.command ?? nodeReceiverCommand();
  let out = '';
  let err = '';
  let child: ChildProcess | undefined;
  let events: ReceiverEvent[] = [];
  let start: ReceiverEvent = { event: 'none' };
  let port = options.port ?? 0;
  const waiters = new Set<() => void>();

  const launch = () => new Promise<void>((resolve, reject) => {
    const args = [
      ...command.slice(1),
      '--host', options.host ?? '127.0.0.1',
      '--port', String(port),
      ...(options.identityKeyCredential
        ? ['--identity-key-credential', options.identityKeyCredential]
        : ['--identity-key', options.identityKeyFile ?? join(dir, 'identity.key')]),
      '--authorized-custodians', custodiansFile,
      ...options.keyChecks.flatMap((id) => ['--key-check', id]),
      ...(options.serverId ? ['--server-id', options.serverId] : []),
      ...(options.args ?? []),
    ];
    const proc = spawn(command[0]!, args, {
      cwd: dir,
      env: { ...process.env, TMPDIR: join(dir, 'tmp'), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    running.add(proc);
    events = [];
    let started = false;
    let pending = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`receiver did not print its start line within ${options.startTimeoutMs ?? 15000} ms\nstdout: ${out}\nstderr: ${err}`));
    }, options.startTimeoutMs ?? 15000);
    proc.stdout!.setEncoding('utf8');
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (text: string) => { err += text; });
    proc.stdout!.on('data', (text: string) => {
      out += text;
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let parsed: ReceiverEvent;
        try {
          parsed = JSON.parse(line) as ReceiverEvent;
        } catch {
          parsed = { event: 'unparsable', line };
        }
        if (!started && parsed.event === 'listening') {
          started = true;
          start = parsed;
          port = Number(new URL(String(parsed['url'])).port);
          clearTimeout(timer);
          resolve();
        } else {
          events.push(parsed);
          for (const wake of waiters) wake();
        }
      }
    });
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      if (!started) {
        clearTimeout(timer);
        reject(new Error(`receiver exited (${code ?? signal}) before its start line\nstdout: ${out}\nstderr: ${err}`));
      }
    });
  });

  const halt = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => { clearTimeout(kill); resolve(); });
      proc.kill('SIGTERM');
    });
  };

  await launch();
  return {
    get url() { return String(start['url']); },
    get identity() { return String(start['identity']); },
    get serverId() { return String(start['server_id']); },
    get bootId() { return String(start['boot_id']); },
    get pid() { return child?.pid ?? -1; },
    get port() { return port; },
    dir,
    stdout: () => out,
    stderr: () => err,
    events: () => [...events],
    unlockAttempts: () => events.filter((e) => e.event === 'unlock').length,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no matching receiver event within ${timeoutMs} ms; events: ${JSON.stringify(events)}`)); }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
