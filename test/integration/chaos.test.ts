// The short crash campaign (20 trials; `npm run chaos` runs 200): SIGKILL at random moments while
// the demo bot, a Max bot, the ensemble coordinator, TradingView webhooks with desk entries,
// bridge orders and ccxt orders at the fake venue all flow; after each restart the audit of
// test/chaos/audit.ts must find nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChaos } from '../chaos/campaign.js';

const TRIALS = Number(process.env.TRADEWIND_CHAOS_TRIALS ?? 20);

describe('crash campaign (short)', () => {
  it(`${TRIALS} SIGKILLs with orders flowing from every source: nothing lost, nothing doubled, venue and journal agree, bots restored`, { timeout: 30 * 60_000 }, async () => {
    const lines: string[] = [];
    const report = await runChaos({ trials: TRIALS, seed: Number(process.env.TRADEWIND_CHAOS_SEED ?? 20261202), budgetMs: 25 * 60_000, minFlowMs: 200, maxFlowMs: 1500, bridgeCrashEvery: 5, log: (l) => lines.push(l) });
    assert.equal(report.trials.length, TRIALS, `every trial ran:\n${lines.join('\n')}`);
    assert.deepEqual(report.problems, [], lines.join('\n'));
    // The campaign must have exercised every source, else "no problem" says little.
    for (const [source, n] of Object.entries(report.acknowledged)) assert.ok(n > 0, `${source} orders were acknowledged (${JSON.stringify(report.acknowledged)})`);
    for (const account of ['demo', 'paper', 'bridge', 'binance']) assert.ok((report.fills[account] ?? 0) > 0, `fills on ${account}: ${JSON.stringify(report.fills)}`);
    assert.ok(report.bridgeExecuted > 0);
  });
});
