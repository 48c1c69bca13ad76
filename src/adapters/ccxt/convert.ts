import type { Order as CcxtOrder, Trade as CcxtTrade } from 'ccxt';
import type { VenueOrder, VenueOrderStatus, VenueTrade } from '../../core/venue.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

export function venueStatus(o: CcxtOrder): VenueOrderStatus {
  switch (o.status) {
    case 'open':
      return 'open';
    case 'closed':
      return 'filled';
    case 'rejected':
      return 'rejected';
    default:
      // canceled, expired: the unfilled rest is gone (a partly filled order keeps its fills).
      return 'cancelled';
  }
}

export function toVenueOrder(o: CcxtOrder, symbol: string, conditional: boolean): VenueOrder {
  const trigger = num(o.triggerPrice) ?? num(o.stopPrice);
  const type = trigger !== null || conditional ? 'stop' : o.type === 'limit' ? 'limit' : 'market';
  return {
    venueOrderId: String(o.id),
    clientOrderId: o.clientOrderId ?? null,
    symbol,
    side: o.side === 'sell' ? 'sell' : 'buy',
    type,
    qty: num(o.amount) ?? 0,
    filledQty: num(o.filled) ?? 0,
    price: type === 'limit' ? num(o.price) : null,
    stopPrice: trigger,
    status: venueStatus(o),
    conditional,
    tradesOrderId: conditional ? null : String(o.id),
    ts: num(o.lastUpdateTimestamp) ?? num(o.timestamp) ?? 0,
  };
}

export function toVenueTrade(t: CcxtTrade, symbol: string): VenueTrade {
  const info = (t.info ?? {}) as Record<string, unknown>;
  // The user stream's ORDER_TRADE_UPDATE carries the client id (c); REST userTrades do not.
  const nested = (info.o ?? {}) as Record<string, unknown>;
  const client = typeof nested.c === 'string' ? nested.c : typeof info.c === 'string' ? info.c : null;
  return {
    tradeId: String(t.id),
    venueOrderId: String(t.order ?? ''),
    clientOrderId: client,
    symbol,
    side: t.side === 'sell' ? 'sell' : 'buy',
    qty: num(t.amount) ?? 0,
    price: num(t.price) ?? 0,
    fee: Math.abs(num(t.fee?.cost) ?? 0),
    ts: num(t.timestamp) ?? 0,
  };
}
