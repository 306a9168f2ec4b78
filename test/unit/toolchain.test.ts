/**
 * The suites run on Node 22 LTS (>= 22.12, as Electron 45 and electron-builder require): `npm test` re-runs itself
 * under the Node 22 of scripts/node22.mjs when the machine's Node is older, and puts it first on PATH so that
 * child processes (`node bin/custodian.js`, `#!/usr/bin/env node` scripts) run on it too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pinned = readFileSync(join(root, '.nvmrc'), 'utf8').trim();

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.replace(/^v/, '').split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

test('the tests run on Node 22.12 or later', () => {
  assert.ok(atLeast(process.version, 22, 12), `running on Node ${process.version}; run the suites with \`npm test\` (it brings Node ${pinned}), or \`nvm use\``);
});

test('`node` in child processes is the Node that runs the tests', () => {
  const child = spawnSync('node', ['-p', 'process.version'], { encoding: 'utf8', env: process.env });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), process.version, `PATH resolves \`node\` to another Node than ${process.execPath}`);
});

test('.nvmrc pins a Node 22 LTS release that package.json engines accepts', () => {
  assert.match(pinned, /^22\.\d+\.\d+$/);
  assert.ok(atLeast(pinned, 22, 12));
  const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  assert.equal(engines, '>=22.12');
});

test('scripts/node22.mjs tells supported Node versions from older ones', async () => {
  const { isSupported, NODE22_VERSION } = await import(pathToFileURL(join(root, 'scripts', 'node22.mjs')).href) as { isSupported(v: string): boolean; NODE22_VERSION: string };
  assert.equal(NODE22_VERSION, pinned);
  for (const old of ['v20.20.2', 'v22.11.0', '18.19.1', 'v22.1.0']) assert.equal(isSupported(old), false, old);
  for (const ok of ['v22.12.0', '22.23.3', 'v23.0.0', 'v24.11.1']) assert.equal(isSupported(ok), true, ok);
});
