import type { Bar } from '../core/market.js';

/** Closed bars kept per (symbol, interval) subscription. */
export const BAR_HISTORY_CAPACITY = 2000;

/**
 * A bounded history of closed bars, oldest first: a ring of `capacity` slots, so a push stores
 * one reference and allocates nothing; a snapshot of the last `capacity` bars is built on request
 * and cached until the next push.
 */
export class BarHistory {
  private readonly ring: (Bar | undefined)[];
  /** The slot the next bar goes to. */
  private next = 0;
  private count = 0;
  private snapshot: readonly Bar[] | null = null;

  constructor(readonly capacity = BAR_HISTORY_CAPACITY) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new Error(`history capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<Bar | undefined>(capacity).fill(undefined);
  }

  push(bar: Bar): void {
    this.ring[this.next] = bar;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count += 1;
    this.snapshot = null;
  }

  get length(): number {
    return this.count;
  }

  /** The newest closed bar, if any. */
  last(): Bar | undefined {
    if (this.count === 0) return undefined;
    return this.ring[this.next === 0 ? this.capacity - 1 : this.next - 1];
  }

  /** The last `capacity` bars, oldest first; a frozen array shared until the next push. */
  bars(): readonly Bar[] {
    if (this.snapshot) return this.snapshot;
    const bars = (this.count < this.capacity ? this.ring.slice(0, this.count) : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)]) as Bar[];
    this.snapshot = Object.freeze(bars);
    return this.snapshot;
  }
}
