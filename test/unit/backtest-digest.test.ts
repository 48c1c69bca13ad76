// Kernel results pinned to the last digit: each run's report (timings left out), every fill,
// every journaled order and, for one run, every event a bus subscriber saw, hashed and compared
// with the digest the kernel gave before its speed work (issue 15). A change of semantics, or
// of one double anywhere in the trade list, changes the digest. To re-pin after an intended
// change of results, run with PRINT_DIGESTS=1 and say why in the commit.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readBars } from '../../src/adapters/importers/index.js';
import { Backtester, type BacktestConfig } from '../../src/backtest/backtester.js';
import { syntheticTicks } from '../../src/backtest/synthetic-ticks.js';
import type { KernelEvent } from '../../src/core/events.js';
import type { Bar } from '../../src/core/market.js';
import { repoRoot } from '../helpers/server.js';

const SAMPLE = join(repoRoot, 'samples', 'BTCUSDT-1m-2025-01-01_07.csv.gz');
const YEAR = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2024.csv.gz');

const sma = (over: Partial<Extract<BacktestConfig['strategy'], { name: 'sma-cross' }>>, config: Partial<BacktestConfig> = {}): BacktestConfig => ({
  instrument: 'BTC/USDT',
  strategy: { name: 'sma-cross', fast: 10, slow: 30, ...over },
  cash: 1_000_000,
  ...config,
});

/** The example: long-only, size 1, no fees. */
const EXAMPLE = sma({ size: 1, longOnly: true }, { feeRate: 0 });
/** Reversals, fees, slippage, stops and targets (bench/kernel-throughput.ts's hard run). */
const HARD = sma({ size: 0.1, longOnly: false, stopAtr: 3, targetAtr: 6 }, { feeRate: 0.0004, slippageTicks: 1 });
/** Plain reversals with fees and slippage. */
const REVERSALS = sma({ size: 0.1, longOnly: false }, { feeRate: 0.0004, slippageTicks: 1 });
/** Sized by the risk engine from the stop, maker fee apart, a tiny volume cap: partial fills. */
const SIZED_PARTIAL = sma({ longOnly: false, stopAtr: 2, targetAtr: 4 }, { feeRate: 0.0005, makerRate: 0.0002, perContract: 0.01, slippageTicks: 2, maxVolumeShare: 0.002, closeAtEnd: true, cash: 10_000 });

const sha = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 24);

/** A backtest's results: the report without its timings, the fills, the orders as journaled, and (optionally) the events. */
function resultsOf(bt: Backtester, events: unknown[] | null): string {
  const { kernelMs: _k, loadMs: _l, barsPerSecond: _b, ticksPerSecond: _t, ...report } = bt.report();
  const orders = bt.store.listOrders({ limit: Number.MAX_SAFE_INTEGER });
  return sha({ report, fills: bt.store.allFills(), orders, events });
}

function runBars(config: BacktestConfig, bars: readonly Bar[], recordEvents = false): { digest: string; trades: number } {
  const bt = new Backtester(config);
  const events: unknown[] = [];
  // The kernel starts with the first bar: feed it, subscribe, then the rest (as a live subscriber would join).
  bt.feedBars(bars.slice(0, 1));
  if (recordEvents) bt.kernel.bus.onAny((e: KernelEvent) => events.push(JSON.parse(JSON.stringify(e))));
  for (let i = 1; i < bars.length; i += 1024) bt.feedBars(bars.slice(i, i + 1024));
  if (config.closeAtEnd) bt.closeOpenPosition();
  return { digest: resultsOf(bt, recordEvents ? events : null), trades: bt.report().closedTrades };
}

async function loadBars(file: string): Promise<Bar[]> {
  const bars: Bar[] = [];
  for await (const batch of readBars(file, { symbol: 'BTC/USDT' })) for (const b of batch) bars.push(b);
  return bars;
}

const print = process.env.PRINT_DIGESTS === '1';
function check(name: string, got: { digest: string; trades: number }, expected: string, minTrades: number): void {
  if (print) console.log(`${name}: '${got.digest}', // ${got.trades} trades`);
  assert.ok(got.trades >= minTrades, `${name}: ${got.trades} trades (a run that trades too little proves nothing)`);
  assert.equal(got.digest, expected, `${name}: results differ from the pinned ones`);
}

describe('backtest results are those of the kernel before the speed work (sample week, in the repository)', () => {
  let bars: Bar[] = [];
  before(async () => {
    bars = await loadBars(SAMPLE);
    assert.equal(bars.length, 10_080);
  });
  it('the example: long-only, size 1, no fees', () => check('sample example', runBars(EXAMPLE, bars), 'b38cf6851e4f282446ba8243', 100));
  it('reversals with stops, targets, fees and slippage', () => check('sample hard', runBars(HARD, bars), 'd17205b5f9c420b1e00b1d4b', 100));
  it('plain reversals with fees and slippage', () => check('sample reversals', runBars(REVERSALS, bars), '8f487377f48b71d3e85c2525', 100));
  it('risk-sized entries, maker/taker/per-contract fees, partial fills under a volume cap, closed at the end', () =>
    check('sample sized partial', runBars(SIZED_PARTIAL, bars), '318005916f736687429d0359', 50));
  it('every event a bus subscriber sees (orders, fills, positions, marks, accounts, bars, scans)', () =>
    check('sample hard events', runBars(HARD, bars, true), '5350bfd48a89d074cc28fcf7', 100));
  it('ticks: bars built from seeded trade prints, the paper broker matching every tick', () => {
    const bt = new Backtester(sma({ fast: 3, slow: 8, size: 0.1, longOnly: false, stopAtr: 3, targetAtr: 6, barIntervalMs: 60_000 }, { feeRate: 0.0004, slippageTicks: 1 }));
    for (const batch of syntheticTicks({ symbol: 'BTC/USDT', count: 400_000, seed: 15, startTs: Date.UTC(2024, 0, 1), startPrice: 42_000, batchSize: 4096 })) bt.feedTicks(batch);
    check('ticks hard', { digest: resultsOf(bt, null), trades: bt.report().closedTrades }, 'a3fe4f480f1fbda6629d6eca', 50);
  });
});

describe('backtest results are those of the kernel before the speed work (the whole of 2024)', { skip: !existsSync(YEAR) && `no ${YEAR}` }, () => {
  let bars: Bar[] = [];
  before(async () => {
    bars = await loadBars(YEAR);
  });
  it('the issue example over 527,040 bars', () => check('year example', runBars(EXAMPLE, bars), '3ed7e29d552574a86b092406', 10_000));
  it('the hard run over 527,040 bars', () => check('year hard', runBars(HARD, bars), 'ca12ead14beaecdae0b88cf9', 10_000));
});
