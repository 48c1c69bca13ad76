// The whole test suite: install if needed (Chromium too, for the dashboard e2e tests, and
// python3-xgboost / python3-onnx, the reference of the model tests, and promtool), type-check
// and build (the server, its bundle (scripts/bundle-server.mjs), then the dashboard into web/dist), lint, the dashboard's component tests
// (vitest + happy-dom, web/test), then every test file. The component tests run first so that
// node's test runner's closing summary (# pass N / # fail N) stays the last output.
// Node 20's test runner does not expand globs, so the files are listed here explicitly.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run('node', ['scripts/ensure-deps.mjs', '--browser', '--ml', '--promtool']);
run('npx', ['tsc', '-p', 'tsconfig.json']);
run('node', ['scripts/bundle-server.mjs']);
run('node', ['scripts/build-web.mjs']);
run('npx', ['eslint', '.']);

const only = process.argv.slice(2);
// With file filters, the component tests run only when asked for by 'web'.
if (only.length === 0 || only.includes('web')) run('npx', ['vitest', 'run', '--config', 'web/vitest.config.mjs']);
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.test.js')) files.push(relative(root, path));
  }
};
walk(join(root, 'dist', 'test'));
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0 && only.length === 1 && only[0] === 'web') process.exit(0);
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Each test file must finish within 10 minutes (the short crash campaign's 20 restarts take a few
// minutes on a busy 2-core machine); a hung file fails then instead of hanging CI.
// Test files run three at a time (TEST_CONCURRENCY=N to change): most of a file's time is spent
// waiting on a server, a browser or a venue, so three share the 2 cores without starving each other
// (node's default here is one: cores - 1).
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 3);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`TEST_CONCURRENCY must be a positive integer, got ${process.env.TEST_CONCURRENCY}`);
  process.exit(2);
}
run('node', ['--test', `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-timeout=600000', `--test-concurrency=${concurrency}`, ...selected.sort()]);
