import { readBars } from '../adapters/importers/index.js';
import { emptyCandles, resampleCandles, sliceCandles, type Candles } from '../ml/candles.js';

export interface CandleFileOptions {
  /** First bar open time (ms, inclusive) and end (exclusive). */
  from?: number;
  to?: number;
  /** Stop after this many source bars. */
  limit?: number;
  /** Resample to this bar length (ms) after reading. */
  intervalMs?: number;
}

/** Reads a Binance kline or OHLCV file (plain or .gz) into candle columns. */
export async function readCandleFile(path: string, options: CandleFileOptions = {}): Promise<Candles> {
  let cap = 1 << 16;
  let c = emptyCandles(cap);
  let n = 0;
  const limit = options.limit ?? Infinity;
  outer: for await (const batch of readBars(path)) {
    for (const b of batch) {
      if (options.from !== undefined && b.start < options.from) continue;
      if (options.to !== undefined && b.start >= options.to) break outer;
      if (n >= limit) break outer;
      if (n === cap) {
        cap *= 2;
        const bigger = emptyCandles(cap);
        for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) bigger[k].set(c[k]);
        c = bigger;
      }
      c.time[n] = b.start;
      c.open[n] = b.open;
      c.high[n] = b.high;
      c.low[n] = b.low;
      c.close[n] = b.close;
      c.volume[n] = b.volume;
      n++;
    }
  }
  const out = sliceCandles(c, 0, n);
  return options.intervalMs ? resampleCandles(out, options.intervalMs) : out;
}
