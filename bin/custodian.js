#!/usr/bin/env node
// The `custodian` command. Run `npm run build` first; the compiled CLI lives in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src-main/cli/entry.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('error [USAGE]: Key Custodian is not built yet.\nhint: run `npm ci && npm run build` in the repository first.\n');
  process.exit(2);
}
await import(entry.href);
