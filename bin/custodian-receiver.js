#!/usr/bin/env node
// `custodian-receiver`: the demo Key Custodian receiver (receivers/node). Run `npm run build` first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/receivers/node/src/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('error [USAGE]: the receiver is not built yet.\nhint: run `npm ci && npm run build` in the repository first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
