import type { Bar, Tick } from '../core/market.js';

/** Aggregates ticks of one symbol into time bars aligned to multiples of the interval. */
export class BarBuilder {
  private current: Bar | null = null;

  constructor(
    readonly symbol: string,
    readonly intervalMs: number,
    private readonly emit: (bar: Bar) => void,
  ) {
    if (!(intervalMs > 0)) throw new Error(`bar interval must be positive, got ${intervalMs}`);
  }

  onTick(tick: Tick): void {
    const start = tick.ts - (tick.ts % this.intervalMs);
    const bar = this.current;
    if (bar && start > bar.start) {
      this.current = null;
      this.emit(bar);
    }
    if (!this.current) {
      this.current = {
        symbol: this.symbol,
        start,
        intervalMs: this.intervalMs,
        open: tick.price,
        high: tick.price,
        low: tick.price,
        close: tick.price,
        volume: tick.size,
        trades: tick.trades,
      };
      return;
    }
    const b = this.current;
    if (tick.price > b.high) b.high = tick.price;
    if (tick.price < b.low) b.low = tick.price;
    b.close = tick.price;
    b.volume += tick.size;
    b.trades += tick.trades;
  }

  /** The bar being built, if any (not yet closed). */
  partial(): Bar | null {
    return this.current ? { ...this.current } : null;
  }
}
