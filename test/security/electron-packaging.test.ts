/**
 * Packaging check, without an Electron binary: electron-builder validates electron-builder.yml, and
 * `--linux dir` with a stand-in electronDist (a folder holding a fake `electron` file that carries Electron's
 * fuse wire) produces resources/app.asar holding only what the app needs at run time, and the afterPack hook
 * flips the fuses on the packaged binary.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
const builder = join(root, 'node_modules', '.bin', 'electron-builder');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Electron's defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, asar integrity off,
// only-load-from-asar off, browser V8 snapshot off, file:// privileges on.
const DEFAULT_WIRE = '10110001';

let work: string;
let files: string[];
let build: { status: number | null; output: string };

function runBuilder(args: string[]): { status: number | null; output: string } {
  const run = spawnSync(builder, args, { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

before(() => {
  assert.ok(existsSync(join(root, 'dist', 'renderer', 'index.html')) && existsSync(join(root, 'dist', 'src-main', 'electron', 'preload.cjs')),
    'the app is not built: run `npm run build` first');
  work = mkdtempSync(join(tmpdir(), 'custodian-pack-'));
  const standIn = join(work, 'electron-dist');
  mkdirSync(standIn);
  writeFileSync(join(standIn, 'electron'), Buffer.concat([Buffer.from('stand-in for the Electron binary\n'), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(DEFAULT_WIRE)]), { mode: 0o755 });
  build = runBuilder(['--linux', 'dir', '--config', 'electron-builder.yml', `-c.electronDist=${standIn}`, `-c.directories.output=${join(work, 'out')}`, '--publish', 'never']);
  const asar = join(work, 'out', 'linux-unpacked', 'resources', 'app.asar');
  files = existsSync(asar) ? (require('@electron/asar') as { listPackage(path: string, options: object): string[] }).listPackage(asar, {}).map((f) => f.replaceAll('\\', '/')) : [];
});

after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

test('electron-builder accepts the config and packs --linux dir with the stand-in Electron', () => {
  assert.equal(build.status, 0, build.output);
  assert.ok(files.length > 0, 'resources/app.asar was written');
});

test('electron-builder rejects a config with an unknown key (the validation is real)', () => {
  const bad = join(work, 'bad.yml');
  writeFileSync(bad, `${readFileSync(join(root, 'electron-builder.yml'), 'utf8')}\nnotAnElectronBuilderOption: true\n`);
  const run = runBuilder(['--linux', 'dir', '--config', bad, `-c.directories.output=${join(work, 'bad-out')}`]);
  assert.notEqual(run.status, 0);
  assert.match(run.output, /notAnElectronBuilderOption/);
});

test('app.asar holds the runtime: main, preload, renderer, core, contract and production dependencies', () => {
  for (const needed of ['/package.json', '/dist/src-main/electron/main.js', '/dist/src-main/electron/preload.cjs', '/dist/src-main/app/table.js',
    '/dist/src-main/app/dispatch.js', '/dist/src-shared/contract.js', '/dist/renderer/index.html', '/dist/src-main/core/keystore/index.js',
    '/node_modules/zod/package.json', '/node_modules/@napi-rs/keyring/package.json']) {
    assert.ok(files.includes(needed), `${needed} is missing from app.asar`);
  }
});

test('app.asar holds no tests, sources, source maps, CLI, receivers or dev dependencies', () => {
  const forbidden: Array<[RegExp, string]> = [
    [/^\/(test|dist\/test)\//, 'tests'],
    [/^\/(src-main|src-renderer|src-shared|receivers|scripts|docs|assets|\.venv|\.ci)\//, 'sources and repo files'],
    [/^\/dist\/src-main\/cli\//, 'the CLI'],
    [/^\/dist\/receivers\//, 'receivers'],
    [/\.map$/, 'source maps'],
    [/^\/(?!node_modules\/).*\.tsx?$/, 'TypeScript sources'],
    [/^\/node_modules\/(typescript|electron|electron-builder|vite|rolldown|playwright-core|eslint|@doyensec|@types|@vitejs|typescript-eslint|fernet|react|react-dom|app-builder-lib|@electron)\//, 'dev dependencies'],
    [/^\/(tsconfig[^/]*\.json|vite[^/]*\.ts|eslint\.config\.js|electron-builder\.yml|package-lock\.json)$/, 'build config'],
  ];
  assert.ok(files.length > 0, 'the packaging test above must have listed app.asar first');
  for (const [pattern, what] of forbidden) {
    const found = files.filter((f) => pattern.test(f));
    assert.deepEqual(found.slice(0, 10), [], `app.asar must not contain ${what}`);
  }
});

test('the packaged package.json points main at the Electron entry inside the asar', () => {
  const asar = require('@electron/asar') as { extractFile(archive: string, file: string): Buffer };
  const pkg = JSON.parse(asar.extractFile(join(work, 'out', 'linux-unpacked', 'resources', 'app.asar'), 'package.json').toString('utf8')) as { main?: string };
  assert.equal(pkg.main, 'dist/src-main/electron/main.js');
  assert.ok(files.includes(`/${pkg.main}`));
});

test('the afterPack hook flipped the fuses on the packaged binary', async () => {
  const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
  const wire = await getCurrentFuseWire(join(work, 'out', 'linux-unpacked', 'key-custodian')) as unknown as Record<number, number>;
  const state = (option: number): string => String.fromCharCode(wire[option] ?? 0);
  assert.equal(state(FuseV1Options.RunAsNode), '0', 'RunAsNode off');
  assert.equal(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable), '0', 'NODE_OPTIONS off');
  assert.equal(state(FuseV1Options.EnableNodeCliInspectArguments), '0', 'inspect arguments off');
  assert.equal(state(FuseV1Options.EnableCookieEncryption), '1', 'cookie encryption on');
  assert.equal(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation), '1', 'ASAR integrity on');
  assert.equal(state(FuseV1Options.OnlyLoadAppFromAsar), '1', 'only load the app from asar');
  assert.equal(state(FuseV1Options.GrantFileProtocolExtraPrivileges), '0', 'no extra file:// privileges');
});
