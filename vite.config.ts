// Builds the React renderer into dist/renderer. The CSP goes into index.html as a meta tag, from the same
// function that gives the Electron app's header and the test bridge's header (src-shared/csp.ts).
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { contentSecurityPolicy } from './src-shared/csp.ts';

function cspMeta(): Plugin {
  // frame-ancestors is ignored in a meta tag (the header carries it), so leave it out here.
  const policy = contentSecurityPolicy({ connectSelf: true }).split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; ');
  return {
    name: 'custodian-csp-meta',
    transformIndexHtml: (html) => html.replace('<!--csp-->', `<meta http-equiv="Content-Security-Policy" content="${policy}">`),
  };
}

export default defineConfig({
  root: 'src-renderer',
  base: '/',
  plugins: [react(), cspMeta()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: false,
    // No inlined assets: everything is a file under 'self', as the CSP requires.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'chrome120',
  },
  logLevel: 'warn',
});
