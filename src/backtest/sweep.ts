import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sharedTable, type BarTable, type MarketTable } from '../core/columns.js';
import { runBacktest, runTickBacktest, type BacktestConfig, type BacktestReport } from './backtester.js';
import type { StrategySpec } from './strategies.js';
import { barBatches, tickBatches, type TableWindow } from './table-batches.js';
import { distFile } from '../core/dist-files.js';

/**
 * Parameter sweeps on both cores: one pool of worker threads, each holding a view of the same
 * SharedArrayBuffer of columns (the data is in memory once, whatever the thread count), takes
 * combinations one at a time (the next goes to whichever thread is free) and runs each on its
 * own kernel, exactly as a single backtest does. Results come back as summaries, ranked.
 */

/** One combination's result: its strategy and the report's figures (no trade list or curve). */
export interface SweepResult {
  index: number;
  strategy: StrategySpec;
  closedTrades: number;
  winRate: number;
  closedPnl: number;
  fees: number;
  finalValue: number;
  returnPct: number;
  maxDrawdown: number;
  maxDrawdownPct: number;
  sharpe: number | null;
  exposure: number;
  fills: number;
  bars: number;
  ticks: number;
  kernelMs: number;
}

export const RANK_METRICS = ['closedPnl', 'returnPct', 'sharpe', 'maxDrawdown', 'winRate'] as const;
export type RankMetric = (typeof RANK_METRICS)[number];

export function summarize(index: number, r: BacktestReport): SweepResult {
  return {
    index,
    strategy: r.strategy,
    closedTrades: r.closedTrades,
    winRate: r.winRate,
    closedPnl: r.closedPnl,
    fees: r.fees,
    finalValue: r.finalValue,
    returnPct: r.returnPct,
    maxDrawdown: r.maxDrawdown,
    maxDrawdownPct: r.maxDrawdownPct,
    sharpe: r.sharpe,
    exposure: r.exposure,
    fills: r.fills,
    bars: r.bars,
    ticks: r.ticks,
    kernelMs: r.kernelMs,
  };
}

/** Best first: highest metric, except drawdown (lowest first); ties keep grid order. */
export function rank(results: SweepResult[], by: RankMetric): SweepResult[] {
  const key = (r: SweepResult) => {
    const v = r[by];
    if (v === null) return -Infinity;
    return by === 'maxDrawdown' ? -v : v;
  };
  return [...results].sort((a, b) => key(b) - key(a) || a.index - b.index);
}

/** One combination run in this thread over a table (the worker's code, and the sequential reference). */
export async function runOnTable(config: BacktestConfig, table: MarketTable, window: TableWindow): Promise<BacktestReport> {
  return table.kind === 'bars'
    ? runBacktest(config, barBatches(table as BarTable, config.instrument, window))
    : runTickBacktest(config, tickBatches(table, config.instrument, window));
}

/** What a sweep worker is started with (structured clone; the buffer is shared, not copied). */
export interface SweepWorkerData {
  buffer: SharedArrayBuffer;
  offset: number;
  rows: number;
  kind: MarketTable['kind'];
  window: TableWindow;
}

export interface SweepRequest {
  index: number;
  config: BacktestConfig;
}
export type SweepReply = { index: number; result: SweepResult } | { index: number; error: string };

export interface SweepOptions {
  /** Worker threads; default: the machine's available parallelism. */
  threads?: number;
  window?: Partial<TableWindow>;
  /** Called after each finished combination. */
  onResult?: (result: SweepResult, done: number, total: number) => void;
  workerUrl?: URL;
}

export interface SweepOutcome {
  /** In grid order. */
  results: SweepResult[];
  threads: number;
  wallMs: number;
}

/** Runs every config over the table on a pool of worker threads sharing the table's memory. */
export async function sweep(table: MarketTable, configs: BacktestConfig[], options: SweepOptions = {}): Promise<SweepOutcome> {
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), configs.length || 1));
  const shared = sharedTable(table);
  const data: SweepWorkerData = {
    buffer: shared.buffer,
    offset: shared.offset,
    rows: table.rows,
    kind: table.kind,
    window: { batchSize: 8192, ...options.window },
  };
  const url = options.workerUrl ?? distFile('backtest/sweep-worker.js');
  const results: SweepResult[] = new Array(configs.length);
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      if (configs.length === 0) return resolve();
      const feed = (w: Worker) => {
        if (next < configs.length) {
          const index = next++;
          w.postMessage({ index, config: configs[index] as BacktestConfig } satisfies SweepRequest);
        }
      };
      for (let i = 0; i < threads; i++) {
        const w = new Worker(url, { workerData: data });
        workers.push(w);
        w.on('message', (m: SweepReply) => {
          if ('error' in m) return reject(new Error(`combination ${m.index + 1}: ${m.error}`));
          results[m.index] = m.result;
          done++;
          options.onResult?.(m.result, done, configs.length);
          if (done === configs.length) resolve();
          else feed(w);
        });
        w.on('error', reject);
        w.on('exit', (code) => {
          if (done < configs.length) reject(new Error(`sweep worker exited (code ${code}) with ${configs.length - done} combinations left`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { results, threads, wallMs: performance.now() - t0 };
}
