// `npm run bench`: prepares the machine like `npm test`, builds, then runs every dist/test/bench/*.bench.js
// (or only those whose name contains an argument: `npm run bench -- fernet`). Each benchmark prints its own
// ratios against a reference measured in the same run. Runs on Node 22 like `npm test` (scripts/node22.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireNode22 } from './node22.mjs';
import { root, setup } from './setup.mjs';

requireNode22();

const filters = process.argv.slice(2);
const env = { ...process.env, ...setup() };
if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
const dir = join(root, 'dist', 'test', 'bench');
const benches = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort() : [];
const selected = benches.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
let failed = 0;
for (const file of selected) {
  process.stdout.write(`\n## ${file.replace(/\.bench\.js$/, '')}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(dir, file)], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) failed++;
}
if (selected.length === 0) process.stderr.write('no benchmarks found\n');
process.exit(failed ? 1 : 0);
