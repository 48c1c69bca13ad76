import type { Clock } from '../core/clock.js';
import type { KernelEvent } from '../core/events.js';
import { isOrderOpen, type Fill, type Order } from '../core/orders.js';
import type { Position } from '../core/portfolio-types.js';
import type { ExecutionReport, Scheduler } from '../core/ports.js';
import type { ReconcileReason, VenueDifference, VenueOrder, VenueQueries, VenueTrade } from '../core/venue.js';

export type UnknownOrderPolicy = 'report' | 'adopt' | 'cancel';

export interface VenueReconcilerDeps {
  accountId: string;
  clock: Clock;
  scheduler: Scheduler;
  venue: VenueQueries;
  /** The broker: reports go to the kernel through it; it maps venue ids to kernel order ids. */
  broker: {
    deliver(report: ExecutionReport): void;
    orderIdOf(trade: Pick<VenueTrade, 'clientOrderId' | 'venueOrderId'>): string | null;
    noteVenueOrder(venueOrderId: string, orderId: string): void;
    /** When the order's request was last possibly signed; null while it may still be on its way out. */
    notBefore(order: Order): number | null;
  };
  /** Our venue client id of a kernel order. */
  clientIdOf: (orderId: string) => string;
  fillOf: (orderId: string, trade: VenueTrade) => Fill;
  journal: {
    openOrders(): Order[];
    getOrder(id: string): Order | null;
    hasFill(fillId: string): boolean;
    positions(): Position[];
    balance(): number;
    qtyStep(symbol: string): number;
  };
  unknownOrders: UnknownOrderPolicy;
  /** Adopts a venue order into the journal (policy adopt); its kernel order, or null if it cannot. */
  adopt?: (order: VenueOrder) => Order | null;
  /** Cancels a venue order (policy cancel). */
  cancelAtVenue?: (order: VenueOrder) => Promise<void>;
  /** A request older than this cannot reach the venue any more (Binance's recvWindow). */
  recvWindowMs: number;
  balanceTolerance: number;
  /** How far back the first reconciliation looks for fills (later ones: since the previous one). */
  tradesLookbackMs?: number;
  backoffMs: number;
  publish: (event: KernelEvent) => void;
  describe: (error: unknown) => string;
}

const errorOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Compares a venue account's books with the journal: open orders, positions, balance, recent
 * fills. Missing fills are applied once (by trade id), orders the venue finished are finished,
 * orders the venue never got are closed, venue orders nobody journaled are reported, adopted or
 * cancelled. A query that fails is a `query-failed` difference and nothing is concluded from it
 * (an account is never read as flat because a call failed). Each difference is an event.
 */
export class VenueReconciler {
  private running: Promise<void> | null = null;
  private again: ReconcileReason | null = null;
  private lastTradesAt: number | null = null;
  private readonly resolving = new Set<string>();
  private lastRunAt = 0;

  constructor(private readonly deps: VenueReconcilerDeps) {}

  get lastRun(): number {
    return this.lastRunAt;
  }

  /** Runs one reconciliation (one at a time; a request while one runs is run once afterwards). */
  reconcile(reason: ReconcileReason): Promise<void> {
    if (this.running) {
      this.again = this.again ?? reason;
      return this.running;
    }
    this.running = this.run(reason).finally(() => {
      this.running = null;
      const next = this.again;
      this.again = null;
      if (next) void this.reconcile(next);
    });
    return this.running;
  }

  /**
   * Resolves an order whose answer was lost: asks the venue by client id until it answers. Found:
   * the venue's status and fills are applied. Not found once the request window has passed: the
   * order never reached the venue and is closed as rejected (it is not re-sent).
   */
  resolveOrder(orderId: string): void {
    if (this.resolving.has(orderId)) return;
    this.resolving.add(orderId);
    let attempt = 0;
    const step = async (): Promise<void> => {
      const order = this.deps.journal.getOrder(orderId);
      if (!order || !isOrderOpen(order)) return;
      try {
        const v = await this.deps.venue.orderOf(order);
        const done = await this.settle(order, v, null);
        if (done) return;
      } catch (error) {
        this.deps.publish(this.event('request', { kind: 'query-failed', query: `order ${orderId}`, error: this.deps.describe(error) }));
      }
      attempt += 1;
      const delay = Math.min(this.deps.backoffMs * 2 ** Math.min(attempt, 6), 15_000);
      await new Promise<void>((r) => this.deps.scheduler.after(delay, r));
      return step();
    };
    void step().finally(() => this.resolving.delete(orderId));
  }

  private event(reason: ReconcileReason, difference: VenueDifference): KernelEvent {
    return { type: 'venue-difference', accountId: this.deps.accountId, reason, difference, ts: this.deps.clock.now() };
  }

  /**
   * Applies what the venue says of one journal order. True when nothing is left to find out
   * (the order is settled or working with every fill applied); false to ask again later.
   */
  private async settle(order: Order, v: VenueOrder | null, diffs: VenueDifference[] | null): Promise<boolean> {
    const { broker, clock } = this.deps;
    if (!v) {
      // It may still arrive until its request's timestamp is older than the venue's recvWindow
      // (2 s more for clock skew); nothing is concluded while the request is still being sent.
      const since = broker.notBefore(order);
      if (since === null || clock.now() - since < this.deps.recvWindowMs + 2_000) return false;
      broker.deliver({ kind: 'rejected', orderId: order.id, reason: `the venue has no order with client id ${this.deps.clientIdOf(order.id)}: it never arrived (not re-sent)`, ts: clock.now() });
      diffs?.push({ kind: 'order-missing', orderId: order.id, clientOrderId: this.deps.clientIdOf(order.id) });
      return true;
    }
    if (order.status === 'pending_submit') broker.deliver({ kind: 'accepted', orderId: order.id, brokerOrderId: v.venueOrderId, ts: clock.now() });
    if (v.tradesOrderId) broker.noteVenueOrder(v.tradesOrderId, order.id);
    const step = this.deps.journal.qtyStep(order.symbol);
    let complete = true;
    if (v.filledQty > order.filledQty + step / 2 && v.tradesOrderId) {
      const trades = await this.deps.venue.tradesOfOrder(order.symbol, v.tradesOrderId);
      for (const t of trades) {
        const fill = this.deps.fillOf(order.id, t);
        if (this.deps.journal.hasFill(fill.id)) continue;
        broker.deliver({ kind: 'filled', orderId: order.id, fill });
        diffs?.push({ kind: 'missing-fill', orderId: order.id, tradeId: t.tradeId, qty: t.qty, price: t.price });
      }
      const sum = trades.reduce((a, t) => a + t.qty, 0);
      complete = sum >= v.filledQty - step / 2;
    }
    const now = this.deps.journal.getOrder(order.id) ?? order;
    if (v.status === 'cancelled' || v.status === 'rejected') {
      if (complete && isOrderOpen(now)) {
        const kind = v.status === 'rejected' && now.filledQty === 0 ? 'rejected' : 'cancelled';
        broker.deliver(kind === 'rejected' ? { kind, orderId: order.id, reason: 'rejected by the venue', ts: clock.now() } : { kind, orderId: order.id, reason: 'cancelled or expired at the venue', ts: clock.now() });
        diffs?.push({ kind: 'order-status', orderId: order.id, journal: now.status, venue: v.status });
      }
      return complete;
    }
    if (v.status === 'filled') return complete && !isOrderOpen(this.deps.journal.getOrder(order.id) ?? now);
    return complete; // working at the venue
  }

  private async run(reason: ReconcileReason): Promise<void> {
    const diffs: VenueDifference[] = [];
    let complete = true;
    const query = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (error) {
        complete = false;
        diffs.push({ kind: 'query-failed', query: name, error: this.deps.describe(error) });
        return undefined;
      }
    };
    const { journal, venue } = this.deps;
    const startedAt = this.deps.clock.now();
    const venueOpen = await query('open orders', () => venue.openOrders());

    // 1. Every open journal order against the venue's book.
    for (const order of journal.openOrders()) {
      const clientId = this.deps.clientIdOf(order.id);
      let v: VenueOrder | null | undefined = venueOpen?.find((o) => o.clientOrderId === clientId || (order.brokerOrderId !== null && o.venueOrderId === order.brokerOrderId));
      if (!v || v.filledQty > order.filledQty) v = await query(`order ${order.id}`, () => venue.orderOf(order));
      if (v === undefined) continue;
      const settled = await query(`fills of order ${order.id}`, () => this.settle(order, v, diffs));
      if (settled === false) this.resolveOrder(order.id);
    }

    // 2. Venue orders no journal order stands for.
    for (const v of venueOpen ?? []) {
      const orderId = this.deps.broker.orderIdOf({ clientOrderId: v.clientOrderId, venueOrderId: v.venueOrderId });
      if (orderId && journal.getOrder(orderId)) continue;
      let action: 'reported' | 'adopted' | 'cancelled' = 'reported';
      let adoptedId: string | undefined;
      if (this.deps.unknownOrders === 'adopt' && this.deps.adopt) {
        const adopted = this.deps.adopt(v);
        if (adopted) {
          action = 'adopted';
          adoptedId = adopted.id;
          this.deps.broker.noteVenueOrder(v.venueOrderId, adopted.id);
        }
      } else if (this.deps.unknownOrders === 'cancel' && this.deps.cancelAtVenue) {
        const ok = await query(`cancel venue order ${v.venueOrderId}`, () => this.deps.cancelAtVenue!(v).then(() => true));
        if (ok) action = 'cancelled';
      }
      diffs.push({ kind: 'unknown-order', venueOrderId: v.venueOrderId, clientOrderId: v.clientOrderId, symbol: v.symbol, side: v.side, qty: v.qty, action, ...(adoptedId ? { orderId: adoptedId } : {}) });
    }

    // 3. Recent fills: ours missing from the journal are applied; others are reported.
    const since = (this.lastTradesAt ?? startedAt - (this.deps.tradesLookbackMs ?? 3_600_000)) - 60_000;
    const trades = await query('recent fills', () => venue.tradesSince(since));
    if (trades) {
      this.lastTradesAt = startedAt;
      for (const t of trades) {
        const orderId = this.deps.broker.orderIdOf(t);
        const order = orderId ? journal.getOrder(orderId) : null;
        if (!order) {
          diffs.push({ kind: 'unknown-fill', tradeId: t.tradeId, venueOrderId: t.venueOrderId, symbol: t.symbol, qty: t.qty, price: t.price });
          continue;
        }
        const fill = this.deps.fillOf(order.id, t);
        if (journal.hasFill(fill.id) || !(isOrderOpen(order) || order.status === 'cancelled')) continue;
        this.deps.broker.deliver({ kind: 'filled', orderId: order.id, fill });
        diffs.push({ kind: 'missing-fill', orderId: order.id, tradeId: t.tradeId, qty: t.qty, price: t.price });
      }
    }

    // 4. Positions and balance, after the fills above were applied.
    const positions = await query('positions', () => venue.positions());
    if (positions) {
      const ours = new Map<string, number>();
      for (const p of journal.positions()) ours.set(p.symbol, (ours.get(p.symbol) ?? 0) + (p.side === 'long' ? p.qty : -p.qty));
      const symbols = new Set([...ours.keys(), ...positions.map((p) => p.symbol)]);
      for (const s of symbols) {
        const j = ours.get(s) ?? 0;
        const v = positions.filter((p) => p.symbol === s).reduce((a, p) => a + p.signedQty, 0);
        if (Math.abs(j - v) > journal.qtyStep(s) / 2) diffs.push({ kind: 'position', symbol: s, journal: j, venue: v });
      }
    }
    const balance = await query('balance', () => venue.balance());
    if (balance) {
      const j = journal.balance();
      if (Math.abs(j - balance.total) > this.deps.balanceTolerance) diffs.push({ kind: 'balance', currency: balance.currency, journal: j, venue: balance.total });
    }

    for (const d of diffs) this.deps.publish(this.event(reason, d));
    this.lastRunAt = this.deps.clock.now();
    this.deps.publish({ type: 'venue-reconciled', accountId: this.deps.accountId, reason, differences: diffs.length, complete, ts: this.lastRunAt });
  }
}

export { errorOf };
