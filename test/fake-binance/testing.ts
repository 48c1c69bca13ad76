// Small helpers for tests that drive the fake venue: waiting on conditions (never fixed sleeps)
// and picking prices from the replay so that an order fills or triggers on a known tick.
import type { FakeControl } from './control.js';
import type { Bar } from './price-path.js';

/** Waits until `probe` returns a truthy value (polling every `everyMs`), or fails after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The first replay price within `horizon` ticks that is strictly below (side 'below') or above
 * the current price, and how many ticks away it is: a resting BUY limit at that price fills on
 * that tick, a SELL stop at it triggers there.
 */
export function nextPrice(control: FakeControl, symbol: string, side: 'below' | 'above', horizon = 400): { price: number; ticks: number } {
  const now = control.price(symbol);
  const path = control.upcoming(symbol, horizon);
  const i = path.findIndex((p) => (side === 'below' ? p < now : p > now));
  if (i < 0) throw new Error(`no price ${side} ${now} in the next ${horizon} ticks`);
  return { price: path[i] as number, ticks: i + 1 };
}

/** Made-up 1-minute bars (for tests that need exact prices): each [open, high, low, close]. */
export function makeBars(ohlc: [number, number, number, number][], start = Date.UTC(2025, 0, 1), volume = 10): Bar[] {
  return ohlc.map(([open, high, low, close], i) => ({ openTime: start + i * 60_000, open, high, low, close, volume, trades: 100, takerBuyVolume: volume / 2 }));
}
