// Builds the dashboard (web/): type-checks it with its own tsconfig, then `vite build` into
// web/dist (hashed file names, the chart library in its own chunk), then writes a brotli (.br)
// and a gzip (.gz) copy next to every text file, which the server sends to browsers that accept
// them (@fastify/static `preCompressed`). Called by `npm run build` (so `npm start`) and `npm test`.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('npx', ['tsc', '-p', 'web/tsconfig.json']);
run('npx', ['vite', 'build', '--config', 'web/vite.config.mjs']);

// Compressed once here at the highest levels, instead of on every request.
const TEXT = /\.(?:js|mjs|css|html|svg|json|txt|map)$/;
const files = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
let written = 0;
for (const file of files(join(root, 'web', 'dist')).filter((f) => TEXT.test(f))) {
  const raw = readFileSync(file);
  const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  const gz = gzipSync(raw, { level: 9 });
  // A copy no smaller than the file is left out: the server then sends the file itself.
  for (const [ext, copy] of [['br', br], ['gz', gz]]) {
    if (copy.length >= raw.length) continue;
    writeFileSync(`${file}.${ext}`, copy);
    written += 1;
  }
}
console.log(`web/dist: ${written} precompressed copies (.br, .gz)`);
