/** Bars in a year of round-the-clock trading (crypto): 365 days of `intervalMs` bars. */
export const barsPerYear = (intervalMs: number): number => (365 * 86_400_000) / intervalMs;

export interface EquityPoint {
  ts: number;
  equity: number;
}

/**
 * Equity statistics accumulated in O(1) per sample:
 * - maximum drawdown: the largest fall from a running peak, in currency and in % of that peak;
 * - per-bar simple returns (equity_i / equity_{i-1} - 1) for the Sharpe ratio (Welford);
 * - an equity curve of at most `maxPoints` points, evenly spaced: when full, every other point
 *   is dropped and the sampling stride doubles (the last sample is always appended at the end).
 */
export class EquityStats {
  private peak = Number.NaN;
  maxDrawdown = 0;
  maxDrawdownPct = 0;
  private prev = Number.NaN;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private readonly curve: EquityPoint[] = [];
  private stride = 1;
  private seen = 0;
  /** The last sample (NaN before the first): two numbers, not an object per bar. */
  private lastTs = Number.NaN;
  private lastEquity = Number.NaN;

  constructor(private readonly maxPoints = 500) {
    if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) throw new Error(`equity curve needs at least 2 points, got ${maxPoints}`);
  }

  /** A mark of equity between bar closes (ticks): counts for the drawdown only. */
  mark(equity: number): void {
    if (!(equity <= this.peak)) {
      this.peak = equity;
      return;
    }
    const dd = this.peak - equity;
    if (dd > this.maxDrawdown) this.maxDrawdown = dd;
    const pct = this.peak > 0 ? (dd / this.peak) * 100 : 0;
    if (pct > this.maxDrawdownPct) this.maxDrawdownPct = pct;
  }

  /** Equity at a bar's close: drawdown, returns and the curve. */
  bar(ts: number, equity: number): void {
    this.mark(equity);
    if (this.prev > 0) {
      const r = equity / this.prev - 1;
      this.n += 1;
      const d = r - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (r - this.mean);
    }
    this.prev = equity;
    if (this.seen % this.stride === 0) {
      if (this.curve.length >= this.maxPoints - 1) {
        let w = 0;
        for (let i = 0; i < this.curve.length; i += 2) this.curve[w++] = this.curve[i] as EquityPoint;
        this.curve.length = w;
        this.stride *= 2;
      }
      if (this.seen % this.stride === 0) this.curve.push({ ts, equity });
    }
    this.seen += 1;
    this.lastTs = ts;
    this.lastEquity = equity;
  }

  /** Annualised Sharpe ratio of per-bar returns (risk-free rate 0); null without variance. */
  sharpe(periodsPerYear: number): number | null {
    if (this.n < 2) return null;
    const sd = Math.sqrt(this.m2 / (this.n - 1));
    if (!(sd > 0)) return null;
    return (this.mean / sd) * Math.sqrt(periodsPerYear);
  }

  equityCurve(): EquityPoint[] {
    const out = this.curve.slice();
    const tail = out[out.length - 1];
    if (!Number.isNaN(this.lastTs) && (!tail || tail.ts !== this.lastTs)) out.push({ ts: this.lastTs, equity: this.lastEquity });
    return out;
  }
}

/**
 * The curve ending on the final value: a position closed after the last bar (closeAtEnd) pays its
 * exit's fees and slippage after the last bar's mark, so the chart's last point would disagree
 * with the report's final value without this.
 */
export function endingAt(curve: EquityPoint[], ts: number | null, finalValue: number): EquityPoint[] {
  const tail = curve[curve.length - 1];
  if (!tail || ts === null || tail.equity === finalValue) return curve;
  if (tail.ts >= ts) return [...curve.slice(0, -1), { ts: tail.ts, equity: finalValue }];
  return [...curve, { ts, equity: finalValue }];
}
