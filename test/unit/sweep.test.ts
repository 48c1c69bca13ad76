// Parameter sweeps: the grid syntax, and the worker pool's per-combination results equal to
// sequential in-thread runs over the same bars (and to runs of the line reader's bars).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildTable } from '../../src/adapters/columnar-cache/build.js';
import { readBars } from '../../src/adapters/importers/index.js';
import { runBacktest, type BacktestConfig } from '../../src/backtest/backtester.js';
import { GridError, gridCombinations, parseGrid } from '../../src/backtest/grid.js';
import { rank, runOnTable, summarize, sweep } from '../../src/backtest/sweep.js';
import type { Bar } from '../../src/core/market.js';
import { repoRoot } from '../helpers/server.js';

const FILE = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2025-01.csv.gz');

describe('grid syntax', () => {
  it('ranges, steps, lists and single values; fast >= slow left out', () => {
    const axes = parseGrid('fast=5..8, slow=20..30:5');
    assert.deepEqual(axes, [
      { param: 'fast', values: [5, 6, 7, 8] },
      { param: 'slow', values: [20, 25, 30] },
    ]);
    assert.deepEqual(parseGrid('stop-atr=0.5..1:0.1')[0]?.values, [0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    assert.deepEqual(parseGrid('fast=3|5|8')[0]?.values, [3, 5, 8]);
    const { specs, skipped } = gridCombinations({ name: 'sma-cross', fast: 10, slow: 30, size: 1 }, parseGrid('fast=5..20,slow=20..60'));
    assert.equal(specs.length + skipped, 16 * 41);
    assert.equal(skipped, 1); // fast 20, slow 20
    assert.ok(specs.every((s) => s.fast < s.slow && s.size === 1));
  });

  it('bad grids are refused with the reason', () => {
    assert.throws(() => parseGrid('speed=1..2'), (e: unknown) => e instanceof GridError && /unknown grid parameter 'speed'/.test(e.message));
    assert.throws(() => parseGrid('fast=9..5'), /empty/);
    assert.throws(() => parseGrid('fast=1.5'), /not a positive integer/);
    assert.throws(() => parseGrid('fast=1..5:0'), /step/);
    assert.throws(() => parseGrid('fast=x'), /not a number/);
    assert.throws(() => parseGrid('fast=1,fast=2'), /twice/);
  });
});

describe('sweep on worker threads', { skip: !existsSync(FILE) && `no ${FILE}` }, () => {
  it('every combination equals a sequential run (2 threads sharing one copy of the columns)', async () => {
    const { table } = await buildTable(FILE, 'bars');
    const base: BacktestConfig = { instrument: 'BTC/USDT', strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 1, longOnly: false }, cash: 1_000_000, feeRate: 0.0004, slippageTicks: 1 };
    const { specs } = gridCombinations({ name: 'sma-cross', fast: 10, slow: 30, size: 1, longOnly: false }, parseGrid('fast=4..6,slow=12|20'));
    const configs = specs.map((strategy) => ({ ...base, strategy }));
    const window = { limit: 8_000, batchSize: 8192 };
    const seen: number[] = [];
    const outcome = await sweep(table, configs, { threads: 2, window, onResult: (_r, done) => seen.push(done) });
    assert.equal(outcome.threads, 2);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);

    // Sequential references: the same table in this thread, and bars from the line reader.
    const bars: Bar[] = [];
    for await (const batch of readBars(FILE, { symbol: 'BTC/USDT' })) {
      bars.push(...batch);
      if (bars.length >= 8_000) break;
    }
    bars.length = 8_000;
    const strip = ({ kernelMs: _k, ...rest }: ReturnType<typeof summarize>) => rest;
    for (const [i, config] of configs.entries()) {
      const fromTable = summarize(i, await runOnTable(config, table, window));
      const fromReader = summarize(i, await runBacktest(config, [bars]));
      const pooled = outcome.results[i];
      assert.ok(pooled, `result ${i}`);
      assert.ok(pooled.closedTrades > 50, `${pooled.closedTrades} trades`);
      assert.equal(pooled.bars, 8_000);
      assert.deepEqual(strip(pooled), strip(fromTable), `combination ${i}`);
      assert.deepEqual(strip(pooled), strip(fromReader), `combination ${i} (line reader bars)`);
    }
    const ranked = rank(outcome.results, 'closedPnl');
    for (let i = 1; i < ranked.length; i++) assert.ok((ranked[i - 1]?.closedPnl ?? 0) >= (ranked[i]?.closedPnl ?? 0));
    const byDd = rank(outcome.results, 'maxDrawdown');
    assert.equal(byDd[0]?.maxDrawdown, Math.min(...outcome.results.map((r) => r.maxDrawdown)));
  });
});
