import type { ClosedTrade } from './portfolio-types.js';

/** Filters over the journal's closed trades; every field optional, times in ms (closedAt). */
export interface TradeFilter {
  accountId?: string;
  botId?: string;
  symbol?: string;
  /** closedAt >= from */
  from?: number;
  /** closedAt < to */
  to?: number;
}

export interface TradePageQuery extends TradeFilter {
  limit: number;
  offset: number;
}

/** One page of closed trades, newest first, and how many match the filter in all. */
export interface TradePage {
  total: number;
  trades: ClosedTrade[];
}

/** The journal's paged read of closed trades (SQLite and PostgreSQL stores). */
export interface TradeHistoryStore {
  tradeHistory(query: TradePageQuery): TradePage;
}

/** SQL WHERE of a filter, shared by the SQLite (`?`) and PostgreSQL (`$n`) stores. */
export function tradeFilterSql(filter: TradeFilter, placeholder: (n: number) => string, botExpr: string): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    parts.push(sql.replace('?', () => placeholder(params.length)));
  };
  if (filter.accountId !== undefined) add('account_id = ?', filter.accountId);
  if (filter.symbol !== undefined) add('symbol = ?', filter.symbol);
  if (filter.botId !== undefined) add(`${botExpr} = ?`, filter.botId);
  if (filter.from !== undefined) add('closed_at >= ?', filter.from);
  if (filter.to !== undefined) add('closed_at < ?', filter.to);
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}
