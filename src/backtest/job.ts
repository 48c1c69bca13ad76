import { createReadStream, existsSync, statSync } from 'node:fs';
import { readBars, readTicks, type RowReader } from '../adapters/importers/index.js';
import { ColumnarCache, type CacheLoad, type CacheMiss, type CacheStatus } from '../adapters/columnar-cache/cache.js';
import { buildBarsStreaming, buildTable } from '../adapters/columnar-cache/build.js';
import type { Bar, Tick } from '../core/market.js';
import { runBacktest, runTickBacktest, type BacktestConfig, type BacktestReport, type RunHooks } from './backtester.js';
import { barBatches, streamedBarBatches, tickBatches, type TableCursor } from './table-batches.js';

/** Where a backtest's bars or ticks come from; plain data, so a job can cross a worker boundary. */
export type BacktestData =
  /** A bar file the importers read (Binance klines or generic OHLCV, plain or gzip); from/to: open times, ms. */
  | { kind: 'file'; path: string; from?: number; to?: number; limit?: number }
  /** The market data store (SQLite file, DATA_DIR/market.db): bars of the instrument in [from, to). */
  | { kind: 'store'; file: string; intervalMs?: number; from?: number; to?: number; limit?: number }
  /** Bars in memory (tests, uploads). */
  | { kind: 'bars'; bars: Bar[] }
  /** A tick file (timestamp,price,volume CSV/TXT, plain or gzip); ticks with from <= ts < to. */
  | { kind: 'tick-file'; path: string; from?: number; to?: number; limit?: number }
  /** The market data store's ticks of the instrument in [from, to). */
  | { kind: 'store-ticks'; file: string; from?: number; to?: number; limit?: number }
  /** Ticks in memory (tests). */
  | { kind: 'ticks'; ticks: Tick[] };

export interface BacktestJobSpec {
  config: BacktestConfig;
  data: BacktestData;
  /** Bars (or ticks) per batch between progress reports and cancel checks. Default 8192. */
  batchSize?: number;
  /**
   * Columnar cache directory for `file` and `tick-file` data (README "Columnar cache"): the file
   * is parsed once into float64 columns kept there, keyed by its content. Absent: no cache.
   */
  cacheDir?: string;
}

export interface JobProgress {
  bars: number;
  ticks: number;
  /** Simulated time reached, ms. */
  ts: number | null;
  /** 0..1: bytes read (files), time covered (store) or rows done (memory). */
  fraction: number;
}

/** What the importer made of a data file: rows seen, skipped rows and why. */
export interface InputStats {
  format: string | null;
  headerSkipped: boolean;
  rows: number;
  valid: number;
  malformed: number;
  malformedExamples: { line: number; reason: string }[];
}

/** A job's result: the backtest report plus, for files, what the importer read. */
export interface JobReport extends BacktestReport {
  input: InputStats | null;
  /** How a data file was read with a cache directory: from the cache (`hit`) or parsed and saved. */
  cache?: { status: CacheStatus; reason: string | null; file: string; loadMs: number };
}

export interface JobHooks {
  onProgress?: (progress: JobProgress) => void;
  shouldStop?: () => boolean;
}

/** Keeps rows with from <= time < to, at most `limit` of them. */
async function* window<T>(source: AsyncIterable<T[]>, time: (row: T) => number, from = -Infinity, to = Infinity, limit = Infinity): AsyncGenerator<T[]> {
  let left = limit;
  for await (const batch of source) {
    const all = batch.length > 0 && time(batch[0] as T) >= from && time(batch[batch.length - 1] as T) < to;
    let kept = all ? batch : batch.filter((b) => time(b) >= from && time(b) < to);
    if (kept.length > left) kept = kept.slice(0, left);
    left -= kept.length;
    if (kept.length > 0) yield kept;
    if (left <= 0) return;
  }
}

/** Rows per batch of Bar or Tick objects made from a columnar table. */
const TABLE_BATCH_ROWS = 1024;

const barStart = (b: Bar): number => b.start;
const tickTs = (t: Tick): number => t.ts;
const fractionOf = (done: number, total: number): number => (total > 0 ? Math.min(1, Math.max(0, done / total)) : 1);

const inputStats = (reader: RowReader<unknown>): InputStats => {
  const s = reader.stats;
  return { format: s.format, headerSkipped: s.headerSkipped, rows: s.rows, valid: s.valid, malformed: s.malformed, malformedExamples: s.malformedExamples.slice() };
};

/** Runs one backtest job in this thread: the same code the worker threads run. */
export async function runBacktestJob(spec: BacktestJobSpec, hooks: JobHooks = {}): Promise<JobReport> {
  const batchSize = spec.batchSize ?? 8192;
  const { data, config } = spec;
  const shouldStop = hooks.shouldStop;
  const progress = (fraction: (p: { bars: number; ticks: number; ts: number | null }) => number): RunHooks => ({
    shouldStop,
    onProgress: (p) => hooks.onProgress?.({ bars: p.bars, ticks: p.ticks, ts: p.ts, fraction: fraction(p) }),
  });
  switch (data.kind) {
    case 'file':
    case 'tick-file': {
      if (spec.cacheDir) {
        const t0 = process.hrtime.bigint();
        const kind = data.kind === 'file' ? 'bars' : 'ticks';
        const cache = new ColumnarCache(spec.cacheDir);
        const found = await cache.lookup(data.path, kind);
        // Bar objects made from columns in small batches die young: batches of 8,192 kept ~2 MB
        // alive across scavenges, which copied and promoted them (twice the bytes survived a run).
        const w = { from: data.from, to: data.to, limit: data.limit, batchSize: Math.min(batchSize, TABLE_BATCH_ROWS) };
        let loaded: CacheLoad | null = 'table' in found ? found : null;
        let report: BacktestReport;
        let lookupMs = Number(process.hrtime.bigint() - t0) / 1e6;
        if (loaded === null && kind === 'bars') {
          // Not cached yet: the backtest runs on the rows as they are parsed (zlib inflating the
          // rest meanwhile), and the finished table is saved for the next run.
          const miss = found as CacheMiss;
          const read = { bytes: 0 };
          const total = statSync(miss.path).size;
          const source = streamedBarBatches(buildBarsStreaming(miss.path, read), config.instrument, w, (built) => (loaded = cache.save(miss, built)));
          report = await runBacktest(config, source, progress(() => fractionOf(read.bytes, total)));
        } else {
          if (loaded === null) loaded = cache.save(found as CacheMiss, await buildTable((found as CacheMiss).path, kind));
          lookupMs = Number(process.hrtime.bigint() - t0) / 1e6;
          const cursor: TableCursor = { row: 0 };
          const table = loaded.table;
          const byRows = () => fractionOf(cursor.row, table.rows);
          report =
            table.kind === 'bars'
              ? await runBacktest(config, barBatches(table, config.instrument, w, cursor), progress(byRows))
              : await runTickBacktest(config, tickBatches(table, config.instrument, w, cursor), progress(byRows));
        }
        const result = loaded as CacheLoad | null;
        if (result === null) return { ...report, input: null }; // cancelled before the end of the file
        const cacheInfo = { status: result.status, reason: result.reason, file: result.file, loadMs: Math.round(lookupMs * 1000) / 1000 };
        return { ...report, loadMs: Math.round((report.loadMs + lookupMs) * 1000) / 1000, input: { ...result.input, malformedExamples: result.input.malformedExamples.slice() }, cache: cacheInfo };
      }
      const total = statSync(data.path).size;
      const raw = createReadStream(data.path, { highWaterMark: 1 << 20 });
      const byBytes = () => fractionOf(raw.bytesRead, total);
      try {
        if (data.kind === 'file') {
          const reader = readBars(raw, { symbol: config.instrument, batchSize });
          const report = await runBacktest(config, window(reader, barStart, data.from, data.to, data.limit), progress(byBytes));
          return { ...report, input: inputStats(reader) };
        }
        const reader = readTicks(raw, { symbol: config.instrument, format: 'tick', batchSize });
        const report = await runTickBacktest(config, window(reader, tickTs, data.from, data.to, data.limit), progress(byBytes));
        return { ...report, input: inputStats(reader) };
      } finally {
        raw.destroy();
      }
    }
    case 'store':
    case 'store-ticks': {
      if (!existsSync(data.file)) throw new Error(`no market data store at ${data.file}`);
      // Loaded here: a run on a file never opens the market database (better-sqlite3 is native).
      const { SqliteMarketStore } = await import('../adapters/store-sqlite/market-store.js');
      const store = new SqliteMarketStore({ file: data.file });
      try {
        if (data.kind === 'store') {
          const intervalMs = data.intervalMs ?? 60_000;
          const info = await store.barRange(config.instrument, intervalMs);
          if (!info) throw new Error(`no ${intervalMs / 1000}s bars of ${config.instrument} in ${data.file}`);
          const from = Math.max(data.from ?? info.first, info.first);
          const to = Math.min(data.to ?? info.last + 1, info.last + 1);
          const source = window(store.readBars(config.instrument, intervalMs, { from: data.from, to: data.to }, batchSize), barStart, data.from, data.to, data.limit);
          const report = await runBacktest(config, source, progress((p) => (p.ts === null ? 0 : fractionOf(p.ts - from, to - from))));
          return { ...report, input: null };
        }
        // Ticks: no up-front count (a range scan of a large table); progress is time covered.
        const info = await store.tickRange(config.instrument);
        const from = Math.max(data.from ?? info?.first ?? 0, info?.first ?? 0);
        const to = Math.min(data.to ?? (info?.last ?? 0) + 1, (info?.last ?? 0) + 1);
        const source = window(store.readTicks(config.instrument, { from: data.from, to: data.to }, batchSize), tickTs, data.from, data.to, data.limit);
        const report = await runTickBacktest(config, source, progress((p) => (p.ts === null ? 0 : fractionOf(p.ts - from, to - from))));
        return { ...report, input: null };
      } finally {
        store.close();
      }
    }
    case 'bars': {
      const bars = data.bars;
      const batches = function* () {
        for (let i = 0; i < bars.length; i += batchSize) yield bars.slice(i, i + batchSize);
      };
      const report = await runBacktest(config, batches(), progress((p) => fractionOf(p.bars, bars.length)));
      return { ...report, input: null };
    }
    case 'ticks': {
      const ticks = data.ticks;
      const batches = function* () {
        for (let i = 0; i < ticks.length; i += batchSize) yield ticks.slice(i, i + batchSize);
      };
      const report = await runTickBacktest(config, batches(), progress((p) => fractionOf(p.ticks, ticks.length)));
      return { ...report, input: null };
    }
    default:
      throw new Error(`unknown backtest data kind ${JSON.stringify((data as { kind: unknown }).kind)}`);
  }
}
