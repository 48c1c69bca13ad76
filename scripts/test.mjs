// The whole test suite: install if needed (Chromium too, for the dashboard e2e tests, and
// python3-xgboost / python3-onnx, the reference of the model tests, and promtool), type-check
// and build (the server, its bundle (scripts/bundle-server.mjs), then the dashboard into web/dist), lint, the dashboard's component tests
// (vitest + happy-dom, web/test), then every test file. The component tests run first so that
// node's test runner's closing summary (# pass N / # fail N) stays the last output.
// Node 20's test runner does not expand globs, so the files are listed here explicitly.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

/** Runs the steps of one phase one after the other, its output kept until the phase ends. */
const phase = (name, steps) =>
  new Promise((resolve) => {
    const started = Date.now();
    let output = '';
    const finish = (code) => resolve({ name, code, output, seconds: (Date.now() - started) / 1000 });
    const next = (i) => {
      if (i === steps.length) return finish(0);
      const [cmd, args] = steps[i];
      const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', (e) => {
        output += `\n${e.message}`;
        finish(1);
      });
      child.on('close', (code) => (code === 0 ? next(i + 1) : finish(code ?? 1)));
    };
    next(0);
  });

run('node', ['scripts/ensure-deps.mjs', '--browser', '--ml', '--promtool']);

const only = process.argv.slice(2);
// The checks before the test files do not depend on each other (tsc and the server bundle,
// the dashboard build, lint, the dashboard's component tests), so they run side by side: on 2
// cores that takes about a minute less than one after the other (tsc and eslint are single
// threads). Each phase's output is printed whole when it ends; the component tests' output stays
// before the test runner's, whose closing summary must be the last lines.
const phases = [
  phase('type-check and server bundle', [['npx', ['tsc', '-p', 'tsconfig.json']], ['node', ['scripts/bundle-server.mjs']]]),
  phase('dashboard build', [['node', ['scripts/build-web.mjs']]]),
  phase('lint', [['npx', ['eslint', '.']]]),
];
// With file filters, the component tests run only when asked for by 'web'.
if (only.length === 0 || only.includes('web')) phases.push(phase('dashboard component tests', [['npx', ['vitest', 'run', '--config', 'web/vitest.config.mjs']]]));
const results = await Promise.all(phases);
for (const r of results) {
  process.stdout.write(r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
  console.log(`[${r.name}] ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(1)} s`);
}
const failed = results.find((r) => r.code !== 0);
if (failed) process.exit(failed.code);
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
// Longest files first: with three at a time, a long file started last would run alone at the end
// while the other slots sit idle. How long each file took comes from the last run on this machine
// (dist/test-durations.json, from scripts/test-durations-reporter.mjs's figures of each run) over the figures
// checked in (test/durations.json; copy the former over it when files are added or change much);
// a file in neither counts as a middling one.
const readDurations = (file) => {
  try {
    return JSON.parse(readFileSync(join(root, file), 'utf8'));
  } catch {
    return {};
  }
};
const durations = { ...readDurations('test/durations.json'), ...readDurations('dist/test-durations.json') };
const known = Object.values(durations).sort((a, b) => a - b);
const middling = known.length ? known[Math.floor(known.length / 2)] : 0;
const order = selected.map((f) => [f, durations[f] ?? middling]).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([f]) => f);
const tests = spawnSync('node', [
  '--test',
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/test-durations-reporter.mjs',
  '--test-reporter-destination=dist/test-durations-last.json',
  '--test-timeout=600000',
  `--test-concurrency=${concurrency}`,
  ...order,
], { cwd: root, stdio: 'inherit' });
// A run of some files updates only their figures.
const last = readDurations('dist/test-durations-last.json');
writeFileSync(join(root, 'dist', 'test-durations.json'), `${JSON.stringify({ ...readDurations('dist/test-durations.json'), ...last }, null, 1)}\n`);
process.exit(tests.status ?? 1);
