import type { Clock } from '../core/clock.js';
import type { SequenceIds } from '../core/ids.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import { floorToStep, roundToStep } from '../core/instruments.js';
import { fillProblem, priceProblem, requestedQtyProblem } from '../core/money-checks.js';
import { isOrderOpen, orderTransition, type Fill, type Order, type OrderEvent, type OrderRequest } from '../core/orders.js';
import type { Position } from '../core/portfolio-types.js';
import type { Broker, ExecutionReport, TradingStore } from '../core/ports.js';
import type { MessageBus } from './message-bus.js';
import { LedgerGuardError, type Portfolio } from './portfolio.js';

export type CancelOutcome =
  | { ok: true; order: Order }
  | { ok: false; code: 'not_found' | 'not_cancellable'; message: string };

export class OrderValidationError extends Error {
  override name = 'OrderValidationError';
}

export interface ExecutionDeps {
  clock: Clock;
  bus: MessageBus;
  store: TradingStore;
  broker: Broker;
  portfolio: Portfolio;
  instruments: InstrumentRegistry;
  orderIds: SequenceIds;
  onError?: (error: unknown, context: string) => void;
}

/**
 * The order lifecycle. Every order gets its client id and is written to the store before the
 * broker sees it; every state change goes through the order transition table.
 */
export class ExecutionEngine {
  private readonly open = new Map<string, Order>();
  /** Set when a fill could not enter the ledger: new orders are refused until a restart. */
  private haltReason: string | null = null;

  constructor(private readonly deps: ExecutionDeps) {
    deps.broker.onReport((r) => this.onReport(r));
  }

  /** Loads the open orders the store kept and lets the broker reconcile them. */
  restore(openOrders: readonly Order[]): void {
    for (const o of openOrders) this.open.set(o.id, { ...o });
    this.deps.broker.reconcile(openOrders);
  }

  openOrders(): Order[] {
    return [...this.open.values()];
  }

  place(request: OrderRequest): Order {
    const { clock, store, broker, instruments } = this.deps;
    const inst = instruments.find(request.symbol);
    if (!inst) throw new OrderValidationError(`unknown symbol ${request.symbol}`);
    if (this.haltReason) throw new OrderValidationError(`account ${request.accountId} is halted: ${this.haltReason}`);
    // Money-safe numbers (core/money-checks): whatever the source, nothing non-finite or absurd is sent.
    const bad = requestedQtyProblem(request.qty, inst);
    if (bad) throw new OrderValidationError(bad.message);
    // Never round a quantity up: 0.0019 BTC is 0.001, not 0.002.
    const qty = floorToStep(request.qty, inst.qtyStep);
    if (!(qty >= inst.minQty)) throw new OrderValidationError(`quantity ${request.qty} below minimum ${inst.minQty}`);
    if (request.type === 'limit' && !(Number(request.price) > 0)) throw new OrderValidationError('limit order needs a positive price');
    if (request.type === 'stop' && !(Number(request.stopPrice) > 0)) throw new OrderValidationError('stop order needs a positive stopPrice');
    for (const [field, v] of [['price', request.type === 'limit' ? request.price : null], ['stopPrice', request.type === 'stop' ? request.stopPrice : null]] as const) {
      const p = v == null ? null : priceProblem(v, undefined, 'price');
      if (p) throw new OrderValidationError(`${field}: ${p.message}`);
    }
    const now = clock.now();
    const order: Order = {
      id: this.deps.orderIds.next(),
      accountId: request.accountId,
      botId: request.botId,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      purpose: request.purpose,
      qty,
      price: request.type === 'limit' ? roundToStep(Number(request.price), inst.tickSize) : null,
      stopPrice: request.type === 'stop' ? roundToStep(Number(request.stopPrice), inst.tickSize) : null,
      status: 'pending_submit',
      filledQty: 0,
      avgFillPrice: null,
      fees: 0,
      brokerOrderId: null,
      reason: request.reason ?? null,
      stopLoss: request.stopLoss == null ? null : roundToStep(request.stopLoss, inst.tickSize),
      takeProfit: request.takeProfit == null ? null : roundToStep(request.takeProfit, inst.tickSize),
      tag: request.tag ?? null,
      createdAt: now,
      updatedAt: now,
      filledAt: null,
    };
    const persistAndSubmit = () => {
      store.saveOrder(order);
      this.open.set(order.id, order);
      if (this.deps.bus.hasListeners('order')) this.deps.bus.publish({ type: 'order', order: { ...order }, previous: null });
      broker.submit({ ...order });
    };
    if (store.atomically) {
      // The order row and whatever a synchronous broker writes on submit (the bridge queue row,
      // in the same database) commit together: one fsync instead of two, and a failure in between
      // leaves neither row, so no bridge can ever see an order the journal does not hold.
      try {
        store.atomically(persistAndSubmit);
      } catch (error) {
        this.open.delete(order.id); // rolled back: the order does not exist
        throw error;
      }
    } else {
      persistAndSubmit();
    }
    return { ...(this.open.get(order.id) ?? order) };
  }

  cancel(orderId: string, reason = 'cancelled by request'): CancelOutcome {
    const order = this.open.get(orderId);
    if (!order) {
      const stored = this.deps.store.getOrder(orderId);
      if (!stored) return { ok: false, code: 'not_found', message: `Order ${orderId} not found` };
      return { ok: false, code: 'not_cancellable', message: `Order ${orderId} is ${stored.status} and cannot be cancelled` };
    }
    if (order.status === 'cancel_pending') return { ok: true, order: { ...order } };
    if (order.status !== 'accepted') {
      return { ok: false, code: 'not_cancellable', message: `Order ${orderId} is ${order.status} and cannot be cancelled` };
    }
    this.transition(order, 'request_cancel', { reason });
    this.deps.broker.cancel(orderId);
    return { ok: true, order: { ...(this.open.get(orderId) ?? order) } };
  }

  /** Cancels the protective orders still working for a symbol (after its position closed). */
  cancelProtective(symbol: string): void {
    for (const o of [...this.open.values()]) {
      if (o.symbol === symbol && (o.purpose === 'stop_loss' || o.purpose === 'take_profit') && o.status === 'accepted') {
        this.cancel(o.id, 'position closed');
      }
    }
  }

  hasOpenOrder(symbol: string, purposes: readonly Order['purpose'][]): boolean {
    for (const o of this.open.values()) if (o.symbol === symbol && purposes.includes(o.purpose)) return true;
    return false;
  }

  /** Why new orders are refused (a fill could not enter the ledger), or null. */
  get halted(): string | null {
    return this.haltReason;
  }

  private onReport(report: ExecutionReport): void {
    // Already terminal: a replayed or late report changes nothing, except a fill for an order
    // the venue had cancelled (its book is the truth; see the `late_fill` transition).
    const order = this.open.get(report.orderId) ?? (report.kind === 'filled' ? this.cancelledOrder(report.orderId) : undefined);
    if (!order) return;
    try {
      switch (report.kind) {
        case 'accepted':
          this.transition(order, 'accept', { brokerOrderId: report.brokerOrderId, updatedAt: report.ts });
          break;
        case 'rejected':
          this.transition(order, 'reject', { reason: report.reason, updatedAt: report.ts });
          break;
        case 'cancelled':
          // Keep the reason given with our own cancel request over the broker's generic one.
          this.transition(order, 'cancel', { reason: order.status === 'cancel_pending' ? order.reason : report.reason, updatedAt: report.ts });
          break;
        case 'filled':
          this.applyFill(order, report.fill);
          break;
      }
    } catch (error) {
      this.deps.onError?.(error, `report ${report.kind} for order ${report.orderId}`);
    }
  }

  private transition(order: Order, event: OrderEvent, changes: Partial<Order>): void {
    const previous = order.status;
    const status = orderTransition(previous, event);
    Object.assign(order, changes, { status, updatedAt: changes.updatedAt ?? this.deps.clock.now() });
    if (!isOrderOpen(order)) this.open.delete(order.id);
    this.deps.store.saveOrder(order);
    if (this.deps.bus.hasListeners('order')) this.deps.bus.publish({ type: 'order', order: { ...order }, previous });
  }

  private cancelledOrder(orderId: string): Order | undefined {
    const stored = this.deps.store.getOrder(orderId);
    return stored?.status === 'cancelled' ? stored : undefined;
  }

  /**
   * The last line before the ledger: a fill whose price, quantity or fee is not a sane finite
   * number (whatever the broker) is not applied; the account halts (new orders refused) with a
   * `fill-refused` event, rather than persisting a balance of null.
   */
  private refuseFill(fill: Fill): boolean {
    const inst = this.deps.instruments.find(fill.symbol);
    const problem = inst ? fillProblem(fill, { ...inst, tickSize: 0, qtyStep: 0, minQty: 0 }, { limits: { fillPriceBandPct: 0, maxFeePct: 100 } }) : null;
    if (!problem) return false;
    this.halt(fill, `fill ${fill.id} of order ${fill.orderId} refused: ${problem.message}`);
    return true;
  }

  private halt(fill: Fill, reason: string): void {
    this.haltReason ??= reason;
    this.deps.bus.publish({ type: 'fill-refused', accountId: fill.accountId, fill, reason, halted: true, ts: this.deps.clock.now() });
    this.deps.onError?.(new LedgerGuardError(reason), `fill ${fill.id}`);
  }

  private applyFill(order: Order, fill: Fill): void {
    const { portfolio, store, bus } = this.deps;
    if (this.refuseFill(fill)) return;
    const previous = order.status;
    const status = orderTransition(previous, previous === 'cancelled' ? 'late_fill' : 'fill');
    Object.assign(order, {
      status,
      filledQty: fill.qty,
      avgFillPrice: fill.price,
      fees: fill.fee,
      filledAt: fill.ts,
      updatedAt: fill.ts,
    });
    this.open.delete(order.id);
    let outcome: ReturnType<Portfolio['applyFill']>;
    try {
      outcome = portfolio.applyFill(fill, order);
    } catch (error) {
      if (error instanceof LedgerGuardError) this.halt(fill, error.message);
      throw error;
    }
    const stored = store.recordFill({
      fill,
      order,
      position: outcome.position,
      positionClosed: outcome.positionClosed,
      closedTrade: outcome.closedTrade,
      account: portfolio.accountState(),
    });
    if (!stored) return;
    // Events are built only for listeners (a backtest has few); the order of delivery is fixed.
    if (bus.hasListeners('order')) bus.publish({ type: 'order', order: { ...order }, previous });
    if (bus.hasListeners('fill')) bus.publish({ type: 'fill', fill, order: { ...order } });
    if (outcome.positionClosed) bus.publish({ type: 'position', position: outcome.positionClosed, change: 'closed' });
    if (outcome.closedTrade) bus.publish({ type: 'trade-closed', trade: outcome.closedTrade });
    if (outcome.position && bus.hasListeners('position')) {
      bus.publish({ type: 'position', position: { ...outcome.position }, change: outcome.change === 'closed' ? 'opened' : outcome.change });
    }
    if (bus.hasListeners('account')) bus.publish({ type: 'account', account: portfolio.view(), material: true });

    if (outcome.positionClosed && !outcome.position) this.cancelProtective(fill.symbol);
    // Protective orders always match the open position: new after an entry or a flip,
    // resized after a partial exit.
    if (outcome.position && (order.purpose === 'entry' || outcome.change === 'reduced' || outcome.change === 'closed')) {
      this.protect(outcome.position, order);
    }
  }

  private protect(position: Position, cause: Order): void {
    this.cancelProtective(position.symbol);
    const base = {
      accountId: position.accountId,
      botId: position.botId,
      symbol: position.symbol,
      side: position.side === 'long' ? ('sell' as const) : ('buy' as const),
      qty: position.qty,
      tag: cause.tag,
    };
    if (position.stopPrice !== null) {
      this.place({ ...base, type: 'stop', purpose: 'stop_loss', stopPrice: position.stopPrice, reason: `stop loss for ${position.id}` });
    }
    if (position.takeProfit !== null) {
      this.place({ ...base, type: 'limit', purpose: 'take_profit', price: position.takeProfit, reason: `take profit for ${position.id}` });
    }
  }
}
