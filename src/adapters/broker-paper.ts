import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Fill, Order } from '../core/orders.js';
import type { Broker, ExecutionReport } from '../core/ports.js';
import type { FeeModel, SlippageModel } from '../sim/fees.js';
import { MatchingEngine, type PriceUpdate } from '../sim/matching-engine.js';

export interface PaperBrokerDeps {
  clock: Clock;
  instruments: InstrumentRegistry;
  fees: FeeModel;
  slippage: SlippageModel;
  /** Cap each price update's fills at this share of its volume (partial fills); null: fill whole. */
  maxVolumeShare?: number | null;
}

/**
 * The paper account's broker: the simulated matching engine fed by live or simulated prices.
 * Its book is the kernel's store: after a restart, accepted and partially filled orders are put
 * back to work (for what is left of them) and orders that were never acknowledged are reported
 * rejected (never resent).
 */
export class PaperBroker implements Broker {
  readonly name = 'paper';
  private listeners: ((r: ExecutionReport) => void)[] = [];
  private available = true;
  private readonly clock: Clock;
  private readonly matching: MatchingEngine;

  constructor(deps: PaperBrokerDeps) {
    this.clock = deps.clock;
    this.matching = new MatchingEngine({
      instruments: deps.instruments,
      fees: deps.fees,
      slippage: deps.slippage,
      maxVolumeShare: deps.maxVolumeShare ?? null,
      onFill: (order, fill) => this.reportFill(order, fill),
    });
  }

  onReport(listener: (r: ExecutionReport) => void): void {
    this.listeners.push(listener);
  }

  submit(order: Order): void {
    if (!this.available) {
      this.emit({ kind: 'rejected', orderId: order.id, reason: 'paper broker unavailable', ts: this.clock.now() });
      return;
    }
    // The kernel hands over its own copy (the Broker port): it becomes the working order as is.
    order.status = 'accepted';
    this.matching.add(order);
    this.emit({ kind: 'accepted', orderId: order.id, brokerOrderId: `paper-${order.id}`, ts: this.clock.now() });
  }

  discard(orderId: string): void {
    this.matching.remove(orderId);
  }

  cancel(orderId: string): void {
    const removed = this.matching.remove(orderId);
    const ts = this.clock.now();
    if (removed) this.emit({ kind: 'cancelled', orderId, reason: 'cancelled', ts });
  }

  reconcile(openOrders: readonly Order[]): void {
    for (const o of openOrders) {
      if (o.status === 'accepted' || o.status === 'partially_filled' || o.status === 'cancel_pending') {
        if (!this.matching.has(o.id)) this.matching.add({ ...o });
        if (o.status === 'cancel_pending') this.cancel(o.id);
      } else if (o.status === 'pending_submit') {
        this.emit({ kind: 'rejected', orderId: o.id, reason: 'not acknowledged before restart; not resent', ts: this.clock.now() });
      }
    }
  }

  onPrice(update: PriceUpdate): void {
    this.matching.onPrice(update);
  }

  workingOrders(): Order[] {
    return this.matching.workingOrders();
  }

  private reportFill(order: Order, fill: Fill): void {
    this.emit({ kind: 'filled', orderId: order.id, fill });
  }

  setAvailable(available: boolean): void {
    this.available = available;
  }

  isAvailable(): boolean {
    return this.available;
  }

  private emit(report: ExecutionReport): void {
    for (const l of this.listeners) l(report);
  }
}
