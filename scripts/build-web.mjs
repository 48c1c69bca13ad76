// Builds the dashboard (web/): type-checks it with its own tsconfig, then `vite build` into
// web/dist, which the server serves. Called by `npm run build` (so `npm start`) and `npm test`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('npx', ['tsc', '-p', 'web/tsconfig.json']);
run('npx', ['vite', 'build', '--config', 'web/vite.config.mjs']);
