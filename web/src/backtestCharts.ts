// Chart helpers of the backtest views (issue 16 items 6 and 14): a formatted price axis, one
// point per second for lightweight-charts, and trades placed on the candle that holds them.
import { ColorType, type DeepPartial, type ChartOptions, type UTCTimestamp } from 'lightweight-charts';
import { numberFormat, type BacktestTrade } from './api';

export const seconds = (ms: number): UTCTimestamp => Math.floor(ms / 1000) as UTCTimestamp;

/** Money on an axis: thousands separated, cents only while values are small. */
export const moneyAxis = (v: number): string => numberFormat(Math.abs(v) >= 10_000 ? 0 : 2).format(v);

export const chartOptions = (): DeepPartial<ChartOptions> => ({
  autoSize: true,
  layout: { background: { type: ColorType.Solid, color: '#0f141b' }, textColor: '#8b98a9', fontSize: 10, attributionLogo: false },
  grid: { vertLines: { color: '#1a222d' }, horzLines: { color: '#1a222d' } },
  rightPriceScale: { borderColor: '#26303d' },
  timeScale: { borderColor: '#26303d', timeVisible: true, secondsVisible: false },
  localization: { priceFormatter: moneyAxis },
});

/** Distinct line colours for runs drawn together. */
export const RUN_COLORS = ['#3d8bfd', '#f0b429', '#26a69a', '#ef5350', '#ab47bc', '#8d6e63', '#26c6da', '#d4e157'];

/** Points with strictly increasing seconds (lightweight-charts refuses equal times): the last of a second wins. */
export function perSecond(points: { ts: number; value: number }[]): { time: UTCTimestamp; value: number }[] {
  const out: { time: UTCTimestamp; value: number }[] = [];
  for (const p of points) {
    const time = seconds(p.ts);
    const last = out[out.length - 1];
    if (last && last.time >= time) last.value = p.value;
    else out.push({ time, value: p.value });
  }
  return out;
}

/** The start of the candle holding `ts` (candles sorted by time), or null before the first. */
export function candleOf(times: number[], ts: number): number | null {
  let lo = 0;
  let hi = times.length - 1;
  let found: number | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = times[mid] as number;
    if (t <= ts) {
      found = t;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export interface TradeMark {
  time: UTCTimestamp;
  position: 'belowBar' | 'aboveBar';
  shape: 'arrowUp' | 'arrowDown' | 'circle';
  color: string;
  id: string;
}

/** Each trade's entry (an arrow in its direction) and exit (a dot coloured by its result), on their candles. */
export function tradeMarks(trades: BacktestTrade[], candleTimes: number[]): TradeMark[] {
  const out: TradeMark[] = [];
  trades.forEach((t, i) => {
    const long = t.side === 'long';
    const entry = candleOf(candleTimes, t.openedAt);
    const exit = candleOf(candleTimes, t.closedAt);
    if (entry !== null) out.push({ time: seconds(entry), position: long ? 'belowBar' : 'aboveBar', shape: long ? 'arrowUp' : 'arrowDown', color: long ? '#26a69a' : '#ef5350', id: `e${i}` });
    if (exit !== null) out.push({ time: seconds(exit), position: long ? 'aboveBar' : 'belowBar', shape: 'circle', color: t.netPnl >= 0 ? '#26a69a' : '#ef5350', id: `x${i}` });
  });
  return out.sort((a, b) => a.time - b.time);
}
