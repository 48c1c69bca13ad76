import { isoTime } from '../core/clock.js';
import type { ScanSummary } from '../core/events.js';
import { sequenceOf } from '../core/ids.js';
import type { Fill, Order } from '../core/orders.js';
import type { AccountView, Position } from '../core/portfolio-types.js';

/** Seed 000 account fields, plus the kernel's own. */
export interface SeedAccount {
  balance: number;
  equity: number;
  profit: number;
  currency: string;
  leverage: number;
  day_pl: number;
  realized_pnl: number;
  fees: number;
  starting_balance: number;
  open_positions: number;
  account_id: string;
  mode: 'paper' | 'live';
}

export function seedAccount(a: AccountView, mode: 'paper' | 'live' = 'paper'): SeedAccount {
  return {
    balance: a.balance,
    equity: a.equity,
    profit: a.unrealizedPnl,
    currency: a.currency,
    leverage: a.leverage,
    day_pl: a.dayPnl,
    realized_pnl: a.realizedPnl,
    fees: a.fees,
    starting_balance: a.startingBalance,
    open_positions: a.openPositions,
    account_id: a.id,
    mode,
  };
}

const r8 = (v: number): number => Math.round(v * 1e8) / 1e8;

/** One position carrying seed 000's MT5-style fields and seed 001's fields (DESIGN.md §3). */
export function seedPosition(p: Position) {
  const unrealized = p.unrealizedPnl;
  const risk = p.initialRisk && p.initialRisk > 0 ? p.initialRisk : null;
  const pnlUsd = r8(p.realizedPnl + unrealized);
  return {
    // seed 000
    ticket: sequenceOf(p.id),
    symbol: p.symbol,
    type: p.side === 'long' ? 'BUY' : 'SELL',
    direction: p.side === 'long' ? 'LONG' : 'SHORT',
    volume: p.qty,
    entry_price: p.avgPrice,
    price_current: p.markPrice,
    sl_price: p.stopPrice,
    tp_price: p.takeProfit,
    profit: unrealized,
    // seed 001
    id: p.id,
    side: p.side,
    entry: p.avgPrice,
    sl: p.stopPrice,
    tp: p.takeProfit,
    size: p.qty,
    mode: p.mode,
    openedAt: isoTime(p.openedAt),
    pnlR: risk ? r8(pnlUsd / risk) : 0,
    pnlUsd,
    unrealizedPnlR: risk ? r8(unrealized / risk) : 0,
    unrealizedPnlUsd: unrealized,
    fees: p.fees,
  };
}

export type SeedPosition = ReturnType<typeof seedPosition>;

/** Seed 000 trade execution: symbol, direction, price, lot, timestamp. */
export function seedTrade(fill: Fill, order: Pick<Order, 'purpose' | 'botId'> | null) {
  return {
    symbol: fill.symbol,
    direction: fill.side === 'buy' ? 'BUY' : 'SELL',
    price: fill.price,
    lot: fill.qty,
    timestamp: isoTime(fill.ts),
    order_id: fill.orderId,
    fill_id: fill.id,
    fee: fill.fee,
    purpose: order?.purpose ?? null,
    bot_id: order?.botId ?? null,
  };
}

export type SeedTrade = ReturnType<typeof seedTrade>;

export interface SeedScan {
  symbols: Record<string, string>;
  timestamp: string | null;
  count: number;
}

export const seedScan = (s: ScanSummary): SeedScan => ({ symbols: s.symbols, timestamp: isoTime(s.timestamp), count: s.count });

export const EMPTY_SCAN: SeedScan = Object.freeze({ symbols: {}, timestamp: null, count: 0 }) as SeedScan;

const ORDER_STATUS: Record<Order['status'], 'open' | 'filled' | 'cancelled' | 'rejected'> = {
  pending_submit: 'open',
  accepted: 'open',
  partially_filled: 'open',
  cancel_pending: 'open',
  filled: 'filled',
  cancelled: 'cancelled',
  rejected: 'rejected',
};

/** Seed 001's order fields, plus the kernel's exact state and prices. */
export function seedOrder(o: Order) {
  return {
    id: o.id,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    qty: o.qty,
    price: o.avgFillPrice ?? o.price ?? o.stopPrice,
    status: ORDER_STATUS[o.status],
    createdAt: isoTime(o.createdAt),
    filledAt: o.filledAt === null ? null : isoTime(o.filledAt),
    fees: o.fees,
    state: o.status,
    purpose: o.purpose,
    limitPrice: o.price,
    stopPrice: o.stopPrice,
    filledQty: o.filledQty,
    avgFillPrice: o.avgFillPrice,
    botId: o.botId,
    reason: o.reason,
    updatedAt: isoTime(o.updatedAt),
  };
}

export type SeedOrder = ReturnType<typeof seedOrder>;
