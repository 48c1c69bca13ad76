import { floorToStep, roundToStep, type Instrument, type InstrumentRegistry } from '../core/instruments.js';
import type { Fill, Order } from '../core/orders.js';
import type { FeeModel, SlippageModel } from './fees.js';

/** One price update: a tick (open = high = low) or a bar. */
export interface PriceUpdate {
  symbol: string;
  ts: number;
  open: number;
  high: number;
  low: number;
  /** Traded volume of the tick or bar: the base of the volume cap (no cap when absent). */
  volume?: number;
}

export interface MatchingDeps {
  instruments: InstrumentRegistry;
  fees: FeeModel;
  slippage: SlippageModel;
  onFill: (order: Order, fill: Fill) => void;
  /**
   * Volume cap: the fills of one price update (every working order of its symbol together) add up
   * to at most this share of its volume (0.1 = 10 %); the rest stays working for later updates.
   * Null or absent: orders fill whole, whatever the volume.
   */
  maxVolumeShare?: number | null;
}

/**
 * Simulated matching against incoming prices, shared by the paper broker and backtests.
 * - market: fills at the next price's open, plus slippage;
 * - limit: fills when the range reaches the limit, at the limit or the better open;
 * - stop: triggers when the range reaches the stop, fills at the stop or the worse open,
 *   plus slippage.
 * Orders are matched in arrival order, market orders first. Without a volume cap an order fills
 * whole; with one (`maxVolumeShare`) it fills at most what is left of the update's share of
 * volume and keeps working: a market order and a triggered stop fill their remainder at the next
 * updates' opens (plus slippage), a limit order whenever the price is at the limit or better.
 * A fill's id is the order id and the lot it starts at (`-F1` for the first, `-F401` for a fill
 * after 0.4 of 0.001 lots), so it is the same after a restart and never repeats within an order.
 */
export class MatchingEngine {
  /** Working orders by symbol; a symbol's list stays (empty) when its last order goes, so the next order reuses it. */
  private readonly working = new Map<string, Order[]>();
  /** Stop orders whose trigger was reached while a remainder is still unfilled (now market orders). */
  private readonly triggered = new Set<string>();
  private fillSeq = 0;

  constructor(private readonly deps: MatchingDeps) {}

  add(order: Order): void {
    // A stop that filled partly before a restart had triggered.
    if (order.type === 'stop' && order.filledQty > 0) this.triggered.add(order.id);
    const list = this.working.get(order.symbol);
    if (list) list.push(order);
    else this.working.set(order.symbol, [order]);
  }

  remove(orderId: string): Order | undefined {
    for (const list of this.working.values()) {
      const i = list.findIndex((o) => o.id === orderId);
      if (i >= 0) {
        const [removed] = list.splice(i, 1);
        this.triggered.delete(orderId);
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
    // Most updates fill nothing (a stop or target far away): that is found without a copy.
    let reached = false;
    for (let i = 0; i < list.length && !reached; i += 1) reached = this.fillPrice(list[i] as Order, p) !== null;
    if (!reached) return;
    const share = this.deps.maxVolumeShare;
    let budget = share && p.volume !== undefined ? p.volume * share : Number.POSITIVE_INFINITY;
    // Snapshot: fills may cancel or add orders (brackets) while we iterate. Market orders first,
    // each group in arrival order (what a stable sort by rank gives, without its work arrays).
    const snapshot: Order[] = [];
    for (let i = 0; i < list.length; i += 1) if ((list[i] as Order).type === 'market') snapshot.push(list[i] as Order);
    for (let i = 0; i < list.length; i += 1) if ((list[i] as Order).type !== 'market') snapshot.push(list[i] as Order);
    for (const order of snapshot) {
      if (!list.includes(order)) continue;
      const price = this.fillPrice(order, p);
      if (price === null) continue;
      const inst = this.instrument(order.symbol);
      const before = order.filledQty;
      const remaining = before > 0 ? roundToStep(order.qty - before, inst.qtyStep) : order.qty;
      const qty = budget === Number.POSITIVE_INFINITY ? remaining : Math.min(remaining, floorToStep(budget, inst.qtyStep));
      if (!(qty > 0)) {
        if (order.type === 'stop') this.triggered.add(order.id); // reached, but no volume left now
        continue;
      }
      budget -= qty;
      if (qty >= remaining) {
        list.splice(list.indexOf(order), 1);
        this.triggered.delete(order.id);
      } else {
        order.filledQty = roundToStep(before + qty, inst.qtyStep);
        if (order.type === 'stop') this.triggered.add(order.id);
      }
      const liquidity = order.type === 'limit' ? 'maker' : 'taker';
      this.fillSeq += 1;
      const fill: Fill = {
        id: `${order.id}-F${before > 0 ? Math.round(before / inst.qtyStep) + 1 : 1}`,
        orderId: order.id,
        accountId: order.accountId,
        symbol: order.symbol,
        side: order.side,
        qty,
        price,
        fee: this.deps.fees.fee(inst, qty, price, liquidity),
        ts: p.ts,
      };
      this.deps.onFill(order, fill);
    }
  }

  /** The last symbol's instrument is kept: every working order is priced on every update. */
  private lastSymbol = '';
  private lastInstrument: Instrument | null = null;

  private instrument(symbol: string): Instrument {
    if (symbol !== this.lastSymbol || this.lastInstrument === null) {
      this.lastInstrument = this.deps.instruments.get(symbol);
      this.lastSymbol = symbol;
    }
    return this.lastInstrument;
  }

  private fillPrice(order: Order, p: PriceUpdate): number | null {
    const inst = this.instrument(order.symbol);
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
        // Triggered earlier with a remainder left: it fills as a market order.
        if (this.triggered.size > 0 && this.triggered.has(order.id)) return this.deps.slippage.apply(inst, order.side, p.open);
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
