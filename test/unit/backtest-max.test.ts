import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { BacktestSpecError, buildStrategy, parseStrategySpec, runTickBacktest, TickOrderError, type BacktestConfig } from '../../src/backtest/backtester.js';
import { JobRunner } from '../../src/backtest/job-runner.js';
import { runBacktestJob, type BacktestJobSpec } from '../../src/backtest/job.js';
import { BUILTIN_INSTRUMENTS } from '../../src/core/instruments.js';
import type { Tick } from '../../src/core/market.js';
import { tempDir } from './support.js';

const T0 = Date.UTC(2025, 0, 2, 14, 30);
const NQ = BUILTIN_INSTRUMENTS.find((i) => i.symbol === 'NQ');

/** Three hours of one-second NQ prints from a seeded random walk (LCG), on the 0.25 grid. */
function seededTicks(seed: number, seconds = 3 * 3_600): Tick[] {
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  let price = 21_000;
  const ticks: Tick[] = [];
  for (let i = 0; i < seconds; i++) {
    price += Math.round((rand() - 0.5) * 6) * 0.25;
    ticks.push({ symbol: 'NQ', ts: T0 + i * 1_000, price, size: 1 + Math.floor(rand() * 5), trades: 1 });
  }
  return ticks;
}

const csv = (ticks: Tick[]) => ['timestamp,price,volume', ...ticks.map((t) => `${t.ts},${t.price.toFixed(2)},${t.size}`)].join('\n') + '\n';

/** The Max bot on the paper venue's terms (NQ: $2.25 a contract a side, one tick of slippage). */
const maxConfig = (over: Partial<BacktestConfig> = {}): BacktestConfig => ({
  instrument: 'NQ',
  strategy: { name: 'max', contract: 'NQ', maxMode: 'both', point_key: '4_2_3_1', exit_strategy_key: '10_5', quantity: 1 },
  cash: 100_000,
  perContract: 2.25,
  slippageTicks: 1,
  risk: { riskPerTrade: 0.01, maxOpenPositions: 1, maxLeverage: 25 },
  closeAtEnd: true,
  ...over,
});

const stable = (r: Record<string, unknown>) => {
  const { kernelMs: _k, loadMs: _l, barsPerSecond: _b, ticksPerSecond: _t, ...rest } = r;
  return rest;
};

describe('Backtester: the Max strategy from a plain spec', () => {
  const dirs = tempDir('tw-bt-max-');
  const runner = new JobRunner({ now: () => Date.now() });
  after(async () => {
    await runner.close();
    dirs.cleanup();
  });

  it('runs in a worker thread exactly as in this thread (tick file, exit reasons, end of data)', async () => {
    const path = dirs.file('nq-seeded.csv');
    writeFileSync(path, csv(seededTicks(42)));
    const spec: BacktestJobSpec = { config: maxConfig(), data: { kind: 'tick-file', path }, batchSize: 1000 };
    const seen: number[] = [];
    const id = runner.start(spec);
    runner.onProgress(id, (p) => seen.push(p.ticks));
    const viaWorker = await runner.result(id);
    const inThread = await runBacktestJob(spec);
    assert.deepEqual(stable({ ...viaWorker }), stable({ ...inThread }));
    assert.equal(viaWorker.ticks, 3 * 3_600);
    assert.ok(viaWorker.closedTrades >= 5, `${viaWorker.closedTrades} trades`);
    assert.ok(viaWorker.trades.some((t) => t.side === 'long') && viaWorker.trades.some((t) => t.side === 'short'));
    for (const t of viaWorker.trades) assert.match(t.exitReason, /^(stop loss|exit target|trail |target1 |timeout |end of data)/);
    assert.deepEqual(viaWorker.input, { format: 'tick', headerSkipped: true, rows: 3 * 3_600, valid: 3 * 3_600, malformed: 0, malformedExamples: [] });
    assert.ok(seen.length >= 5 && seen.every((v, i) => i === 0 || v > (seen[i - 1] as number)), 'progress in ticks increases');
    assert.equal(runner.get(id)?.progress.fraction, 1);
  });

  it('closes a position open at the end at the last price ("end of data"), or reports it open', async () => {
    // Long signal at 21005 (21001 + 4) fills at the next print +1 tick; the tape then ends flat.
    const ticks: Tick[] = [
      [0, 21_000],
      [30, 21_001],
      [60, 21_002],
      [75, 21_005],
      [90, 21_005.5],
      [105, 21_006],
    ].map(([s, p]) => ({ symbol: 'NQ', ts: T0 + (s as number) * 1_000, price: p as number, size: 1, trades: 1 }));
    const strategy = { name: 'max' as const, contract: 'NQ', maxMode: 'long', point_key: '4_2_3_1', exit_strategy_key: '0_0', quantity: 1 };
    const closed = await runTickBacktest(maxConfig({ strategy }), [ticks]);
    assert.equal(closed.closedAtEnd, true);
    assert.equal(closed.openPosition, null);
    assert.equal(closed.trades.length, 1);
    const t = closed.trades[0];
    // In at 21005.5 + 0.25; out at the last print 21006 - 0.25 (slippage), at its time.
    assert.deepEqual([t?.side, t?.entryPrice, t?.exitPrice, t?.closedAt, t?.exitReason, t?.fees], ['long', 21_005.75, 21_005.75, T0 + 105_000, 'end of data', 4.5]);
    assert.equal(closed.ticks, 6, 'the closing print is not counted as data');

    const open = await runTickBacktest(maxConfig({ strategy, closeAtEnd: false }), [ticks]);
    assert.equal(open.closedAtEnd, false);
    assert.equal(open.trades.length, 0);
    assert.deepEqual([open.openPosition?.side, open.openPosition?.qty, open.openPosition?.avgPrice], ['long', 1, 21_005.75]);
  });

  it('refuses ticks out of time order', async () => {
    const ticks = seededTicks(7, 100);
    [ticks[50], ticks[51]] = [ticks[51] as Tick, ticks[50] as Tick];
    await assert.rejects(runTickBacktest(maxConfig(), [ticks.slice(0, 40), ticks.slice(40)]), (e: unknown) => e instanceof TickOrderError && e.index === 51);
  });

  it('keeps the error kind across the worker boundary', async () => {
    const path = dirs.file('disorder.csv');
    const ticks = seededTicks(7, 100);
    [ticks[50], ticks[51]] = [ticks[51] as Tick, ticks[50] as Tick];
    writeFileSync(path, csv(ticks));
    const id = runner.start({ config: maxConfig(), data: { kind: 'tick-file', path } });
    await assert.rejects(runner.result(id), (e: Error) => e.name === 'TickOrderError' && /ticks must be in time order: tick 52/.test(e.message));
    const bad = runner.start({ config: maxConfig({ strategy: { name: 'max', contract: 'NQ', maxMode: 'both', point_key: '4_2_x_1', exit_strategy_key: '10_5' } }), data: { kind: 'ticks', ticks: seededTicks(1, 10) } });
    await assert.rejects(runner.result(bad), (e: Error & { field?: string }) => e.name === 'BacktestSpecError' && e.field === 'strategy.point_key' && /part 3 \(target1\)/.test(e.message));
  });

  it('validates untrusted specs field by field', () => {
    const cases: [unknown, string, RegExp][] = [
      [null, 'strategy', /must be an object/],
      [{ name: 'rsi' }, 'strategy.name', /must be one of sma-cross, max/],
      [{ name: 'sma-cross', fast: 10 }, 'strategy.slow', /required/],
      [{ name: 'sma-cross', fast: 1.5, slow: 3 }, 'strategy.fast', /whole number/],
      [{ name: 'sma-cross', fast: 2, slow: 3, colour: 'red' }, 'strategy.colour', /unknown field/],
      [{ name: 'max', contract: 'NQ', maxMode: 'both', point_key: '4_2_3_1' }, 'strategy.exit_strategy_key', /required/],
      [{ name: 'max', contract: 'NQ', maxMode: 'both', point_key: '4_2_3_1', exit_strategy_key: '10_5', quantity: 0 }, 'strategy.quantity', />= 1/],
    ];
    for (const [raw, field, pattern] of cases) {
      assert.throws(
        () => parseStrategySpec(raw),
        (e: unknown) => e instanceof BacktestSpecError && e.field === field && pattern.test(e.message),
        JSON.stringify(raw),
      );
    }
    const max = parseStrategySpec({ name: 'max', contract: 'nq', maxMode: 'sideways', point_key: '4_2_3_1', exit_strategy_key: '10_5' });
    assert.ok(max.name === 'max' && max.contract === 'NQ');
    assert.throws(() => buildStrategy(max, NQ as (typeof BUILTIN_INSTRUMENTS)[number], 60_000), (e: unknown) => e instanceof BacktestSpecError && e.field === 'strategy.maxMode');
    const es = BUILTIN_INSTRUMENTS.find((i) => i.symbol === 'ES') as (typeof BUILTIN_INSTRUMENTS)[number];
    assert.throws(() => buildStrategy({ ...max, maxMode: 'both' }, es, 60_000), /contract NQ does not match the backtest's instrument ES/);
    // A spec is plain data: it survives structured cloning unchanged.
    assert.deepEqual(structuredClone(max), max);
  });
});
