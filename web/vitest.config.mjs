// Component tests of the dashboard (no browser): vitest + happy-dom. Run by scripts/test.mjs.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  plugins: [react()],
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    // The suite runs these beside tsc, the builds and lint (scripts/test.mjs): room for a busy machine.
    testTimeout: 30_000,
  },
});
