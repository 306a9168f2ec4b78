/**
 * Packaging check, without an Electron binary: electron-builder validates electron-builder.yml and builds the
 * `deb` target with a stand-in electronDist (a folder holding a fake `electron` file that carries Electron's fuse
 * wire). fpm cannot be fetched here, so the deb is assembled by scripts/fpm-dpkg.mjs (dpkg-deb) through
 * electron-builder's CUSTOM_FPM_PATH, from the arguments electron-builder computed (docs/packaging.md). The test
 * then inspects what was built: resources/app.asar holds only what the app needs at run time, the keychain's
 * native binding is unpacked next to it, the afterPack hook flipped the fuses, the deb's control data and file
 * list are complete (dpkg-deb -I / -c), and the `custodian` launcher in the deb runs the CLI bundled in the app.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
const builder = join(root, 'node_modules', '.bin', 'electron-builder');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Electron's defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, asar integrity off,
// only-load-from-asar off, browser V8 snapshot off, file:// privileges on.
const DEFAULT_WIRE = '10110001';
const INSTALL_DIR = '/opt/Key Custodian';
const DEB_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };
/** @napi-rs/keyring's native package for the platform being packaged (Linux, glibc). */
const KEYRING_BINDING = `@napi-rs/keyring-linux-${process.arch}-gnu`;

// electron-builder collects production dependencies with `npm ls`, which reports the transitive ones of a symlinked
// node_modules (as in a git worktree sharing another checkout's) as missing, so the package lacks them.
const SYMLINKED_MODULES = lstatSync(join(root, 'node_modules')).isSymbolicLink()
  ? ' (node_modules is a symlink here: electron-builder leaves transitive dependencies out; package from a checkout with its own node_modules)'
  : '';

type Asar = { listPackage(path: string, options: object): string[]; extractFile(archive: string, file: string): Buffer; extractAll(archive: string, dest: string): void };
const asar = require('@electron/asar') as Asar;

let work: string;
let files: string[];
let build: { status: number | null; output: string };
let deb: string;
let unpacked: string;

function runBuilder(args: string[], env: Record<string, string> = {}): { status: number | null; output: string } {
  const run = spawnSync(builder, args, { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ...env } });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

function dpkgDeb(...args: string[]): string {
  const run = spawnSync('dpkg-deb', args, { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

before(() => {
  assert.ok(existsSync(join(root, 'dist', 'renderer', 'index.html')) && existsSync(join(root, 'dist', 'src-main', 'electron', 'preload.cjs')) && existsSync(join(root, 'dist', 'cli', 'custodian.js')),
    'the app is not built: run `npm run build` first');
  work = mkdtempSync(join(tmpdir(), 'custodian-pack-'));
  const standIn = join(work, 'electron-dist');
  mkdirSync(standIn);
  writeFileSync(join(standIn, 'electron'), Buffer.concat([Buffer.from('stand-in for the Electron binary\n'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(DEFAULT_WIRE)]), { mode: 0o755 });
  build = runBuilder(['--linux', 'deb', '--config', 'electron-builder.yml', `-c.electronDist=${standIn}`, `-c.directories.output=${join(work, 'out')}`, '--publish', 'never'],
    { CUSTOM_FPM_PATH: join(root, 'scripts', 'fpm-dpkg.mjs') });
  const out = join(work, 'out');
  deb = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.deb')).map((f) => join(out, f))[0] ?? '' : '';
  unpacked = join(out, 'linux-unpacked');
  const archive = join(unpacked, 'resources', 'app.asar');
  files = existsSync(archive) ? asar.listPackage(archive, {}).map((f) => f.replaceAll('\\', '/')) : [];
});

after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

test('electron-builder accepts the config and builds the deb with the stand-in Electron', () => {
  assert.equal(build.status, 0, build.output);
  assert.ok(deb && existsSync(deb), `no .deb was written:\n${build.output.slice(-3000)}`);
  assert.ok(files.length > 0, 'resources/app.asar was written');
});

test('electron-builder rejects a config with an unknown key (the validation is real)', () => {
  const bad = join(work, 'bad.yml');
  writeFileSync(bad, `${readFileSync(join(root, 'electron-builder.yml'), 'utf8')}\nnotAnElectronBuilderOption: true\n`);
  const run = runBuilder(['--linux', 'dir', '--config', bad, `-c.directories.output=${join(work, 'bad-out')}`]);
  assert.notEqual(run.status, 0);
  assert.match(run.output, /notAnElectronBuilderOption/);
});

test('app.asar holds the runtime: main, preload, renderer, core, contract, the bundled CLI and production dependencies', () => {
  for (const needed of ['/package.json', '/dist/src-main/electron/main.js', '/dist/src-main/electron/preload.cjs', '/dist/src-main/app/table.js',
    '/dist/src-main/app/dispatch.js', '/dist/src-shared/contract.js', '/dist/renderer/index.html', '/dist/src-main/core/keystore/index.js',
    '/dist/cli/custodian.js', '/node_modules/zod/package.json', '/node_modules/@napi-rs/keyring/package.json', '/node_modules/node-vault/package.json']) {
    assert.ok(files.includes(needed), `${needed} is missing from app.asar`);
  }
  // Every chunk the CLI bundle imports is packed with it.
  for (const chunk of readdirSync(join(root, 'dist', 'cli')).filter((f) => f.endsWith('.js'))) assert.ok(files.includes(`/dist/cli/${chunk}`), `dist/cli/${chunk} is missing`);
});

test('app.asar holds no tests, sources, source maps, unbundled CLI, receivers or dev dependencies', () => {
  const forbidden: Array<[RegExp, string]> = [
    [/^\/(test|dist\/test)\//, 'tests'],
    [/^\/(src-main|src-renderer|src-shared|receivers|scripts|docs|assets|\.venv|\.ci)\//, 'sources and repo files'],
    [/^\/dist\/src-main\/cli\//, 'the unbundled CLI (dist/cli is the shipped one)'],
    [/^\/dist\/receivers\//, 'receivers'],
    [/\.map$/, 'source maps'],
    [/^\/(?!node_modules\/).*\.tsx?$/, 'TypeScript sources'],
    [/^\/node_modules\/(typescript|electron|electron-builder|vite|rolldown|playwright-core|eslint|@doyensec|@types|@vitejs|typescript-eslint|fernet|react|react-dom|commander|app-builder-lib|@electron)\//, 'dev dependencies and bundled packages'],
    [/^\/(tsconfig[^/]*\.json|vite[^/]*\.ts|eslint\.config\.js|electron-builder\.yml|package-lock\.json)$/, 'build config'],
  ];
  assert.ok(files.length > 0, 'the packaging test above must have listed app.asar first');
  for (const [pattern, what] of forbidden) {
    const found = files.filter((f) => pattern.test(f));
    assert.deepEqual(found.slice(0, 10), [], `app.asar must not contain ${what}`);
  }
});

test('the keychain binding for the target platform is unpacked beside app.asar (a native module must be a real file)', () => {
  const binding = files.find((f) => f.startsWith(`/node_modules/${KEYRING_BINDING}/`) && f.endsWith('.node'));
  assert.ok(binding, `app.asar lists no ${KEYRING_BINDING} .node file${SYMLINKED_MODULES}`);
  const real = join(unpacked, 'resources', 'app.asar.unpacked', ...binding.split('/').filter(Boolean));
  assert.ok(existsSync(real) && statSync(real).size > 100_000, `${real} is not unpacked`);
  assert.ok(statSync(real).size === statSync(join(root, 'node_modules', ...binding.split('/').slice(2))).size, 'the unpacked binding is the installed one');
});

test('the packaged package.json points main at the Electron entry and names the desktop entry', () => {
  const pkg = JSON.parse(asar.extractFile(join(unpacked, 'resources', 'app.asar'), 'package.json').toString('utf8')) as { main?: string; desktopName?: string; homepage?: string };
  assert.equal(pkg.main, 'dist/src-main/electron/main.js');
  assert.ok(files.includes(`/${pkg.main}`));
  assert.equal(pkg.desktopName, 'key-custodian.desktop');
  assert.match(pkg.homepage ?? '', /^https:\/\//);
});

test('the afterPack hook flipped the fuses on the packaged binary (RunAsNode on for the Linux CLI launcher)', async () => {
  const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
  const wire = await getCurrentFuseWire(join(unpacked, 'key-custodian')) as unknown as Record<number, number>;
  const state = (option: number): string => String.fromCharCode(wire[option] ?? 0);
  assert.equal(state(FuseV1Options.RunAsNode), '1', 'RunAsNode on: resources/bin/custodian runs the binary as Node');
  assert.equal(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable), '0', 'NODE_OPTIONS off');
  assert.equal(state(FuseV1Options.EnableNodeCliInspectArguments), '0', 'inspect arguments off');
  assert.equal(state(FuseV1Options.EnableCookieEncryption), '1', 'cookie encryption on');
  assert.equal(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation), '1', 'ASAR integrity on');
  assert.equal(state(FuseV1Options.OnlyLoadAppFromAsar), '1', 'only load the app from asar');
  assert.equal(state(FuseV1Options.GrantFileProtocolExtraPrivileges), '0', 'no extra file:// privileges');
});

test('the hook keeps RunAsNode off on macOS, where the keychain trusts the app\'s code signature', () => {
  const { FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
  const hook = require(join(root, 'assets', 'electron-after-pack.cjs')) as { fuses(platform: string): Record<number, boolean> };
  assert.equal(hook.fuses('darwin')[FuseV1Options.RunAsNode], false);
  assert.equal(hook.fuses('win32')[FuseV1Options.RunAsNode], true);
  assert.equal(hook.fuses('linux')[FuseV1Options.RunAsNode], true);
  for (const platform of ['darwin', 'win32', 'linux']) {
    assert.equal(hook.fuses(platform)[FuseV1Options.EnableNodeOptionsEnvironmentVariable], false, platform);
    assert.equal(hook.fuses(platform)[FuseV1Options.EnableNodeCliInspectArguments], false, platform);
  }
});

test('dpkg-deb -I: the deb names the package, version, architecture, maintainer, homepage and the keychain library', () => {
  const field = (name: string): string => dpkgDeb('-f', deb, name).trim();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string };
  assert.equal(field('Package'), 'key-custodian');
  assert.equal(field('Version'), pkg.version);
  assert.equal(field('Architecture'), DEB_ARCH[process.arch]);
  assert.match(field('Maintainer'), /^[^<>]+ <[^@\s]+@[^>\s]+>$/);
  assert.match(field('Homepage'), /^https:\/\//);
  assert.equal(field('License'), pkg.license);
  assert.equal(field('Section'), 'utils');
  assert.match(field('Depends'), /(^|, )libsecret-1-0(,|$)/, 'the Secret Service client library the keychain binding needs');
  assert.match(field('Description'), /^Data-encryption keys/);
  const info = dpkgDeb('-I', deb);
  assert.match(info, /\bpostinst\b/);
  assert.match(info, /\bpostrm\b/);
});

test('dpkg-deb -c: the deb installs the app under /opt, the custodian launcher on PATH, the desktop entry and icons', () => {
  const entries = new Map(dpkgDeb('-c', deb).trim().split('\n').map((line) => {
    const path = line.slice(line.indexOf('./') + 1);
    return [path.replace(/\/$/, '').replace(/ -> .*$/, ''), line.split(/\s+/)[0] ?? ''];
  }));
  const executable = (path: string): void => {
    assert.ok(entries.has(path), `${path} is not in the deb`);
    assert.match(entries.get(path)!, /^-rwxr-xr-x$/, `${path} is not an executable file`);
  };
  executable(`${INSTALL_DIR}/key-custodian`);
  executable(`${INSTALL_DIR}/resources/bin/custodian`);
  executable('/usr/bin/custodian');
  for (const path of [`${INSTALL_DIR}/resources/app.asar`, '/usr/share/applications/key-custodian.desktop', '/usr/share/icons/hicolor/512x512/apps/key-custodian.png',
    '/usr/share/icons/hicolor/48x48/apps/key-custodian.png']) {
    assert.ok(entries.has(path), `${path} is not in the deb`);
  }
  assert.ok([...entries.keys()].some((p) => p.startsWith(`${INSTALL_DIR}/resources/app.asar.unpacked/node_modules/${KEYRING_BINDING}/`) && p.endsWith('.node')), `the keychain binding is not in the deb${SYMLINKED_MODULES}`);
  for (const [path, mode] of entries) {
    if (!mode.startsWith('l')) assert.ok(mode[5] !== 'w' && mode[8] !== 'w', `${path} is group- or world-writable (${mode})`);
  }
});

test('the deb\'s desktop entry starts the app and matches its window (desktopName)', () => {
  const extracted = join(work, 'deb-root');
  dpkgDeb('-x', deb, extracted);
  const entry = readFileSync(join(extracted, 'usr', 'share', 'applications', 'key-custodian.desktop'), 'utf8');
  assert.match(entry, new RegExp(`^Exec="${INSTALL_DIR}/key-custodian" %U$`, 'm'));
  assert.match(entry, /^Icon=key-custodian$/m);
  assert.match(entry, /^StartupWMClass=key-custodian$/m);
  assert.match(readFileSync(join(extracted, 'usr', 'bin', 'custodian'), 'utf8'), new RegExp(`exec '${INSTALL_DIR}/resources/bin/custodian' "\\$@"`));
});

test('the deb\'s custodian launcher runs the CLI bundled in the app as Node, with the app\'s own dependencies', () => {
  // Electron's part is played by stand-ins, the rest is the deb as installed: the app binary becomes a script
  // that does what Electron does with ELECTRON_RUN_AS_NODE=1 (run the script with Node), and app.asar becomes the
  // folder Electron shows it as (its files plus the unpacked native binding). What runs is the shipped bundle
  // against the packaged node_modules only: a dependency the bundle expects but the package lacks fails here.
  const installed = join(work, 'installed');
  dpkgDeb('-x', deb, installed);
  const app = join(installed, ...INSTALL_DIR.split('/').filter(Boolean));
  const archive = join(app, 'resources', 'app.asar');
  const view = join(work, 'asar-view');
  asar.extractAll(archive, view);
  assert.ok(existsSync(join(app, 'resources', 'app.asar.unpacked')), `the deb has no app.asar.unpacked (native binding)${SYMLINKED_MODULES}`);
  cpSync(join(app, 'resources', 'app.asar.unpacked'), view, { recursive: true });
  rmSync(archive);
  cpSync(view, archive, { recursive: true });
  writeFileSync(join(app, 'key-custodian'), `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || { echo "not started as Node" >&2; exit 90; }\nexec '${process.execPath}' "$@"\n`);
  chmodSync(join(app, 'key-custodian'), 0o755);
  const launcher = join(app, 'resources', 'bin', 'custodian');
  const home = join(work, 'launcher-home');
  const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, CUSTODIAN_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), CUSTODIAN_KEYCHAIN_SERVICE: 'custodian-pack-test' };
  const cli = (...args: string[]) => spawnSync(launcher, args, { env, encoding: 'utf8', timeout: 60_000 });

  const help = cli('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: custodian /m);
  const list = cli('--json', 'key', 'list');
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { keys?: unknown }).keys, []);
  // node-vault (with axios) loads from the package on first use: an unreachable node is reported, not a crash.
  const vault = cli('--json', 'vault', 'status', '--addr', 'http://127.0.0.1:9');
  assert.notEqual(vault.status, 0);
  assert.equal((JSON.parse(vault.stderr.trim().split('\n').pop() ?? '{}') as { error?: { code?: string } }).error?.code, 'VAULT_UNREACHABLE', `${vault.stderr}${SYMLINKED_MODULES}`);
  // A symlink on PATH (as a user might make) still finds the app: the launcher resolves its own real path.
  const linked = join(work, 'bin-link');
  mkdirSync(linked);
  spawnSync('ln', ['-s', launcher, join(linked, 'custodian')]);
  const viaLink = spawnSync(join(linked, 'custodian'), ['key', 'list', 'with spaces'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(viaLink.status, 2, viaLink.stderr);
  assert.match(viaLink.stderr, /USAGE/);
  assert.doesNotMatch(viaLink.stderr, /not started as Node/);
});
