import type pg from 'pg';
import type { Bar, Tick } from '../../core/market.js';
import {
  TickSequence,
  type InsertOptions,
  type InsertResult,
  type MarketDataStore,
  type SeriesInfo,
  type TickInsertOptions,
  type TimeRange,
} from '../../core/market-data.js';
import type { TickColumnBatch } from '../store-sqlite/market-store.js';
import { connectPg, migratePg, type PgTarget } from './connect.js';
import { encodeBarCopy } from './copy-binary.js';
import { PG_MARKET_MIGRATIONS } from './migrations.js';
import { copy, StagingTable, summarizeTicks, writeTickBatch } from './tick-copy.js';
import { loadSpans, windowEnd } from './tick-spans.js';

type TickRow = { ts: number; price: number; size: number; trades: number };
type BarRow = { start: number; open: number; high: number; low: number; close: number; volume: number; trades: number };

const UNIQUE_VIOLATION = '23505';

interface CopyTarget {
  table: string;
  columns: string;
  key: string;
  /** What a row already stored takes from the new one when duplicates are not skipped. */
  update: string;
}
const BARS: CopyTarget = {
  table: 'bars',
  columns: 'sym, interval_ms, start, open, high, low, close, volume, trades',
  key: 'sym, interval_ms, start',
  update: 'open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume, trades = excluded.trades',
};

/**
 * Market data in PostgreSQL. Ticks and bars arrive by COPY in binary format (no SQL parsing, no
 * number formatting), one batch per transaction, with exact counts of the rows skipped as
 * duplicates. Bars: the duplicate key is the primary key, as in SQLite; a batch whose time range
 * holds no stored bar is copied straight into `bars`, one that overlaps (a re-import) goes through
 * a temporary staging table and `INSERT ... ON CONFLICT`. Ticks have no unique index; duplicates
 * are found against the stored batches' spans under a per-symbol lock (tick-copy.ts). The session
 * commits with synchronous_commit off (as market.db's synchronous=NORMAL: a crash can lose the
 * last batches, never corrupt; market data is re-importable).
 */
export class PgMarketStore implements MarketDataStore {
  /**
   * Rows per tick batch when the import does not say (ingest.ts): each batch's transaction costs a
   * few round trips and statements besides its COPY; at 10,000 rows a batch that was about a fifth
   * of the import's CPU time (README, PostgreSQL ingest).
   */
  readonly tickBatchSize = 50_000;
  private readonly symbolIds = new Map<string, number>();
  private readonly staging = new StagingTable('ticks');
  private readonly barStaging = new StagingTable('bars');
  /** The first block of ticks whose BRIN range this connection has not summarized yet. */
  private summarized = 0;
  /** Calls on one connection run one at a time (a COPY in progress owns the connection). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly client: pg.Client) {}

  static async open(target: PgTarget): Promise<PgMarketStore> {
    // A table that grows by millions of rows in minutes has no fresh statistics: without these
    // the planner may read all of `ticks` (sequentially, or with parallel workers whose start-up
    // costs more than a batch's query) where the BRIN index reads a few pages; and the cost
    // enable_seqscan adds would have each query compiled by JIT, which alone takes longer.
    const client = await connectPg(target, { synchronous_commit: 'off', enable_seqscan: 'off', max_parallel_workers_per_gather: '0', jit: 'off' });
    try {
      await migratePg(client, PG_MARKET_MIGRATIONS, 'market_schema_migrations');
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return new PgMarketStore(client);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async symbolId(symbol: string, create: boolean): Promise<number | undefined> {
    const cached = this.symbolIds.get(symbol);
    if (cached !== undefined) return cached;
    const found = await this.client.query<{ id: number }>(`SELECT id FROM symbols WHERE symbol = $1`, [symbol]);
    let id = found.rows[0]?.id;
    if (id === undefined && create) {
      const made = await this.client.query<{ id: number }>(
        `INSERT INTO symbols (symbol) VALUES ($1) ON CONFLICT (symbol) DO UPDATE SET symbol = excluded.symbol RETURNING id`,
        [symbol],
      );
      id = made.rows[0]?.id;
    }
    if (id !== undefined) this.symbolIds.set(symbol, id);
    return id;
  }

  /** The importer's hot path: a columnar batch of one symbol (duplicate numbers already assigned). */
  insertTickColumns(symbol: string, cols: TickColumnBatch, options: InsertOptions = {}): Promise<InsertResult> {
    return this.serial(async () => {
      const sym = (await this.symbolId(symbol, true)) as number;
      return this.copyTicks(sym, cols, options.skipDuplicates ?? true);
    });
  }

  insertTicks(ticks: readonly Tick[], options: TickInsertOptions = {}): Promise<InsertResult> {
    return this.serial(async () => {
      const sequence = options.sequence ?? new TickSequence();
      const skip = options.skipDuplicates ?? true;
      const bySymbol = new Map<string, Tick[]>();
      for (const t of ticks) {
        const list = bySymbol.get(t.symbol);
        if (list) list.push(t);
        else bySymbol.set(t.symbol, [t]);
      }
      // Numbered in source order across symbols, as the SQLite store does.
      const numbers = new Map<Tick, [number, number]>();
      for (const t of ticks) numbers.set(t, sequence.next(t));
      // Symbol ids first, then the batches in id order: two transactions take the symbols' locks in the same order.
      const batches: [number, TickColumnBatch][] = [];
      for (const [symbol, list] of bySymbol) batches.push([(await this.symbolId(symbol, true)) as number, columnsOf(list, numbers)]);
      batches.sort((a, b) => a[0] - b[0]);
      let inserted = 0;
      await this.client.query('BEGIN');
      try {
        for (const [sym, cols] of batches) inserted += await writeTickBatch(this.client, sym, cols, skip, this.staging);
        await this.client.query('COMMIT');
      } catch (error) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw error;
      }
      this.summarized = await summarizeTicks(this.client, this.summarized);
      return { inserted, skipped: ticks.length - inserted };
    });
  }

  /** One batch, one transaction. */
  private async copyTicks(sym: number, cols: TickColumnBatch, skip: boolean): Promise<InsertResult> {
    await this.client.query('BEGIN');
    let inserted: number;
    try {
      inserted = await writeTickBatch(this.client, sym, cols, skip, this.staging);
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw error;
    }
    this.summarized = await summarizeTicks(this.client, this.summarized);
    return { inserted, skipped: cols.length - inserted };
  }

  /**
   * COPY of `rows` encoded rows into `t.table` (`staging`: its staging table), inside the open transaction; returns how many
   * were inserted. `probe` looks for a stored row after the batch's first timestamp and up to its
   * last: without one the COPY goes straight into the table (a row at exactly the first
   * timestamp, where the previous batch of the same file ended, may still collide: the primary
   * key then refuses the COPY and the batch takes the merge path); with one, through the
   * staging table and INSERT ... ON CONFLICT.
   */
  private async copyIn(t: CopyTarget, staging: StagingTable, data: Buffer, rows: number, skip: boolean, probe: { sql: string; params: unknown[] }): Promise<number> {
    const overlap = await this.client.query(probe.sql, probe.params);
    if (overlap.rowCount === 0) {
      await this.client.query('SAVEPOINT tw_copy');
      try {
        await copy(this.client, `COPY ${t.table} (${t.columns}) FROM STDIN (FORMAT binary)`, data);
        await this.client.query('RELEASE SAVEPOINT tw_copy');
        return rows;
      } catch (error) {
        // A stored row at the first timestamp, or another importer meanwhile: merge instead.
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        await this.client.query('ROLLBACK TO SAVEPOINT tw_copy');
      }
    }
    const stage = await staging.ready(this.client);
    await copy(this.client, `COPY ${stage} (${t.columns}) FROM STDIN (FORMAT binary)`, data);
    const merged = await this.client.query(`INSERT INTO ${t.table} SELECT * FROM ${stage} ON CONFLICT (${t.key}) ${skip ? 'DO NOTHING' : `DO UPDATE SET ${t.update}`}`);
    return skip ? (merged.rowCount ?? 0) : rows;
  }

  insertBars(bars: readonly Bar[], options: InsertOptions = {}): Promise<InsertResult> {
    return this.serial(async () => {
      if (bars.length === 0) return { inserted: 0, skipped: 0 };
      const syms: number[] = [];
      for (const b of bars) syms.push((await this.symbolId(b.symbol, true)) as number);
      let min = Infinity;
      let max = -Infinity;
      for (const b of bars) {
        if (b.start < min) min = b.start;
        if (b.start > max) max = b.start;
      }
      await this.client.query('BEGIN');
      try {
        const inserted = await this.copyIn(BARS, this.barStaging, encodeBarCopy(syms, bars), bars.length, options.skipDuplicates ?? true, {
          sql: `SELECT 1 FROM bars WHERE sym = ANY($1::int[]) AND start > $2 AND start <= $3 LIMIT 1`,
          params: [[...new Set(syms)], min, max],
        });
        await this.client.query('COMMIT');
        return { inserted, skipped: bars.length - inserted };
      } catch (error) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async *readTicks(symbol: string, range: TimeRange = {}, batchSize = 10_000): AsyncGenerator<Tick[]> {
    const sym = await this.serial(() => this.symbolId(symbol, false));
    if (sym === undefined) return;
    let from = range.from ?? Number.MIN_SAFE_INTEGER;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    const spans = await this.serial(() => loadSpans(this.client, sym, from, to));
    const toTick = (r: TickRow): Tick => ({ symbol, ts: r.ts, price: r.price, size: r.size, trades: r.trades });
    const page = (f: number, end: number) =>
      this.serial(() => this.client.query<TickRow>(`SELECT ts, price, size, trades FROM ticks WHERE sym = $1 AND ts >= $2 AND ts < $3 ORDER BY ts, seq LIMIT $4`, [sym, f, end, batchSize]));
    // Window by window (tick-spans.ts); within a window, keyset paging by timestamp as the SQLite store.
    let end = Math.min(to, windowEnd(spans, from, batchSize));
    while (from < to) {
      const rows = (await page(from, end)).rows;
      if (rows.length < batchSize) {
        if (rows.length > 0) yield rows.map(toTick);
        if (end >= to) return;
        from = Math.max(from, end);
        end = Math.min(to, windowEnd(spans, from, batchSize));
        continue;
      }
      // A full page's last timestamp is read whole next time.
      const lastTs = (rows[rows.length - 1] as TickRow).ts;
      let cut = rows.length;
      while (cut > 0 && (rows[cut - 1] as TickRow).ts === lastTs) cut--;
      if (cut === 0) {
        const at = await this.serial(() => this.client.query<TickRow>(`SELECT ts, price, size, trades FROM ticks WHERE sym = $1 AND ts = $2 ORDER BY seq`, [sym, lastTs]));
        yield at.rows.map(toTick);
        from = lastTs + 1;
      } else {
        yield rows.slice(0, cut).map(toTick);
        from = lastTs;
      }
    }
  }

  async *readBars(symbol: string, intervalMs: number, range: TimeRange = {}, batchSize = 10_000): AsyncGenerator<Bar[]> {
    const sym = await this.serial(() => this.symbolId(symbol, false));
    if (sym === undefined) return;
    let from = range.from ?? Number.MIN_SAFE_INTEGER;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    for (;;) {
      const f = from;
      const { rows } = await this.serial(() =>
        this.client.query<BarRow>(
          `SELECT start, open, high, low, close, volume, trades FROM bars WHERE sym = $1 AND interval_ms = $2 AND start >= $3 AND start < $4 ORDER BY start LIMIT $5`,
          [sym, intervalMs, f, to, batchSize],
        ),
      );
      if (rows.length > 0) yield rows.map((r) => ({ symbol, intervalMs, ...r }));
      if (rows.length < batchSize) return;
      from = (rows[rows.length - 1] as BarRow).start + 1;
    }
  }

  tickRange(symbol: string): Promise<SeriesInfo | null> {
    return this.serial(async () => {
      const sym = await this.symbolId(symbol, false);
      if (sym === undefined) return null;
      // The spans count every stored row once, and their ends are stored timestamps (tick-copy.ts).
      const r = (await this.client.query<{ count: number; first: number | null; last: number | null }>(`SELECT coalesce(sum(rows), 0)::bigint AS count, min(first_ts) AS first, max(last_ts) AS last FROM tick_spans WHERE sym = $1`, [sym])).rows[0];
      return r && r.count > 0 ? { symbol, kind: 'tick' as const, count: r.count, first: r.first as number, last: r.last as number } : null;
    });
  }

  barRange(symbol: string, intervalMs: number): Promise<SeriesInfo | null> {
    return this.serial(async () => {
      const sym = await this.symbolId(symbol, false);
      if (sym === undefined) return null;
      const r = (
        await this.client.query<{ count: number; first: number | null; last: number | null }>(
          `SELECT count(*) AS count, min(start) AS first, max(start) AS last FROM bars WHERE sym = $1 AND interval_ms = $2`,
          [sym, intervalMs],
        )
      ).rows[0];
      return r && r.count > 0 ? { symbol, kind: 'bar' as const, intervalMs, count: r.count, first: r.first as number, last: r.last as number } : null;
    });
  }

  series(): Promise<SeriesInfo[]> {
    return this.serial(async () => {
      const ticks = await this.client.query<{ symbol: string; count: number; first: number; last: number }>(
        `SELECT s.symbol, sum(t.rows)::bigint AS count, min(t.first_ts) AS first, max(t.last_ts) AS last FROM tick_spans t JOIN symbols s ON s.id = t.sym GROUP BY s.symbol ORDER BY s.symbol`,
      );
      const bars = await this.client.query<{ symbol: string; intervalMs: number; count: number; first: number; last: number }>(
        `SELECT s.symbol, b.interval_ms AS "intervalMs", count(*) AS count, min(b.start) AS first, max(b.start) AS last FROM bars b JOIN symbols s ON s.id = b.sym
         GROUP BY s.symbol, b.interval_ms ORDER BY s.symbol, b.interval_ms`,
      );
      return [...ticks.rows.map((t) => ({ ...t, kind: 'tick' as const })), ...bars.rows.map((b) => ({ ...b, kind: 'bar' as const }))];
    });
  }

  /** Ends the connection once the calls in flight are done. */
  close(): void {
    void this.queue.then(() => this.client.end()).catch(() => {});
  }

  /** As close(), awaited. */
  async closeAsync(): Promise<void> {
    await this.queue;
    await this.client.end();
  }
}

function columnsOf(list: readonly Tick[], numbers: Map<Tick, [number, number]>): TickColumnBatch {
  const length = list.length;
  const cols = {
    length,
    ts: new Float64Array(length),
    price: new Float64Array(length),
    size: new Float64Array(length),
    trades: new Float64Array(length),
    n: new Uint32Array(length),
    seq: new Uint32Array(length),
    tradesAllOne: false,
  };
  list.forEach((t, i) => {
    const [n, seq] = numbers.get(t) as [number, number];
    cols.ts[i] = t.ts;
    cols.price[i] = t.price;
    cols.size[i] = t.size;
    cols.trades[i] = t.trades;
    cols.n[i] = n;
    cols.seq[i] = seq;
  });
  return cols;
}
