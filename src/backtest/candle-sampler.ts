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
  /** Bars merged into each candle, index for index. */
  private readonly counts: number[] = [];
  private span = 1;

  constructor(private readonly max = 600) {}

  add(bar: Bar): void {
    const i = this.candles.length - 1;
    const last = this.candles[i];
    if (last && (this.counts[i] as number) < this.span) {
      last.high = Math.max(last.high, bar.high);
      last.low = Math.min(last.low, bar.low);
      last.close = bar.close;
      last.volume += bar.volume;
      this.counts[i] = (this.counts[i] as number) + 1;
      return;
    }
    this.candles.push({ time: bar.start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume });
    this.counts.push(1);
    if (this.candles.length > this.max) this.halve();
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
    return { barsPerCandle: this.span, candles: this.candles.map((c) => ({ ...c })) };
  }
}
