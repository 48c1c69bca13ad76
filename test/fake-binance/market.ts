// One listed perpetual: the replayed price path, the synthetic order book around the last
// price, public trades, 1-minute klines (history re-stamped to end where the replay starts,
// then built from the replayed trades on the venue clock) and their aggregations.
import { E } from './errors.js';
import { roundTo, toTick } from './num.js';
import { barTick, TICKS_PER_BAR, type Bar, type Tick } from './price-path.js';
import type { SymbolSpec } from './symbols.js';

export interface Kline {
  openTime: number;
  closeTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quoteVolume: number;
  trades: number;
  takerBuyVolume: number;
  takerBuyQuote: number;
  firstTradeId: number;
  lastTradeId: number;
}

export interface PublicTrade {
  id: number;
  aggId: number;
  price: number;
  qty: number;
  time: number;
  buyerMaker: boolean;
}

export const INTERVALS: Record<string, number> = {
  '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000,
  '1h': 3_600_000, '2h': 7_200_000, '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000,
  '12h': 43_200_000, '1d': 86_400_000, '3d': 259_200_000, '1w': 604_800_000,
};

export function intervalMs(interval: string): number {
  const ms = INTERVALS[interval];
  if (ms === undefined) throw E.invalidInterval();
  return ms;
}

const MINUTE = 60_000;
const MAX_TRADES = 1000;
const MAX_HISTORY = 20_000;

export interface MarketOptions {
  /** Base quantity of one synthetic book level. */
  levelQty: number;
  depthLevels: number;
  loop: boolean;
}

/** A deterministic number in [0, 1) from two integers (for synthetic book quantities). */
function hash01(a: number, b: number): number {
  let h = (a * 374761393 + b * 668265263) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

export class MarketState {
  last: number;
  /** The last price before the latest move (for book diffs). */
  prevLast: number;
  lastQty: number;
  lastTime: number;
  history: Kline[] = [];
  current: Kline | undefined;
  trades: PublicTrade[] = [];
  nextTradeId: number;
  nextAggId: number;
  bookUpdateId = 1_000_000_000;
  /** Quantity available at one book level for takers; Infinity = the synthetic book. */
  takerLevelQty = Infinity;
  private cursor: number;

  constructor(
    readonly spec: SymbolSpec,
    private readonly bars: Bar[],
    startBar: number,
    startTime: number,
    readonly options: MarketOptions,
    idBase: number,
  ) {
    const start = Math.max(1, Math.min(startBar, bars.length - 1));
    const startMinute = Math.floor(startTime / MINUTE) * MINUTE;
    for (let i = 0; i < start; i++) {
      const bar = bars[i] as Bar;
      const openTime = startMinute - (start - i) * MINUTE;
      const px = (v: number) => toTick(v, spec.tickSize);
      this.history.push({
        openTime, closeTime: openTime + MINUTE - 1,
        open: px(bar.open), high: px(bar.high), low: px(bar.low), close: px(bar.close),
        volume: roundTo(bar.volume, spec.quantityPrecision), quoteVolume: roundTo(bar.volume * bar.close, 4),
        trades: bar.trades, takerBuyVolume: roundTo(bar.takerBuyVolume, spec.quantityPrecision),
        takerBuyQuote: roundTo(bar.takerBuyVolume * bar.close, 4), firstTradeId: -1, lastTradeId: -1,
      });
    }
    this.cursor = start * TICKS_PER_BAR;
    const first = bars[start] as Bar;
    this.last = toTick(first.open, spec.tickSize);
    this.prevLast = this.last;
    this.lastQty = spec.minQty;
    this.lastTime = startTime;
    this.nextTradeId = idBase;
    this.nextAggId = idBase / 2;
  }

  get symbol(): string {
    return this.spec.symbol;
  }

  get bid(): number {
    return this.last;
  }

  get ask(): number {
    return roundTo(this.last + this.spec.tickSize, this.spec.pricePrecision);
  }

  /** The next tick of the replay, or undefined when the path is exhausted (and not looping). */
  nextTick(): Tick | undefined {
    const total = this.bars.length * TICKS_PER_BAR;
    if (this.cursor >= total) {
      if (!this.options.loop) return undefined;
      this.cursor = 0;
    }
    const bar = this.bars[Math.floor(this.cursor / TICKS_PER_BAR)] as Bar;
    const phase = this.cursor % TICKS_PER_BAR;
    this.cursor++;
    const { price, share } = barTick(bar, phase);
    const rounded = toTick(price, this.spec.tickSize);
    const qty = Math.max(this.spec.minQty, toTick(bar.volume * share, this.spec.stepSize, 'floor'));
    return { price: rounded, qty, buyerMaker: rounded < this.last };
  }

  /** The prices of the next `n` ticks, without advancing. */
  upcoming(n: number): number[] {
    const saved = this.cursor;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.nextTick();
      if (!t) break;
      out.push(t.price);
    }
    this.cursor = saved;
    return out;
  }

  /** Records a trade at `price` (a replay tick or a fill): last price, klines, public tape. */
  trade(price: number, qty: number, buyerMaker: boolean, time: number): PublicTrade {
    const t: PublicTrade = { id: this.nextTradeId++, aggId: this.nextAggId++, price, qty, time, buyerMaker };
    this.trades.push(t);
    if (this.trades.length > MAX_TRADES) this.trades.splice(0, this.trades.length - MAX_TRADES);
    this.addToKline(t);
    this.lastTime = time;
    return t;
  }

  /** Moves the market (a replay tick): the book re-centres on the new price. */
  move(price: number, qty: number): void {
    this.prevLast = this.last;
    this.last = price;
    this.lastQty = qty;
    this.bookUpdateId++;
  }

  private addToKline(t: PublicTrade): void {
    const bucket = Math.floor(t.time / MINUTE) * MINUTE;
    let k = this.current;
    if (k && bucket > k.openTime) {
      this.closeKline(k);
      // Minutes without trades are flat klines, as Binance shows them.
      for (let open = k.openTime + MINUTE; open < bucket && bucket - open <= 1440 * MINUTE; open += MINUTE) {
        this.closeKline(this.emptyKline(open, k.close));
      }
      k = undefined;
    }
    if (!k) {
      k = this.emptyKline(bucket, t.price);
      k.firstTradeId = t.id;
      this.current = k;
    }
    k.high = Math.max(k.high, t.price);
    k.low = Math.min(k.low, t.price);
    k.close = t.price;
    k.volume = roundTo(k.volume + t.qty, this.spec.quantityPrecision);
    k.quoteVolume = roundTo(k.quoteVolume + t.qty * t.price, 5);
    k.trades++;
    if (!t.buyerMaker) {
      k.takerBuyVolume = roundTo(k.takerBuyVolume + t.qty, this.spec.quantityPrecision);
      k.takerBuyQuote = roundTo(k.takerBuyQuote + t.qty * t.price, 5);
    }
    k.lastTradeId = t.id;
  }

  private emptyKline(openTime: number, price: number): Kline {
    return {
      openTime, closeTime: openTime + MINUTE - 1, open: price, high: price, low: price, close: price,
      volume: 0, quoteVolume: 0, trades: 0, takerBuyVolume: 0, takerBuyQuote: 0, firstTradeId: -1, lastTradeId: -1,
    };
  }

  private closeKline(k: Kline): void {
    this.history.push(k);
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
  }

  /** 1-minute klines, closed ones then the one in progress. */
  minuteKlines(): Kline[] {
    return this.current ? [...this.history, this.current] : this.history;
  }

  /** Adds a later kline `m` into the aggregate `k`. */
  private merge(k: Kline, m: Kline): void {
    k.high = Math.max(k.high, m.high);
    k.low = Math.min(k.low, m.low);
    k.close = m.close;
    k.volume = roundTo(k.volume + m.volume, this.spec.quantityPrecision);
    k.quoteVolume = roundTo(k.quoteVolume + m.quoteVolume, 5);
    k.trades += m.trades;
    k.takerBuyVolume = roundTo(k.takerBuyVolume + m.takerBuyVolume, this.spec.quantityPrecision);
    k.takerBuyQuote = roundTo(k.takerBuyQuote + m.takerBuyQuote, 5);
    if (m.lastTradeId >= 0) k.lastTradeId = m.lastTradeId;
    if (k.firstTradeId < 0) k.firstTradeId = m.firstTradeId;
  }

  /** Klines of any interval, aggregated from 1-minute klines. */
  klines(interval: string, opts: { startTime?: number; endTime?: number; limit?: number } = {}): Kline[] {
    const ms = intervalMs(interval);
    const out: Kline[] = [];
    for (const m of this.minuteKlines()) {
      const open = Math.floor(m.openTime / ms) * ms;
      const k = out[out.length - 1];
      if (k && k.openTime === open) {
        this.merge(k, m);
      } else {
        out.push({ ...m, openTime: open, closeTime: open + ms - 1 });
      }
    }
    const limit = Math.min(Math.max(opts.limit ?? 500, 1), 1500);
    const within = out.filter((k) => (opts.startTime === undefined || k.openTime >= opts.startTime) && (opts.endTime === undefined || k.openTime <= opts.endTime));
    return opts.startTime !== undefined ? within.slice(0, limit) : within.slice(-limit);
  }

  /** The 1-minute klines from `from` on (scanning back from the newest: cheap on every tick). */
  private minutesSince(from: number): Kline[] {
    const all = this.minuteKlines();
    let i = all.length;
    while (i > 0 && (all[i - 1] as Kline).openTime >= from) i--;
    return all.slice(i);
  }

  /** The kline of `interval` in progress (what a kline stream pushes on every trade). */
  currentKline(interval: string): Kline | undefined {
    const ms = intervalMs(interval);
    if (ms === MINUTE) return this.current ?? this.history[this.history.length - 1];
    const last = this.current ?? this.history[this.history.length - 1];
    if (!last) return undefined;
    const open = Math.floor(last.openTime / ms) * ms;
    const ks = this.minutesSince(open);
    const first = ks[0] as Kline;
    const k: Kline = { ...first, openTime: open, closeTime: open + ms - 1 };
    for (const m of ks.slice(1)) this.merge(k, m);
    return k;
  }

  /** Rolling 24-hour statistics at `now`. */
  stats(now: number): { open: number; high: number; low: number; volume: number; quoteVolume: number; count: number; openTime: number; firstId: number; lastId: number } {
    const ks = this.minutesSince(now - 86_400_000);
    const first = ks[0];
    return {
      open: first ? first.open : this.last,
      high: ks.reduce((h, k) => Math.max(h, k.high), this.last),
      low: ks.reduce((l, k) => Math.min(l, k.low), this.last),
      volume: roundTo(ks.reduce((v, k) => v + k.volume, 0), this.spec.quantityPrecision),
      quoteVolume: roundTo(ks.reduce((v, k) => v + k.quoteVolume, 0), 5),
      count: ks.reduce((c, k) => c + k.trades, 0),
      openTime: first ? first.openTime : now,
      firstId: ks.find((k) => k.firstTradeId >= 0)?.firstTradeId ?? -1,
      lastId: this.trades[this.trades.length - 1]?.id ?? -1,
    };
  }

  /** Synthetic quantity of book level `k` (0 = best) on one side. */
  levelQty(k: number, side: 'bid' | 'ask'): number {
    if (Number.isFinite(this.takerLevelQty)) return this.takerLevelQty;
    const f = 0.5 + hash01(this.bookUpdateId, k * 2 + (side === 'bid' ? 0 : 1));
    return Math.max(this.spec.minQty, toTick(this.options.levelQty * f, this.spec.stepSize));
  }

  /** Book levels, best first: [price, qty]. */
  levels(side: 'bid' | 'ask', n = this.options.depthLevels): [number, number][] {
    const out: [number, number][] = [];
    const best = side === 'bid' ? this.bid : this.ask;
    const dir = side === 'bid' ? -1 : 1;
    for (let k = 0; k < n; k++) {
      const price = roundTo(best + dir * k * this.spec.tickSize, this.spec.pricePrecision);
      if (price <= 0) break;
      out.push([price, this.levelQty(k, side)]);
    }
    return out;
  }
}
