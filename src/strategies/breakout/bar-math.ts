import type { Bar } from '../../core/market.js';

/**
 * Indicators over a window of bars, each one pass over the bars it reads (O(n)). Written by
 * hand: no indicator library is a dependency, and the ones on npm recompute whole arrays and
 * allocate per call, which the per-bar scan of a backtest cannot afford.
 */

/** True ranges averaged by `atr`. */
export const ATR_PERIOD = 14;

/** True range of bars[i]; the first bar of the array has no previous close, so high - low. */
export function trueRange(bars: readonly Bar[], i: number): number {
  const b = bars[i];
  if (!b) return Number.NaN;
  const prev = i > 0 ? bars[i - 1] : undefined;
  if (!prev) return b.high - b.low;
  return Math.max(b.high - b.low, Math.abs(b.high - prev.close), Math.abs(b.low - prev.close));
}

/** Simple mean of the last `period` true ranges (fewer when fewer bars); NaN without bars. */
export function atr(bars: readonly Bar[], period = ATR_PERIOD): number {
  const n = bars.length;
  if (n === 0) return Number.NaN;
  const from = Math.max(0, n - period);
  let sum = 0;
  for (let i = from; i < n; i += 1) sum += trueRange(bars, i);
  return sum / (n - from);
}

/** Mean volume of bars[from, to); NaN when the range is empty. */
export function meanVolume(bars: readonly Bar[], from: number, to: number): number {
  const a = Math.max(0, from);
  const b = Math.min(bars.length, to);
  if (b <= a) return Number.NaN;
  let sum = 0;
  for (let i = a; i < b; i += 1) sum += (bars[i] as Bar).volume;
  return sum / (b - a);
}

/** A surge above this ratio is reported as this ratio (a zero-volume base would be infinite). */
export const MAX_VOLUME_RATIO = 100;

/** a / b, capped; 0 when both are 0; NaN when either is NaN. */
export function volumeRatio(recent: number, base: number): number {
  if (Number.isNaN(recent) || Number.isNaN(base)) return Number.NaN;
  if (base <= 0) return recent > 0 ? MAX_VOLUME_RATIO : 0;
  return Math.min(MAX_VOLUME_RATIO, recent / base);
}

/**
 * Volume surge: mean volume of the last `recentBars` bars over the mean volume of up to
 * `lookback` bars before them. NaN when there are no bars before the recent ones.
 */
export function volumeSurge(bars: readonly Bar[], recentBars: number, lookback: number): number {
  const n = bars.length;
  const recentFrom = n - recentBars;
  return volumeRatio(meanVolume(bars, recentFrom, n), meanVolume(bars, recentFrom - lookback, recentFrom));
}

/** Relative change of the close over the last `span` bars (fewer when fewer bars); NaN without two bars. */
export function momentum(bars: readonly Bar[], span: number): number {
  const n = bars.length;
  const k = Math.min(span, n - 1);
  if (k < 1) return Number.NaN;
  const last = (bars[n - 1] as Bar).close;
  const first = (bars[n - 1 - k] as Bar).close;
  return first === 0 ? Number.NaN : last / first - 1;
}
