// Binance's rate limits as the fake counts them: request weight per IP per minute (reported in
// X-MBX-USED-WEIGHT-1M on every answer) and new orders per account per 10 s and per minute
// (X-MBX-ORDER-COUNT-10S / -1M on order answers). Over a limit: 429 with Retry-After.
import { BinanceError, E } from './errors.js';
import { RATE_LIMITS } from './symbols.js';

interface Window {
  start: number;
  count: number;
}

function bump(w: Window, size: number, now: number, by: number): void {
  const start = Math.floor(now / size) * size;
  if (w.start !== start) {
    w.start = start;
    w.count = 0;
  }
  w.count += by;
}

export class RateLimiter {
  private readonly weight: Window = { start: 0, count: 0 };
  private readonly orders10s = new Map<string, Window>();
  private readonly orders1m = new Map<string, Window>();

  constructor(private readonly enforce: boolean) {}

  /** Adds the request's weight; throws 429 -1003 when over the minute's limit. */
  addWeight(weight: number, now: number): number {
    bump(this.weight, 60_000, now, weight);
    if (this.enforce && this.weight.count > RATE_LIMITS.requestWeightPerMinute) {
      throw E.tooManyRequests(RATE_LIMITS.requestWeightPerMinute, Math.ceil((this.weight.start + 60_000 - now) / 1000));
    }
    return this.weight.count;
  }

  usedWeight(now: number): number {
    bump(this.weight, 60_000, now, 0);
    return this.weight.count;
  }

  /** Counts a new order of `account`; throws 429 -1015 over the order limits. */
  addOrder(account: string, now: number): { tenSeconds: number; minute: number } {
    const w10 = this.orders10s.get(account) ?? { start: 0, count: 0 };
    const w60 = this.orders1m.get(account) ?? { start: 0, count: 0 };
    this.orders10s.set(account, w10);
    this.orders1m.set(account, w60);
    bump(w10, 10_000, now, 1);
    bump(w60, 60_000, now, 1);
    if (this.enforce) {
      if (w10.count > RATE_LIMITS.ordersPer10s) throw E.tooManyOrders(RATE_LIMITS.ordersPer10s, 'TEN_SECONDS', Math.ceil((w10.start + 10_000 - now) / 1000));
      if (w60.count > RATE_LIMITS.ordersPerMinute) throw E.tooManyOrders(RATE_LIMITS.ordersPerMinute, 'MINUTE', Math.ceil((w60.start + 60_000 - now) / 1000));
    }
    return { tenSeconds: w10.count, minute: w60.count };
  }
}

export function isRateLimitError(e: unknown): e is BinanceError {
  return e instanceof BinanceError && (e.status === 429 || e.status === 418);
}
