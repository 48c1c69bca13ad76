import type { Order, OrderSide } from './orders.js';

/** What a venue says about one of its orders (a ccxt order, converted to kernel terms). */
export type VenueOrderStatus = 'open' | 'filled' | 'cancelled' | 'rejected';

export interface VenueOrder {
  venueOrderId: string;
  /** The client order id the venue holds (ours when we sent it; anything for a foreign order). */
  clientOrderId: string | null;
  /** Kernel symbol (BTC/USDT), or the venue's when it maps to no configured instrument. */
  symbol: string;
  side: OrderSide;
  type: 'market' | 'limit' | 'stop';
  qty: number;
  filledQty: number;
  price: number | null;
  stopPrice: number | null;
  status: VenueOrderStatus;
  /** A conditional (algo) order: queried with its own calls. */
  conditional: boolean;
  /** The order whose trades carry the fills: itself, or the order a triggered conditional placed (null before). */
  tradesOrderId: string | null;
  ts: number;
}

/** One execution at the venue. The trade id is unique per venue symbol. */
export interface VenueTrade {
  tradeId: string;
  venueOrderId: string;
  clientOrderId: string | null;
  symbol: string;
  side: OrderSide;
  qty: number;
  price: number;
  fee: number;
  ts: number;
}

export interface VenuePosition {
  symbol: string;
  /** Long +, short -. */
  signedQty: number;
  entryPrice: number | null;
}

export interface VenueBalance {
  currency: string;
  /** Wallet balance (realised), the figure the journal's balance follows. */
  total: number;
  free: number;
}

/**
 * Queries a reconciliation needs from a venue account. Each call either answers what the venue
 * holds or throws: an error is never an empty answer (a failed query is never read as "flat").
 */
export interface VenueQueries {
  openOrders(): Promise<VenueOrder[]>;
  /** The venue's order for one of ours, by its client order id; null when the venue has none. */
  orderOf(order: Order): Promise<VenueOrder | null>;
  /** Trades of the configured symbols since `since` (ms). */
  tradesSince(since: number): Promise<VenueTrade[]>;
  /** The trades of one venue order (all of them, not a window). */
  tradesOfOrder(symbol: string, venueOrderId: string): Promise<VenueTrade[]>;
  positions(): Promise<VenuePosition[]>;
  balance(): Promise<VenueBalance>;
}

export type VenueConnectionState = 'no-credentials' | 'connecting' | 'connected' | 'degraded' | 'disconnected' | 'auth-failed';

/** A difference between the venue's books and the journal, found by a reconciliation. */
export type VenueDifference =
  /** A fill the venue holds and the journal did not: applied (once, by trade id). */
  | { kind: 'missing-fill'; orderId: string; tradeId: string; qty: number; price: number }
  /** A journal order whose status the venue contradicts (filled, cancelled, working): the venue's status applied. */
  | { kind: 'order-status'; orderId: string; journal: string; venue: VenueOrderStatus }
  /** A journal order the venue does not know (it never arrived): closed as rejected. */
  | { kind: 'order-missing'; orderId: string; clientOrderId: string }
  /** A venue order no journal order stands for: reported, adopted or cancelled per `unknownOrders`. */
  | { kind: 'unknown-order'; venueOrderId: string; clientOrderId: string | null; symbol: string; side: OrderSide; qty: number; action: 'reported' | 'adopted' | 'cancelled'; orderId?: string }
  /** A venue trade for an order the journal does not hold. */
  | { kind: 'unknown-fill'; tradeId: string; venueOrderId: string; symbol: string; qty: number; price: number }
  | { kind: 'position'; symbol: string; journal: number; venue: number }
  | { kind: 'balance'; currency: string; journal: number; venue: number }
  /** A query failed: nothing was concluded from it (the account is not assumed flat). */
  | { kind: 'query-failed'; query: string; error: string };

export type ReconcileReason = 'start' | 'reconnect' | 'periodic' | 'request';
