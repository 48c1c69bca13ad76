import type { Bar, Tick } from '../core/market.js';

/** A venue trade as the live feed sees it: a numeric id when the venue numbers its trades. */
export interface VenueTrade {
  id: number | null;
  ts: number;
  price: number;
  size: number;
  /** Exchange trades in it (an aggregated trade covers several). */
  trades: number;
}

export interface GapReport {
  from: number;
  to: number;
  missing: number;
  backfilled: number;
}

/**
 * One symbol's trade tape: drops trades already delivered (a REST poll overlapping the stream, a
 * replay after reconnecting) and, when ids jump, fetches the missing ones (`backfill`, by id range)
 * and delivers them first, so ticks reach the data engine once each and in order.
 */
export class TradeSequence {
  private lastId: number | null = null;
  private lastTs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly symbol: string,
    private readonly emit: (tick: Tick) => void,
    /** Trades with ids in [from, to], oldest first; may return fewer (or throw) when the venue cannot tell. */
    private readonly backfill: (from: number, to: number) => Promise<VenueTrade[]>,
    private readonly onGap: (gap: GapReport) => void,
  ) {}

  /** The last delivered trade id (a REST poll continues from it). */
  get last(): number | null {
    return this.lastId;
  }

  async accept(batch: readonly VenueTrade[]): Promise<void> {
    const sorted = [...batch].sort((a, b) => (a.id ?? 0) - (b.id ?? 0) || a.ts - b.ts);
    for (const t of sorted) {
      if (t.id === null) {
        // Unnumbered tape: order by time only.
        if (t.ts < this.lastTs) continue;
        this.deliver(t);
        continue;
      }
      if (this.lastId !== null && t.id <= this.lastId) continue;
      if (this.lastId !== null && t.id > this.lastId + 1) await this.fill(this.lastId + 1, t.id - 1);
      this.deliver(t);
    }
  }

  private async fill(from: number, to: number): Promise<void> {
    const got = await this.backfill(from, to).catch((): VenueTrade[] => []);
    let backfilled = 0;
    for (const t of got.sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
      if (t.id === null || t.id < from || t.id > to || (this.lastId !== null && t.id <= this.lastId)) continue;
      this.deliver(t);
      backfilled += 1;
    }
    this.onGap({ from, to, missing: to - from + 1, backfilled });
  }

  private deliver(t: VenueTrade): void {
    if (t.id !== null) this.lastId = t.id;
    this.lastTs = Math.max(this.lastTs, t.ts);
    this.emit({ symbol: this.symbol, ts: t.ts, price: t.price, size: t.size, trades: t.trades });
  }
}

/** A venue candle: [start, open, high, low, close, volume]. */
export type Candle = readonly [number, number, number, number, number, number];

/**
 * One symbol's candles of one interval from a stream that repeats the forming candle: a candle is
 * closed (and emitted once) when a later one starts. When starts jump, or the stream was cut while
 * a candle was forming (its last updates may be lost), the candles from the forming one up to the
 * new one are fetched again (`backfill`) and emitted from the venue's answer.
 */
export class BarSequence {
  private forming: Candle | null = null;
  private lastClosed: number | null = null;
  private stale = false;

  constructor(
    private readonly symbol: string,
    readonly intervalMs: number,
    private readonly emit: (bar: Bar) => void,
    /** Candles starting at or after `since`, oldest first (the last one may still be forming). */
    private readonly backfill: (since: number) => Promise<Candle[]>,
    private readonly onGap: (gap: GapReport) => void,
  ) {}

  /** The start to poll from: the forming candle, or the one after the last closed. */
  get since(): number | undefined {
    if (this.forming) return this.forming[0];
    return this.lastClosed === null ? undefined : this.lastClosed + this.intervalMs;
  }

  /** The stream was cut: the forming candle may have missed updates. */
  markStale(): void {
    this.stale = true;
  }

  async accept(batch: readonly Candle[]): Promise<void> {
    const sorted = [...batch].sort((a, b) => a[0] - b[0]);
    for (const c of sorted) {
      if (this.lastClosed !== null && c[0] <= this.lastClosed) continue;
      const f = this.forming;
      if (!f || c[0] === f[0]) {
        this.forming = c;
        continue;
      }
      if (c[0] < f[0]) continue;
      if (c[0] === f[0] + this.intervalMs && !this.stale) this.close(f);
      else await this.refetch(f[0], c[0]);
      this.stale = false;
      this.forming = c;
    }
  }

  /** Refetches the forming candle `from` and any never seen before `until` (the new forming one). */
  private async refetch(from: number, until: number): Promise<void> {
    const got = await this.backfill(from).catch((): Candle[] => []);
    let formingDone = false;
    let backfilled = 0;
    for (const c of got.sort((a, b) => a[0] - b[0])) {
      if (c[0] < from || c[0] >= until || (this.lastClosed !== null && c[0] <= this.lastClosed)) continue;
      this.close(c);
      if (c[0] === from) formingDone = true;
      else backfilled += 1;
    }
    // The venue did not answer: the forming candle as last seen beats no bar at all.
    const f = this.forming;
    if (!formingDone && f && f[0] === from && (this.lastClosed === null || from > this.lastClosed)) this.close(f);
    const missing = Math.round((until - from) / this.intervalMs) - 1;
    if (missing > 0) this.onGap({ from: from + this.intervalMs, to: until - this.intervalMs, missing, backfilled });
  }

  private close(c: Candle): void {
    this.lastClosed = c[0];
    this.emit({ symbol: this.symbol, start: c[0], intervalMs: this.intervalMs, open: c[1], high: c[2], low: c[3], close: c[4], volume: c[5], trades: 0 });
  }
}
