import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The CSP is added to the built page only: the dev server injects inline scripts for hot reload.
// 'self' is http://127.0.0.1:<port> in browser mode and app://studio in Electron; hps-image: serves library
// images in Electron, /library-files/ in the browser.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: hps-image:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

const cspMeta = (): Plugin => ({
  name: 'hps-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP },
      injectTo: 'head-prepend',
    },
  ],
});

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: './',
  plugins: [react(), cspMeta()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: 'http://127.0.0.1:7860', ws: true },
      '/library-files': 'http://127.0.0.1:7860',
    },
  },
});
