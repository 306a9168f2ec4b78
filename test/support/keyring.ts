/**
 * A private, throw-away OS keychain for tests: a D-Bus session bus of our own plus a real gnome-keyring-daemon
 * serving the Secret Service on it, with a fresh HOME. Nothing here touches the developer's own keychain or
 * session bus: every variable a keychain client reads is in `env`, and tests pass that env to the code under
 * test (child processes get it as their environment; in-process tests must copy it into process.env).
 *
 * Every process is started in its own process group and killed with it on stop() (and, as a last resort, when
 * the test process exits); stop() throws if any of those groups still has a process, so a test that leaves
 * strays fails. (Counting daemons machine-wide would be flaky while other test runs share the machine.)
 *
 * Needs the Debian packages dbus, gnome-keyring and libsecret-tools (see ENVIRONMENT.md). If one is missing,
 * startKeyring() throws an error that names the package: tests fail, they never skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyringSession {
  /** DBUS_SESSION_BUS_ADDRESS, HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_RUNTIME_DIR, CUSTODIAN_HOME, CUSTODIAN_KEYCHAIN_SERVICE. */
  env: Record<string, string>;
  /** Locks the login collection: reads and writes then fail as "unlock prompt was dismissed" (no prompter runs). */
  lock(): Promise<void>;
  stop(): Promise<void>;
}

export interface BareSession {
  env: Record<string, string>;
  stop(): Promise<void>;
}

const LOGIN_COLLECTION = '/org/freedesktop/secrets/collection/login';
const START_TIMEOUT_MS = 10_000;

/** Starts a private D-Bus session with gnome-keyring; the login collection is unlocked unless `unlocked: false`. */
export async function startKeyring(options: { unlocked?: boolean } = {}): Promise<KeyringSession> {
  requireTools(['dbus-daemon', 'gnome-keyring-daemon', 'dbus-send']);
  const session = await startBus('custodian-keyring-');
  try {
    const keyring = spawnDaemon('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], session.env);
    session.processes.push(keyring);
    // The password only protects this throw-away collection; it is random so nothing can rely on it.
    keyring.stdin?.end(randomBytes(12).toString('hex'));
    await waitFor(() => dbusSend(session.env, ['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets']).stdout.includes('boolean true'),
    'gnome-keyring-daemon did not register org.freedesktop.secrets on the private bus', keyring);
    // --unlock creates the login collection lazily; wait until it answers so tests start from a known state.
    await waitFor(() => loginLocked(session.env) === false, 'the login collection was not created and unlocked', keyring);
  } catch (error) {
    await session.stop();
    throw error;
  }

  const result: KeyringSession = {
    env: session.env,
    async lock() {
      const call = dbusSend(session.env, ['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets',
        'org.freedesktop.Secret.Service.Lock', `array:objpath:${LOGIN_COLLECTION}`]);
      if (call.status !== 0) throw new Error(`could not lock the test keyring: ${call.stderr}`);
      await waitFor(() => loginLocked(session.env) === true, 'the login collection did not lock');
    },
    stop: session.stop,
  };
  if (options.unlocked === false) await result.lock();
  return result;
}

/** A private D-Bus session with no Secret Service on it (and nothing that could be activated to provide one). */
export async function noSecretServiceEnv(): Promise<BareSession> {
  requireTools(['dbus-daemon']);
  const session = await startBus('custodian-nokeyring-');
  return { env: session.env, stop: session.stop };
}

interface Bus {
  env: Record<string, string>;
  processes: ChildProcess[];
  stop(): Promise<void>;
}

async function startBus(prefix: string): Promise<Bus> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, 'home');
  const runtime = join(root, 'run');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const config = join(root, 'bus.conf');
  // Like the stock session.conf, but with no service directories: nothing is D-Bus-activated behind our back
  // (the stock config would auto-start the system's gnome-keyring, which would defeat noSecretServiceEnv()).
  writeFileSync(config, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${runtime}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_RUNTIME_DIR: runtime,
    CUSTODIAN_HOME: join(home, '.config', 'key-custodian'),
    CUSTODIAN_KEYCHAIN_SERVICE: `key-custodian-test-${randomBytes(4).toString('hex')}`,
    DBUS_SESSION_BUS_ADDRESS: '',
  };
  const processes: ChildProcess[] = [];
  let stopped = false;
  const killAll = (signal: NodeJS.Signals): void => {
    for (const child of processes) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid, signal); } catch { /* already gone */ }
      }
    }
  };
  const onExit = (): void => { killAll('SIGKILL'); rmSync(root, { recursive: true, force: true }); };
  process.on('exit', onExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    killAll('SIGTERM');
    await Promise.all(processes.map((child) => exited(child, 3000)));
    killAll('SIGKILL');
    await Promise.all(processes.map((child) => exited(child, 3000)));
    rmSync(root, { recursive: true, force: true });
    const strays = processes.filter((child) => child.pid !== undefined && groupAlive(child.pid));
    if (strays.length > 0) throw new Error(`keyring session left processes behind (process groups ${strays.map((child) => child.pid).join(', ')})`);
  };

  try {
    const bus = spawnDaemon('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], env);
    processes.push(bus);
    env['DBUS_SESSION_BUS_ADDRESS'] = await firstLine(bus, 'dbus-daemon did not print its address');
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, processes, stop };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function spawnDaemon(command: string, args: string[], env: Record<string, string>): ChildProcess {
  // detached: its own process group, so stop() can kill whatever it forks too.
  const child = spawn(command, args, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr?.resume();
  child.unref();
  return child;
}

function firstLine(child: ChildProcess, failure: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${failure} within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve(text.slice(0, end).trim());
      }
    });
    child.once('error', (error) => { clearTimeout(timer); reject(new Error(`${failure}: ${error.message}`)); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${failure} (exited with ${code})`)); });
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
  });
}

/** A method call on the session bus of `env`, with dbus-send (package dbus-bin, which dbus depends on). */
function dbusSend(env: Record<string, string>, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('dbus-send', ['--session', '--print-reply', '--reply-timeout=5000', ...args], { env, encoding: 'utf8', timeout: 6000 });
  return { status: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
}

/** true / false, or undefined while the collection does not exist yet. */
function loginLocked(env: Record<string, string>): boolean | undefined {
  const run = dbusSend(env, ['--dest=org.freedesktop.secrets', LOGIN_COLLECTION,
    'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked']);
  if (run.status !== 0) return undefined;
  if (run.stdout.includes('boolean true')) return true;
  if (run.stdout.includes('boolean false')) return false;
  return undefined;
}

async function waitFor(condition: () => boolean, failure: string, daemon?: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (daemon && daemon.exitCode !== null) throw new Error(`${failure}: the daemon exited with status ${daemon.exitCode}`);
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${failure} within ${START_TIMEOUT_MS} ms`);
}

const packageOf: Record<string, string> = {
  'dbus-daemon': 'dbus',
  'gnome-keyring-daemon': 'gnome-keyring',
  'dbus-send': 'dbus',
  'secret-tool': 'libsecret-tools',
};

/** Fails with the Debian package to install when a tool is missing. */
export function requireTools(tools: string[]): void {
  const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => packageOf[tool] ?? tool))];
    throw new Error(`keyring tests need ${missing.join(', ')}: run \`apt-get install -y ${packages.join(' ')}\` (or npm test as root, which installs them)`);
  }
}

/** `secret-tool` against the session's bus, e.g. to delete an item behind the app's back. */
export function secretTool(env: Record<string, string>, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  requireTools(['secret-tool']);
  const run = spawnSync('secret-tool', args, { env, encoding: 'utf8', timeout: 5000, ...(input === undefined ? {} : { input }) });
  return { status: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
}

/**
 * Number of gnome-keyring-daemon / private dbus-daemon processes on the whole machine. Only meaningful when no
 * other test run shares the machine; stop() already checks its own processes.
 */
export function daemonCount(): number {
  const run = spawnSync('pgrep', ['-c', '-f', 'gnome-keyring-daemon|dbus-daemon --config-file=.*custodian-'], { encoding: 'utf8' });
  return Number.parseInt(run.stdout.trim() || '0', 10);
}
