/**
 * Loads a dependency the first time it is used instead of when the module that needs it is imported.
 * The CLI imports the core's index files for every command, so a dependency loaded at import time is paid by
 * `custodian --help` too (node-vault with axios was ~70 ms of a 300 ms start); see docs/benchmarks.md.
 * Synchronous on purpose (`require`), so the call sites stay as they are. For CommonJS packages and Node
 * built-ins only: an ES module package would be loaded twice (once by `import`, once by `require`) and its
 * classes would differ. Built-ins such as node:http are worth it too: `import` of node:http makes Node build an
 * ES module facade that reads every export, which loads Node's bundled fetch (undici), ~40 ms per start.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(specifier) as T);
}
