import type { ClosedTrade } from '../core/portfolio-types.js';
import { summarizeProfit, type ProfitSummary } from '../core/profit-summary.js';
import type { TradeFilter, TradeHistoryStore } from '../core/trade-history.js';

/** A closed trade as the trade history shows it: profit in currency and percent, duration, exit reason. */
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
  /** Net profit over the entry notional (entry price x quantity x point value), in percent. */
  profit_pct: number;
  gross_profit: number;
  fees: number;
  pnl_r: number | null;
  exit_reason: string;
  mode: string;
}

export const TRADE_CSV_COLUMNS = ['id', 'account', 'bot', 'symbol', 'side', 'qty', 'entry_price', 'exit_price', 'opened_at', 'closed_at', 'duration_ms', 'profit', 'profit_pct', 'gross_profit', 'fees', 'pnl_r', 'exit_reason', 'mode'] as const;

/** Most trades a CSV export or a profit summary reads (newest first). */
export const HISTORY_READ_CAP = 100_000;
const CHUNK = 2_000;

export interface TradeHistoryDeps {
  store: TradeHistoryStore;
  /** The instrument's point value (currency per point and unit); undefined for an unknown symbol. */
  pointValue(symbol: string): number | undefined;
}

/** Closed trades from the journal for the dashboard's history and profit views. */
export class TradeHistory {
  constructor(private readonly deps: TradeHistoryDeps) {}

  page(filter: TradeFilter, limit: number, offset: number): { total: number; limit: number; offset: number; trades: TradeRow[] } {
    const page = this.deps.store.tradeHistory({ ...filter, limit, offset });
    return { total: page.total, limit, offset, trades: page.trades.map((t) => this.row(t)) };
  }

  /** Every matching trade (up to HISTORY_READ_CAP), newest first, read in chunks. */
  *rows(filter: TradeFilter): Generator<TradeRow> {
    for (let offset = 0; offset < HISTORY_READ_CAP; offset += CHUNK) {
      const { trades } = this.deps.store.tradeHistory({ ...filter, limit: Math.min(CHUNK, HISTORY_READ_CAP - offset), offset });
      for (const t of trades) yield this.row(t);
      if (trades.length < CHUNK) return;
    }
  }

  csv(filter: TradeFilter): string {
    const lines = [TRADE_CSV_COLUMNS.join(',')];
    for (const r of this.rows(filter)) lines.push(TRADE_CSV_COLUMNS.map((c) => csvCell(c === 'opened_at' || c === 'closed_at' ? new Date(r[c]).toISOString() : r[c])).join(','));
    return `${lines.join('\n')}\n`;
  }

  profit(filter: TradeFilter): ProfitSummary {
    const trades = [...this.rows(filter)].map((r) => ({ closedAt: r.closed_at, profit: r.profit, symbol: r.symbol, bot: r.bot, exitReason: r.exit_reason }));
    return summarizeProfit(trades);
  }

  private row(t: ClosedTrade): TradeRow {
    const notional = t.entryPrice * t.qty * (this.deps.pointValue(t.symbol) ?? 1);
    return {
      id: t.id,
      account: t.accountId,
      bot: t.botId,
      symbol: t.symbol,
      side: t.side,
      qty: t.qty,
      entry_price: t.entryPrice,
      exit_price: t.exitPrice,
      opened_at: t.openedAt,
      closed_at: t.closedAt,
      duration_ms: Math.max(0, t.closedAt - t.openedAt),
      profit: t.netPnl,
      profit_pct: notional > 0 ? Math.round((t.netPnl / notional) * 1e6) / 1e4 : 0,
      gross_profit: t.grossPnl,
      fees: t.fees,
      pnl_r: t.pnlR,
      exit_reason: t.exitReason ?? 'exit',
      mode: t.mode,
    };
  }
}

/** RFC 4180 quoting; a cell starting with = + - @ gets a leading quote so spreadsheets never run it as a formula. */
function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
