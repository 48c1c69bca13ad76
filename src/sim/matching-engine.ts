import type { InstrumentRegistry } from '../core/instruments.js';
import type { Fill, Order } from '../core/orders.js';
import type { FeeModel, SlippageModel } from './fees.js';

/** One price update: a tick (open = high = low) or a bar. */
export interface PriceUpdate {
  symbol: string;
  ts: number;
  open: number;
  high: number;
  low: number;
}

export interface MatchingDeps {
  instruments: InstrumentRegistry;
  fees: FeeModel;
  slippage: SlippageModel;
  onFill: (order: Order, fill: Fill) => void;
}

/**
 * Simulated matching against incoming prices, shared by the paper broker and backtests.
 * - market: fills at the next price's open, plus slippage;
 * - limit: fills when the range reaches the limit, at the limit or the better open;
 * - stop: triggers when the range reaches the stop, fills at the stop or the worse open,
 *   plus slippage.
 * Whole fills only; orders are matched in arrival order, market orders first.
 */
export class MatchingEngine {
  private readonly working = new Map<string, Order[]>();
  private fillSeq = 0;

  constructor(private readonly deps: MatchingDeps) {}

  add(order: Order): void {
    const list = this.working.get(order.symbol);
    if (list) list.push(order);
    else this.working.set(order.symbol, [order]);
  }

  remove(orderId: string): Order | undefined {
    for (const [symbol, list] of this.working) {
      const i = list.findIndex((o) => o.id === orderId);
      if (i >= 0) {
        const [removed] = list.splice(i, 1);
        if (list.length === 0) this.working.delete(symbol);
        return removed;
      }
    }
    return undefined;
  }

  has(orderId: string): boolean {
    for (const list of this.working.values()) if (list.some((o) => o.id === orderId)) return true;
    return false;
  }

  workingOrders(): Order[] {
    return [...this.working.values()].flat();
  }

  onPrice(p: PriceUpdate): void {
    const list = this.working.get(p.symbol);
    if (!list || list.length === 0) return;
    // Snapshot: fills may cancel or add orders (brackets) while we iterate.
    const snapshot = [...list].sort((a, b) => rank(a) - rank(b));
    for (const order of snapshot) {
      if (!list.includes(order)) continue;
      const price = this.fillPrice(order, p);
      if (price === null) continue;
      list.splice(list.indexOf(order), 1);
      if (list.length === 0) this.working.delete(p.symbol);
      const inst = this.deps.instruments.get(order.symbol);
      const liquidity = order.type === 'limit' ? 'maker' : 'taker';
      this.fillSeq += 1;
      const fill: Fill = {
        id: `${order.id}-F1`,
        orderId: order.id,
        accountId: order.accountId,
        symbol: order.symbol,
        side: order.side,
        qty: order.qty,
        price,
        fee: this.deps.fees.fee(inst, order.qty, price, liquidity),
        ts: p.ts,
      };
      this.deps.onFill(order, fill);
    }
  }

  private fillPrice(order: Order, p: PriceUpdate): number | null {
    const inst = this.deps.instruments.get(order.symbol);
    const buy = order.side === 'buy';
    switch (order.type) {
      case 'market':
        return this.deps.slippage.apply(inst, order.side, p.open);
      case 'limit': {
        const limit = order.price as number;
        if (buy) return p.low <= limit ? Math.min(p.open, limit) : null;
        return p.high >= limit ? Math.max(p.open, limit) : null;
      }
      case 'stop': {
        const stop = order.stopPrice as number;
        if (buy) return p.high >= stop ? this.deps.slippage.apply(inst, 'buy', Math.max(p.open, stop)) : null;
        return p.low <= stop ? this.deps.slippage.apply(inst, 'sell', Math.min(p.open, stop)) : null;
      }
    }
  }

  get fillCount(): number {
    return this.fillSeq;
  }
}

const rank = (o: Order): number => (o.type === 'market' ? 0 : 1);
