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
  while (cursor.row < t.rows && left > 0) {
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
