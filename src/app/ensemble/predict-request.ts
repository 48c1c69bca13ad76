import type { Bar } from '../../core/market.js';
import { candlesFromBars } from '../../ml/candles.js';
import { featureColumns } from '../../ml/features.js';
import type { PredictRequest } from '../../core/model-server.js';

const INDICATORS = ['rsi_14', 'macd_12_26_9', 'macds_12_26_9', 'bbpos_20_2', 'atr_14'] as const;

/**
 * Seed 004's POST /predict body from closed bars (oldest first): the candles with timestamps in
 * seconds, and the last bar's indicators (src/ml/features.ts definitions) where defined: rsi,
 * macd and macd_signal in price units, bb_position (0-1 within the bands), atr in price units.
 */
export function predictRequest(bars: readonly Bar[], symbol: string, timeframe: string): PredictRequest {
  const c = candlesFromBars(bars);
  const last = bars.length - 1;
  const close = bars[last]?.close ?? Number.NaN;
  const cols = featureColumns(c, INDICATORS);
  const at = (i: number) => (cols[i] as Float64Array)[last] as number;
  const indicators: Record<string, number> = {};
  const put = (key: string, v: number) => {
    if (Number.isFinite(v)) indicators[key] = v;
  };
  put('rsi', at(0));
  put('macd', at(1) * close);
  put('macd_signal', at(2) * close);
  put('bb_position', at(3));
  put('atr', at(4) * close);
  return {
    symbol,
    timeframe,
    candles: bars.map((b) => ({ open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, timestamp: Math.floor(b.start / 1000) })),
    indicators,
    meta: { source: 'tradewind-coordinator' },
  };
}

/** RSI(14) of the last bar, or null before it is defined. */
export function lastRsi(bars: readonly Bar[]): number | null {
  if (bars.length === 0) return null;
  const col = featureColumns(candlesFromBars(bars), ['rsi_14'])[0] as Float64Array;
  const v = col[bars.length - 1] as number;
  return Number.isFinite(v) ? v : null;
}
