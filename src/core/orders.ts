import { InvalidTransitionError, nextState, type TransitionTable } from './fsm.js';

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop';
/** Why the kernel placed the order: entries open or add, the rest reduce. */
export type OrderPurpose = 'entry' | 'exit' | 'stop_loss' | 'take_profit';

export type OrderStatus =
  | 'pending_submit' // persisted, handed to the broker, not yet acknowledged
  | 'accepted' // working at the broker
  | 'partially_filled' // some of it filled, the remainder still working
  | 'cancel_pending'
  | 'filled'
  | 'cancelled' // also the end of a partially filled order whose remainder was cancelled (filledQty > 0)
  | 'rejected';

/**
 * `partial_fill`: a fill that leaves part of the order unfilled; `fill`: the fill that completes
 * it (the cumulative filled quantity reached the order's). `late_fill` / `late_partial_fill`: the
 * broker reports a fill for an order it had cancelled (its book is the truth).
 */
export type OrderEvent = 'accept' | 'partial_fill' | 'fill' | 'request_cancel' | 'cancel' | 'reject' | 'late_fill' | 'late_partial_fill';

export const ORDER_TRANSITIONS: TransitionTable<OrderStatus, OrderEvent> = {
  pending_submit: { accept: 'accepted', reject: 'rejected', partial_fill: 'partially_filled', fill: 'filled', cancel: 'cancelled' },
  accepted: { partial_fill: 'partially_filled', fill: 'filled', request_cancel: 'cancel_pending', cancel: 'cancelled' },
  // More partial fills; the last fill completes it; a cancel ends the unfilled remainder.
  partially_filled: { partial_fill: 'partially_filled', fill: 'filled', request_cancel: 'cancel_pending', cancel: 'cancelled' },
  // Fills can race a cancel request: they are applied (the fill that completes the order wins).
  cancel_pending: { cancel: 'cancelled', partial_fill: 'cancel_pending', fill: 'filled' },
  filled: {},
  // Terminal for the kernel (nothing is sent for it any more), but a venue that filled it after
  // all is believed: the fill is applied and the order ends filled.
  cancelled: { late_fill: 'filled', late_partial_fill: 'cancelled' },
  rejected: {},
};

export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected']);

export const isOrderOpen = (o: Pick<Order, 'status'>): boolean => !TERMINAL_ORDER_STATUSES.has(o.status);

export function orderTransition(from: OrderStatus, event: OrderEvent): OrderStatus {
  const r = nextState(ORDER_TRANSITIONS, from, event);
  if (!r.ok) throw new InvalidTransitionError(from, event, 'order');
  return r.to;
}

export interface Order {
  /** Client order id, assigned by the kernel before the order leaves it. */
  id: string;
  accountId: string;
  botId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  purpose: OrderPurpose;
  qty: number;
  /** Limit price for limit orders. */
  price: number | null;
  /** Trigger price for stop orders. */
  stopPrice: number | null;
  status: OrderStatus;
  /** Cumulative filled quantity over every fill of the order. */
  filledQty: number;
  /** Volume-weighted average price of the fills; null before the first. */
  avgFillPrice: number | null;
  /** Cumulative fees of the fills. */
  fees: number;
  brokerOrderId: string | null;
  reason: string | null;
  /** For entries: the protective stop and target attached when the entry fills. */
  stopLoss: number | null;
  takeProfit: number | null;
  /** Strategy mode or label carried to the position. */
  tag: string | null;
  createdAt: number;
  updatedAt: number;
  /** Time of the latest fill (the completing one once filled); null before the first. */
  filledAt: number | null;
}

/**
 * A copy of an order. Spelled out rather than spread: orders are copied several times in their
 * lifecycle (journal, broker, events), and one literal shape keeps every copy on one hidden class.
 */
export function copyOrder(o: Order): Order {
  return {
    id: o.id,
    accountId: o.accountId,
    botId: o.botId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    purpose: o.purpose,
    qty: o.qty,
    price: o.price,
    stopPrice: o.stopPrice,
    status: o.status,
    filledQty: o.filledQty,
    avgFillPrice: o.avgFillPrice,
    fees: o.fees,
    brokerOrderId: o.brokerOrderId,
    reason: o.reason,
    stopLoss: o.stopLoss,
    takeProfit: o.takeProfit,
    tag: o.tag,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    filledAt: o.filledAt,
  };
}

/** Writes every field of `from` into `to` (a journal's own copy of the same order, updated in place). */
export function assignOrder(to: Order, from: Order): void {
  to.id = from.id;
  to.accountId = from.accountId;
  to.botId = from.botId;
  to.symbol = from.symbol;
  to.side = from.side;
  to.type = from.type;
  to.purpose = from.purpose;
  to.qty = from.qty;
  to.price = from.price;
  to.stopPrice = from.stopPrice;
  to.status = from.status;
  to.filledQty = from.filledQty;
  to.avgFillPrice = from.avgFillPrice;
  to.fees = from.fees;
  to.brokerOrderId = from.brokerOrderId;
  to.reason = from.reason;
  to.stopLoss = from.stopLoss;
  to.takeProfit = from.takeProfit;
  to.tag = from.tag;
  to.createdAt = from.createdAt;
  to.updatedAt = from.updatedAt;
  to.filledAt = from.filledAt;
}

export interface OrderRequest {
  accountId: string;
  botId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  purpose: OrderPurpose;
  qty: number;
  price?: number | null;
  stopPrice?: number | null;
  reason?: string | null;
  stopLoss?: number | null;
  takeProfit?: number | null;
  tag?: string | null;
}

export interface Fill {
  /** The broker's trade id: unique, so a replayed report is recognised. */
  id: string;
  orderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  qty: number;
  price: number;
  fee: number;
  ts: number;
}

/** What is left to fill of an order (0 once filled). */
export const remainingQty = (o: Pick<Order, 'qty' | 'filledQty'>): number => Math.max(0, o.qty - o.filledQty);

/** True while an order may still be cancelled at the broker (working, with or without fills). */
export const isCancellable = (o: Pick<Order, 'status'>): boolean => o.status === 'accepted' || o.status === 'partially_filled';

export const oppositeSide = (side: OrderSide): OrderSide => (side === 'buy' ? 'sell' : 'buy');
