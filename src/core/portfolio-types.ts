import type { OrderSide } from './orders.js';

export type PositionSide = 'long' | 'short';

/** The order side that reduces or closes a position of this side. */
export const closingSide = (side: PositionSide): OrderSide => (side === 'long' ? 'sell' : 'buy');

export interface Position {
  id: string;
  accountId: string;
  botId: string;
  symbol: string;
  side: PositionSide;
  qty: number;
  avgPrice: number;
  openedAt: number;
  /** Protective stop and target, when the strategy set them. */
  stopPrice: number | null;
  takeProfit: number | null;
  /** Currency at risk at entry (|entry - stop| * qty * pointValue); the unit of R. */
  initialRisk: number | null;
  /** Realised PnL of partial reductions while the position stayed open. */
  realizedPnl: number;
  fees: number;
  markPrice: number;
  unrealizedPnl: number;
  /** Strategy mode or label, shown to operators. */
  mode: string;
  /**
   * Every quantity that opened or added to the position and the volume-weighted average price
   * of those fills; the closed trade's quantity and entry price. (Optional only for positions
   * stored before they existed: read as `qty` and `avgPrice`.)
   */
  enteredQty?: number;
  avgEntryPrice?: number;
  /** Quantity closed so far and the volume-weighted average price of those exits. */
  exitedQty?: number;
  avgExitPrice?: number | null;
}

export interface ClosedTrade {
  id: string;
  positionId: string;
  accountId: string;
  botId: string;
  symbol: string;
  side: PositionSide;
  /** Total quantity entered (= total exited), over every partial entry and exit. */
  qty: number;
  /** Volume-weighted average price of every entry fill. */
  entryPrice: number;
  /** Volume-weighted average price of every exit fill. */
  exitPrice: number;
  openedAt: number;
  closedAt: number;
  grossPnl: number;
  fees: number;
  netPnl: number;
  pnlR: number | null;
  mode: string;
  /** How the trade ended (core/exit-reason); absent on trades journaled before it was kept. */
  exitReason?: string;
}

export interface Account {
  id: string;
  currency: string;
  leverage: number;
  startingBalance: number;
  /** Cash: starting balance plus realised PnL minus fees. */
  balance: number;
  realizedPnl: number;
  fees: number;
  /** Equity at the start of the current UTC day, for day P/L. */
  dayStartEquity: number;
  day: string;
  updatedAt: number;
}

export interface AccountView extends Account {
  equity: number;
  unrealizedPnl: number;
  dayPnl: number;
  openPositions: number;
}
