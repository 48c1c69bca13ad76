/**
 * From a model's score on the latest candle to seed 004's trading answer: action, confidence,
 * expected return, stop loss and take profit. Pure functions: the model server and the
 * in-process benchmark share them.
 *
 * - Binary models give P(up) = `probability`: long when it is at least 0.5 + edge, short when at
 *   most 0.5 - edge, else hold. `confidence` is the probability of the side it leans to,
 *   max(p, 1 - p). `expected_return` is (2p - 1) x the average absolute bar return of the candles
 *   sent (the size of a typical move, signed by the lean).
 * - Regression models predict the forward return itself: `expected_return` is the margin, the
 *   action its sign beyond `edge` x the average absolute return, and `probability` /
 *   `confidence` the share of that move explained: 0.5 + |r| / (2 (|r| + avg)) (0.5 at r = 0).
 * - Stops are ATR multiples around the last close on the side it leans to (for hold too, so a
 *   caller always has levels): long SL = close - stopAtr x ATR, TP = close + takeProfitAtr x ATR.
 */
import type { Candles } from './candles.js';
import type { ModelObjective, Prediction } from '../core/model.js';

export type Action = 'long' | 'short' | 'hold';

export interface SignalOptions {
  /** Half-width of the hold zone around P = 0.5 (0.05: long at 0.55 and above). */
  edge: number;
  /** Stop loss distance in ATRs. */
  stopAtr: number;
  /** Take profit distance in ATRs. */
  takeProfitAtr: number;
  /** Bars of the ATR and of the average absolute return (fewer when fewer candles came). */
  atrBars: number;
}

export const DEFAULT_SIGNAL: SignalOptions = { edge: 0.05, stopAtr: 1.5, takeProfitAtr: 3, atrBars: 14 };

export interface TradeSignal {
  action: Action;
  confidence: number;
  probability: number;
  expected_return: number;
  stop_loss: number;
  take_profit: number;
  raw_score: number;
}

/** Mean true range of the last `bars` candles (high - low for the first candle given). */
export function averageTrueRange(c: Candles, bars: number): number {
  const n = c.close.length;
  const from = Math.max(0, n - bars);
  let s = 0;
  for (let t = from; t < n; t++) {
    const h = c.high[t] as number;
    const l = c.low[t] as number;
    s += t === 0 ? h - l : Math.max(h - l, Math.abs(h - (c.close[t - 1] as number)), Math.abs(l - (c.close[t - 1] as number)));
  }
  return n === 0 ? 0 : s / (n - from);
}

/** Mean |close[t] / close[t-1] - 1| over the last `bars` changes; with one candle, its range over its close. */
export function averageAbsReturn(c: Candles, bars: number): number {
  const n = c.close.length;
  if (n === 0) return 0;
  if (n === 1) return ((c.high[0] as number) - (c.low[0] as number)) / (c.close[0] as number);
  const from = Math.max(1, n - bars);
  let s = 0;
  for (let t = from; t < n; t++) s += Math.abs((c.close[t] as number) / (c.close[t - 1] as number) - 1);
  return s / (n - from);
}

export function tradeSignal(prediction: Prediction, objective: ModelObjective, candles: Candles, o: SignalOptions = DEFAULT_SIGNAL): TradeSignal {
  const avg = averageAbsReturn(candles, o.atrBars);
  let p: number;
  let expected: number;
  let action: Action;
  if (objective === 'binary') {
    p = prediction.probability ?? 0.5;
    expected = (2 * p - 1) * avg;
    action = p >= 0.5 + o.edge ? 'long' : p <= 0.5 - o.edge ? 'short' : 'hold';
  } else {
    expected = prediction.margin;
    const a = Math.abs(expected);
    p = a + avg > 0 ? 0.5 + (Math.sign(expected) * a) / (2 * (a + avg)) : 0.5;
    action = a > o.edge * avg && a > 0 ? (expected > 0 ? 'long' : 'short') : 'hold';
  }
  const close = candles.close[candles.close.length - 1] as number;
  const atr = averageTrueRange(candles, o.atrBars);
  const up = action === 'long' || (action === 'hold' && p >= 0.5);
  return {
    action,
    confidence: Math.max(p, 1 - p),
    probability: p,
    expected_return: expected,
    stop_loss: up ? close - o.stopAtr * atr : close + o.stopAtr * atr,
    take_profit: up ? close + o.takeProfitAtr * atr : close - o.takeProfitAtr * atr,
    raw_score: prediction.margin,
  };
}
