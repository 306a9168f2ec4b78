// Bundles the Electron preload into one CommonJS file: sandboxed preloads can require only 'electron'.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    lib: { entry: 'src-main/electron/preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    outDir: 'dist/src-main/electron',
    emptyOutDir: false,
    minify: false,
    sourcemap: false,
    target: 'node20',
    rollupOptions: { external: ['electron'] },
  },
  logLevel: 'warn',
});
