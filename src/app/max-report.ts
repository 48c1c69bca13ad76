import { isoTime } from '../core/clock.js';
import type { ClosedTrade } from '../core/portfolio-types.js';

/** A closed trade of a Max run with how it ended (the closing order's purpose and reason). */
export interface MaxTrade extends ClosedTrade {
  exitReason: string;
}

/** What a trade view needs: a live bot's MaxTrade or a backtest report's trade. */
export type MaxTradeLike = Pick<ClosedTrade, 'side' | 'qty' | 'entryPrice' | 'exitPrice' | 'openedAt' | 'closedAt' | 'grossPnl' | 'fees' | 'netPnl'> & { exitReason: string };

export interface MaxTradeView {
  entry_time: string;
  entry_price: number;
  exit_time: string;
  exit_price: number;
  profit: number;
  side: 'long' | 'short';
  qty: number;
  points: number;
  gross_profit: number;
  fees: number;
  exit_reason: string;
}

export interface MaxResultView {
  total_trades: number;
  winning_trades: number;
  losing_trades: number;
  breakeven_trades: number;
  win_rate: number;
  total_profit: number;
  max_drawdown: number;
  gross_profit: number;
  fees: number;
  total_points: number;
}

const cents = (v: number): number => Math.round(v * 100) / 100;

export function tradeView(t: MaxTradeLike): MaxTradeView {
  const sign = t.side === 'long' ? 1 : -1;
  return {
    entry_time: isoTime(t.openedAt),
    entry_price: t.entryPrice,
    exit_time: isoTime(t.closedAt),
    exit_price: t.exitPrice,
    profit: cents(t.netPnl),
    side: t.side,
    qty: t.qty,
    points: Math.round(sign * (t.exitPrice - t.entryPrice) * 1e6) / 1e6,
    gross_profit: cents(t.grossPnl),
    fees: cents(t.fees),
    exit_reason: t.exitReason,
  };
}

/**
 * Seed 002's result block from the trade list: profit is net of fees (in the contract's
 * currency); a trade with profit > 0 wins, < 0 loses, 0 is breakeven (counted in total only);
 * win_rate = winning / total (0 without trades); total_profit = the sum of the trades' profits;
 * max_drawdown = the deepest fall of cumulative closed-trade profit from its running peak
 * (starting at 0), reported as a negative number (0 when it never fell).
 */
export function summarize(trades: readonly MaxTradeView[]): MaxResultView {
  let equity = 0;
  let peak = 0;
  let drawdown = 0;
  let win = 0;
  let loss = 0;
  let gross = 0;
  let fees = 0;
  let points = 0;
  for (const t of trades) {
    equity += t.profit;
    peak = Math.max(peak, equity);
    drawdown = Math.min(drawdown, equity - peak);
    if (t.profit > 0) win += 1;
    else if (t.profit < 0) loss += 1;
    gross += t.gross_profit;
    fees += t.fees;
    points += t.points * t.qty;
  }
  const total = trades.length;
  return {
    total_trades: total,
    winning_trades: win,
    losing_trades: loss,
    breakeven_trades: total - win - loss,
    win_rate: total === 0 ? 0 : Math.round((win / total) * 10_000) / 10_000,
    total_profit: cents(equity),
    max_drawdown: cents(drawdown) || 0,
    gross_profit: cents(gross),
    fees: cents(fees),
    total_points: Math.round(points * 1e6) / 1e6,
  };
}
