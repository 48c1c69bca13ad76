import type { Bar } from '../core/market.js';

/** Candles as columns (what the feature code reads): one entry per bar, oldest first. */
export interface Candles {
  /** Bar open time, epoch ms. */
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/** The candle fields of the seed's POST /predict (timestamp in seconds or ms). */
export interface CandleLike {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  timestamp?: number;
}

export function emptyCandles(n: number): Candles {
  return { time: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
}

export function candlesFromBars(bars: readonly Bar[]): Candles {
  const c = emptyCandles(bars.length);
  bars.forEach((b, i) => {
    c.time[i] = b.start;
    c.open[i] = b.open;
    c.high[i] = b.high;
    c.low[i] = b.low;
    c.close[i] = b.close;
    c.volume[i] = b.volume;
  });
  return c;
}

/** From request candles; a timestamp below 1e12 is read as seconds. */
export function candlesFromObjects(rows: readonly CandleLike[]): Candles {
  const c = emptyCandles(rows.length);
  rows.forEach((r, i) => {
    const ts = r.timestamp ?? i;
    c.time[i] = ts < 1e12 ? ts * 1000 : ts;
    c.open[i] = r.open;
    c.high[i] = r.high;
    c.low[i] = r.low;
    c.close[i] = r.close;
    c.volume[i] = r.volume;
  });
  return c;
}

/** The first n candles (a view: no copy). */
export function sliceCandles(c: Candles, from: number, to: number): Candles {
  return { time: c.time.subarray(from, to), open: c.open.subarray(from, to), high: c.high.subarray(from, to), low: c.low.subarray(from, to), close: c.close.subarray(from, to), volume: c.volume.subarray(from, to) };
}

/**
 * Aggregates bars into bars of `intervalMs` (aligned to epoch multiples of it): open of the
 * first, high/low extremes, close of the last, volume summed. A bucket with missing minutes is
 * still one bar (of what there was).
 */
export function resampleCandles(c: Candles, intervalMs: number): Candles {
  const n = c.time.length;
  const out = emptyCandles(n);
  let k = -1;
  let bucket = Number.NaN;
  for (let i = 0; i < n; i++) {
    const b = Math.floor((c.time[i] as number) / intervalMs) * intervalMs;
    if (b !== bucket) {
      k++;
      bucket = b;
      out.time[k] = b;
      out.open[k] = c.open[i] as number;
      out.high[k] = c.high[i] as number;
      out.low[k] = c.low[i] as number;
      out.volume[k] = 0;
    }
    out.high[k] = Math.max(out.high[k] as number, c.high[i] as number);
    out.low[k] = Math.min(out.low[k] as number, c.low[i] as number);
    out.close[k] = c.close[i] as number;
    out.volume[k] = (out.volume[k] as number) + (c.volume[i] as number);
  }
  return sliceCandles(out, 0, k + 1);
}

/** '5m' -> 300000; accepts s, m, h, d. */
export function parseTimeframe(tf: string): number {
  const m = /^(\d+)([smhd])$/.exec(tf.trim());
  if (!m) throw new Error(`not a timeframe: "${tf}" (use e.g. 1m, 5m, 1h)`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new Error(`not a timeframe: "${tf}"`);
  return ms;
}
