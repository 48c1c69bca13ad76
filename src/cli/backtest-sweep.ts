import { ColumnarCache } from '../adapters/columnar-cache/cache.js';
import { buildTable } from '../adapters/columnar-cache/build.js';
import type { BacktestConfig } from '../backtest/backtester.js';
import { GridError, gridCombinations, parseGrid } from '../backtest/grid.js';
import type { BacktestData } from '../backtest/job.js';
import type { SmaCrossSpec } from '../backtest/strategies.js';
import { groupedNumber } from './grouped-number.js';
import { RANK_METRICS, rank, sweep, type RankMetric, type SweepResult } from '../backtest/sweep.js';

export interface SweepCliOptions {
  grid: string;
  threads?: number;
  rank?: string;
  top?: number;
  json?: boolean;
  cacheDir?: string;
}

const describe = (s: SmaCrossSpec): string => `fast ${s.fast} slow ${s.slow}${s.stopAtr ? ` stop ${s.stopAtr} ATR` : ''}${s.targetAtr ? ` target ${s.targetAtr} ATR` : ''}`;

/** `tradewind backtest --grid ...`: every combination on the worker pool, ranked. */
export async function runSweepCli(opts: SweepCliOptions, base: BacktestConfig, data: BacktestData, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (data.kind !== 'file') {
    err.write('tradewind backtest: --grid needs --data FILE (a bar file)\n');
    return 2;
  }
  const by = (opts.rank ?? 'closedPnl') as RankMetric;
  if (!RANK_METRICS.includes(by)) {
    err.write(`tradewind backtest: --rank must be one of ${RANK_METRICS.join(', ')}\n`);
    return 2;
  }
  let specs: SmaCrossSpec[];
  let skipped: number;
  try {
    ({ specs, skipped } = gridCombinations(base.strategy as SmaCrossSpec, parseGrid(opts.grid)));
  } catch (error) {
    if (!(error instanceof GridError)) throw error;
    err.write(`tradewind backtest: --grid: ${error.message}\n`);
    return 2;
  }
  if (specs.length === 0) {
    err.write(`tradewind backtest: --grid: no combination with fast < slow (${skipped} left out)\n`);
    return 2;
  }
  const t0 = performance.now();
  const table = opts.cacheDir ? (await new ColumnarCache(opts.cacheDir).load(data.path, 'bars')).table : (await buildTable(data.path, 'bars')).table;
  const loadMs = performance.now() - t0;
  const tty = Boolean((err as NodeJS.WriteStream).isTTY);
  let best: SweepResult | null = null;
  let lastLine = 0;
  const outcome = await sweep(
    table,
    specs.map((strategy) => ({ ...base, strategy })),
    {
      threads: opts.threads,
      window: { from: data.from, to: data.to, limit: data.limit },
      onResult: (r, done, total) => {
        if (!best || rank([best, r], by)[0] === r) best = r;
        const elapsed = (performance.now() - t0) / 1000;
        const eta = (elapsed / done) * (total - done);
        const line = `[${done}/${total}] ${describe(r.strategy as SmaCrossSpec)}: PnL ${r.closedPnl.toFixed(2)}; best ${describe(best.strategy as SmaCrossSpec)} (${by} ${String(best[by])}); ${elapsed.toFixed(1)} s, about ${eta.toFixed(0)} s left`;
        // A live line on a terminal; otherwise one line per tenth of the grid.
        if (tty) err.write(`\r\x1b[K${line}`);
        else if (Math.floor((done * 10) / total) > lastLine || done === total) {
          lastLine = Math.floor((done * 10) / total);
          err.write(`${line}\n`);
        }
      },
    },
  );
  if (tty) err.write('\r\x1b[K');
  const ranked = rank(outcome.results, by);
  const summary = { combinations: specs.length, skipped, threads: outcome.threads, rankedBy: by, loadMs: Math.round(loadMs), sweepMs: Math.round(outcome.wallMs), bars: ranked[0]?.bars ?? 0 };
  if (opts.json) {
    out.write(`${JSON.stringify({ ...summary, results: ranked })}\n`);
    return 0;
  }
  const top = ranked.slice(0, opts.top ?? 10);
  const lines = [
    `sweep of ${specs.length} combinations${skipped ? ` (${skipped} with fast >= slow left out)` : ''} over ${groupedNumber(summary.bars)} bars on ${outcome.threads} thread${outcome.threads === 1 ? '' : 's'}: ${(outcome.wallMs / 1000).toFixed(2)} s (loading ${Math.round(loadMs)} ms), ranked by ${by}`,
    `${'rank'.padStart(4)}  ${'fast'.padStart(4)} ${'slow'.padStart(4)}  ${'trades'.padStart(6)} ${'win %'.padStart(6)} ${'closed PnL'.padStart(12)} ${'return %'.padStart(8)} ${'max DD'.padStart(10)} ${'Sharpe'.padStart(6)}`,
    ...top.map((r, i) => {
      const s = r.strategy as SmaCrossSpec;
      return `${String(i + 1).padStart(4)}  ${String(s.fast).padStart(4)} ${String(s.slow).padStart(4)}  ${String(r.closedTrades).padStart(6)} ${(r.winRate * 100).toFixed(2).padStart(6)} ${r.closedPnl.toFixed(2).padStart(12)} ${r.returnPct.toFixed(2).padStart(8)} ${r.maxDrawdown.toFixed(2).padStart(10)} ${(r.sharpe === null ? '-' : r.sharpe.toFixed(2)).padStart(6)}${s.stopAtr ? `  stop ${s.stopAtr}` : ''}`;
    }),
  ];
  out.write(`${lines.join('\n')}\n`);
  return 0;
}
