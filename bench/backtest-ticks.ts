// Tick backtest benchmark: 10 million seeded random-walk ticks (generated in memory, in
// batches) through the full kernel: bars built from the ticks, the SMA crossover, risk,
// execution, portfolio and the paper matching engine on every tick. Generation is timed apart.
//
//   node dist/bench/backtest-ticks.js           (BENCH_TICKS=N for another count)
import type { Tick } from '../src/core/market.js';
import { Backtester, type BacktestConfig } from '../src/backtest/backtester.js';
import { syntheticTicks } from '../src/backtest/synthetic-ticks.js';
import { envNumber, isMain, machineInfo, round } from './common.js';

export const TICKS_TARGET_PER_SECOND = 2_000_000;

export interface BacktestTicksResult {
  ticks: number;
  generateMs: number;
  kernelMs: number;
  ticksPerSecond: number;
  bars: number;
  fills: number;
  closedTrades: number;
  finalValue: number;
  target: { minTicksPerSecond: number };
  pass: boolean;
}

export const TICK_BENCH_CONFIG: BacktestConfig = {
  instrument: 'BTC/USDT',
  strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 0.1, longOnly: false, barIntervalMs: 60_000 },
  cash: 1_000_000,
  feeRate: 0.0004,
  slippageTicks: 1,
};

export function runBacktestTicks(log: (line: string) => void = console.log, count = envNumber('BENCH_TICKS', 10_000_000)): BacktestTicksResult {
  const bt = new Backtester(TICK_BENCH_CONFIG);
  let generateNs = 0n;
  let n = 0;
  const gen = syntheticTicks({ symbol: 'BTC/USDT', count, seed: 42, startTs: Date.UTC(2024, 0, 1), startPrice: 42_000, stepMs: 100, batchSize: 65_536 });
  for (;;) {
    const t0 = process.hrtime.bigint();
    const next = gen.next();
    generateNs += process.hrtime.bigint() - t0;
    if (next.done) break;
    const batch: Tick[] = next.value;
    bt.feedTicks(batch); // timed inside: kernel time only
    n += batch.length;
  }
  const r = bt.report();
  const result: BacktestTicksResult = {
    ticks: n,
    generateMs: round(Number(generateNs) / 1e6, 1),
    kernelMs: round(r.kernelMs, 1),
    ticksPerSecond: r.ticksPerSecond,
    bars: r.bars,
    fills: r.fills,
    closedTrades: r.closedTrades,
    finalValue: r.finalValue,
    target: { minTicksPerSecond: TICKS_TARGET_PER_SECOND },
    pass: r.ticksPerSecond >= TICKS_TARGET_PER_SECOND,
  };
  log(
    `${n.toLocaleString('en-US')} ticks (${r.bars} one-minute bars, ${r.fills} fills): kernel ${result.kernelMs} ms = ${r.ticksPerSecond.toLocaleString('en-US')} ticks/s ` +
      `(target >= ${TICKS_TARGET_PER_SECOND.toLocaleString('en-US')}: ${result.pass ? 'PASS' : 'FAIL'}); generating ${result.generateMs} ms apart`,
  );
  return result;
}

if (isMain(import.meta.url)) {
  const m = machineInfo();
  console.log(`machine: ${m.cpuModel}, ${m.cores} cores, node ${m.node}`);
  console.log(JSON.stringify(runBacktestTicks()));
}
