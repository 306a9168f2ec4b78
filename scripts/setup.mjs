// Makes this machine ready for the tests, installing what is missing:
//   Debian packages (apt-get, when root), npm packages (npm ci), the Python venv (.venv, from PyPI),
//   the OpenBao server binary (built once, cached outside the repo), and Node 22 when this Node is older
//   (scripts/node22.mjs, cached outside the repo too; scripts/test.mjs and bench.mjs then re-run under it).
// When it cannot install something (not root), it says exactly what to install and exits non-zero.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureNode22, isSupported } from './node22.mjs';

export const root = resolve(import.meta.dirname, '..');
const venv = join(root, '.venv');

/** Debian package -> a file it provides (how we tell it is installed). */
const debianPackages = {
  'gnome-keyring': '/usr/bin/gnome-keyring-daemon',
  'dbus': '/usr/bin/dbus-daemon',
  'dbus-x11': '/usr/bin/dbus-launch',
  'libsecret-tools': '/usr/bin/secret-tool',
  'chromium': '/usr/bin/chromium',
  'openssl': '/usr/bin/openssl',
  // backup and recovery: the age CLI (interop), QR decoding and PDF rendering for the paper-sheet tests
  'age': '/usr/bin/age',
  'zbar-tools': '/usr/bin/zbarimg',
  'poppler-utils': '/usr/bin/pdftoppm',
  // production receivers: a real Redis broker for the example app's Celery worker (host agent tests)
  'redis-server': '/usr/bin/redis-server',
  // the host agent's systemd units are checked with `systemd-analyze verify` (docs/agent.md)
  'systemd': '/usr/bin/systemd-analyze',
};

function log(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 2, 2], cwd: root, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

function ensureDebianPackages() {
  const missing = Object.entries(debianPackages).filter(([, file]) => !existsSync(file)).map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    log(`missing Debian packages: ${missing.join(' ')}`);
    log(`install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(3);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 2, 2], env });
  if (update.status !== 0) log('apt-get update failed; trying the install with the cached lists');
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

export function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing npm packages (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
}

function pythonRequirements() {
  return readFileSync(join(root, 'test', 'support', 'requirements.txt'), 'utf8');
}

function ensureVenv() {
  const requirements = pythonRequirements();
  const receiverFiles = listFiles(join(root, 'receivers', 'python')).filter((f) => !f.includes('__pycache__') && !f.includes('.egg-info') && !f.includes('/build/'));
  const digest = createHash('sha256').update(requirements);
  for (const file of receiverFiles) digest.update(file).update(readFileSync(file));
  const want = digest.digest('hex');
  const stampFile = join(venv, '.custodian-stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) return;
  const python = findPython();
  if (!existsSync(join(venv, 'bin', 'python'))) {
    log(`creating Python venv with ${python}`);
    run(python, ['-m', 'venv', venv]);
  }
  log('installing Python packages from PyPI');
  run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', join(root, 'test', 'support', 'requirements.txt')]);
  if (existsSync(join(root, 'receivers', 'python', 'pyproject.toml'))) {
    run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', join(root, 'receivers', 'python')]);
  }
  writeFileSync(stampFile, want);
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).split('\n')) if (entry) out.push(entry);
  return out.sort();
}

function findPython() {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  if (process.getuid?.() === 0) {
    run('apt-get', ['install', '-y', '-qq', 'python3-venv'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return '/usr/bin/python3';
  }
  log('no Python 3 with the venv module; install it with: sudo apt-get install -y python3-venv');
  process.exit(3);
}

function ensureOpenBao() {
  const script = join(root, 'scripts', 'openbao-path.sh');
  if (!existsSync(script)) return undefined;
  const result = spawnSync('bash', [script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error('building OpenBao failed (see above)');
  return result.stdout.trim();
}

/** Everything the tests need; returns environment variables that tell the tests where things are. */
export function setup() {
  // CUSTODIAN_SKIP_INSTALL=1: the machine is prepared (for example a git worktree sharing node_modules and
  // .venv with a checkout where setup already ran); only locate what the tests need, install nothing.
  if (process.env.CUSTODIAN_SKIP_INSTALL !== '1') {
    ensureDebianPackages();
    ensureNodeModules();
    ensureVenv();
  }
  // Like OpenBao, Node 22 lives outside the repository, so CUSTODIAN_SKIP_INSTALL does not skip it.
  if (!isSupported(process.version)) ensureNode22();
  const bao = ensureOpenBao();
  const python = join(venv, 'bin', 'python');
  const vectors = execFileSync(python, ['-c', 'import cryptography_vectors, os; print(os.path.dirname(cryptography_vectors.__file__))'], { encoding: 'utf8' }).trim();
  const env = {
    CUSTODIAN_TEST_PYTHON: python,
    CUSTODIAN_TEST_VECTORS: vectors,
  };
  if (bao) env.CUSTODIAN_TEST_BAO = bao;
  return env;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = setup();
  for (const [key, value] of Object.entries(env)) process.stdout.write(`${key}=${value}\n`);
}
