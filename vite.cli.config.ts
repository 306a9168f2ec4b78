// Bundles the compiled CLI (tsc's dist/src-main/cli/launch.js and everything it imports, dependencies included)
// into dist/cli/custodian.js plus a few chunks (and the fernet rotate worker, dist/cli/rotate-worker.js). One file instead of ~180 modules is most of what makes
// `custodian --help` start as fast as OpenBao's `bao version` (docs/benchmarks.md, test/bench/cli-startup.bench.ts).
// Dependencies the core loads only when a command needs them stay lazy: dynamic import() becomes a chunk loaded
// on use (launch.js -> the CLI, hpke, openpgp), and core/lazy.ts's require() of CommonJS packages (node-vault)
// resolves node_modules at run time. The keychain binding is native: it stays an import of node_modules.
import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    // Two entries: the CLI, and the `fernet rotate` worker thread's script, which worker-pool.ts finds next to
    // its own chunk (rollup keeps each entry from running the other's top-level code).
    ssr: true,
    outDir: 'dist/cli',
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    target: 'node20',
    reportCompressedSize: false,
    rollupOptions: {
      input: { custodian: 'dist/src-main/cli/launch.js', 'rotate-worker': 'dist/src-main/core/fernet-stream/rotate-worker.js' },
      external: ['@napi-rs/keyring', ...builtinModules, ...builtinModules.map((name) => `node:${name}`)],
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
  ssr: { noExternal: true, target: 'node' },
  logLevel: 'warn',
});
