#!/usr/bin/env node
// `tradewind backtest` loads only what a backtest needs (src/cli/backtest-entry.ts): start-up
// is a large part of a short run. Every other command goes through the full CLI.
if (process.argv[2] === 'backtest') {
  const { backtestMain } = await import('../dist/src/cli/backtest-entry.js');
  await backtestMain(process.argv);
} else if (process.argv[2] === 'worker') {
  // Likewise a sweep worker (src/cli/worker-entry.ts).
  const { workerMain } = await import('../dist/src/cli/worker-entry.js');
  await workerMain(process.argv);
} else {
  const { main } = await import('../dist/src/cli/main.js');
  await main(process.argv);
}
