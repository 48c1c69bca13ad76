import type { Tick } from '../core/market.js';
import { seededRandom } from '../core/seeded-random.js';

export interface SyntheticTickOptions {
  symbol: string;
  /** Total ticks. */
  count: number;
  seed: number;
  startTs: number;
  startPrice: number;
  /** Milliseconds between prints. Default 100 (10 prints a second). */
  stepMs?: number;
  /** Price tick size the walk moves in. Default 0.1. */
  tickSize?: number;
  /** Ticks per batch. Default 65,536. */
  batchSize?: number;
}

/**
 * Seeded random-walk trade prints in batches (mulberry32): the same seed gives the same
 * ticks. For tick-level benchmarks and tests; no file needed.
 */
export function* syntheticTicks(o: SyntheticTickOptions): Generator<Tick[]> {
  const random = seededRandom(o.seed);
  const step = o.stepMs ?? 100;
  const tick = o.tickSize ?? 0.1;
  const batchSize = o.batchSize ?? 65_536;
  let units = Math.round(o.startPrice / tick);
  let ts = o.startTs;
  for (let done = 0; done < o.count; ) {
    const n = Math.min(batchSize, o.count - done);
    const batch: Tick[] = new Array(n);
    for (let i = 0; i < n; i += 1) {
      const r = random();
      units += r < 0.45 ? -1 : r < 0.9 ? 1 : r < 0.95 ? -5 : 5;
      if (units < 1) units = 1;
      batch[i] = { symbol: o.symbol, ts, price: Math.round(units * tick * 1e8) / 1e8, size: 0.001 + Math.floor(random() * 100) / 1000, trades: 1 };
      ts += step;
    }
    done += n;
    yield batch;
  }
}
