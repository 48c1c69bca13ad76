/**
 * The ensemble coordinator's own journal (seed 004's SQLite `trades` and `system_events`),
 * apart from the kernel's: one row per coordinator trade and one per notable event.
 */

export type CoordinatorTradeSide = 'LONG' | 'SHORT';
export type CoordinatorTradeStatus = 'OPEN' | 'CLOSED' | 'CANCELLED';

export interface CoordinatorTrade {
  id: number;
  /** ISO time the trade was opened. */
  timestamp: string;
  symbol: string;
  side: CoordinatorTradeSide;
  entry_price: number;
  exit_price: number | null;
  quantity: number;
  pnl: number | null;
  status: CoordinatorTradeStatus;
  ensemble_confidence: number;
  model_count: number;
}

export type EventSeverity = 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface SystemEvent {
  id: number;
  timestamp: string;
  event_type: string;
  severity: EventSeverity;
  component: string;
  message: string;
}

export interface TradePerformance {
  total_pnl: number;
  daily_pnl: number;
  /** Winning / closed trades, 0 without any. */
  win_rate: number;
  /** Trades executed: open and closed (cancelled entries are not trades). */
  total_trades: number;
}

export interface CoordinatorJournal {
  /** A new OPEN trade linked to the kernel order that enters it; returns its id. */
  openTrade(t: Omit<CoordinatorTrade, 'id' | 'exit_price' | 'pnl' | 'status'>, orderId: string): number;
  /** The trade of an entry order, if any. */
  tradeOfOrder(orderId: string): CoordinatorTrade | null;
  setEntryPrice(id: number, price: number, quantity: number): void;
  /** `closedAt`: ISO time (the kernel's clock). */
  closeTrade(id: number, exitPrice: number, pnl: number, closedAt: string): void;
  cancelTrade(id: number): void;
  openTrades(): CoordinatorTrade[];
  recentTrades(limit: number): CoordinatorTrade[];
  /** Totals of the closed trades; daily_pnl over trades closed since `dayStart` (ISO). */
  performance(dayStart: string): TradePerformance;
  addEvent(e: Omit<SystemEvent, 'id'>): void;
  recentEvents(limit: number): SystemEvent[];
  close(): void;
}
