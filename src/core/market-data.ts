import type { Bar, Tick } from './market.js';

/**
 * Stored market data: ticks and bars per symbol, imported in batches and read back in time
 * order in batches (so a backtest streams years of data with bounded memory). SQLite serves it
 * by default (DATA_DIR/market.db, apart from the trading journal); PostgreSQL can implement the
 * same port. Methods are async so a networked store fits.
 *
 * Duplicates. A bar is identified by (symbol, intervalMs, start). A tick has no id in the files
 * we import and several genuine prints often share a timestamp, price and size (a sweep of 1-lot
 * fills in the same millisecond), so a tick is identified by (symbol, ts, price, size, n) where
 * n counts the earlier identical prints (same ts, price, size) in the same source. Importing the
 * same file again, or a file overlapping one already stored, therefore skips exactly the rows
 * already stored and keeps every genuine repeated print. Ticks read back in source order within
 * a timestamp (a `seq` is stored for that).
 */
export interface InsertResult {
  inserted: number;
  /** Rows already stored (skip mode) — never written, never counted twice. */
  skipped: number;
}

export interface InsertOptions {
  /**
   * true (default): rows already stored are skipped and counted. false: they are overwritten
   * with the new values (for bars this corrects a stored bar) and counted as inserted.
   */
  skipDuplicates?: boolean;
}

export interface TickInsertOptions extends InsertOptions {
  /** Carries the duplicate numbering across the batches of one source; one per import. */
  sequence?: TickSequence;
}

/** Half-open time range [from, to) in epoch milliseconds; either end may be absent. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface SeriesInfo {
  symbol: string;
  kind: 'tick' | 'bar';
  /** Bars only. */
  intervalMs?: number;
  count: number;
  first: number;
  last: number;
}

export interface MarketDataStore {
  /** Inserts one batch atomically (all of it or none of it). */
  insertTicks(ticks: readonly Tick[], options?: TickInsertOptions): Promise<InsertResult>;
  insertBars(bars: readonly Bar[], options?: InsertOptions): Promise<InsertResult>;
  /** Ticks of a symbol in [from, to), in time order (source order within a timestamp). */
  readTicks(symbol: string, range?: TimeRange, batchSize?: number): AsyncIterable<Tick[]>;
  readBars(symbol: string, intervalMs: number, range?: TimeRange, batchSize?: number): AsyncIterable<Bar[]>;
  /** Count and first/last timestamp of a series, null when nothing is stored. */
  tickRange(symbol: string): Promise<SeriesInfo | null>;
  barRange(symbol: string, intervalMs: number): Promise<SeriesInfo | null>;
  /** Every stored series. */
  series(): Promise<SeriesInfo[]>;
  close(): void;
}

/**
 * Numbers identical prints within one source: the first (ts, price, size) gets 0, a repeat of
 * it in the same run of equal timestamps 1, and so on; and gives every print its position in
 * its timestamp (`seq`) so reads keep source order. Memory: the prints of one timestamp.
 */
export class TickSequence {
  private ts = Number.NaN;
  private pos = 0;
  private readonly seen = new Map<string, number>();

  /** Returns [n, seq] for the next print of the source. */
  next(tick: Tick): [number, number] {
    if (tick.ts !== this.ts) {
      this.ts = tick.ts;
      this.pos = 0;
      this.seen.clear();
    }
    const key = `${tick.price}|${tick.size}`;
    const n = this.seen.get(key) ?? 0;
    this.seen.set(key, n + 1);
    return [n, this.pos++];
  }
}

/**
 * The instrument a user means by `text` ('nq', 'BTCUSDT', 'btc/usdt'): exact symbol first,
 * then case-insensitive ignoring '/', '-' and '_'. Undefined when none matches.
 */
export function matchInstrumentSymbol(text: string, symbols: readonly string[]): string | undefined {
  if (symbols.includes(text)) return text;
  const key = (s: string) => s.toUpperCase().replace(/[/_-]/g, '');
  const wanted = key(text.trim());
  return symbols.find((s) => key(s) === wanted);
}
