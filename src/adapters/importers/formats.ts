import type { Bar, Tick } from '../../core/market.js';
import { barRowProblem, tickRowProblem } from '../../core/money-checks.js';
import { TimestampParser, isDateOnly, isTimeOnly } from './timestamps.js';

/**
 * Formats the importers read (README "Market data import" has the user-facing version):
 *
 * - `tick`: one trade print per line, `timestamp,price,volume[,side]` (header optional).
 *   With a header, columns are found by name (case-insensitive): timestamp|time|datetime|ts|
 *   date_time (or separate `date` and `time` columns), price|last|trade_price, volume|size|qty|
 *   quantity|vol, optional side|aggressor (accepted and ignored) and trades|count.
 *   Without a header the order is timestamp, price, volume, side; `date,time,price,volume` is
 *   recognised too. Delimiter `,`, `;`, tab or `|`, detected from the first line.
 * - `binance`: Binance's raw kline CSV, 12 columns and no header: open time, open, high, low,
 *   close, volume, close time, quote volume, trades, taker buy base, taker buy quote, ignore.
 *   Open time is in milliseconds, or microseconds (files from 2025); detected per row by magnitude.
 *   The bar length is close time - open time + 1 unit.
 * - `ohlcv`: generic bars with a header: time|timestamp|date|datetime|open_time (or `date` +
 *   `time`), open|o, high|h, low|l, close|c, optional volume|vol|v and trades|count.
 *   Without a header: time, open, high, low, close[, volume[, trades]].
 *
 * Timestamps: see TimestampParser (epoch s/ms/us/ns by digit count, ISO 8601, 'YYYY-MM-DD
 * HH:MM:SS.fff', ...); without a zone they are UTC.
 */
export type ImportFormat = 'tick' | 'binance' | 'ohlcv';
export type RowKind = 'tick' | 'bar';

export const kindOf = (format: ImportFormat): RowKind => (format === 'tick' ? 'tick' : 'bar');

/** A parsed row, or the reason it is malformed. */
export type RowResult<T> = T | string;

export interface Layout {
  format: ImportFormat;
  delimiter: string;
  /** The first non-empty line is a header (and not data). */
  header: boolean;
  parseTick?: (fields: string[], symbol: string) => RowResult<Tick>;
  parseBar?: (fields: string[], symbol: string) => RowResult<Bar>;
  /**
   * Tick files with a single timestamp column: where the columns are, for the byte-level fast
   * path of the ingest (columnar.ts). Absent for date + time columns (parsed per line instead).
   */
  tickCols?: TickCols;
}

/** Column indexes of a tick layout; `trades` is -1 when absent. */
export interface TickCols {
  ts: number;
  price: number;
  size: number;
  trades: number;
}

const DELIMS = [',', ';', '\t', '|'];

export function detectDelimiter(line: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of DELIMS) {
    const n = line.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Number or NaN: `+''` and `+' '` are 0 in JavaScript, which must not pass as data. */
export function num(s: string | undefined): number {
  if (s === undefined) return NaN;
  const v = +s;
  if (v === 0 && s.trim() === '') return NaN;
  return v;
}

const looksNumeric = (s: string): boolean => /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(s);

const TIME_NAMES = ['timestamp', 'time', 'datetime', 'date_time', 'ts', 'open_time', 'opentime', 'ts_event', 'date'];
const norm = (h: string): string => h.trim().toLowerCase().replace(/^"|"$/g, '').replace(/[\s-]+/g, '_');

function findCol(headers: string[], names: string[]): number {
  for (const n of names) {
    const i = headers.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** Where the time of a row comes from: one column, or a date column plus a time column. */
interface TimeCols {
  ts: number;
  date: number;
  time: number;
}

function timeColsFromHeader(h: string[]): TimeCols | string {
  const date = h.indexOf('date');
  const time = h.indexOf('time');
  if (date >= 0 && time >= 0) return { ts: -1, date, time };
  const ts = findCol(h, TIME_NAMES);
  return ts < 0 ? `no time column (one of ${TIME_NAMES.join(', ')})` : { ts, date: -1, time: -1 };
}

function timeReader(cols: TimeCols): (f: string[], p: TimestampParser) => number {
  if (cols.ts >= 0) {
    const i = cols.ts;
    return (f, p) => p.parse(f[i] ?? '');
  }
  const { date, time } = cols;
  return (f, p) => {
    const d = (f[date] ?? '').trim();
    let t = (f[time] ?? '').trim();
    if (t.length > 0 && t.indexOf(':') === 1) t = `0${t}`;
    return p.parse(`${d} ${t}`);
  };
}

function tickParser(cols: TimeCols, price: number, size: number, trades: number): Layout['parseTick'] {
  const tp = new TimestampParser();
  const readTime = timeReader(cols);
  return (f, symbol) => {
    const ts = readTime(f, tp);
    if (!Number.isFinite(ts)) return `bad timestamp '${cut(cols.ts >= 0 ? f[cols.ts] : `${f[cols.date]} ${f[cols.time]}`)}'`;
    const p = num(f[price]);
    if (!(p > 0) || !Number.isFinite(p)) return `bad price '${cut(f[price])}'`;
    const s = num(f[size]);
    if (!(s >= 0) || !Number.isFinite(s)) return `bad volume '${cut(f[size])}'`;
    // Out of range (core/money-checks): price >= 1e9, a time outside 1990..2100.
    const range = tickRowProblem(ts, p, s);
    if (range) return range;
    let n = 1;
    if (trades >= 0 && f[trades] !== undefined && f[trades] !== '') {
      n = num(f[trades]);
      if (!Number.isInteger(n) || n < 0) return `bad trades '${cut(f[trades])}'`;
    }
    return { symbol, ts, price: p, size: s, trades: n };
  };
}

function checkBar(o: number, h: number, l: number, c: number, v: number): string | null {
  if (!Number.isFinite(o) || !Number.isFinite(h) || !Number.isFinite(l) || !Number.isFinite(c)) return 'open/high/low/close must be numbers';
  if (h < l || h < o || h < c || l > o || l > c) return `inconsistent OHLC (high ${h} low ${l} open ${o} close ${c})`;
  if (!(v >= 0) || !Number.isFinite(v)) return 'bad volume';
  return null;
}

const cut = (s: string | undefined): string => (s === undefined ? '' : s.length > 40 ? `${s.slice(0, 40)}...` : s);

function binanceParser(): Layout['parseBar'] {
  return (f, symbol) => {
    if (f.length < 11) return `expected 12 columns (Binance kline), got ${f.length}`;
    const openRaw = f[0] as string, closeRaw = f[6] as string;
    const openT = num(openRaw), closeT = num(closeRaw);
    if (!Number.isInteger(openT) || !Number.isInteger(closeT) || openT <= 0) return `bad open/close time '${cut(openRaw)}'`;
    // Milliseconds until 2025, microseconds after: 1e14 ms is the year 5138, 1e14 us is 1973.
    const micro = openT >= 1e14;
    const start = micro ? Math.floor(openT / 1000) : openT;
    const intervalMs = micro ? (closeT - openT + 1) / 1000 : closeT - openT + 1;
    if (!(intervalMs > 0) || !Number.isInteger(intervalMs)) return `close time ${closeRaw} does not follow open time ${openRaw}`;
    const o = num(f[1]), h = num(f[2]), l = num(f[3]), c = num(f[4]), v = num(f[5]);
    const bad = checkBar(o, h, l, c, v) ?? barRowProblem(start, [o, h, l, c], v);
    if (bad) return bad;
    const trades = num(f[8]);
    if (!Number.isInteger(trades) || trades < 0) return `bad trade count '${cut(f[8])}'`;
    return { symbol, start, intervalMs, open: o, high: h, low: l, close: c, volume: v, trades };
  };
}

interface BarCols extends TimeCols {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  /** Rows shorter than this are malformed; volume and trades may be absent without a header. */
  minFields: number;
}

function ohlcvParser(cols: BarCols, intervalMs: () => number): Layout['parseBar'] {
  const tp = new TimestampParser();
  const readTime = timeReader(cols);
  return (f, symbol) => {
    if (f.length < cols.minFields) return `expected at least ${cols.minFields} columns, got ${f.length}`;
    const start = readTime(f, tp);
    if (!Number.isFinite(start)) return `bad timestamp '${cut(cols.ts >= 0 ? f[cols.ts] : `${f[cols.date]} ${f[cols.time]}`)}'`;
    const o = num(f[cols.open]), h = num(f[cols.high]), l = num(f[cols.low]), c = num(f[cols.close]);
    const v = cols.volume >= 0 && f[cols.volume] !== undefined ? num(f[cols.volume]) : 0;
    const bad = checkBar(o, h, l, c, v) ?? barRowProblem(start, [o, h, l, c], v);
    if (bad) return bad;
    let trades = 0;
    if (cols.trades >= 0 && f[cols.trades] !== undefined && f[cols.trades] !== '') {
      trades = num(f[cols.trades]);
      if (!Number.isInteger(trades) || trades < 0) return `bad trades '${cut(f[cols.trades])}'`;
    }
    return { symbol, start, intervalMs: intervalMs(), open: o, high: h, low: l, close: c, volume: v, trades };
  };
}

export interface DetectOptions {
  format?: ImportFormat | 'auto';
  hasHeader?: boolean | 'auto';
  /** Bar length for `ohlcv` (inferred from the rows when absent). */
  intervalMs: () => number;
}

/** Picks format, delimiter, header and columns from the first non-empty line. */
export function detectLayout(firstLine: string, options: DetectOptions): Layout | string {
  const delimiter = detectDelimiter(firstLine);
  const fields = firstLine.split(delimiter);
  const numericFirst = looksNumeric(fields[0] ?? '') || !Number.isNaN(new TimestampParser().parse((fields[0] ?? '').trim()));
  const isData = numericFirst && fields.slice(1).every((f) => f.trim() === '' || looksNumeric(f) || isTimeOnly(f) || /^[A-Za-z]{1,4}$/.test(f.trim()));
  const header = options.hasHeader === true ? true : options.hasHeader === false ? false : !isData;
  let format = options.format && options.format !== 'auto' ? options.format : undefined;
  const names = header ? fields.map(norm) : [];
  if (!format) {
    if (header) {
      if (names.includes('open') || names.includes('o')) format = 'ohlcv';
      else if (findCol(names, ['price', 'last', 'trade_price', 'px']) >= 0) format = 'tick';
      else return `cannot recognise the header '${cut(firstLine)}' (expected tick columns timestamp,price,volume or bar columns time,open,high,low,close,volume)`;
    } else if (fields.length >= 11 && fields.length <= 12 && /^\d{13,16}$/.test((fields[0] ?? '').trim()) && /^\d{13,16}$/.test((fields[6] ?? '').trim())) {
      format = 'binance';
    } else if (fields.length >= 3 && fields.length <= 5) {
      format = 'tick';
    } else if (fields.length >= 5) {
      format = 'ohlcv';
    } else {
      return `cannot recognise the format of '${cut(firstLine)}': expected timestamp,price,volume[,side] ticks, Binance klines or OHLCV bars`;
    }
  }
  if (format === 'binance') return { format, delimiter, header, parseBar: binanceParser() };
  if (format === 'tick') {
    if (header && names.some((n) => n !== '')) {
      const cols = timeColsFromHeader(names);
      const price = findCol(names, ['price', 'last', 'trade_price', 'px', 'last_price']);
      const size = findCol(names, ['volume', 'size', 'qty', 'quantity', 'vol', 'last_size', 'amount']);
      const trades = findCol(names, ['trades', 'count', 'number_of_trades', 'numtrades']);
      if (typeof cols === 'string') {
        // A header that names nothing we know: treat it as skipped and read positionally.
        if (price < 0) return { format, delimiter, header, parseTick: tickParser({ ts: 0, date: -1, time: -1 }, 1, 2, -1), tickCols: { ts: 0, price: 1, size: 2, trades: -1 } };
        return cols;
      }
      if (price < 0) return `no price column (price, last, trade_price) in header '${cut(firstLine)}'`;
      if (size < 0) return `no volume column (volume, size, qty, quantity) in header '${cut(firstLine)}'`;
      const tickCols = cols.ts >= 0 ? { ts: cols.ts, price, size, trades } : undefined;
      return { format, delimiter, header, parseTick: tickParser(cols, price, size, trades), tickCols };
    }
    const split = !header && isDateOnly(fields[0] ?? '') && isTimeOnly(fields[1] ?? '');
    return split
      ? { format, delimiter, header, parseTick: tickParser({ ts: -1, date: 0, time: 1 }, 2, 3, -1) }
      : { format, delimiter, header, parseTick: tickParser({ ts: 0, date: -1, time: -1 }, 1, 2, -1), tickCols: { ts: 0, price: 1, size: 2, trades: -1 } };
  }
  // ohlcv
  if (header) {
    const cols = timeColsFromHeader(names);
    if (typeof cols === 'string') return cols;
    const col = (n: string[]) => findCol(names, n);
    const open = col(['open', 'o']), high = col(['high', 'h']), low = col(['low', 'l']), close = col(['close', 'c']);
    if (open < 0 || high < 0 || low < 0 || close < 0) return `OHLCV header needs open, high, low and close columns: '${cut(firstLine)}'`;
    const volume = col(['volume', 'vol', 'v']);
    const minFields = Math.max(open, high, low, close, volume, cols.ts, cols.date, cols.time) + 1;
    const bar: BarCols = { ...cols, open, high, low, close, volume, trades: col(['trades', 'count', 'number_of_trades']), minFields };
    return { format, delimiter, header, parseBar: ohlcvParser(bar, options.intervalMs) };
  }
  const split = isDateOnly(fields[0] ?? '') && isTimeOnly(fields[1] ?? '');
  const o = split ? 2 : 1;
  const bar: BarCols = { ts: split ? -1 : 0, date: split ? 0 : -1, time: split ? 1 : -1, open: o, high: o + 1, low: o + 2, close: o + 3, volume: o + 4, trades: o + 5, minFields: o + 4 };
  return { format, delimiter, header, parseBar: ohlcvParser(bar, options.intervalMs) };
}
