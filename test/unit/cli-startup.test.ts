/**
 * What keeps `custodian` starting fast (test/bench/cli-startup.bench.ts measures it): the CLI is one bundled file
 * (dist/cli/custodian.js), Node's compile cache is on and lives in the per-user cache directory, and commands
 * that do not need a heavy dependency never load it. A command module that imports e.g. pdf-lib or node-vault
 * at the top fails the last two tests: load it inside the action (`await import(...)`) or through core/lazy.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { custodianCacheDir } from '../../src-main/cli/cache-dir.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'custodian-startup-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Dependencies no start-up path may load: they cost 10-200 ms each and only some commands need them. */
const HEAVY = ['node-vault', 'axios', 'hpke', 'openpgp', 'jose', '@napi-rs/keyring', 'pdf-lib', 'age-encryption', 'qrcode', 'slip39', 'i18next', '@noble', '@scure'];
/** Node built-ins that cost ~40 ms when imported as ES modules (node:http loads Node's fetch): load them on use. */
const HEAVY_BUILTINS = ['node:http', 'node:https', 'node:http2', 'node:worker_threads'];

// Records every module Node loads (ES modules and require()), written to $TRACE_OUT at exit.
const TRACER = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.TRACE_OUT, urls.join('\\n')));
`;

function env(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const home = join(work, name);
  return { PATH: process.env['PATH'] ?? '', HOME: home, CUSTODIAN_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), CUSTODIAN_KEYCHAIN_SERVICE: 'custodian-startup-test', ...extra };
}

function runTraced(entry: string, args: string[], name: string): { status: number | null; stdout: string; stderr: string; packages: Set<string>; builtins: Set<string> } {
  const out = join(work, `${name}.trace`);
  const run = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(TRACER)}`, entry, ...args], {
    env: env(name, { TRACE_OUT: out }), encoding: 'utf8', timeout: 30_000,
  });
  const urls = existsSync(out) ? readFileSync(out, 'utf8').split('\n') : [];
  const packages = new Set(urls.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter((p): p is string => Boolean(p)));
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, packages, builtins: new Set(urls.filter((u) => u.startsWith('node:'))) };
}

test('bin/custodian.js runs the bundled CLI: one file, not the ~180 modules of dist/src-main', () => {
  const run = runTraced(join(root, 'bin', 'custodian.js'), ['--help'], 'bundled');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Usage: custodian/);
  assert.deepEqual([...run.packages], [], 'every dependency of --help is inside the bundle');
});

test('the compile cache is written to the per-user cache directory, never the config directory', () => {
  const run = spawnSync(process.execPath, [join(root, 'bin', 'custodian.js'), '--help'], { env: env('cache-on'), encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const home = join(work, 'cache-on');
  const cache = join(custodianCacheDir({ HOME: home, XDG_CACHE_HOME: join(home, 'cache') }, 'linux'), 'compile-cache');
  assert.equal(cache, join(home, 'cache', 'key-custodian', 'compile-cache'));
  if (process.platform === 'linux') assert.ok(existsSync(cache) && readdirSync(cache).length > 0, `no compile cache in ${cache}`);
  assert.ok(!existsSync(join(home, 'config')), 'nothing is written to the custodian home by --help');
});

test('NODE_DISABLE_COMPILE_CACHE=1 turns the compile cache off', () => {
  const run = spawnSync(process.execPath, [join(root, 'bin', 'custodian.js'), '--help'], { env: env('cache-off', { NODE_DISABLE_COMPILE_CACHE: '1' }), encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(!existsSync(join(work, 'cache-off', 'cache', 'key-custodian', 'compile-cache')));
});

test('the cache directory follows each platform\'s convention', () => {
  assert.equal(custodianCacheDir({ HOME: '/Users/ana' }, 'darwin'), join('/Users/ana', 'Library', 'Caches', 'key-custodian'));
  assert.equal(custodianCacheDir({ HOME: 'C:/Users/ana', LOCALAPPDATA: 'C:/Users/ana/AppData/Local' }, 'win32'), join('C:/Users/ana/AppData/Local', 'key-custodian', 'Cache'));
  assert.equal(custodianCacheDir({ HOME: '/home/ana' }, 'linux'), join('/home/ana', '.cache', 'key-custodian'));
});

for (const args of [['--help'], ['key', 'list'], ['vault', '--help'], ['backup', '--help'], ['fernet', 'encrypt', '--help']]) {
  test(`\`custodian ${args.join(' ')}\` loads no heavy dependency (unbundled graph)`, () => {
    const run = runTraced(join(root, 'dist', 'src-main', 'cli', 'launch.js'), args, `graph-${args.join('-')}`);
    assert.equal(run.status, 0, run.stderr);
    const loaded = HEAVY.filter((name) => [...run.packages].some((p) => p === name || p.startsWith(`${name}/`)));
    assert.deepEqual(loaded, [], `loaded at start-up: ${loaded.join(', ')}`);
    assert.ok(run.builtins.has('node:path'), 'the tracer sees built-ins');
    assert.deepEqual(HEAVY_BUILTINS.filter((name) => run.builtins.has(name)), [], 'heavy built-ins loaded at start-up');
  });
}
