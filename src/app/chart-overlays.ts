import type { Bar } from '../core/market.js';

/** A strategy's moving averages on one or more symbols (e.g. the demo bot's SMA crossover). */
export interface MovingAverageStrategy {
  bot: string;
  symbols: readonly string[];
  periods: readonly number[];
}

export interface OverlayLevel {
  name: string;
  price: number;
  kind: 'entry' | 'stop' | 'target';
}

export interface OverlayBrick {
  time: number;
  open: number;
  close: number;
  color: string;
}

export interface ChartOverlaysDeps {
  strategies(): readonly MovingAverageStrategy[];
  history(symbol: string, intervalMs: number): readonly Bar[];
  /** Entry, stop and target of the open positions on the symbol (every account). */
  levels(symbol: string): OverlayLevel[];
  /** The Renko desk's bricks of the symbol per brick size, oldest first (none off the desk). */
  bricks(symbol: string): { size: number; bricks: OverlayBrick[] }[];
}

export interface ChartOverlays {
  symbol: string;
  interval_ms: number;
  lines: { name: string; bot: string; period: number; points: { time: number; value: number }[] }[];
  levels: OverlayLevel[];
  bricks: { size: number; bricks: OverlayBrick[] }[];
}

/** Simple moving average of closes, one point per bar once `period` bars are in. */
export function movingAverage(bars: readonly Bar[], period: number): { time: number; value: number }[] {
  const out: { time: number; value: number }[] = [];
  let sum = 0;
  for (let i = 0; i < bars.length; i++) {
    sum += (bars[i] as Bar).close;
    if (i >= period) sum -= (bars[i - period] as Bar).close;
    if (i >= period - 1) out.push({ time: (bars[i] as Bar).start, value: Math.round((sum / period) * 1e8) / 1e8 });
  }
  return out;
}

/** The lines a chart draws over its candles: the trading strategies' own, not generic indicators. */
export function chartOverlays(deps: ChartOverlaysDeps, symbol: string, intervalMs: number, limit: number): ChartOverlays {
  const bars = deps.history(symbol, intervalMs);
  const lines = deps
    .strategies()
    .filter((s) => s.symbols.includes(symbol))
    .flatMap((s) =>
      s.periods.map((period) => {
        // Enough bars before the shown window for the average to be defined from its first bar.
        const points = movingAverage(bars.slice(-(limit + period - 1)), period);
        return { name: `SMA ${period}`, bot: s.bot, period, points };
      }),
    );
  return { symbol, interval_ms: intervalMs, lines, levels: deps.levels(symbol), bricks: deps.bricks(symbol) };
}
