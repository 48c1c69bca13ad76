// Bundles the server's entry points (dist/src/cli/{main,backtest-entry,worker-entry}.js, compiled by
// tsc) into dist/bundle/cli with rolldown: a start then loads a few chunk files instead of ~1,300
// modules, about a third less start-up CPU (docs/PERFORMANCE.md "Start-up"). bin/tradewind.js runs
// the bundle only while it is newer than tsc's last build (dist/.tsbuildinfo), else dist/src as is,
// so a bare `tsc` never runs stale code. Dynamic imports stay separate chunks (loaded when used).
// Left outside the bundle: native addons, packages that read their own files or start workers or
// transports by path, and the ones the server loads lazily by name (require at run time).
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bundle', 'cli');
const EXTERNAL = [
  'better-sqlite3',
  'pino',
  'thread-stream',
  'sonic-boom',
  'ccxt',
  'pg',
  'pg-copy-streams',
  'ioredis',
  'bullmq',
  'onnxruntime-node',
  'playwright-core',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@fastify/static',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'synckit',
  'yaml',
];
const external = (id) => EXTERNAL.some((p) => id === p || id.startsWith(`${p}/`));

rmSync(join(root, 'dist', 'bundle'), { recursive: true, force: true });
const bundle = await rolldown({
  input: {
    main: join(root, 'dist/src/cli/main.js'),
    'backtest-entry': join(root, 'dist/src/cli/backtest-entry.js'),
    'worker-entry': join(root, 'dist/src/cli/worker-entry.js'),
  },
  platform: 'node',
  external,
  logLevel: 'warn',
});
await bundle.write({ dir: out, format: 'esm', entryFileNames: '[name].js', sourcemap: false });
await bundle.close();
// Written last: bin/tradewind.js trusts the bundle only when this is newer than dist/.tsbuildinfo.
writeFileSync(join(root, 'dist', 'bundle', 'built'), new Date().toISOString() + '\n');
