#!/usr/bin/env node
// Runs the server's bundle (dist/bundle/cli, scripts/bundle-server.mjs) when it is newer than
// tsc's last build, else the compiled modules in dist/src (TRADEWIND_NO_BUNDLE=1 forces them).
// `tradewind backtest` loads only what a backtest needs (src/cli/backtest-entry.ts): start-up
// is a large part of a short run. Every other command goes through the full CLI.
import { statSync } from 'node:fs';

const mtime = (path) => {
  try {
    return statSync(new URL(path, import.meta.url)).mtimeMs;
  } catch {
    return Number.NaN;
  }
};
const bundled = process.env.TRADEWIND_NO_BUNDLE !== '1' && mtime('../dist/bundle/built') >= mtime('../dist/.tsbuildinfo');
const dir = bundled ? '../dist/bundle/cli/' : '../dist/src/cli/';

if (process.argv[2] === 'backtest') {
  const { backtestMain } = await import(`${dir}backtest-entry.js`);
  await backtestMain(process.argv);
} else if (process.argv[2] === 'worker') {
  // Likewise a sweep worker (src/cli/worker-entry.ts).
  const { workerMain } = await import(`${dir}worker-entry.js`);
  await workerMain(process.argv);
} else {
  const { main } = await import(`${dir}main.js`);
  await main(process.argv);
}
