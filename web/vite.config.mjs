// The dashboard: React + Vite, built into web/dist and served by the server (@fastify/static).
// `npm run dev:web` proxies /api and /ws to a server on 127.0.0.1:8000.
// Vite's default names (assets/<name>-<hash>.js|css) are what the server's year-long
// `immutable` cache policy relies on (src/api/dashboard-static.ts); index.html stays unhashed and
// no-cache. lightweight-charts is imported dynamically (web/src/App.tsx), so it lands in a chunk
// of its own that the first load does not fetch. scripts/build-web.mjs adds .br and .gz copies.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/ws': { target: 'ws://127.0.0.1:8000', ws: true },
    },
  },
});
