import type { BarTable, TickTable } from '../core/columns.js';
import type { Bar, Tick } from '../core/market.js';

/** Rows of a table in batches of bars or ticks, with from <= time < to, at most `limit`. */
export interface TableWindow {
  from?: number;
  to?: number;
  limit?: number;
  batchSize: number;
}

/** Where a batch iteration has got to: rows of the table looked at so far. */
export interface TableCursor {
  row: number;
}

/**
 * Bar objects made from the columns batch by batch (the kernel takes Bar objects; the shape and
 * key order are the importers', so the kernel sees the same hidden class either way).
 */
export function* barBatches(t: BarTable, symbol: string, w: TableWindow, cursor: TableCursor = { row: 0 }): Generator<Bar[]> {
  const from = w.from ?? -Infinity, to = w.to ?? Infinity;
  let left = w.limit ?? Infinity;
  const { start, intervalMs, open, high, low, close, volume, trades } = t;
  const whole = from === -Infinity && to === Infinity;
  while (cursor.row < t.rows && left > 0) {
    if (whole) {
      // Every row is taken: the batch is made at its size (growing it by push copied it eight
      // times, about 30 bytes a bar).
      const n = Math.min(w.batchSize, t.rows - cursor.row, left);
      if (!(n > 0)) return;
      const batch = new Array<Bar>(n);
      for (let k = 0, i = cursor.row; k < n; k++, i++) {
        batch[k] = { symbol, start: start[i] as number, intervalMs: intervalMs[i] as number, open: open[i] as number, high: high[i] as number, low: low[i] as number, close: close[i] as number, volume: volume[i] as number, trades: trades[i] as number };
      }
      cursor.row += n;
      left -= n;
      yield batch;
      continue;
    }
    const batch: Bar[] = [];
    let i = cursor.row;
    for (; i < t.rows && batch.length < w.batchSize && left > 0; i++) {
      const s = start[i] as number;
      if (!(s >= from && s < to)) continue;
      batch.push({ symbol, start: s, intervalMs: intervalMs[i] as number, open: open[i] as number, high: high[i] as number, low: low[i] as number, close: close[i] as number, volume: volume[i] as number, trades: trades[i] as number });
      left--;
    }
    cursor.row = i;
    if (batch.length > 0) yield batch;
  }
}

export function* tickBatches(t: TickTable, symbol: string, w: TableWindow, cursor: TableCursor = { row: 0 }): Generator<Tick[]> {
  const from = w.from ?? -Infinity, to = w.to ?? Infinity;
  let left = w.limit ?? Infinity;
  const { ts, price, size, trades } = t;
  while (cursor.row < t.rows && left > 0) {
    const batch: Tick[] = [];
    let i = cursor.row;
    for (; i < t.rows && batch.length < w.batchSize && left > 0; i++) {
      const time = ts[i] as number;
      if (!(time >= from && time < to)) continue;
      batch.push({ symbol, ts: time, price: price[i] as number, size: size[i] as number, trades: trades[i] as number });
      left--;
    }
    cursor.row = i;
    if (batch.length > 0) yield batch;
  }
}

/** The growing columns of a table being built (adapters/columnar-cache/growing-table.ts). */
export interface GrowingColumns {
  readonly rows: number;
  blockAt(b: number): Float64Array[];
}

/**
 * Bars while the file is still being parsed: after each parsed chunk, the new rows go to the
 * kernel (so the backtest runs while zlib inflates the rest), and when the source is done the
 * built table is handed to `done` (to be saved in the cache). Past the window's limit the rest
 * is still parsed (the cache gets the whole file) but no more bars are made.
 */
export async function* streamedBarBatches<R extends { table: { rows: number } }>(
  source: AsyncGenerator<GrowingColumns, R>,
  symbol: string,
  w: TableWindow,
  done: (built: R) => void,
): AsyncGenerator<Bar[]> {
  const BLOCK = 1 << 16;
  const from = w.from ?? -Infinity, to = w.to ?? Infinity;
  let left = w.limit ?? Infinity;
  let row = 0;
  try {
    for (;;) {
      const next = await source.next();
      if (next.done) {
        // A layout read whole (no growing table): its rows go as the cached ones do.
        if (row < next.value.table.rows && left > 0) yield* barBatches(next.value.table as BarTable, symbol, { ...w, limit: left }, { row });
        done(next.value);
        return;
      }
      const g = next.value;
      const rows = g.rows;
      while (row < rows && left > 0) {
        const batch: Bar[] = [];
        while (row < rows && batch.length < w.batchSize && left > 0) {
          const cols = g.blockAt(Math.floor(row / BLOCK)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
          const end = Math.min(rows, (Math.floor(row / BLOCK) + 1) * BLOCK);
          for (let k = row % BLOCK; row < end && batch.length < w.batchSize && left > 0; row++, k++) {
            const s = cols[0][k] as number;
            if (!(s >= from && s < to)) continue;
            batch.push({ symbol, start: s, intervalMs: cols[1][k] as number, open: cols[2][k] as number, high: cols[3][k] as number, low: cols[4][k] as number, close: cols[5][k] as number, volume: cols[6][k] as number, trades: cols[7][k] as number });
            left--;
          }
        }
        if (batch.length > 0) yield batch;
      }
      if (left <= 0) row = rows;
    }
  } finally {
    await source.return?.(undefined as unknown as R);
  }
}
