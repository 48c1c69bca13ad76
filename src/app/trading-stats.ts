/**
 * Trading performance from closed trades (seed 001: win rate, average R, profit factor,
 * drawdown; GET /api/engine/status: dailyR, consecutiveLosses).
 *
 * Conventions:
 * - A win has netPnl > 0, a loss netPnl < 0; a trade at exactly 0 is breakeven: neither, it
 *   counts in total_trades (so win_rate = wins / total_trades) and it ends a losing streak.
 * - Trades are ordered by closedAt (ties keep their input order), whatever order they come in.
 * - Ratios with no defined value are null, never 0 or Infinity (JSON has no Infinity):
 *   win_rate with no trades, avg_r with no trade carrying pnlR, profit_factor when gross_loss
 *   is 0 (no losing trade: no trades at all, or only winners), max_drawdown_percent when the
 *   peak equity was never positive. Sums and counts are 0 when there is nothing to sum.
 * - win_rate is a fraction 0..1 (as seeds 002 and 004).
 * - Drawdown: running equity = startingBalance + cumulative netPnl after each trade (the
 *   starting balance is the first peak), or, when an equity curve is given, that curve.
 *   max_drawdown is the largest peak-to-trough fall in currency, as a positive number;
 *   max_drawdown_percent the largest fall relative to its peak (each maximised on its own).
 * - consecutive_losses is the losing streak at the end (what a risk gate looks at);
 *   max_consecutive_losses the longest one.
 * - daily_r / daily_pnl / daily_trades: trades closed on the UTC day of `now`.
 */
import { utcDay } from '../core/clock.js';
import type { ClosedTrade } from '../core/portfolio-types.js';

export interface TradingStats {
  total_trades: number;
  wins: number;
  losses: number;
  breakeven: number;
  win_rate: number | null;
  /** Mean pnlR over the r_trades trades that carry one. */
  avg_r: number | null;
  r_trades: number;
  total_r: number;
  gross_profit: number;
  /** Sum of losing trades' netPnl, as a positive number. */
  gross_loss: number;
  profit_factor: number | null;
  net_pnl: number;
  avg_win: number | null;
  avg_loss: number | null;
  max_drawdown: number;
  max_drawdown_percent: number | null;
  consecutive_losses: number;
  max_consecutive_losses: number;
  daily_r: number;
  daily_pnl: number;
  daily_trades: number;
}

export interface TradingStatsInput {
  trades: readonly ClosedTrade[];
  startingBalance: number;
  /** Milliseconds since the epoch; picks the UTC day of daily_*. */
  now: number;
  /** Equity samples in time order; when non-empty, drawdown is measured on it instead. */
  equityCurve?: readonly number[];
}

export function computeTradingStats(input: TradingStatsInput): TradingStats {
  const trades = input.trades
    .map((t, i) => ({ t, i }))
    .sort((a, b) => a.t.closedAt - b.t.closedAt || a.i - b.i)
    .map((x) => x.t);
  const today = utcDay(input.now);

  let wins = 0;
  let losses = 0;
  let breakeven = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let totalR = 0;
  let rTrades = 0;
  let streak = 0;
  let maxStreak = 0;
  let dailyR = 0;
  let dailyPnl = 0;
  let dailyTrades = 0;
  const equity: number[] = [input.startingBalance];
  let running = input.startingBalance;

  for (const t of trades) {
    if (t.netPnl > 0) {
      wins++;
      grossProfit += t.netPnl;
      streak = 0;
    } else if (t.netPnl < 0) {
      losses++;
      grossLoss -= t.netPnl;
      streak++;
      if (streak > maxStreak) maxStreak = streak;
    } else {
      breakeven++;
      streak = 0;
    }
    if (t.pnlR !== null && Number.isFinite(t.pnlR)) {
      totalR += t.pnlR;
      rTrades++;
    }
    if (utcDay(t.closedAt) === today) {
      dailyTrades++;
      dailyPnl += t.netPnl;
      if (t.pnlR !== null && Number.isFinite(t.pnlR)) dailyR += t.pnlR;
    }
    running += t.netPnl;
    equity.push(running);
  }

  const curve = input.equityCurve && input.equityCurve.length > 0 ? input.equityCurve : equity;
  const dd = maxDrawdown(curve);
  const total = trades.length;
  return {
    total_trades: total,
    wins,
    losses,
    breakeven,
    win_rate: total > 0 ? wins / total : null,
    avg_r: rTrades > 0 ? totalR / rTrades : null,
    r_trades: rTrades,
    total_r: totalR,
    gross_profit: grossProfit,
    gross_loss: grossLoss,
    profit_factor: grossLoss > 0 ? grossProfit / grossLoss : null,
    net_pnl: grossProfit - grossLoss,
    avg_win: wins > 0 ? grossProfit / wins : null,
    avg_loss: losses > 0 ? -grossLoss / losses : null,
    max_drawdown: dd.absolute,
    max_drawdown_percent: dd.percent,
    consecutive_losses: streak,
    max_consecutive_losses: maxStreak,
    daily_r: dailyR,
    daily_pnl: dailyPnl,
    daily_trades: dailyTrades,
  };
}

/** Largest peak-to-trough fall of an equity series: absolute (>= 0) and percent of its peak. */
export function maxDrawdown(curve: readonly number[]): { absolute: number; percent: number | null } {
  let peak = -Infinity;
  let absolute = 0;
  let percent: number | null = null;
  for (const e of curve) {
    if (!Number.isFinite(e)) continue;
    if (e > peak) peak = e;
    const fall = peak - e;
    if (fall > absolute) absolute = fall;
    if (peak > 0) {
      const pct = (fall / peak) * 100;
      if (percent === null || pct > percent) percent = pct;
    }
  }
  return { absolute, percent };
}
