import { DAY_MS } from './clock.js';

/** The few fields of a closed trade the profit views need. */
export interface ProfitTrade {
  closedAt: number;
  profit: number;
  symbol: string;
  bot: string;
  exitReason: string;
}

export interface PeriodProfit {
  /** UTC start of the period: YYYY-MM-DD (day, the Monday of a week) or YYYY-MM (month). */
  period: string;
  start: number;
  profit: number;
  trades: number;
}

export interface GroupProfit {
  key: string;
  trades: number;
  wins: number;
  profit: number;
  win_rate: number;
  avg_profit: number;
}

export interface ProfitSummary {
  trades: number;
  wins: number;
  losses: number;
  profit: number;
  win_rate: number;
  /** Gross wins over gross losses; null without a loss. */
  profit_factor: number | null;
  best: number | null;
  worst: number | null;
  /** Running total after each trade, oldest first. */
  cumulative: { time: number; profit: number }[];
  daily: PeriodProfit[];
  weekly: PeriodProfit[];
  monthly: PeriodProfit[];
  by_symbol: GroupProfit[];
  by_bot: GroupProfit[];
  by_exit_reason: GroupProfit[];
}

const cents = (x: number): number => Math.round(x * 100) / 100;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
/** Monday 00:00 UTC of the week holding `ms` (1970-01-01 was a Thursday). */
const weekStart = (ms: number): number => dayStart(ms) - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS;
const monthStart = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

function periods(trades: readonly ProfitTrade[], startOf: (ms: number) => number, label: (start: number) => string): PeriodProfit[] {
  const by = new Map<number, PeriodProfit>();
  for (const t of trades) {
    const start = startOf(t.closedAt);
    const p = by.get(start) ?? { period: label(start), start, profit: 0, trades: 0 };
    p.profit += t.profit;
    p.trades += 1;
    by.set(start, p);
  }
  return [...by.values()].sort((a, b) => a.start - b.start).map((p) => ({ ...p, profit: cents(p.profit) }));
}

function groups(trades: readonly ProfitTrade[], keyOf: (t: ProfitTrade) => string): GroupProfit[] {
  const by = new Map<string, { trades: number; wins: number; profit: number }>();
  for (const t of trades) {
    const g = by.get(keyOf(t)) ?? { trades: 0, wins: 0, profit: 0 };
    g.trades += 1;
    g.profit += t.profit;
    if (t.profit > 0) g.wins += 1;
    by.set(keyOf(t), g);
  }
  return [...by.entries()]
    .map(([key, g]) => ({ key, trades: g.trades, wins: g.wins, profit: cents(g.profit), win_rate: g.wins / g.trades, avg_profit: cents(g.profit / g.trades) }))
    .sort((a, b) => b.profit - a.profit || a.key.localeCompare(b.key));
}

/** Totals, the running profit, period bars and breakdowns of closed trades (any order). */
export function summarizeProfit(input: readonly ProfitTrade[]): ProfitSummary {
  const trades = [...input].sort((a, b) => a.closedAt - b.closedAt);
  let running = 0;
  let grossWin = 0;
  let grossLoss = 0;
  const cumulative = trades.map((t) => {
    running += t.profit;
    if (t.profit > 0) grossWin += t.profit;
    else grossLoss -= t.profit;
    return { time: t.closedAt, profit: cents(running) };
  });
  const wins = trades.filter((t) => t.profit > 0).length;
  return {
    trades: trades.length,
    wins,
    losses: trades.filter((t) => t.profit < 0).length,
    profit: cents(running),
    win_rate: trades.length ? wins / trades.length : 0,
    profit_factor: grossLoss > 0 ? Math.round((grossWin / grossLoss) * 1000) / 1000 : null,
    best: trades.length ? trades.reduce((m, t) => Math.max(m, t.profit), -Infinity) : null,
    worst: trades.length ? trades.reduce((m, t) => Math.min(m, t.profit), Infinity) : null,
    cumulative,
    daily: periods(trades, dayStart, isoDay),
    weekly: periods(trades, weekStart, isoDay),
    monthly: periods(trades, monthStart, (s) => isoDay(s).slice(0, 7)),
    by_symbol: groups(trades, (t) => t.symbol),
    by_bot: groups(trades, (t) => t.bot),
    by_exit_reason: groups(trades, (t) => t.exitReason),
  };
}
