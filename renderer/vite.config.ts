import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// index.html carries the CSP of main/common/csp.ts (tests/e2e checks they match). The dev server needs
// inline scripts for hot reload, so it serves the page without that tag.
const dropCspInDev = (): Plugin => ({
  name: 'hps-drop-csp-in-dev',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>\s*/, ''),
});

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: './',
  plugins: [react(), dropCspInDev()],
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
