// `npm test`: prepares the machine (scripts/setup.mjs), builds, and runs every suite:
//   unit + security (node:test, no I/O beyond temp dirs), integration (real keyring, OpenBao, receivers),
//   python (pytest, receivers/python), e2e (Playwright in Debian's Chromium).
// `npm test -- unit integration` runs only the named suites. Exit status is non-zero if any suite failed.
// Everything runs on Node 22 (>= 22.12, .nvmrc): on an older Node this script first re-runs itself under the
// Node 22 that scripts/node22.mjs caches outside the repository (installing it from the npm registry once).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { requireNode22 } from './node22.mjs';
import { root, setup } from './setup.mjs';

requireNode22();

const allSuites = ['unit', 'integration', 'python', 'e2e'];
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = requested.length ? requested : allSuites;
for (const suite of suites) {
  if (!allSuites.includes(suite)) {
    process.stderr.write(`unknown suite "${suite}"; choose from: ${allSuites.join(', ')}\n`);
    process.exit(2);
  }
}

const testEnv = setup();
build();

function build() {
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('build failed\n');
    process.exit(1);
  }
}

function findTests(dir, pattern = /\.test\.js$/) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path, pattern));
    else if (pattern.test(name)) out.push(path);
  }
  return out;
}

function nodeTests(dirs, extraArgs = []) {
  const files = dirs.flatMap((d) => findTests(join(root, 'dist', 'test', d)));
  if (files.length === 0) {
    process.stderr.write(`no test files in ${dirs.join(', ')}\n`);
    return 1;
  }
  // Every run gets a fresh HOME and config dir, so nothing from the developer's own keychain or config leaks in.
  const home = mkdtempSync(join(tmpdir(), 'custodian-test-home-'));
  try {
    const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=180000', ...extraArgs, ...files.map((f) => relative(root, f))], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...testEnv, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share') },
    });
    return result.status ?? 1;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const runners = {
  unit: () => nodeTests(['unit', 'security']),
  // Integration tests start real servers; running files one at a time keeps the two cores from thrashing.
  integration: () => nodeTests(['integration'], ['--test-concurrency=1']),
  python: () => {
    const tests = join(root, 'receivers', 'python', 'tests');
    if (!existsSync(tests)) {
      process.stderr.write(`missing ${relative(root, tests)}: the Python receiver's tests are part of the suite\n`);
      return 1;
    }
    const result = spawnSync(testEnv.CUSTODIAN_TEST_PYTHON, ['-m', 'pytest', '-q', '-rs', tests], {
      cwd: root, stdio: 'inherit', env: { ...process.env, ...testEnv },
    });
    return result.status ?? 1;
  },
  e2e: () => nodeTests(['e2e'], ['--test-concurrency=1']),
};

const results = [];
for (const suite of suites) {
  process.stderr.write(`\n===== suite: ${suite} =====\n`);
  const status = runners[suite]();
  results.push([suite, status]);
}
process.stderr.write('\n===== summary =====\n');
for (const [suite, status] of results) process.stderr.write(`${suite}: ${status === 0 ? 'passed' : `FAILED (exit ${status})`}\n`);
process.exit(results.some(([, status]) => status !== 0) ? 1 : 0);
