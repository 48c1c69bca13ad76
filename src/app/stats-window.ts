/**
 * Rolling statistics over the last N samples (cycle times, position counts, PnL ...).
 *
 * `add` is O(1): the sample overwrites the oldest slot of a fixed ring. `summary()` is
 * O(N log N) (one copy and sort of at most N samples), paid by the reader, not the engine.
 * Percentiles interpolate linearly between closest ranks (numpy's default, "type 7"): for the
 * samples 1..100, p50 = 50.5, p95 = 95.05, p99 = 99.01. With no samples, every statistic but
 * `count` is null (an empty window has no mean; 0 would read as a measured value).
 * Non-finite samples (NaN, ±Infinity) are ignored and counted in `rejected`.
 */

export interface StatsSummary {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  last: number | null;
}

export const DEFAULT_STATS_WINDOW = 1000;

export class StatsWindow {
  readonly capacity: number;
  private readonly samples: Float64Array;
  private head = 0;
  private count = 0;
  private lastValue: number | null = null;
  private rejectedCount = 0;
  private totalCount = 0;

  constructor(capacity = DEFAULT_STATS_WINDOW) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`stats window capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.samples = new Float64Array(capacity);
  }

  /** Adds one sample; false (and nothing stored) when it is not a finite number. */
  add(value: number): boolean {
    if (!Number.isFinite(value)) {
      this.rejectedCount++;
      return false;
    }
    this.samples[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.lastValue = value;
    this.totalCount++;
    return true;
  }

  /** Samples currently in the window. */
  get size(): number {
    return this.count;
  }

  /** Samples ever accepted, including those that have left the window. */
  get total(): number {
    return this.totalCount;
  }

  get rejected(): number {
    return this.rejectedCount;
  }

  /** The samples in the window, oldest first. */
  values(): number[] {
    const out: number[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.samples[(start + i) % this.capacity] as number);
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.lastValue = null;
  }

  summary(): StatsSummary {
    return summarize(this.values(), this.lastValue);
  }
}

/** The same statistics over any list of numbers (non-finite values are skipped). */
export function summarize(values: readonly number[], last: number | null = null): StatsSummary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: null, min: null, max: null, p50: null, p95: null, p99: null, last };
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    mean: sum / n,
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    last: last ?? (values.length ? (values[values.length - 1] as number) : null),
  };
}

/** Linear interpolation between closest ranks over an ascending, non-empty array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}
