import type { Bar } from '../core/market.js';

/** One candle of a backtest's price chart: its start (ms) and OHLC, volume summed. */
export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * The bars a backtest saw, kept for its chart at a bounded size: past `max` candles, neighbours
 * are merged in pairs (each candle then spans twice as many bars), so a year of minute bars gives
 * at most `max` candles of equal span (the last one possibly shorter).
 */
export class CandleSampler {
  private readonly candles: Candle[] = [];
  /** Bars merged into each candle, index for index (the last one's is `lastCount` until flushed). */
  private readonly counts: number[] = [];
  private span = 1;
  /**
   * The last candle's changing numbers, kept in fields of the sampler (numbers stored in place)
   * and written to its object only when another candle starts or the candles are read: storing
   * into the candle object itself made a new heap number per field per bar.
   */
  private high = 0;
  private low = 0;
  private close = 0;
  private volume = 0;
  private lastCount = 0;

  constructor(private readonly max = 600) {}

  add(bar: Bar): void {
    if (this.candles.length > 0 && this.lastCount < this.span) {
      this.high = Math.max(this.high, bar.high);
      this.low = Math.min(this.low, bar.low);
      this.close = bar.close;
      this.volume += bar.volume;
      this.lastCount += 1;
      return;
    }
    this.flush();
    this.candles.push({ time: bar.start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume });
    this.counts.push(1);
    if (this.candles.length > this.max) this.halve();
    this.load();
  }

  /** Writes the last candle's numbers into its object and count. */
  private flush(): void {
    const i = this.candles.length - 1;
    const last = this.candles[i];
    if (!last) return;
    last.high = this.high;
    last.low = this.low;
    last.close = this.close;
    last.volume = this.volume;
    this.counts[i] = this.lastCount;
  }

  /** Takes the last candle's numbers into the fields (after a new candle or a halving). */
  private load(): void {
    const i = this.candles.length - 1;
    const last = this.candles[i] as Candle;
    this.high = last.high;
    this.low = last.low;
    this.close = last.close;
    this.volume = last.volume;
    this.lastCount = this.counts[i] as number;
  }

  private halve(): void {
    const merged: Candle[] = [];
    const counts: number[] = [];
    for (let i = 0; i < this.candles.length; i += 2) {
      const a = this.candles[i] as Candle;
      const b = this.candles[i + 1];
      merged.push(b ? { time: a.time, open: a.open, high: Math.max(a.high, b.high), low: Math.min(a.low, b.low), close: b.close, volume: a.volume + b.volume } : { ...a });
      counts.push((this.counts[i] as number) + (b ? (this.counts[i + 1] as number) : 0));
    }
    this.candles.splice(0, this.candles.length, ...merged);
    this.counts.splice(0, this.counts.length, ...counts);
    this.span *= 2;
  }

  /** The candles so far, oldest first, and how many bars each spans (the last may span fewer). */
  result(): { barsPerCandle: number; candles: Candle[] } {
    this.flush();
    return { barsPerCandle: this.span, candles: this.candles.map((c) => ({ ...c })) };
  }
}
