// Prevents: a layer reaching past its boundary (ARCHITECTURE.md). The lint rule is the enforcement; this test
// proves the rule fires for each forbidden import and stays quiet for the allowed ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').length;
}

const cases: Array<[string, string, boolean]> = [
  ['src-main/core/probe.ts', "import { app } from 'electron'; export const a = app;", false],
  ['src-main/core/probe.ts', "import { x } from '../cli/main.js'; export const a = x;", false],
  ['src-main/core/probe.ts', "import { x } from '../electron/main.js'; export const a = x;", false],
  ['src-main/cli/probe.ts', "import { app } from 'electron'; export const a = app;", false],
  ['src-renderer/probe.tsx', "import { readFileSync } from 'node:fs'; export const a = readFileSync;", false],
  ['src-renderer/probe.tsx', "import { x } from '../src-main/core/paths.js'; export const a = x;", false],
  ['receivers/node/src/probe.ts', "import { x } from '../../../src-main/core/paths.js'; export const a = x;", false],
  ['src-main/core/probe.ts', "import { createHash } from 'node:crypto'; export const a = createHash;", true],
  ['src-main/cli/probe.ts', "import { x } from '../core/paths.js'; export const a = x;", true],
  ['src-renderer/probe.tsx', "import { x } from '../src-shared/actions.js'; export const a = x;", true],
];

for (const [file, code, allowed] of cases) {
  test(`${file}: ${allowed ? 'allows' : 'forbids'} ${code.split(' from ')[1]?.split(';')[0]}`, async () => {
    const count = await restrictedImports(file, code);
    assert.equal(count === 0, allowed, `expected ${allowed ? 'no' : 'a'} no-restricted-imports report, got ${count}`);
  });
}
