import type { Clock } from '../core/clock.js';
import type { SequenceIds } from '../core/ids.js';
import type { Instrument, InstrumentRegistry } from '../core/instruments.js';
import { floorToStep, roundToStep } from '../core/instruments.js';
import type { ManagedStop } from '../core/managed-stops.js';
import { fillProblem, orderPriceProblem, requestedQtyProblem } from '../core/money-checks.js';
import { copyOrder, isCancellable, isOrderOpen, orderTransition, type Fill, type Order, type OrderEvent, type OrderRequest } from '../core/orders.js';
import { closingSide, type Position } from '../core/portfolio-types.js';
import type { Broker, ExecutionReport, TradingStore } from '../core/ports.js';
import { ManagedStops } from './managed-stops.js';
import type { MessageBus } from './message-bus.js';
import { LedgerGuardError, type Portfolio } from './portfolio.js';

export type CancelOutcome =
  | { ok: true; order: Order }
  | { ok: false; code: 'not_found' | 'not_cancellable'; message: string };

export class OrderValidationError extends Error {
  override name = 'OrderValidationError';
}

/** The account stopped trading after a journal write failed (a refusal, as a validation error is). */
export class AccountHaltedError extends OrderValidationError {
  override name = 'AccountHaltedError';
}

/** A journal write threw: nothing of the change it carried was applied. */
export class JournalWriteError extends Error {
  override name = 'JournalWriteError';
  constructor(
    readonly context: string,
    cause: unknown,
  ) {
    super(`journal write failed (${context}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface HaltState {
  context: string;
  reason: string;
  ts: number;
}

const round8 = (v: number): number => Math.round(v * 1e8) / 1e8;

/** A fill's numbers are checked for range and fee size only: no price band, fees up to 100%. */
const FILL_NUMBER_LIMITS = { limits: { fillPriceBandPct: 0, maxFeePct: 100 } } as const;

/** A stop or target of the symbol resting at the broker that can still be cancelled. */
const isWorkingProtective = (o: Order, symbol: string): boolean =>
  o.symbol === symbol && (o.purpose === 'stop_loss' || o.purpose === 'take_profit') && o.type !== 'market' && isCancellable(o);

/** An order's fill fields as they were before a fill the preview or the journal refused. */
function restoreFillFields(order: Order, status: Order['status'], filledQty: number, avgFillPrice: number | null, fees: number, filledAt: Order['filledAt'], updatedAt: number): void {
  order.status = status;
  order.filledQty = filledQty;
  order.avgFillPrice = avgFillPrice;
  order.fees = fees;
  order.filledAt = filledAt;
  order.updatedAt = updatedAt;
}

/** What an order transition may change besides its status (and `updatedAt`, default now). */
interface TransitionChanges {
  brokerOrderId?: string | null;
  reason?: string | null;
  updatedAt?: number;
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
  /** Server-managed stops: after an exit that did not close the position, wait this long before the next (default 5 s). */
  managedStopRetryMs?: number;
}

/**
 * The order lifecycle. Every order gets its client id and is written to the store before the
 * broker sees it; every state change goes through the order transition table.
 *
 * Commit before apply: each change (an order transition, a fill with its position, trade and
 * account) is computed on copies, written to the journal, and only then applied in memory and
 * published. A write that throws halts the account (an `account-halted` event; orders are then
 * refused and reports left to the broker's book until a restart reconciles them), so memory
 * never holds what the journal does not. A fill whose id the journal already holds changes nothing.
 */
export class ExecutionEngine {
  private readonly open = new Map<string, Order>();
  /** Set when a journal write failed or a fill could not enter the ledger: orders are refused until a restart. */
  private haltState: HaltState | null = null;
  /** Stops and targets the broker cannot hold, kept by the kernel (null when the broker holds them). */
  private readonly managed: ManagedStops | null;

  constructor(private readonly deps: ExecutionDeps) {
    deps.broker.onReport((r) => this.onReport(r));
    this.managed =
      deps.broker.supportsProtectiveOrders === false
        ? new ManagedStops({
            clock: deps.clock,
            bus: deps.bus,
            store: deps.store,
            portfolio: deps.portfolio,
            placeExit: (request) => this.place(request),
            write: (context, fn) => this.write(context, fn),
            halted: () => this.haltState !== null,
            exitWorking: (symbol) => this.hasOpenOrder(symbol, ['exit']),
            retryMs: deps.managedStopRetryMs ?? 5_000,
          })
        : null;
  }

  /** Loads the open orders and managed stops the store kept and lets the broker reconcile them. */
  restore(openOrders: readonly Order[]): void {
    for (const o of openOrders) this.open.set(o.id, { ...o });
    this.managed?.restore(this.deps.store.managedStops(this.deps.portfolio.accountId));
    this.deps.broker.reconcile(openOrders);
    this.managed?.reconcile((id) => this.open.has(id));
  }

  /** Whether the account halted (without copying the reason, as `halted()` does). */
  isHalted(): boolean {
    return this.haltState !== null;
  }

  /** Why the account halted (a journal write failed), or null while it trades. */
  halted(): HaltState | null {
    return this.haltState ? { ...this.haltState } : null;
  }

  /** The server-managed stops and targets in force (empty when the broker holds them itself). */
  managedStops(): ManagedStop[] {
    return this.managed?.list() ?? [];
  }

  openOrders(): Order[] {
    return [...this.open.values()];
  }

  place(request: OrderRequest): Order {
    return copyOrder(this.submitNew(request));
  }

  /**
   * `place` without the copy it returns: the engine's own working order (or the journaled one,
   * once the broker finished it), for the engine's orders whose result nobody reads (a position's
   * stop and target, an exit after a refused stop).
   */
  private submitNew(request: OrderRequest): Order {
    const { clock, store, broker, instruments } = this.deps;
    if (this.haltState) throw new AccountHaltedError(`account ${this.deps.portfolio.accountId} is halted: ${this.haltState.reason}; restart to resume from the journal`);
    const inst = instruments.find(request.symbol);
    if (!inst) throw new OrderValidationError(`unknown symbol ${request.symbol}`);
    // Money-safe numbers (core/money-checks): whatever the source, nothing non-finite or absurd is sent.
    const bad = requestedQtyProblem(request.qty, inst);
    if (bad) throw new OrderValidationError(bad.message);
    // Never round a quantity up: 0.0019 BTC is 0.001, not 0.002.
    const qty = floorToStep(request.qty, inst.qtyStep);
    if (!(qty >= inst.minQty)) throw new OrderValidationError(`quantity ${request.qty} below minimum ${inst.minQty}`);
    if (request.type === 'limit' && !(Number(request.price) > 0)) throw new OrderValidationError('limit order needs a positive price');
    if (request.type === 'stop' && !(Number(request.stopPrice) > 0)) throw new OrderValidationError('stop order needs a positive stopPrice');
    const badPrice = orderPriceProblem(request);
    if (badPrice) throw new OrderValidationError(badPrice);
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
    if (store.atomically) {
      // The order row and whatever a synchronous broker writes on submit (the bridge queue row,
      // in the same database) commit together: one fsync instead of two, and a failure in between
      // leaves neither row, so no bridge can ever see an order the journal does not hold.
      // Set when the transaction's work ran to its end: a throw after that is the commit failing.
      let ranToEnd = false;
      try {
        store.atomically(() => {
          this.persistAndSubmit(order);
          ranToEnd = true;
        });
      } catch (error) {
        this.open.delete(order.id); // rolled back: the order does not exist
        broker.discard?.(order.id);
        // A write or the broker failing inside the transaction: that error, as it was.
        if (!ranToEnd || error instanceof JournalWriteError) throw error;
        // The commit itself failed (disk full, read-only): the journal cannot take writes, so
        // the account halts like after any failed journal write.
        this.halt(`order ${order.id} commit`, error);
        throw new JournalWriteError(`order ${order.id} commit`, error);
      }
    } else {
      this.persistAndSubmit(order);
    }
    return this.open.get(order.id) ?? order;
  }

  /** Journal first, then the broker (a method, not a closure per order: the backtest places thousands). */
  private persistAndSubmit(order: Order): void {
    try {
      this.deps.store.saveOrder(order);
    } catch (error) {
      throw this.writeFailed(`order ${order.id} new`, error);
    }
    this.open.set(order.id, order);
    if (this.deps.bus.hasListeners('order')) this.deps.bus.publish({ type: 'order', order: copyOrder(order), previous: null });
    this.deps.broker.submit(copyOrder(order));
  }

  /**
   * Takes an order found working at the venue, which no journal order stood for (reconciliation
   * with `unknownOrders: adopt`), into the journal under a new id: from then on it is tracked
   * and its fills are applied like any other order's. Nothing is sent.
   */
  adopt(found: { symbol: string; side: Order['side']; type: Order['type']; qty: number; price: number | null; stopPrice: number | null; brokerOrderId: string; reason: string }): Order {
    if (this.haltState) throw new AccountHaltedError(`account ${this.deps.portfolio.accountId} is halted: ${this.haltState.reason}`);
    const now = this.deps.clock.now();
    const order: Order = {
      id: this.deps.orderIds.next(),
      accountId: this.deps.portfolio.accountId,
      botId: 'venue',
      symbol: found.symbol,
      side: found.side,
      type: found.type,
      purpose: 'entry',
      qty: found.qty,
      price: found.price,
      stopPrice: found.stopPrice,
      status: 'accepted',
      filledQty: 0,
      avgFillPrice: null,
      fees: 0,
      brokerOrderId: found.brokerOrderId,
      reason: found.reason,
      stopLoss: null,
      takeProfit: null,
      tag: null,
      createdAt: now,
      updatedAt: now,
      filledAt: null,
    };
    this.write(`order ${order.id} adopted`, () => this.deps.store.saveOrder(order));
    this.open.set(order.id, order);
    this.deps.bus.publish({ type: 'order', order: { ...order }, previous: null });
    return { ...order };
  }

  cancel(orderId: string, reason = 'cancelled by request'): CancelOutcome {
    const order = this.open.get(orderId);
    if (!order) {
      const stored = this.deps.store.getOrder(orderId);
      if (!stored) return { ok: false, code: 'not_found', message: `Order ${orderId} not found` };
      return { ok: false, code: 'not_cancellable', message: `Order ${orderId} is ${stored.status} and cannot be cancelled` };
    }
    if (order.status === 'cancel_pending') return { ok: true, order: { ...order } };
    if (this.haltState) return { ok: false, code: 'not_cancellable', message: `account ${this.deps.portfolio.accountId} is halted: ${this.haltState.reason}` };
    if (!isCancellable(order)) {
      return { ok: false, code: 'not_cancellable', message: `Order ${orderId} is ${order.status} and cannot be cancelled` };
    }
    this.requestCancel(order, reason);
    return { ok: true, order: { ...(this.open.get(orderId) ?? order) } };
  }

  /** A cancellable working order's cancel request: journaled, then sent. */
  private requestCancel(order: Order, reason: string): void {
    this.transition(order, 'request_cancel', { reason });
    this.deps.broker.cancel(order.id);
  }

  /** Cancels the protective orders still working for a symbol (after its position closed), managed ones included. */
  cancelProtective(symbol: string, reason = 'position closed'): void {
    // Looked for first: most calls find none (every entry fill, every close without a bracket),
    // and only then is the snapshot made that cancelling needs.
    let any = false;
    for (const o of this.open.values()) {
      if (isWorkingProtective(o, symbol)) {
        any = true;
        break;
      }
    }
    if (any && !this.haltState) {
      // `cancel` without the copy of each order it returns (nobody here reads it); a working
      // protective order is open and cancellable, as `cancel` would find it.
      for (const o of [...this.open.values()]) if (isWorkingProtective(o, symbol) && this.open.get(o.id) === o && !this.haltState) this.requestCancel(o, reason);
    }
    this.managed?.cancelAll(symbol);
  }

  /**
   * Moves the stop and/or target of an open position (a trailing stop, an operator's change;
   * null removes one): journaled with the position, then the protective orders (or the
   * server-managed stops) follow. Null when there is no position.
   */
  updateProtection(symbol: string, levels: { stopPrice?: number | null; takeProfit?: number | null }): Position | null {
    const inst = this.deps.instruments.find(symbol);
    if (!inst) throw new OrderValidationError(`unknown symbol ${symbol}`);
    for (const [name, v] of Object.entries(levels)) {
      if (v != null && !(Number.isFinite(v) && v > 0)) throw new OrderValidationError(`${name} must be a positive price, got ${String(v)}`);
    }
    const round = (v: number | null | undefined) => (v == null ? v : roundToStep(v, inst.tickSize));
    const next = this.deps.portfolio.previewProtection(symbol, { stopPrice: round(levels.stopPrice), takeProfit: round(levels.takeProfit) });
    if (!next) return null;
    if (this.haltState) throw new AccountHaltedError(`account ${this.deps.portfolio.accountId} is halted: ${this.haltState.reason}`);
    this.write(`position ${next.id} protection`, () => this.deps.store.savePosition(next));
    const live = this.deps.portfolio.commitPosition(next) ?? next;
    this.deps.bus.publish({ type: 'position', position: { ...live }, change: 'protection' });
    this.protect(live, live.mode, 'protection moved');
    return { ...live };
  }

  /**
   * Whether an order of one of these purposes is open for the symbol. A market stop-loss or
   * take-profit order (the exit of a server-managed stop) counts as an `exit`: it closes the
   * position, so nobody sends a second exit next to it.
   */
  hasOpenOrder(symbol: string, purposes: readonly Order['purpose'][]): boolean {
    const exits = purposes.includes('exit');
    for (const o of this.open.values()) {
      if (o.symbol !== symbol) continue;
      if (purposes.includes(o.purpose) || (exits && o.type === 'market' && (o.purpose === 'stop_loss' || o.purpose === 'take_profit'))) return true;
    }
    return false;
  }

  private onReport(report: ExecutionReport): void {
    if (report.kind === 'accepted') {
      if (!this.haltState) this.onAccepted(report);
      return;
    }
    // Already terminal: a replayed or late report changes nothing, except a fill for an order
    // the venue had cancelled (its book is the truth; see the `late_fill` transition).
    const order = this.open.get(report.orderId) ?? (report.kind === 'filled' ? this.cancelledOrder(report.orderId) : undefined);
    if (!order) return;
    // Halted: the report stays with the broker (its book, the bridge queue) until a restart reconciles it.
    if (this.haltState) return;
    try {
      switch (report.kind) {
        case 'rejected':
          this.transition(order, 'reject', { reason: report.reason, updatedAt: report.ts });
          if (report.byVenue) this.exitUnprotected(order, report.reason);
          break;
        case 'cancelled':
          // Keep the reason given with our own cancel request over the broker's generic one.
          this.transition(order, 'cancel', { reason: order.status === 'cancel_pending' ? order.reason : report.reason, updatedAt: report.ts });
          break;
        case 'filled':
          this.applyFill(order, report);
          break;
      }
    } catch (error) {
      this.deps.onError?.(error, `report ${report.kind} for order ${report.orderId}`);
    }
  }

  /**
   * The broker's acknowledgement with its order id. Usually the order is still pending_submit.
   * A venue's user stream can bring the fills first (a market order fills within the REST round
   * trip): the order is then partly or wholly filled already, and the answer only adds the venue's
   * order id to its journal row (before, the id was lost, or the late accept was an invalid transition).
   */
  private onAccepted(report: Extract<ExecutionReport, { kind: 'accepted' }>): void {
    const open = this.open.get(report.orderId);
    // An acceptance the venue can tell again after a crash is not worth a disk sync of its own:
    // it is made durable by the next order's commit (or the fill's), and it is on the path of the
    // fill that usually arrives in the same instant.
    const unsynced = this.deps.broker.venueRestoresAcceptance === true;
    try {
      if (open?.status === 'pending_submit') {
        this.transition(open, 'accept', { brokerOrderId: report.brokerOrderId, updatedAt: report.ts }, unsynced);
        return;
      }
      const order = open ?? this.deps.store.getOrder(report.orderId);
      if (!order || order.brokerOrderId !== null || order.status === 'rejected' || !(order.filledQty > 0)) return;
      const next: Order = { ...order, brokerOrderId: report.brokerOrderId };
      this.write(`order ${order.id} broker id`, () => this.saveOrder(next, unsynced));
      if (open) open.brokerOrderId = report.brokerOrderId;
    } catch (error) {
      this.deps.onError?.(error, `report accepted for order ${report.orderId}`);
    }
  }

  /** Runs one journal write; when it throws, the account halts and the caller applies nothing. */
  private write<T>(context: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.writeFailed(context, error);
    }
  }

  /**
   * A journal write threw: the account halts; the error to throw. The hot paths call the store in
   * their own try and name the context only here, so no context string or closure is made per write.
   */
  private writeFailed(context: string, error: unknown): JournalWriteError {
    this.halt(context, error);
    return new JournalWriteError(context, error);
  }

  private halt(context: string, error: unknown): void {
    if (this.haltState) return;
    const reason = error instanceof Error ? error.message : String(error);
    this.haltState = { context, reason, ts: this.deps.clock.now() };
    this.deps.bus.publish({ type: 'account-halted', accountId: this.deps.portfolio.accountId, context, reason, ts: this.haltState.ts });
  }

  private saveOrder(order: Order, unsynced: boolean): void {
    const { store } = this.deps;
    if (unsynced && store.saveOrderUnsynced) store.saveOrderUnsynced(order);
    else store.saveOrder(order);
  }

  private transition(order: Order, event: OrderEvent, changes: TransitionChanges, unsynced = false): void {
    const previous = order.status;
    const status = orderTransition(previous, event);
    // The order itself carries the new values to the journal (stores copy or serialise what they
    // are given and keep no reference): no copy of 22 fields per transition. A write that throws
    // gets the old values back before anything else sees the order, so memory still holds only
    // what the journal does.
    const { brokerOrderId, reason, updatedAt } = order;
    order.status = status;
    if ('brokerOrderId' in changes) order.brokerOrderId = changes.brokerOrderId as string | null;
    if ('reason' in changes) order.reason = changes.reason as string | null;
    order.updatedAt = changes.updatedAt ?? this.deps.clock.now();
    try {
      this.saveOrder(order, unsynced);
    } catch (error) {
      order.status = previous;
      order.brokerOrderId = brokerOrderId;
      order.reason = reason;
      order.updatedAt = updatedAt;
      throw this.writeFailed(`order ${order.id} ${event}`, error);
    }
    if (!isOrderOpen(order)) this.open.delete(order.id);
    if (this.deps.bus.hasListeners('order')) this.deps.bus.publish({ type: 'order', order: copyOrder(order), previous });
    this.managed?.onOrder(order);
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
    const problem = inst ? fillProblem(fill, this.fillGrid(inst), FILL_NUMBER_LIMITS) : null;
    if (!problem) return false;
    if (this.deps.store.hasFill(fill.id)) return true; // a replay of a fill the journal holds: ignored, not a fault
    this.haltOnFill(fill, `fill ${fill.id} of order ${fill.orderId} refused: ${problem.message}`);
    return true;
  }

  /** The instrument without its grids (a venue's fill may be off the tick or lot grid): one per instrument, not one per fill. */
  private readonly gridless = new WeakMap<Instrument, Instrument>();

  private fillGrid(inst: Instrument): Instrument {
    let relaxed = this.gridless.get(inst);
    if (!relaxed) {
      relaxed = { ...inst, tickSize: 0, qtyStep: 0, minQty: 0 };
      this.gridless.set(inst, relaxed);
    }
    return relaxed;
  }

  private haltOnFill(fill: Fill, reason: string): void {
    this.deps.bus.publish({ type: 'fill-refused', accountId: fill.accountId, fill, reason, halted: true, ts: this.deps.clock.now() });
    this.halt(`fill ${fill.id}`, new LedgerGuardError(reason));
    this.deps.onError?.(new LedgerGuardError(reason), `fill ${fill.id}`);
  }

  /**
   * One execution of an order: its own quantity, price and fee are added to the order's
   * cumulative quantity, volume-weighted average price and fees. Short of the order's quantity
   * the order is partially filled and the remainder keeps working (or is cancelled when the
   * broker says it is done).
   */
  private applyFill(order: Order, report: Extract<ExecutionReport, { kind: 'filled' }>): void {
    const { portfolio, store, bus, instruments } = this.deps;
    const fill = report.fill;
    // A replayed fill id changes nothing, whatever numbers it carries now.
    if (this.refuseFill(fill)) return;
    const inst = instruments.get(order.symbol);
    const previous = order.status;
    const filledQty = order.filledQty > 0 ? roundToStep(order.filledQty + fill.qty, inst.qtyStep) : fill.qty;
    // More than was ordered: the venue's report contradicts the order. Booking it would journal an
    // order filled past its quantity; it is refused like any impossible fill (the account halts,
    // `fill-refused`, reconciliation with the venue decides). A replay of a booked fill is ignored.
    if (filledQty > order.qty + 1e-9) {
      if (!this.deps.store.hasFill(fill.id)) this.haltOnFill(fill, `fill ${fill.id} of order ${order.id} refused: ${fill.qty} more would fill ${filledQty} of the order's ${order.qty}`);
      return;
    }
    const complete = filledQty >= order.qty;
    // A fill for an order the venue had cancelled is believed (late_fill); otherwise partial or complete.
    const event: OrderEvent = previous === 'cancelled' ? (complete ? 'late_fill' : 'late_partial_fill') : complete ? 'fill' : 'partial_fill';
    const status = orderTransition(previous, event);
    // As in `transition`: the order carries the new values to the preview and the journal, and
    // gets its old ones back if either refuses them (no copy of the order per fill), before the
    // halt's events or the error reach anyone.
    const { filledQty: wasFilled, avgFillPrice: wasAvg, fees: wasFees, filledAt: wasFilledAt, updatedAt: wasUpdated } = order;
    order.status = status;
    order.filledQty = filledQty;
    order.avgFillPrice = wasAvg === null || !(wasFilled > 0) ? fill.price : (wasAvg * wasFilled + fill.price * fill.qty) / (wasFilled + fill.qty);
    order.fees = wasFees === 0 ? fill.fee : round8(wasFees + fill.fee);
    order.filledAt = fill.ts;
    order.updatedAt = fill.ts;
    let preview: ReturnType<Portfolio['previewFill']>;
    try {
      preview = portfolio.previewFill(fill, order);
    } catch (error) {
      restoreFillFields(order, previous, wasFilled, wasAvg, wasFees, wasFilledAt, wasUpdated);
      if (error instanceof LedgerGuardError) this.haltOnFill(fill, error.message);
      throw error;
    }
    let stored: boolean;
    try {
      const record = { fill, order, position: preview.position, positionClosed: preview.positionClosed, closedTrade: preview.closedTrade, account: preview.account };
      stored = this.deps.broker.venueRestoresFills === true && store.recordFillUnsynced ? store.recordFillUnsynced(record) : store.recordFill(record);
    } catch (error) {
      restoreFillFields(order, previous, wasFilled, wasAvg, wasFees, wasFilledAt, wasUpdated);
      throw this.writeFailed(`fill ${fill.id} of order ${order.id}`, error);
    }
    if (!stored) {
      // The journal already holds this fill id: nothing changes.
      restoreFillFields(order, previous, wasFilled, wasAvg, wasFees, wasFilledAt, wasUpdated);
      return;
    }
    const outcome = portfolio.commit(preview);
    if (!isOrderOpen(order)) this.open.delete(order.id);

    // Events are built only for listeners (a backtest has few); the order of delivery is fixed.
    if (bus.hasListeners('order')) bus.publish({ type: 'order', order: copyOrder(order), previous });
    if (bus.hasListeners('fill')) bus.publish({ type: 'fill', fill, order: copyOrder(order) });
    if (outcome.positionClosed) bus.publish({ type: 'position', position: outcome.positionClosed, change: 'closed' });
    if (outcome.closedTrade) bus.publish({ type: 'trade-closed', trade: outcome.closedTrade });
    if (outcome.position && bus.hasListeners('position')) {
      bus.publish({ type: 'position', position: { ...outcome.position }, change: outcome.change === 'closed' ? 'opened' : outcome.change });
    }
    if (bus.hasListeners('account')) bus.publish({ type: 'account', account: portfolio.view(), material: true });

    if (outcome.positionClosed && !outcome.position) this.cancelProtective(fill.symbol);
    this.managed?.onOrder(order);
    // Protective orders always match the open position: new after an entry or a flip,
    // resized after a partial exit.
    if (outcome.position && (order.purpose === 'entry' || outcome.change === 'reduced' || outcome.change === 'closed')) {
      this.protect(outcome.position, order.tag);
    }
    if (report.done && isOrderOpen(order)) {
      this.transition(order, 'cancel', { reason: `the broker filled ${order.filledQty} of ${order.qty} and is done; the remainder is cancelled`, updatedAt: fill.ts });
    }
  }

  /**
   * A venue that refuses a position's protective stop (Binance -2021: the price is already past
   * it; or a filter it does not pass) leaves the position without one, and a stop already crossed
   * means the exit is due: the position is closed at market at once (Freqtrade's "emergency exit"
   * does the same), unless an exit is already working or the position is gone.
   */
  private exitUnprotected(stop: Order, why: string): void {
    if (stop.purpose !== 'stop_loss' || stop.type === 'market') return;
    const position = this.deps.portfolio.position(stop.symbol);
    if (!position || position.qty <= 0 || this.hasOpenOrder(stop.symbol, ['exit'])) return;
    this.submitNew({ accountId: position.accountId, botId: position.botId, symbol: position.symbol, side: closingSide(position.side), qty: position.qty, tag: stop.tag, type: 'market', purpose: 'exit', price: null, stopPrice: null, reason: `protective stop refused by the venue (${why.slice(0, 200)}): closed at market` });
  }

  private protect(position: Position, tag: string | null, reason = 'position changed'): void {
    if (this.managed) {
      this.managed.arm(position, tag);
      return;
    }
    this.cancelProtective(position.symbol, reason);
    // Two literals of one shape (a spread of a base object made a slow object per order).
    const side = closingSide(position.side);
    if (position.stopPrice !== null) {
      this.submitNew({ accountId: position.accountId, botId: position.botId, symbol: position.symbol, side, qty: position.qty, tag, type: 'stop', purpose: 'stop_loss', price: null, stopPrice: position.stopPrice, reason: `stop loss for ${position.id}` });
    }
    if (position.takeProfit !== null) {
      this.submitNew({ accountId: position.accountId, botId: position.botId, symbol: position.symbol, side, qty: position.qty, tag, type: 'limit', purpose: 'take_profit', price: position.takeProfit, stopPrice: null, reason: `take profit for ${position.id}` });
    }
  }
}
