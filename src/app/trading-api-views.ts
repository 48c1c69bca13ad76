import { isoTime } from '../core/clock.js';
import { remainingQty, type Order } from '../core/orders.js';
import type { AccountView, Position } from '../core/portfolio-types.js';
import type { TradingAccount } from '../core/trading-accounts.js';

/** A position as seed 002 lists it (its fields first, then ours). */
export interface PositionView {
  id: string;
  account_id: string;
  instrument: string;
  quantity: number;
  side: 'long' | 'short';
  avg_price: number;
  unrealized_pnl: number;
  mark_price: number;
  realized_pnl: number;
  stop_price: number | null;
  take_profit: number | null;
  opened_at: string;
}

/** A pending order as seed 002 lists it (its fields first, then ours). */
export interface OrderView {
  order_id: string;
  account_id: string;
  instrument: string;
  side: 'Buy' | 'Sell';
  quantity: number;
  /** The limit price, the trigger of a stop order, null for a market order. */
  price: number | null;
  status: 'Pending' | 'Queued' | 'Working' | 'PendingCancel';
  order_type: 'Market' | 'Limit' | 'Stop';
  filled_quantity: number;
  remaining_quantity: number;
  stop_price: number | null;
  purpose: string;
  state: string;
  created_at: string;
}

/** An account's balance as seed 002 lists it (its fields first, then ours). */
export interface BalanceView {
  account_id: string;
  account_name: string;
  balance: number;
  net_liquidating_value: number;
  cash_balance: number;
  open_pl: number;
  realized_pl: number;
  currency: string;
  fees: number;
  day_pl: number;
  starting_balance: number;
}

export function positionView(p: Position): PositionView {
  return {
    id: p.id,
    account_id: p.accountId,
    instrument: p.symbol,
    quantity: p.qty,
    side: p.side,
    avg_price: p.avgPrice,
    unrealized_pnl: p.unrealizedPnl,
    mark_price: p.markPrice,
    realized_pnl: p.realizedPnl,
    stop_price: p.stopPrice,
    take_profit: p.takeProfit,
    opened_at: isoTime(p.openedAt),
  };
}

const ORDER_TYPES = { market: 'Market', limit: 'Limit', stop: 'Stop' } as const;

/**
 * Seed 002's pending statuses: `Pending` (journaled, not yet acknowledged by the venue), `Queued`
 * (a bridge account's order waiting in the bridge queue), `Working` (at the venue, partly filled
 * or not), and `PendingCancel` (a cancel requested, not yet confirmed: still able to fill).
 */
function pendingStatus(o: Order, kind: string): OrderView['status'] {
  switch (o.status) {
    case 'pending_submit':
      return kind === 'bridge' ? 'Queued' : 'Pending';
    case 'cancel_pending':
      return 'PendingCancel';
    default:
      return 'Working';
  }
}

export function orderView(o: Order, kind: string): OrderView {
  return {
    order_id: o.id,
    account_id: o.accountId,
    instrument: o.symbol,
    side: o.side === 'buy' ? 'Buy' : 'Sell',
    quantity: o.qty,
    price: o.type === 'limit' ? o.price : o.type === 'stop' ? o.stopPrice : null,
    status: pendingStatus(o, kind),
    order_type: ORDER_TYPES[o.type],
    filled_quantity: o.filledQty,
    remaining_quantity: remainingQty(o),
    stop_price: o.stopPrice,
    purpose: o.purpose,
    state: o.status,
    created_at: isoTime(o.createdAt),
  };
}

export function balanceView(a: TradingAccount, v: AccountView): BalanceView {
  return {
    account_id: a.id,
    account_name: a.name,
    balance: v.balance,
    net_liquidating_value: v.equity,
    cash_balance: v.balance,
    open_pl: v.unrealizedPnl,
    realized_pl: v.realizedPnl,
    currency: v.currency,
    fees: v.fees,
    day_pl: v.dayPnl,
    starting_balance: v.startingBalance,
  };
}
