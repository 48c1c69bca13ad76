import type { TickColumnBatch } from '../store-sqlite/market-store.js';
import type { Bar } from '../../core/market.js';

/**
 * PostgreSQL's binary COPY format for the `ticks` table (sym int4, ts int8, price float8,
 * size float8, n int4, seq int4, trades int4). Hand-written: pg-copy-streams moves bytes and
 * leaves the encoding to the caller, and the format is small and fixed (see the COPY reference,
 * "Binary Format"): a signature, a flags word and a header-extension length, then per row a
 * field count and each field as a length and its big-endian bytes, then -1.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER = SIGNATURE.length + 8;
const FIELDS = 7;
const ROW_BYTES = 2 + FIELDS * 4 + 4 + 8 + 8 + 8 + 4 + 4 + 4;
const TWO_32 = 4294967296;

/**
 * Encodes into `reuse` when it is large enough (the caller's buffer from the previous batch,
 * once that batch's COPY has completed: a fresh 700 kB buffer per batch kept the garbage
 * collector busy) and returns the bytes to send.
 */
export function encodeTickCopy(sym: number, cols: TickColumnBatch, reuse?: Buffer): Buffer {
  const { length, ts, price, size, n, seq, trades } = cols;
  const bytes = HEADER + length * ROW_BYTES + 2;
  const buf = reuse && reuse.length >= bytes ? reuse.subarray(0, bytes) : Buffer.allocUnsafe(bytes);
  SIGNATURE.copy(buf, 0);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setInt32(SIGNATURE.length, 0);
  view.setInt32(SIGNATURE.length + 4, 0);
  let o = HEADER;
  for (let i = 0; i < length; i++) {
    const t = ts[i] as number;
    const hi = Math.floor(t / TWO_32);
    view.setInt16(o, FIELDS);
    view.setInt32(o + 2, 4);
    view.setInt32(o + 6, sym);
    view.setInt32(o + 10, 8);
    view.setInt32(o + 14, hi);
    view.setUint32(o + 18, t - hi * TWO_32);
    view.setInt32(o + 22, 8);
    view.setFloat64(o + 26, price[i] as number);
    view.setInt32(o + 34, 8);
    view.setFloat64(o + 38, size[i] as number);
    view.setInt32(o + 46, 4);
    view.setInt32(o + 50, n[i] as number);
    view.setInt32(o + 54, 4);
    view.setInt32(o + 58, seq[i] as number);
    view.setInt32(o + 62, 4);
    view.setInt32(o + 66, trades[i] as number);
    o += ROW_BYTES;
  }
  view.setInt16(o, -1);
  return buf;
}

const BAR_FIELDS = 9;
const BAR_ROW_BYTES = 2 + BAR_FIELDS * 4 + 4 + 8 + 8 + 8 * 5 + 4;

/** The same format for `bars` (sym int4, interval_ms int8, start int8, open/high/low/close/volume float8, trades int4). */
export function encodeBarCopy(syms: readonly number[], bars: readonly Bar[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + bars.length * BAR_ROW_BYTES + 2);
  SIGNATURE.copy(buf, 0);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setInt32(SIGNATURE.length, 0);
  view.setInt32(SIGNATURE.length + 4, 0);
  let o = HEADER;
  const int8 = (v: number) => {
    const hi = Math.floor(v / TWO_32);
    view.setInt32(o, 8);
    view.setInt32(o + 4, hi);
    view.setUint32(o + 8, v - hi * TWO_32);
    o += 12;
  };
  const float8 = (v: number) => {
    view.setInt32(o, 8);
    view.setFloat64(o + 4, v);
    o += 12;
  };
  const int4 = (v: number) => {
    view.setInt32(o, 4);
    view.setInt32(o + 4, v);
    o += 8;
  };
  bars.forEach((b, i) => {
    view.setInt16(o, BAR_FIELDS);
    o += 2;
    int4(syms[i] as number);
    int8(b.intervalMs);
    int8(b.start);
    float8(b.open);
    float8(b.high);
    float8(b.low);
    float8(b.close);
    float8(b.volume);
    int4(b.trades);
  });
  view.setInt16(o, -1);
  return buf;
}
