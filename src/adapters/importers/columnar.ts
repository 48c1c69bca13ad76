import type { Tick } from '../../core/market.js';
import { MAX_MARKET_TS, MAX_PRICE, MIN_MARKET_TS } from '../../core/money-checks.js';
import { detectLayout, kindOf, type ImportFormat, type TickCols } from './formats.js';
import { ImportFormatError, type ImportStats } from './index.js';
import { TimestampParser, validDate } from './timestamps.js';

/**
 * The tick ingest's hot path: parses a tick CSV straight from the bytes of the read chunks into
 * columnar batches (typed arrays, no object or string per row), and numbers identical prints
 * like TickSequence so the store only binds values.
 *
 * Why not the line/field reader (lines.ts + formats.ts) or a general CSV parser: those decode
 * each chunk to a string, split it into a string per line and per field, then convert every
 * field with Number() and build a Tick object; a general CSV parser also tracks quoting and
 * escapes on every byte. At 10M rows that allocation and GC is most of the parse time. Here a
 * row costs one pass over its bytes: field boundaries found with a byte loop, prices and sizes
 * read with a small decimal parser, the common timestamp forms read from the bytes.
 *
 * Behaviour is the line reader's, exactly: layout detection runs on the first non-empty line as
 * a string (detectLayout), and any field the fast parsers are not sure about (signs, exponents,
 * spaces, more than 15 digits, a time zone, a bad value...) sends its row through the line
 * reader's own parser (Layout.parseTick on the decoded line), which also gives the malformed
 * reason. Rows, line numbers, malformed counts and examples are the same as readTicks().
 */

/** One batch of parsed ticks; the arrays are `capacity` long, rows [0, length) are valid. */
export interface TickColumns {
  length: number;
  ts: Float64Array;
  price: Float64Array;
  size: Float64Array;
  trades: Float64Array;
  /** Earlier identical prints (same ts, price, size) in the source: the duplicate key's `n`. */
  n: Uint32Array;
  /** Position of the print within its timestamp (read order). */
  seq: Uint32Array;
  /** Every row of the batch has trades === 1 (the store can then skip binding it). */
  tradesAllOne: boolean;
  /** Reader counts when the batch was completed (for progress reports). */
  rows: number;
  malformed: number;
  /** How many malformed-row examples had been recorded by then. */
  examples: number;
}

export interface ColumnarOptions {
  symbol: string;
  format?: ImportFormat | 'auto';
  hasHeader?: boolean | 'auto';
  /** Rows per batch (default 10,000). */
  batchSize?: number;
  maxMalformedExamples?: number;
}

const LF = 10, CR = 13, DOT = 46, COLON = 58, DASH = 45, SPACE = 32, T = 84, COMMA = 44;
const MAX_LINE = 16 * 1024 * 1024;
/** Exact powers of ten: m / 10^k is then the correctly rounded value of the decimal (m < 2^53). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Distinct (price, size) pairs in one timestamp searched linearly before switching to a Map. */
const LINEAR_KEYS = 32;

/**
 * A plain decimal `digits[.digits]` from bytes [s, e): at most 15 digits, so the mantissa is an
 * exact integer and one division by an exact power of ten rounds correctly, giving the same
 * double as Number(). Anything else returns NaN and the caller uses the general path.
 */
function decimal(b: Uint8Array, s: number, e: number): number {
  let m = 0, digits = 0, frac = 0, dot = false;
  for (let i = s; i < e; i++) {
    const c = (b[i] as number) - 48;
    if (c >= 0 && c <= 9) {
      m = m * 10 + c;
      digits++;
      if (dot) frac++;
    } else if (c === DOT - 48 && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  return frac === 0 ? m : m / (POW10[frac] as number);
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;

export class ColumnarTickParser {
  readonly stats: ImportStats;
  private readonly batchSize: number;
  private readonly maxExamples: number;
  private carry: Buffer | null = null;
  private lineNo = 1;
  private bomChecked = false;
  private parseRow: ((f: string[], s: string) => Tick | string) | null = null;
  private delimiter = ',';
  private delim = COMMA;
  private cols: TickCols | null = null;
  /** Highest column the fast path reads, +1. */
  private need = 0;
  private readonly starts = new Int32Array(64);
  private readonly ends = new Int32Array(64);
  private readonly tp = new TimestampParser();
  private dayKey = -1;
  private dayMs = NaN;
  private batch: TickColumns;
  private out: TickColumns[] = [];
  private readonly pool: TickColumns[] = [];
  // Duplicate numbering (TickSequence's rules) for the current timestamp.
  private seqTs = NaN;
  private seqPos = 0;
  private gLen = 0;
  private readonly gPrice = new Float64Array(LINEAR_KEYS);
  private readonly gSize = new Float64Array(LINEAR_KEYS);
  private readonly gCount = new Uint32Array(LINEAR_KEYS);
  private gMap: Map<string, number> | null = null;

  constructor(private readonly options: ColumnarOptions) {
    this.batchSize = Math.max(1, options.batchSize ?? 10_000);
    this.maxExamples = options.maxMalformedExamples ?? 10;
    this.stats = { format: null, symbol: options.symbol, headerSkipped: false, rows: 0, valid: 0, malformed: 0, malformedExamples: [] };
    this.batch = this.newBatch();
  }

  /** Parses one chunk of the source; returns the batches it completed. */
  push(chunk: Uint8Array): TickColumns[] {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, buf]);
      this.carry = null;
    }
    if (!this.bomChecked) {
      if (buf.length < 3) {
        this.carry = Buffer.from(buf);
        return this.take();
      }
      this.bomChecked = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const end = buf.lastIndexOf(LF);
    if (end < 0) {
      if (buf.length > MAX_LINE) throw new Error(`line ${this.lineNo} is longer than 16 MB; not a CSV/TXT file?`);
      this.carry = Buffer.from(buf);
    } else {
      this.lines(buf, end);
      // Copied: the chunk's memory may be reused or transferred once this returns.
      if (end + 1 < buf.length) this.carry = Buffer.from(buf.subarray(end + 1));
    }
    return this.take();
  }

  /** The end of the source: the last line (without a newline) and the last partial batch. */
  end(): TickColumns[] {
    if (this.carry !== null && this.carry.length > 0) {
      let buf = this.carry;
      this.carry = null;
      if (!this.bomChecked && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      this.bomChecked = true;
      // One more line: terminate it so the line loop sees it.
      const withLf = Buffer.alloc(buf.length + 1, LF);
      buf.copy(withLf);
      this.lines(withLf, buf.length);
    }
    if (this.batch.length > 0) this.emit();
    return this.take();
  }

  /** Gives a consumed batch's arrays back for reuse. */
  recycle(batch: TickColumns): void {
    if (batch.ts.length === this.batchSize && this.pool.length < 12) this.pool.push(batch);
  }

  private take(): TickColumns[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private newBatch(): TickColumns {
    const reused = this.pool.pop();
    if (reused) {
      reused.length = 0;
      reused.tradesAllOne = true;
      return reused;
    }
    const n = this.batchSize;
    return {
      length: 0,
      ts: new Float64Array(n),
      price: new Float64Array(n),
      size: new Float64Array(n),
      trades: new Float64Array(n),
      n: new Uint32Array(n),
      seq: new Uint32Array(n),
      tradesAllOne: true,
      rows: 0,
      malformed: 0,
      examples: 0,
    };
  }

  private emit(): void {
    const b = this.batch;
    b.rows = this.stats.rows;
    b.malformed = this.stats.malformed;
    b.examples = this.stats.malformedExamples.length;
    this.out.push(b);
    this.batch = this.newBatch();
  }

  private bad(line: number, reason: string): void {
    const stats = this.stats;
    stats.malformed++;
    if (stats.malformedExamples.length < this.maxExamples) stats.malformedExamples.push({ line, reason });
  }

  /** Lines of buf[0, end] (buf[end] is '\n'). */
  private lines(buf: Buffer, end: number): void {
    const delim = this.delim;
    const starts = this.starts, ends = this.ends;
    let pos = 0;
    while (pos <= end) {
      const lineNo = this.lineNo++;
      // Field boundaries of the line, in one pass over its bytes.
      starts[0] = pos;
      let f = 0;
      let p = pos;
      for (;;) {
        const c = buf[p] as number;
        if (c === LF) break;
        if (c === delim) {
          if (f < 63) {
            ends[f] = p;
            starts[++f] = p + 1;
          } else f++;
        }
        p++;
      }
      const next = p + 1;
      let le = p;
      if (le > pos && buf[le - 1] === CR) le--;
      if (f < 64) ends[f] = le;
      const ls = pos;
      pos = next;
      if (le === ls) continue; // blank line
      const c0 = buf[ls] as number;
      if (c0 <= SPACE && buf.toString('utf8', ls, le).trim() === '') continue;
      const cols = this.cols;
      if (cols === null || this.parseRow === null || c0 <= SPACE) {
        this.slowRow(buf, ls, le, lineNo);
        continue;
      }
      if (f + 1 < this.need) {
        this.slowRow(buf, ls, le, lineNo);
        continue;
      }
      const ts = this.timestamp(buf, starts[cols.ts] as number, ends[cols.ts] as number);
      const price = decimal(buf, starts[cols.price] as number, ends[cols.price] as number);
      const size = decimal(buf, starts[cols.size] as number, ends[cols.size] as number);
      // Anything out of range (core/money-checks) takes the line reader's path, which reports it.
      if (!(price > 0) || !(size >= 0) || !(ts >= MIN_MARKET_TS && ts < MAX_MARKET_TS) || price >= MAX_PRICE) {
        this.slowRow(buf, ls, le, lineNo);
        continue;
      }
      let trades = 1;
      if (cols.trades >= 0 && cols.trades <= f) {
        const s = starts[cols.trades] as number, e = ends[cols.trades] as number;
        if (e > s) {
          trades = decimal(buf, s, e);
          if (!Number.isInteger(trades)) {
            this.slowRow(buf, ls, le, lineNo);
            continue;
          }
        }
      }
      this.stats.rows++;
      this.accept(ts, price, size, trades);
    }
  }

  /** The line reader's path for one line (layout detection, unusual fields, malformed rows). */
  private slowRow(buf: Buffer, ls: number, le: number, lineNo: number): void {
    const line = buf.toString('utf8', ls, le);
    if (this.parseRow === null) {
      const found = detectLayout(line, { format: this.options.format, hasHeader: this.options.hasHeader, intervalMs: () => 0 });
      if (typeof found === 'string') throw new ImportFormatError(found);
      if (kindOf(found.format) !== 'tick') throw new ImportFormatError(`this file holds bars (${found.format}); read it with readBars`);
      this.stats.format = found.format;
      this.delimiter = found.delimiter;
      this.delim = found.delimiter.charCodeAt(0);
      this.parseRow = found.parseTick as (f: string[], s: string) => Tick | string;
      if (found.tickCols) {
        const c = found.tickCols;
        // Only layouts whose columns fit the boundary table take the fast path.
        if (Math.max(c.ts, c.price, c.size, c.trades) < 63) {
          this.cols = c;
          this.need = Math.max(c.ts, c.price, c.size) + 1;
        }
      }
      if (found.header) {
        this.stats.headerSkipped = true;
        return;
      }
    }
    this.stats.rows++;
    const row = this.parseRow(line.split(this.delimiter), this.options.symbol);
    if (typeof row === 'string') {
      this.bad(lineNo, row);
      return;
    }
    this.accept(row.ts, row.price, row.size, row.trades);
  }

  private accept(ts: number, price: number, size: number, trades: number): void {
    this.stats.valid++;
    const b = this.batch;
    const i = b.length++;
    b.ts[i] = ts;
    b.price[i] = price;
    b.size[i] = size;
    b.trades[i] = trades;
    if (trades !== 1) b.tradesAllOne = false;
    // TickSequence.next: n counts earlier (price, size) repeats within a run of equal timestamps.
    if (ts !== this.seqTs) {
      this.seqTs = ts;
      this.seqPos = 0;
      this.gLen = 0;
      this.gMap = null;
    }
    let n = 0;
    if (this.gMap === null) {
      const len = this.gLen;
      let k = 0;
      for (; k < len; k++) if (this.gPrice[k] === price && this.gSize[k] === size) break;
      if (k < len) {
        n = this.gCount[k] as number;
        this.gCount[k] = n + 1;
      } else if (len < LINEAR_KEYS) {
        this.gPrice[len] = price;
        this.gSize[len] = size;
        this.gCount[len] = 1;
        this.gLen = len + 1;
      } else {
        // A timestamp with many distinct prints: the same string key as TickSequence.
        const map = new Map<string, number>();
        for (let j = 0; j < len; j++) map.set(`${this.gPrice[j]}|${this.gSize[j]}`, this.gCount[j] as number);
        this.gMap = map;
      }
    }
    if (this.gMap !== null) {
      const key = `${price}|${size}`;
      n = this.gMap.get(key) ?? 0;
      this.gMap.set(key, n + 1);
    }
    b.n[i] = n;
    b.seq[i] = this.seqPos++;
    if (b.length >= this.batchSize) this.emit();
  }

  /**
   * TimestampParser.parse on bytes [s, e) for the common forms ('YYYY-MM-DD HH:MM:SS[.fff]' and
   * 13-digit epoch milliseconds); other ASCII text goes to TimestampParser itself. NaN sends
   * the row to the line reader's path (which then reports it).
   */
  private timestamp(b: Buffer, s: number, e: number): number {
    const len = e - s;
    if (
      len >= 19 && b[s + 4] === DASH && b[s + 7] === DASH && (b[s + 10] === SPACE || b[s + 10] === T) && b[s + 13] === COLON && b[s + 16] === COLON &&
      isDigit(b[s]) && isDigit(b[s + 1]) && isDigit(b[s + 2]) && isDigit(b[s + 3]) && isDigit(b[s + 5]) && isDigit(b[s + 6]) && isDigit(b[s + 8]) && isDigit(b[s + 9]) &&
      isDigit(b[s + 11]) && isDigit(b[s + 12]) && isDigit(b[s + 14]) && isDigit(b[s + 15]) && isDigit(b[s + 17]) && isDigit(b[s + 18])
    ) {
      const d = (i: number) => (b[s + i] as number) - 48;
      const key = d(0) * 10_000_000 + d(1) * 1_000_000 + d(2) * 100_000 + d(3) * 10_000 + d(5) * 1000 + d(6) * 100 + d(8) * 10 + d(9);
      if (key !== this.dayKey) {
        const y = Math.floor(key / 10_000), mo = Math.floor(key / 100) % 100, dd = key % 100;
        this.dayKey = key;
        this.dayMs = validDate(y, mo, dd) ? Date.UTC(y, mo - 1, dd) : NaN;
      }
      const h = d(11) * 10 + d(12), m = d(14) * 10 + d(15), sec = d(17) * 10 + d(18);
      if (h <= 23 && m <= 59 && sec <= 60 && !Number.isNaN(this.dayMs)) {
        const ms = this.dayMs + h * 3_600_000 + m * 60_000 + sec * 1000;
        if (len === 19) return ms;
        const c = b[s + 19];
        if (c === DOT || c === COMMA) {
          let i = s + 20, frac = 0, scale = 100, digits = 0;
          while (i < e) {
            const dg = (b[i] as number) - 48;
            if (dg < 0 || dg > 9) break;
            if (scale >= 1) frac += dg * scale;
            scale /= 10;
            i++;
            digits++;
          }
          if (digits > 0 && i === e) return ms + frac;
        }
      }
    } else if (len === 13) {
      let v = 0;
      let i = s;
      for (; i < e; i++) {
        const dg = (b[i] as number) - 48;
        if (dg < 0 || dg > 9) break;
        v = v * 10 + dg;
      }
      if (i === e) return v;
    }
    // Anything else: the general parser on the field's text, when it is plain ASCII (then its
    // latin1 and UTF-8 decodings agree); otherwise the whole row goes the line reader's way.
    for (let i = s; i < e; i++) if ((b[i] as number) >= 0x80) return NaN;
    return this.tp.parse(b.toString('latin1', s, e));
  }
}
