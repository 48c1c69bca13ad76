// The crash campaign (docs/RELIABILITY.md): SIGKILL at random moments while orders flow from
// every source at once, restart, full audit after each kill.
//
//   npm run chaos                      200 trials, at most 30 minutes
//   CHAOS_TRIALS=50 CHAOS_SEED=7 CHAOS_MINUTES=10 npm run chaos
//   CHAOS_BRIDGE_WAIT_MS=300 npm run chaos    the bridge executor long-polls (claims made in the queuing transaction)
//
// Exits with status 1 when any audit found a problem; prints the figures either way.
import { runChaos } from '../test/chaos/campaign.js';
import { envNumber, machineInfo, summarize } from './common.js';

const trials = envNumber('CHAOS_TRIALS', 200);
const seed = envNumber('CHAOS_SEED', 1);
const minutes = envNumber('CHAOS_MINUTES', 30);
const bridgeWaitMs = envNumber('CHAOS_BRIDGE_WAIT_MS', 0);

const report = await runChaos({ trials, seed, budgetMs: minutes * 60_000, bridgeCrashEvery: 10, bridgeWaitMs, log: (line) => console.log(line) });
const restart = summarize(Float64Array.from(report.trials.map((t) => t.restartMs)));
const reconcile = summarize(Float64Array.from(report.trials.map((t) => t.reconcileMs)));
console.log('\n== chaos campaign ==');
console.log(JSON.stringify({ machine: machineInfo(), seed, trials: report.trials.length, wallSeconds: Math.round(report.wallMs / 1000), acknowledged: report.acknowledged, ordersInJournal: report.orders, ordersByBot: report.ordersByBot, fillsInJournal: report.fills, bridgeExecuted: report.bridgeExecuted, restartMs: restart, venueAgreedAfterMs: reconcile, problems: report.problems.length }, null, 2));
if (report.problems.length) {
  console.log(report.problems.join('\n'));
  process.exit(1);
}
