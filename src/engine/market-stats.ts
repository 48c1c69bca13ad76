import type { Bar } from '../core/market.js';
import type { MarketStatsView } from '../core/scanner.js';

const MINUTE_MS = 60_000;
/** Minutes in the rolling traded-value window (24 h). */
export const VOLUME_WINDOW_MINUTES = 1440;
/** Minutes the trade rate is averaged over. */
export const TRADE_RATE_MINUTES = 5;
/** True ranges averaged by the ATRs (a simple mean of the last 14, or of fewer when fewer bars closed). */
export const ATR_PERIOD = 14;
/** The trade rate never divides by less than this, so a handful of prints does not read as a busy market. */
export const MIN_RATE_SPAN_MS = MINUTE_MS;

/**
 * Average true range over time bars built from the ticks of one symbol (aligned to multiples
 * of the interval, as the BarBuilder aligns them). O(1) per tick.
 *
 * Choice: only closed bars count, so the value is null until the first bar closed. A partial
 * bar understates the range (a few seconds into a 15-minute bar its high-low is tiny) and
 * would drag a fresh server's ATR towards zero. A bar whose interval has ended by the time of
 * the query counts as closed even before the next tick arrives, so a quiet market still has
 * numbers. The first bar's true range is its high - low; later ones use the previous close.
 */
export class TickAtr {
  private readonly trueRanges = new Float64Array(ATR_PERIOD);
  private index = 0;
  private filled = 0;
  private sum = 0;
  private barStart = -1;
  private high = 0;
  private low = 0;
  private close = 0;
  private prevClose = Number.NaN;

  constructor(readonly intervalMs: number) {
    if (!(intervalMs > 0)) throw new Error(`ATR interval must be positive, got ${intervalMs}`);
  }

  onTick(ts: number, price: number): void {
    // Inside the open bar (the usual case) no bucket is computed: `%` of doubles is a C call.
    if (!this.insideOpenBar(ts)) this.openBarAt(ts, price);
    else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
      this.close = price;
    }
  }

  /** True when `ts` falls in the open bar, whose start is a multiple of the interval (>= 0). */
  private insideOpenBar(ts: number): boolean {
    return this.barStart >= 0 && ts >= this.barStart && ts < this.barStart + this.intervalMs;
  }

  private openBarAt(ts: number, price: number): void {
    const start = ts - (ts % this.intervalMs);
    if (this.barStart < 0 || start > this.barStart) {
      if (this.barStart >= 0) this.closeBar();
      this.barStart = start;
      this.high = price;
      this.low = price;
      this.close = price;
      return;
    }
    if (price > this.high) this.high = price;
    if (price < this.low) this.low = price;
    this.close = price;
  }

  /** A closed bar opening at `start` (shorter than the ATR interval): its open, high, low and close. */
  onBar(start: number, open: number, high: number, low: number, close: number): void {
    if (!this.insideOpenBar(start)) {
      const bucket = start - (start % this.intervalMs);
      if (this.barStart < 0 || bucket > this.barStart) {
        this.onTick(start, open);
      }
    }
    if (high > this.high) this.high = high;
    if (low < this.low) this.low = low;
    this.close = close;
  }

  /** The ATR as of `now` (ms), or null while no bar has closed. */
  value(now: number): number | null {
    const partialEnded = this.barStart >= 0 && now >= this.barStart + this.intervalMs;
    if (!partialEnded) return this.filled === 0 ? null : this.sum / this.filled;
    // The open bar's interval is over: count it as closed without mutating the state.
    const tr = this.trueRange();
    if (this.filled < ATR_PERIOD) return (this.sum + tr) / (this.filled + 1);
    return (this.sum - (this.trueRanges[this.index] as number) + tr) / ATR_PERIOD;
  }

  private trueRange(): number {
    const prev = this.prevClose;
    if (Number.isNaN(prev)) return this.high - this.low;
    return Math.max(this.high - this.low, Math.abs(this.high - prev), Math.abs(this.low - prev));
  }

  private closeBar(): void {
    const tr = this.trueRange();
    if (this.filled === ATR_PERIOD) this.sum -= this.trueRanges[this.index] as number;
    else this.filled += 1;
    this.trueRanges[this.index] = tr;
    this.sum += tr;
    this.index = (this.index + 1) % ATR_PERIOD;
    // Re-add the window from scratch once per lap so float drift cannot build up.
    if (this.index === 0) {
      let s = 0;
      for (let i = 0; i < this.filled; i += 1) s += this.trueRanges[i] as number;
      this.sum = s;
    }
    this.prevClose = this.close;
  }
}

/**
 * `minute % slots` for a minute index: as an int32 remainder when the index fits (every date
 * before the year 6053), which V8 computes inline; `%` of doubles is a call to C's fmod, and the
 * statistics take a few per bar.
 */
function slotOf(minute: number, slots: number): number {
  return minute >= 0 && minute < 2_147_483_648 ? (minute | 0) % slots : minute % slots;
}

/**
 * Rolling statistics of one symbol, fed from every tick (O(1) amortised per tick):
 * - traded value over the last 24 h in USD (price x size x point value), bucketed per minute,
 *   so memory is 1440 numbers however busy the market is; the window is the current minute
 *   plus the 1439 before it;
 * - trades per minute over the last 5 minute buckets (the current one included), divided by
 *   the time those buckets cover, or by the elapsed time since the first tick when there is
 *   less than that, never by less than one minute;
 * - ATRs over 5- and 15-minute bars built from the ticks (see TickAtr).
 */
export class SymbolMarketStats {
  private readonly value24h = new Float64Array(VOLUME_WINDOW_MINUTES);
  private readonly trades5m = new Float64Array(TRADE_RATE_MINUTES);
  private valueSum = 0;
  private tradeSum = 0;
  private minute = Number.NaN;
  private minutesSinceResync = 0;
  private firstTs = Number.NaN;
  private readonly atr5m = new TickAtr(5 * MINUTE_MS);
  private readonly atr15m = new TickAtr(15 * MINUTE_MS);
  lastPrice = Number.NaN;
  lastTs = Number.NaN;

  constructor(
    readonly symbol: string,
    private readonly pointValue = 1,
  ) {}

  onTick(ts: number, price: number, size: number, trades: number): void {
    if (Number.isNaN(this.firstTs)) this.firstTs = ts;
    const m = Math.floor(ts / MINUTE_MS);
    if (Number.isNaN(this.minute)) this.minute = m;
    else if (m > this.minute) this.advance(m);
    // A late print (older minute than the newest) is counted in the current minute.
    const value = price * size * this.pointValue;
    const vSlot = slotOf(this.minute, VOLUME_WINDOW_MINUTES);
    this.value24h[vSlot] = (this.value24h[vSlot] as number) + value;
    this.valueSum += value;
    const tSlot = slotOf(this.minute, TRADE_RATE_MINUTES);
    this.trades5m[tSlot] = (this.trades5m[tSlot] as number) + trades;
    this.tradeSum += trades;
    this.atr5m.onTick(ts, price);
    this.atr15m.onTick(ts, price);
    this.lastPrice = price;
    if (!(ts < this.lastTs)) this.lastTs = ts;
  }

  /**
   * A closed bar from a bar feed: its traded value (close x volume) and trades count in the
   * bar's minute, the ATR bars see its open, high, low and close (no ticks are invented).
   */
  onBar(bar: Bar): void {
    const ts = bar.start + Math.max(1, bar.intervalMs) - 1;
    if (Number.isNaN(this.firstTs)) this.firstTs = bar.start;
    const m = Math.floor(ts / MINUTE_MS);
    if (Number.isNaN(this.minute)) this.minute = m;
    else if (m > this.minute) this.advance(m);
    const value = bar.close * bar.volume * this.pointValue;
    const vSlot = slotOf(this.minute, VOLUME_WINDOW_MINUTES);
    this.value24h[vSlot] = (this.value24h[vSlot] as number) + value;
    this.valueSum += value;
    const tSlot = slotOf(this.minute, TRADE_RATE_MINUTES);
    this.trades5m[tSlot] = (this.trades5m[tSlot] as number) + bar.trades;
    this.tradeSum += bar.trades;
    this.atr5m.onBar(bar.start, bar.open, bar.high, bar.low, bar.close);
    this.atr15m.onBar(bar.start, bar.open, bar.high, bar.low, bar.close);
    this.lastPrice = bar.close;
    if (!(ts < this.lastTs)) this.lastTs = ts;
  }

  /** The statistics as of `now` (defaults to the last tick's time): older data ages out. */
  view(now = this.lastTs): MarketStatsView {
    const at = Math.max(now, this.lastTs);
    const m = Math.floor(at / MINUTE_MS);
    const ahead = m - this.minute;
    let value = this.valueSum;
    let trades = this.tradeSum;
    if (ahead > 0) {
      if (ahead >= VOLUME_WINDOW_MINUTES) value = 0;
      else for (let x = this.minute + 1; x <= m; x += 1) value -= this.value24h[x % VOLUME_WINDOW_MINUTES] as number;
      if (ahead >= TRADE_RATE_MINUTES) trades = 0;
      else for (let x = this.minute + 1; x <= m; x += 1) trades -= this.trades5m[x % TRADE_RATE_MINUTES] as number;
    }
    const windowStart = Math.max((m - TRADE_RATE_MINUTES + 1) * MINUTE_MS, this.firstTs);
    const span = Math.max(at - windowStart, MIN_RATE_SPAN_MS);
    return {
      symbol: this.symbol,
      price: this.lastPrice,
      volume_24h_usd: Math.max(0, value),
      trades_per_minute: Math.max(0, trades) / (span / MINUTE_MS),
      atr_5m: this.atr5m.value(at),
      atr_15m: this.atr15m.value(at),
      timestamp: at,
    };
  }

  private advance(m: number): void {
    const steps = m - this.minute;
    if (steps >= VOLUME_WINDOW_MINUTES) {
      this.value24h.fill(0);
      this.valueSum = 0;
    } else {
      for (let x = this.minute + 1; x <= m; x += 1) {
        const slot = slotOf(x, VOLUME_WINDOW_MINUTES);
        this.valueSum -= this.value24h[slot] as number;
        this.value24h[slot] = 0;
      }
    }
    if (steps >= TRADE_RATE_MINUTES) {
      this.trades5m.fill(0);
      this.tradeSum = 0;
    } else {
      for (let x = this.minute + 1; x <= m; x += 1) {
        const slot = slotOf(x, TRADE_RATE_MINUTES);
        this.tradeSum -= this.trades5m[slot] as number;
        this.trades5m[slot] = 0;
      }
    }
    this.minute = m;
    // Subtracting evicted buckets accumulates float error; re-add the window once a day.
    this.minutesSinceResync += steps;
    if (this.minutesSinceResync >= VOLUME_WINDOW_MINUTES) {
      this.minutesSinceResync = 0;
      let s = 0;
      for (let i = 0; i < VOLUME_WINDOW_MINUTES; i += 1) s += this.value24h[i] as number;
      this.valueSum = s;
    }
  }
}
