/**
 * O(1) rolling window statistics. Written by hand: backtests run a million bars a second and
 * the indicator libraries recompute whole arrays per call.
 */
export class RollingMean {
  private readonly values: Float64Array;
  private index = 0;
  private filled = 0;
  private sum = 0;

  constructor(readonly length: number) {
    if (!(Number.isInteger(length) && length > 0)) throw new Error(`window length must be a positive integer, got ${length}`);
    this.values = new Float64Array(length);
  }

  push(value: number): void {
    if (this.filled === this.length) this.sum -= this.values[this.index] as number;
    else this.filled += 1;
    this.values[this.index] = value;
    this.sum += value;
    this.index = (this.index + 1) % this.length;
  }

  get ready(): boolean {
    return this.filled === this.length;
  }

  get count(): number {
    return this.filled;
  }

  get value(): number {
    return this.filled === 0 ? Number.NaN : this.sum / this.filled;
  }
}

/** Average true range with a simple moving average of true ranges. */
export class RollingAtr {
  private readonly mean: RollingMean;
  /** NaN before the first bar: a number field (null made the field hold a new heap number per bar). */
  private prevClose = Number.NaN;

  constructor(length: number) {
    this.mean = new RollingMean(length);
  }

  push(high: number, low: number, close: number): void {
    const prev = Number.isNaN(this.prevClose) ? close : this.prevClose;
    this.mean.push(Math.max(high - low, Math.abs(high - prev), Math.abs(low - prev)));
    this.prevClose = close;
  }

  get ready(): boolean {
    return this.mean.ready;
  }

  get value(): number {
    return this.mean.value;
  }
}
