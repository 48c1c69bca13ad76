import type { Bar } from '../core/market.js';

/** Closed bars kept per (symbol, interval) subscription. */
export const BAR_HISTORY_CAPACITY = 2000;

/**
 * A bounded history of closed bars, oldest first. Bars are appended to a buffer that may grow
 * to twice the capacity before the oldest half is dropped, so a push is amortised O(1); a
 * snapshot of the last `capacity` bars is built on request and cached until the next push.
 */
export class BarHistory {
  private buffer: Bar[] = [];
  private snapshot: readonly Bar[] | null = null;

  constructor(readonly capacity = BAR_HISTORY_CAPACITY) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new Error(`history capacity must be a positive integer, got ${capacity}`);
  }

  push(bar: Bar): void {
    if (this.buffer.length >= 2 * this.capacity) this.buffer = this.buffer.slice(this.buffer.length - this.capacity + 1);
    this.buffer.push(bar);
    this.snapshot = null;
  }

  get length(): number {
    return Math.min(this.buffer.length, this.capacity);
  }

  /** The newest closed bar, if any. */
  last(): Bar | undefined {
    return this.buffer[this.buffer.length - 1];
  }

  /** The last `capacity` bars, oldest first; a frozen array shared until the next push. */
  bars(): readonly Bar[] {
    if (this.snapshot) return this.snapshot;
    const start = Math.max(0, this.buffer.length - this.capacity);
    this.snapshot = Object.freeze(this.buffer.slice(start));
    return this.snapshot;
  }
}
