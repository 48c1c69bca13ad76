/**
 * Market data as columns: one Float64Array per field, row i of every column is one bar (tick).
 * What the columnar cache maps a data file into, and what sweeps share between worker threads
 * (the arrays may be views of one SharedArrayBuffer).
 */
export interface BarTable {
  kind: 'bars';
  rows: number;
  start: Float64Array;
  intervalMs: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  trades: Float64Array;
}

export interface TickTable {
  kind: 'ticks';
  rows: number;
  ts: Float64Array;
  price: Float64Array;
  size: Float64Array;
  trades: Float64Array;
}

export type MarketTable = BarTable | TickTable;

/** Column order in files and shared buffers. */
export const BAR_COLUMNS = ['start', 'intervalMs', 'open', 'high', 'low', 'close', 'volume', 'trades'] as const;
export const TICK_COLUMNS = ['ts', 'price', 'size', 'trades'] as const;

export const columnsOf = (kind: MarketTable['kind']): readonly string[] => (kind === 'bars' ? BAR_COLUMNS : TICK_COLUMNS);

/** What the importer made of the source file: rows seen, skipped rows and why (the job report's `input`). */
export interface TableInputStats {
  format: string | null;
  headerSkipped: boolean;
  rows: number;
  valid: number;
  malformed: number;
  malformedExamples: { line: number; reason: string }[];
}

/** A table laid over consecutive columns of one buffer (rows x 8 bytes each, from `offset`). */
export function tableOver(kind: MarketTable['kind'], buffer: ArrayBufferLike, offset: number, rows: number): MarketTable {
  const names = columnsOf(kind);
  const cols: Record<string, Float64Array> = {};
  names.forEach((name, i) => (cols[name] = new Float64Array(buffer, offset + i * rows * 8, rows)));
  return { kind, rows, ...cols } as unknown as MarketTable;
}

/** The columns of a table in file order. */
export function columnArrays(table: MarketTable): Float64Array[] {
  const t = table as unknown as Record<string, Float64Array>;
  return columnsOf(table.kind).map((name) => t[name] as Float64Array);
}

/**
 * The table in one SharedArrayBuffer (copied unless it already lives in one, as a table read
 * from the cache does): worker threads then read the same memory, no copy per thread.
 */
export function sharedTable(table: MarketTable): { buffer: SharedArrayBuffer; offset: number; table: MarketTable } {
  const cols = columnArrays(table);
  const first = cols[0] as Float64Array;
  const contiguous = cols.every((c, i) => c.buffer === first.buffer && c.byteOffset === first.byteOffset + i * table.rows * 8);
  if (first.buffer instanceof SharedArrayBuffer && contiguous) return { buffer: first.buffer, offset: first.byteOffset, table };
  const buffer = new SharedArrayBuffer(Math.max(8, cols.length * table.rows * 8));
  cols.forEach((c, i) => new Float64Array(buffer, i * table.rows * 8, table.rows).set(c.subarray(0, table.rows)));
  return { buffer, offset: 0, table: tableOver(table.kind, buffer, 0, table.rows) };
}
