// Shapes and query strings of GET /api/trade-history(.csv), /api/profit and /api/bars/overlays.

export interface TradeRow {
  id: string;
  account: string;
  bot: string;
  symbol: string;
  side: string;
  qty: number;
  entry_price: number;
  exit_price: number;
  opened_at: number;
  closed_at: number;
  duration_ms: number;
  profit: number;
  profit_pct: number;
  gross_profit: number;
  fees: number;
  pnl_r: number | null;
  exit_reason: string;
  mode: string;
}

export interface TradePage {
  total: number;
  limit: number;
  offset: number;
  trades: TradeRow[];
}

export interface PeriodProfit {
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
  profit_factor: number | null;
  best: number | null;
  worst: number | null;
  cumulative: { time: number; profit: number }[];
  daily: PeriodProfit[];
  weekly: PeriodProfit[];
  monthly: PeriodProfit[];
  by_symbol: GroupProfit[];
  by_bot: GroupProfit[];
  by_exit_reason: GroupProfit[];
}

export interface Overlays {
  symbol: string;
  interval_ms: number;
  lines: { name: string; bot: string; period: number; points: { time: number; value: number }[] }[];
  levels: { name: string; price: number; kind: 'entry' | 'stop' | 'target' }[];
  bricks: { size: number; bricks: { time: number; open: number; close: number; color: string }[] }[];
}

/** The filters a trader sets; empty strings mean "any". Dates are YYYY-MM-DD (UTC days). */
export interface TradeFilters {
  account: string;
  bot: string;
  symbol: string;
  from: string;
  to: string;
}

export const NO_FILTERS: TradeFilters = { account: '', bot: '', symbol: '', from: '', to: '' };

const DAY_MS = 86_400_000;

/** The query string of the filters (`to` is inclusive of its day). */
export function filterQuery(f: TradeFilters, extra: Record<string, number> = {}): string {
  const q = new URLSearchParams();
  if (f.account) q.set('account', f.account);
  if (f.bot.trim()) q.set('bot', f.bot.trim());
  if (f.symbol.trim()) q.set('symbol', f.symbol.trim());
  const from = f.from ? Date.parse(`${f.from}T00:00:00Z`) : NaN;
  const to = f.to ? Date.parse(`${f.to}T00:00:00Z`) : NaN;
  if (Number.isFinite(from)) q.set('from', String(from));
  if (Number.isFinite(to)) q.set('to', String(to + DAY_MS));
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** 95 ms, 42 s, 3 m 05 s, 2 h 04 m, 3 d 04 h. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} m`;
  return `${Math.floor(h / 24)} d ${String(h % 24).padStart(2, '0')} h`;
}

export const fmtPct = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || Number.isNaN(x) ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(digits)} %`);
