import { createReadStream, statSync } from 'node:fs';
import { readBars } from '../adapters/importers/index.js';
import { SqliteMarketStore } from '../adapters/store-sqlite/market-store.js';
import type { Bar } from '../core/market.js';
import { runBacktest, type BacktestConfig, type BacktestReport } from './backtester.js';

/** Where a backtest's bars come from; plain data, so a job can cross a worker boundary. */
export type BacktestData =
  /** A bar file the importers read (Binance klines or generic OHLCV, plain or gzip); from/to: open times, ms. */
  | { kind: 'file'; path: string; from?: number; to?: number; limit?: number }
  /** The market data store (SQLite file, DATA_DIR/market.db): bars of the instrument in [from, to). */
  | { kind: 'store'; file: string; intervalMs?: number; from?: number; to?: number; limit?: number }
  /** Bars in memory (tests, uploads). */
  | { kind: 'bars'; bars: Bar[] };

export interface BacktestJobSpec {
  config: BacktestConfig;
  data: BacktestData;
  /** Bars per batch between progress reports and cancel checks. Default 8192. */
  batchSize?: number;
}

export interface JobProgress {
  bars: number;
  /** Simulated time reached, ms. */
  ts: number | null;
  /** 0..1: bytes read (files), time covered (store) or bars done (memory). */
  fraction: number;
}

export interface JobHooks {
  onProgress?: (progress: JobProgress) => void;
  shouldStop?: () => boolean;
}

/** Keeps bars with from <= start < to, at most `limit` of them. */
async function* window(source: AsyncIterable<Bar[]>, from = -Infinity, to = Infinity, limit = Infinity): AsyncGenerator<Bar[]> {
  let left = limit;
  for await (const batch of source) {
    const all = batch.length > 0 && (batch[0] as Bar).start >= from && (batch[batch.length - 1] as Bar).start < to;
    let kept = all ? batch : batch.filter((b) => b.start >= from && b.start < to);
    if (kept.length > left) kept = kept.slice(0, left);
    left -= kept.length;
    if (kept.length > 0) yield kept;
    if (left <= 0) return;
  }
}

/** Runs one backtest job in this thread: the same code the worker threads run. */
export async function runBacktestJob(spec: BacktestJobSpec, hooks: JobHooks = {}): Promise<BacktestReport> {
  const batchSize = spec.batchSize ?? 8192;
  const { data, config } = spec;
  const shouldStop = hooks.shouldStop;
  if (data.kind === 'file') {
    const total = statSync(data.path).size;
    const raw = createReadStream(data.path, { highWaterMark: 1 << 20 });
    try {
      const source = window(readBars(raw, { symbol: config.instrument, batchSize }), data.from, data.to, data.limit);
      return await runBacktest(config, source, {
        shouldStop,
        onProgress: (p) => hooks.onProgress?.({ bars: p.bars, ts: p.ts, fraction: total > 0 ? Math.min(1, raw.bytesRead / total) : 1 }),
      });
    } finally {
      raw.destroy();
    }
  }
  if (data.kind === 'store') {
    const store = new SqliteMarketStore({ file: data.file });
    try {
      const intervalMs = data.intervalMs ?? 60_000;
      const info = await store.barRange(config.instrument, intervalMs);
      if (!info) throw new Error(`no ${intervalMs / 1000}s bars of ${config.instrument} in ${data.file}`);
      const from = Math.max(data.from ?? info.first, info.first);
      const to = Math.min(data.to ?? info.last + 1, info.last + 1);
      const source = window(store.readBars(config.instrument, intervalMs, { from: data.from, to: data.to }, batchSize), data.from, data.to, data.limit);
      return await runBacktest(config, source, {
        shouldStop,
        onProgress: (p) => hooks.onProgress?.({ bars: p.bars, ts: p.ts, fraction: to > from && p.ts !== null ? Math.min(1, Math.max(0, (p.ts - from) / (to - from))) : 1 }),
      });
    } finally {
      store.close();
    }
  }
  const bars = data.bars;
  const batches = function* () {
    for (let i = 0; i < bars.length; i += batchSize) yield bars.slice(i, i + batchSize);
  };
  return runBacktest(config, batches(), {
    shouldStop,
    onProgress: (p) => hooks.onProgress?.({ bars: p.bars, ts: p.ts, fraction: bars.length ? p.bars / bars.length : 1 }),
  });
}
