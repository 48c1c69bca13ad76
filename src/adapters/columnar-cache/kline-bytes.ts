import { MAX_MARKET_TS, MAX_PRICE, MIN_MARKET_TS } from '../../core/money-checks.js';
import type { Bar } from '../../core/market.js';
import type { TableInputStats } from '../../core/columns.js';
import { detectLayout } from '../importers/formats.js';
import { ImportFormatError } from '../importers/index.js';
import { GrowingTable } from './growing-table.js';

/**
 * Binance kline CSV straight from the bytes into columns: the cold path of the columnar cache.
 *
 * Why neither a general CSV parser (csv-parse) nor the importers' line reader (lines.ts +
 * formats.ts) here: both decode each chunk into strings, split lines and fields into more
 * strings, convert each with Number() and build an object per row; csv-parse also runs a quoting
 * state machine on every byte. For a year of minute bars (79 MB of text) that allocation is most
 * of the load time. This layout is fixed (12 unquoted numeric columns, no header), so one pass
 * over each line's bytes reads the fields, and a small decimal reader gives the same doubles as
 * Number() (below). Every other layout keeps going through the importers; this is the hot path
 * of one known layout only.
 *
 * Behaviour is readBars()'s exactly: the layout is detected on the first non-empty line as a
 * string (detectLayout), and any row the fast path is not sure about (signs, exponents,
 * spaces, too many digits, out-of-range values, inconsistent OHLC, fewer columns...) goes
 * through the line reader's own Binance parser on the decoded line, which also gives the
 * malformed reason. Rows, values, line numbers, malformed counts and examples are the same.
 * Files that are not Binance klines raise NotKlinesError; the caller reads them with readBars.
 */
export class NotKlinesError extends Error {
  override name = 'NotKlinesError';
}

const LF = 10, CR = 13, SPACE = 32, DOT = 46;
const MAX_LINE = 16 * 1024 * 1024;
/** Exact powers of ten: m / 10^k with m < 2^53 is then the correctly rounded decimal (as Number()). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

export class KlineByteParser {
  readonly stats: TableInputStats = { format: null, headerSkipped: false, rows: 0, valid: 0, malformed: 0, malformedExamples: [] };
  readonly out = new GrowingTable('bars');
  /** Lines that took the line reader's path (the first line always does: layout detection). */
  slowLines = 0;
  private carry: Buffer | null = null;
  private lineNo = 1;
  private bomChecked = false;
  private parseRow: ((f: string[], s: string) => Bar | string) | null = null;
  private delimiter = ',';
  private delim = 44;

  constructor(private readonly maxExamples = 10) {}

  push(chunk: Uint8Array): void {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry !== null) {
      // Only the partial line is joined with the chunk's first line, not the whole chunk.
      const first = buf.indexOf(LF);
      if (first < 0) {
        this.carry = Buffer.concat([this.carry, buf]);
        if (this.carry.length > MAX_LINE) throw new Error(`line ${this.lineNo} is longer than 16 MB; not a CSV/TXT file?`);
        return;
      }
      const joined = Buffer.concat([this.carry, buf.subarray(0, first + 1)]);
      this.carry = null;
      this.push(joined);
      buf = buf.subarray(first + 1);
      if (buf.length === 0) return;
    }
    if (!this.bomChecked) {
      if (buf.length < 3) {
        this.carry = Buffer.from(buf);
        return;
      }
      this.bomChecked = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const end = buf.lastIndexOf(LF);
    if (end < 0) {
      if (buf.length > MAX_LINE) throw new Error(`line ${this.lineNo} is longer than 16 MB; not a CSV/TXT file?`);
      this.carry = Buffer.from(buf);
      return;
    }
    this.lines(buf, end);
    // Copied: the chunk's memory may be reused once this returns.
    if (end + 1 < buf.length) this.carry = Buffer.from(buf.subarray(end + 1));
  }

  end(): void {
    if (this.carry === null || this.carry.length === 0) return;
    let buf = this.carry;
    this.carry = null;
    if (!this.bomChecked && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    this.bomChecked = true;
    const withLf = Buffer.alloc(buf.length + 1, LF);
    buf.copy(withLf);
    this.lines(withLf, buf.length);
  }

  /** Lines of buf[0, end] (buf[end] is '\n'). */
  private lines(buf: Buffer, end: number): void {
    const out = this.out;
    let [start, interval, open, high, low, close, volume, trades] = out.cols as Float64Array[];
    let pos = 0;
    while (pos <= end) {
      const lineNo = this.lineNo++;
      const ls = pos;
      const c0 = buf[ls] as number;
      if (this.parseRow !== null && c0 > SPACE) {
        // Fields 0-8 read in one pass as they are scanned; NaN if anything is unusual.
        const d = this.delim;
        this.p = ls;
        const openT = this.int(buf, d);
        const o = this.dec(buf, d);
        const h = this.dec(buf, d);
        const l = this.dec(buf, d);
        const c = this.dec(buf, d);
        const v = this.dec(buf, d);
        const closeT = this.int(buf, d);
        this.skip(buf, d);
        const n = this.int(buf, d);
        // At least 11 fields: fields 9 and 10 must exist (the line reader's column check).
        const ok = n >= 0 && this.skip(buf, d);
        const lf = buf.indexOf(LF, ok ? this.p : ls);
        pos = lf + 1;
        const micro = openT >= 1e14;
        const s = micro ? Math.floor(openT / 1000) : openT;
        const iv = micro ? (closeT - openT + 1) / 1000 : closeT - openT + 1;
        // The same checks as the line reader's parser (formats.ts, money-checks); a row failing
        // any of them, or not read by the fast readers (NaN), takes that parser's path.
        if (
          ok && openT > 0 && iv > 0 && Number.isInteger(iv) && s >= MIN_MARKET_TS && s < MAX_MARKET_TS &&
          l > 0 && h < MAX_PRICE && h >= l && h >= o && h >= c && l <= o && l <= c && v >= 0
        ) {
          this.stats.rows++;
          this.stats.valid++;
          if (out.fill === GrowingTable.BLOCK) {
            out.next();
            [start, interval, open, high, low, close, volume, trades] = out.cols as Float64Array[];
          }
          const i = out.fill++;
          start![i] = s;
          interval![i] = iv;
          open![i] = o;
          high![i] = h;
          low![i] = l;
          close![i] = c;
          volume![i] = v;
          trades![i] = n;
          continue;
        }
        let le = lf;
        if (le > ls && buf[le - 1] === CR) le--;
        this.slowRow(buf, ls, le, lineNo);
        [start, interval, open, high, low, close, volume, trades] = out.cols as Float64Array[];
        continue;
      }
      const lf = buf.indexOf(LF, ls);
      pos = lf + 1;
      let le = lf;
      if (le > ls && buf[le - 1] === CR) le--;
      if (le === ls) continue; // blank line
      if (c0 <= SPACE && buf.toString('utf8', ls, le).trim() === '') continue;
      this.slowRow(buf, ls, le, lineNo);
      [start, interval, open, high, low, close, volume, trades] = out.cols as Float64Array[];
    }
  }

  /** Read position of int/dec/skip: just past the field's delimiter after each call. */
  private p = 0;

  /**
   * Plain digits up to the delimiter, as an exact integer. Anything else gives NaN and sets the
   * position to -1, after which every reader returns NaN at once: no reader goes past the line.
   */
  private int(b: Buffer, d: number): number {
    let i = this.p;
    if (i < 0) return NaN;
    let v = 0, k = 0;
    for (;;) {
      const c = (b[i++] as number) - 48;
      if (c >= 0 && c <= 9) {
        v = v * 10 + c;
        k++;
      } else break;
    }
    if (b[i - 1] !== d || k === 0 || k > 16 || v > Number.MAX_SAFE_INTEGER) {
      this.p = -1;
      return NaN;
    }
    this.p = i;
    return v;
  }

  /**
   * `digits[.digits]` up to the delimiter as Number() reads it, or NaN (or a mantissa beyond
   * 2^53). Trailing zeros of the fraction are not multiplied in, so "42283.58000000" is
   * 4228358 / 10^2: exact integer over exact power of ten, one correctly rounded division.
   */
  private dec(b: Buffer, d: number): number {
    let i = this.p;
    if (i < 0) return NaN;
    let m = 0, frac = 0, zeros = 0, digits = 0, dot = false;
    for (;;) {
      const c = (b[i++] as number) - 48;
      if (c >= 0 && c <= 9) {
        digits++;
        if (!dot) m = m * 10 + c;
        else if (c === 0) zeros++;
        else {
          m = m * (POW10[zeros + 1] as number) + c;
          frac += zeros + 1;
          zeros = 0;
        }
      } else if (c === DOT - 48 && !dot) dot = true;
      else break;
    }
    if (b[i - 1] !== d || digits === 0 || m > Number.MAX_SAFE_INTEGER || frac > 22) {
      this.p = -1;
      return NaN;
    }
    this.p = i;
    return frac === 0 ? m : m / (POW10[frac] as number);
  }

  /** Past the next delimiter of this line; false (and position -1) at the end of the line. */
  private skip(b: Buffer, d: number): boolean {
    let i = this.p;
    if (i < 0) return false;
    for (;;) {
      const c = b[i++] as number;
      if (c === d) {
        this.p = i;
        return true;
      }
      if (c === LF) {
        this.p = -1;
        return false;
      }
    }
  }

  private slowRow(buf: Buffer, ls: number, le: number, lineNo: number): void {
    this.slowLines++;
    const line = buf.toString('utf8', ls, le);
    if (this.parseRow === null) {
      const found = detectLayout(line, { intervalMs: () => 0 });
      if (typeof found === 'string') throw new ImportFormatError(found);
      if (found.format !== 'binance') throw new NotKlinesError(`not a Binance kline file (${found.format})`);
      this.stats.format = found.format;
      this.delimiter = found.delimiter;
      this.delim = found.delimiter.charCodeAt(0);
      this.parseRow = found.parseBar as (f: string[], s: string) => Bar | string;
      if (found.header) {
        this.stats.headerSkipped = true;
        return;
      }
    }
    this.stats.rows++;
    const row = this.parseRow(line.split(this.delimiter), '');
    if (typeof row === 'string') {
      this.stats.malformed++;
      if (this.stats.malformedExamples.length < this.maxExamples) this.stats.malformedExamples.push({ line: lineNo, reason: row });
      return;
    }
    this.stats.valid++;
    if (this.out.fill === GrowingTable.BLOCK) this.out.next();
    const i = this.out.fill++;
    const cols = this.out.cols;
    cols[0]![i] = row.start;
    cols[1]![i] = row.intervalMs;
    cols[2]![i] = row.open;
    cols[3]![i] = row.high;
    cols[4]![i] = row.low;
    cols[5]![i] = row.close;
    cols[6]![i] = row.volume;
    cols[7]![i] = row.trades;
  }
}
