/**
 * The `custodian` process entry (bin/custodian.js, and the packaged app's launcher). It only turns on Node's
 * compile cache and then loads the CLI, so everything the CLI loads is compiled once and read from the cache on
 * later runs (~10 % of the bundled CLI's start, more unbundled; docs/benchmarks.md). Keep this file free of
 * other imports: whatever it imports statically is loaded before the cache is on.
 *
 * The cache holds V8 code compiled from the CLI's own JavaScript, never data; Node checks each entry against the
 * source it was compiled from. It lives in the per-user cache directory, never in the config directory.
 * NODE_COMPILE_CACHE=DIR overrides the place, NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node's own variables).
 */
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { custodianCacheDir } from './cache-dir.js';

// enableCompileCache exists from Node 22.1 (Electron 45 has Node 22); on an older Node the CLI starts uncached.
const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
try {
  enable?.(process.env['NODE_COMPILE_CACHE'] ? undefined : join(custodianCacheDir(), 'compile-cache'));
} catch {
  // An unwritable cache directory only costs start-up time.
}

await import('./entry.js');
