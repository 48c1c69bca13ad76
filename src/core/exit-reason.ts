import type { Order } from './orders.js';

/**
 * How a closing fill's order ended a trade: the protective order's purpose ("stop loss", "exit
 * target"), a reversal, or the reason a market exit gave (a strategy's words, "close", "emergency").
 */
export const closingReason = (order: Pick<Order, 'purpose' | 'reason'>): string =>
  order.purpose === 'stop_loss' ? 'stop loss' : order.purpose === 'take_profit' ? 'exit target' : order.purpose === 'entry' ? `reversed: ${order.reason ?? 'entry'}` : (order.reason ?? 'exit');
