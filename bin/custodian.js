#!/usr/bin/env node
// The `custodian` command. Run `npm run build` first: the CLI is bundled into dist/cli/custodian.js
// (vite.cli.config.ts), which turns on Node's compile cache and loads the rest (src-main/cli/launch.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/custodian.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('error [USAGE]: Key Custodian is not built yet.\nhint: run `npm ci && npm run build` in the repository first.\n');
  process.exit(2);
}
try {
  await import(entry.href);
} catch (error) {
  // A broken build must not print Node's raw trace (it quotes source lines); say what to do instead.
  const kind = error instanceof Error ? error.name : typeof error;
  process.stderr.write(`error [INTERNAL]: Key Custodian failed to load (${kind}).\nhint: rebuild it with \`npm run build\`; if that does not help, report it.\n`);
  process.exit(1);
}
