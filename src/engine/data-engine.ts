import type { Tick } from '../core/market.js';
import { BarBuilder } from './bar-builder.js';
import type { MessageBus } from './message-bus.js';

/** Turns ticks into bars for every (symbol, interval) a consumer asked for. */
export class DataEngine {
  private readonly builders = new Map<string, BarBuilder[]>();
  private readonly lastPrices = new Map<string, number>();

  constructor(private readonly bus: MessageBus) {}

  subscribeBars(symbol: string, intervalMs: number): void {
    const list = this.builders.get(symbol) ?? [];
    if (list.some((b) => b.intervalMs === intervalMs)) return;
    list.push(new BarBuilder(symbol, intervalMs, (bar) => this.bus.publish({ type: 'bar', bar })));
    this.builders.set(symbol, list);
  }

  /**
   * A tick first closes any bar it ends, then is published: an order placed on a bar's close
   * meets this tick (the next bar's open) in the matching engine.
   */
  onTick(tick: Tick): void {
    const list = this.builders.get(tick.symbol);
    if (list) for (const b of list) b.onTick(tick);
    this.lastPrices.set(tick.symbol, tick.price);
    this.bus.publish({ type: 'tick', tick });
  }

  lastPrice(symbol: string): number | undefined {
    return this.lastPrices.get(symbol);
  }
}
