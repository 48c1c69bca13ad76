import type { Bar } from '../../core/market.js';
import type { ScanLevel } from '../../core/scanner.js';

/** A swing high (low) is higher (lower) than this many bars on each side. */
export const SWING_SPAN = 2;
/** Levels reported per symbol, strongest first. */
export const MAX_LEVELS = 8;
/** Touches that earn the full touch component of the strength. */
export const FULL_STRENGTH_TOUCHES = 4;

export interface LevelConfig {
  min_touches: number;
  tolerance_atr: number;
}

export interface Pivot {
  index: number;
  price: number;
  kind: 'high' | 'low';
}

/**
 * Swing highs and lows: bar i is a swing high when its high is strictly above the highs of
 * the SWING_SPAN bars before it and not below those of the SWING_SPAN bars after it (so a flat
 * top of equal highs counts once, at its first bar); swing lows mirror that. The last
 * SWING_SPAN bars cannot be pivots yet. O(n * SWING_SPAN).
 */
export function findPivots(bars: readonly Bar[], span = SWING_SPAN): Pivot[] {
  const pivots: Pivot[] = [];
  for (let i = span; i < bars.length - span; i += 1) {
    const b = bars[i] as Bar;
    let isHigh = true;
    let isLow = true;
    for (let j = 1; j <= span && (isHigh || isLow); j += 1) {
      const left = bars[i - j] as Bar;
      const right = bars[i + j] as Bar;
      if (!(b.high > left.high && b.high >= right.high)) isHigh = false;
      if (!(b.low < left.low && b.low <= right.low)) isLow = false;
    }
    if (isHigh) pivots.push({ index: i, price: b.high, kind: 'high' });
    if (isLow) pivots.push({ index: i, price: b.low, kind: 'low' });
  }
  return pivots;
}

interface Cluster {
  sum: number;
  count: number;
  min: number;
  max: number;
  lastIndex: number;
}

/** Greedy clustering of pivot prices in ascending order: a price joins the open cluster when within `tolerance` of its mean. */
function cluster(pivots: readonly Pivot[], tolerance: number): Cluster[] {
  const sorted = [...pivots].sort((a, b) => a.price - b.price || a.index - b.index);
  const out: Cluster[] = [];
  let open: Cluster | null = null;
  for (const p of sorted) {
    if (open && p.price - open.sum / open.count <= tolerance) {
      open.sum += p.price;
      open.count += 1;
      open.max = p.price;
      open.lastIndex = Math.max(open.lastIndex, p.index);
      continue;
    }
    open = { sum: p.price, count: 1, min: p.price, max: p.price, lastIndex: p.index };
    out.push(open);
  }
  return out;
}

/**
 * Support and resistance levels of a window of bars (the scanner passes the last
 * `levels.lookback_bars`). Swing highs and swing lows are clustered separately, each cluster
 * within `tolerance_atr * atr`; a cluster with at least `min_touches` pivots is a level at the
 * mean of its prices. Its type follows the last close: above it is resistance, below it
 * support (a broken resistance becomes support), at it by where the pivots came from.
 *
 * strength (0..1) = 0.5 * min(1, touches / 4)         more touches
 *                 + 0.3 * (1 - age / bars)             age: bars since the newest touch
 *                 + 0.2 * (1 - spread / tolerance)     tighter clusters (1 when tolerance is 0)
 */
export function findLevels(bars: readonly Bar[], atrValue: number, config: LevelConfig): ScanLevel[] {
  const n = bars.length;
  const last = bars[n - 1];
  if (!last) return [];
  const tolerance = Number.isFinite(atrValue) && atrValue > 0 ? config.tolerance_atr * atrValue : 0;
  const pivots = findPivots(bars);
  const levels: ScanLevel[] = [];
  for (const kind of ['high', 'low'] as const) {
    for (const c of cluster(
      pivots.filter((p) => p.kind === kind),
      tolerance,
    )) {
      if (c.count < config.min_touches) continue;
      const price = c.sum / c.count;
      const age = n - 1 - c.lastIndex;
      const touchScore = Math.min(1, c.count / FULL_STRENGTH_TOUCHES);
      const recency = Math.max(0, 1 - age / n);
      const tightness = tolerance > 0 ? Math.max(0, 1 - (c.max - c.min) / tolerance) : 1;
      const strength = Math.min(1, Math.max(0, 0.5 * touchScore + 0.3 * recency + 0.2 * tightness));
      const type = price > last.close ? 'resistance' : price < last.close ? 'support' : kind === 'high' ? 'resistance' : 'support';
      levels.push({ type, price, strength, touches: c.count });
    }
  }
  levels.sort((a, b) => b.strength - a.strength || a.price - b.price);
  return levels.slice(0, MAX_LEVELS);
}
