import type { Order as CcxtOrder, Trade as CcxtTrade } from 'ccxt';
import type { Clock } from '../core/clock.js';
import type { Fill, Order } from '../core/orders.js';
import type { Broker, ExecutionReport, Scheduler } from '../core/ports.js';
import type { VenueConnectionState, VenueTrade } from '../core/venue.js';
import type { ClientIds } from './ccxt/client-ids.js';
import { toVenueOrder, toVenueTrade } from './ccxt/convert.js';
import { hasUserStream } from './ccxt/exchange.js';
import { ccxtErrors } from './ccxt/library.js';
import { errorText } from './ccxt/redact.js';
import { isTransient } from './ccxt/retry.js';
import type { CcxtVenue } from './ccxt/venue.js';

export interface CcxtBrokerDeps {
  clock: Clock;
  scheduler: Scheduler;
  accountId: string;
  venue: CcxtVenue;
  ids: ClientIds;
  /** The journal already holds this fill id. */
  hasFill: (fillId: string) => boolean;
  /** Use the user-data stream for fills and order updates (REST reconciliation backs it up). */
  userStream: boolean;
  backoffMs: number;
  /** Every text that leaves the adapter goes through this (no key, secret or signature). */
  redact: (text: string) => string;
  /** An order whose fate is unknown (lost answer, timeout, 5xx): the reconciler resolves it by its client id. */
  resolve: (orderId: string) => void;
  /** Connection changes (for events, logs, `tradewind accounts`, reconciling after a reconnect). */
  onState: (state: VenueConnectionState, detail: string) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** The fill id of a venue trade: trade ids are unique per venue symbol only. */
export const venueFillId = (accountId: string, trade: Pick<VenueTrade, 'symbol' | 'tradeId'>): string => `${accountId}:${trade.symbol}:${trade.tradeId}`;

export function fillOf(accountId: string, orderId: string, t: VenueTrade): Fill {
  return { id: venueFillId(accountId, t), orderId, accountId, symbol: t.symbol, side: t.side, qty: t.qty, price: t.price, fee: t.fee, ts: t.ts };
}

/**
 * A Broker on an exchange account through ccxt.
 *
 * An order arrives already journaled with its id; its venue client id is derived from that id
 * (ClientIds), so it exists before anything is sent. It is sent once. A refusal from the venue
 * (a 4xx) rejects it; a lost answer, a timeout or a 5xx leaves it in flight (pending_submit) and
 * hands it to the reconciler, which finds it by its client id — it is never sent again under
 * another id. Fills arrive from the user-data stream (watchMyTrades) and from REST (the
 * reconciler), both keyed by the venue's trade id, so a fill seen twice is applied once.
 */
export class CcxtBroker implements Broker {
  readonly name: string;
  readonly supportsProtectiveOrders = true;
  /**
   * The reconciler asks the venue by client id for every order left pending_submit after a
   * restart, and for the trades of every order the journal still holds open: acceptances and
   * fills need no fsync of their own (docs/STORAGE.md).
   */
  readonly venueRestoresAcceptance = true;
  readonly venueRestoresFills = true;
  private readonly listeners: ((r: ExecutionReport) => void)[] = [];
  private state: VenueConnectionState = 'connecting';
  private streamUp = false;
  private stopped = false;
  /** Fill checks scheduled a second after an order filled at once (cancelled by stop()). */
  private readonly pendingChecks = new Set<() => void>();
  /** Venue order id -> kernel order id, for stream trades and updates without our client id. */
  private readonly byVenueId = new Map<string, string>();
  private readonly recentFills = new Set<string>();
  /** Orders whose placement request has not settled yet (ccxt may still be queueing or sending it). */
  private readonly sending = new Set<string>();
  /** When a placement failed without an answer: the request was signed (timestamped) before this. */
  private readonly failedAt = new Map<string, number>();
  private readonly startedAt: number;

  constructor(private readonly deps: CcxtBrokerDeps) {
    this.name = `ccxt:${deps.accountId}`;
    this.startedAt = deps.clock.now();
  }

  /**
   * The time after which the venue can no longer receive this order's request (its timestamp is
   * older than recvWindow), less the window itself: null while the request is still with ccxt
   * (its rate limiter may delay signing, so nothing can be concluded). For an order from before
   * a restart, this process's start (the request was signed before the previous one died).
   */
  notBefore(order: Pick<Order, 'id' | 'createdAt'>): number | null {
    if (this.sending.has(order.id)) return null;
    return Math.max(order.createdAt, this.failedAt.get(order.id) ?? (order.createdAt < this.startedAt ? this.startedAt : order.createdAt));
  }

  get connection(): VenueConnectionState {
    return this.state;
  }

  get userStreamUp(): boolean {
    return this.streamUp;
  }

  onReport(listener: (r: ExecutionReport) => void): void {
    this.listeners.push(listener);
  }

  /** Reports from the reconciler go to the kernel through here (one path for every report). */
  deliver(report: ExecutionReport): void {
    if (report.kind === 'accepted') this.byVenueId.set(report.brokerOrderId, report.orderId);
    if (report.kind === 'filled') {
      if (this.recentFills.has(report.fill.id) || this.deps.hasFill(report.fill.id)) return;
      this.recentFills.add(report.fill.id);
      if (this.recentFills.size > 10_000) this.recentFills.delete(this.recentFills.values().next().value as string);
    }
    for (const l of this.listeners) l(report);
  }

  /** Remembers which venue order stands for which kernel order (a triggered stop's own order). */
  noteVenueOrder(venueOrderId: string, orderId: string): void {
    this.byVenueId.set(venueOrderId, orderId);
  }

  orderIdOf(trade: Pick<VenueTrade, 'clientOrderId' | 'venueOrderId'>): string | null {
    return this.deps.ids.fromVenue(trade.clientOrderId) ?? this.byVenueId.get(trade.venueOrderId) ?? null;
  }

  isAvailable(): boolean {
    return this.state === 'connected' || this.state === 'degraded';
  }

  /** At start the journal's open orders are only noted: the reconciler asks the venue once connected. */
  reconcile(openOrders: readonly Order[]): void {
    for (const o of openOrders) if (o.brokerOrderId) this.byVenueId.set(o.brokerOrderId, o.id);
  }

  setState(state: VenueConnectionState, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.deps.onState(state, this.deps.redact(detail));
  }

  submit(order: Order): void {
    const now = this.deps.clock.now();
    if (!this.isAvailable()) {
      this.deliver({ kind: 'rejected', orderId: order.id, reason: `venue ${this.deps.accountId} is ${this.state}: order not sent`, ts: now });
      return;
    }
    this.sending.add(order.id);
    // Sent after the journal's transaction committed (submit runs inside it): an order whose row
    // was rolled back is never sent.
    void Promise.resolve()
      .then(() => {
        if (this.orderLookup(order.id)) return this.deps.venue.place(order);
        this.sending.delete(order.id);
        return null;
      })
      .then(
      (placed) => {
        if (placed === null) return;
        this.sending.delete(order.id);
        const brokerOrderId = placed.venueOrderId;
        this.deliver({ kind: 'accepted', orderId: order.id, brokerOrderId, ts: this.deps.clock.now() });
        if (placed.status === 'rejected' || (placed.status === 'cancelled' && placed.filledQty === 0)) {
          this.deliver({ kind: 'cancelled', orderId: order.id, reason: `the venue ${placed.status === 'rejected' ? 'rejected' : 'expired'} it`, ts: this.deps.clock.now() });
        } else if (placed.filledQty > 0 || placed.status !== 'open') {
          // Filled (at least partly) at once: the fills come with their trade ids from the
          // stream; REST fetches them if the stream has not brought them within a second.
          if (this.streamUp) {
            const cancel = this.deps.scheduler.after(1_000, () => {
              this.pendingChecks.delete(cancel);
              if (!this.stopped) this.deps.resolve(order.id);
            });
            this.pendingChecks.add(cancel);
          }
          else this.deps.resolve(order.id);
        }
      },
      (error: unknown) => {
        this.sending.delete(order.id);
        const text = this.deps.redact(errorText(error));
        if (isTransient(error) || error instanceof ccxtErrors.DuplicateOrderId || /-4116/.test(text)) {
          // The venue may hold it: find out by client id (never re-send under a new one).
          this.failedAt.set(order.id, this.deps.clock.now());
          if (this.failedAt.size > 10_000) this.failedAt.delete(this.failedAt.keys().next().value as string);
          this.deps.log?.('warn', `order ${order.id}: answer lost (${text}); resolving by client id`);
          this.deps.resolve(order.id);
          return;
        }
        if (error instanceof ccxtErrors.AuthenticationError) this.setState('auth-failed', text);
        this.deliver({ kind: 'rejected', orderId: order.id, reason: `venue refused: ${text}`, ts: this.deps.clock.now(), byVenue: !(error instanceof ccxtErrors.AuthenticationError) });
      },
    );
  }

  cancel(orderId: string): void {
    void this.cancelAsync(orderId);
  }

  /** Set by the wiring: the journal's view of an order (the cancel needs its symbol and type). */
  orderLookup: (orderId: string) => Order | null = () => null;

  private async cancelAsync(orderId: string): Promise<void> {
    const order = this.orderLookup(orderId);
    if (!order) return;
    try {
      const v = await this.deps.venue.cancel(order);
      if (v && v.status === 'cancelled') {
        this.deliver({ kind: 'cancelled', orderId, reason: 'cancelled at the venue', ts: this.deps.clock.now() });
        if (v.filledQty > 0) this.deps.resolve(orderId);
        return;
      }
      // Gone or filled meanwhile: the venue's book says what happened.
      this.deps.resolve(orderId);
    } catch (error) {
      this.deps.log?.('warn', `cancel of ${orderId} failed: ${this.deps.redact(errorText(error))}; resolving by client id`);
      this.deps.resolve(orderId);
    }
  }

  /** Runs the user-data stream until stop(): fills (watchMyTrades) and order updates (watchOrders). */
  startStream(onReconnect: () => void): void {
    const ex = this.deps.venue.exchange;
    if (!this.deps.userStream || !hasUserStream(ex)) return;
    void this.loop('trades', () => ex.watchMyTrades(), (items) => (items as CcxtTrade[]).forEach((t) => this.onTrade(t)), onReconnect);
    void this.loop('orders', () => ex.watchOrders(), (items) => (items as CcxtOrder[]).forEach((o) => this.onOrderUpdate(o)), onReconnect);
  }

  private async loop(name: string, watch: () => Promise<unknown[]>, handle: (items: unknown[]) => void, onReconnect: () => void): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const items = await watch();
        if (this.stopped) return;
        if (!this.streamUp) {
          const wasDown = failures > 0;
          this.streamUp = true;
          failures = 0;
          if (wasDown) {
            this.deps.log?.('info', `user stream (${name}) back`);
            if (this.state === 'degraded') this.setState('connected', 'user stream back');
            onReconnect();
          }
        }
        handle(items);
      } catch (error) {
        if (this.stopped) return;
        failures += 1;
        if (this.streamUp) {
          this.streamUp = false;
          if (this.state === 'connected') this.setState('degraded', `user stream lost: ${errorText(error)}`);
        }
        if (error instanceof ccxtErrors.AuthenticationError) {
          this.setState('auth-failed', errorText(error));
          return;
        }
        await new Promise<void>((r) => this.deps.scheduler.after(Math.min(this.deps.backoffMs * 2 ** Math.min(failures - 1, 7), 30_000), r));
      }
    }
  }

  private onTrade(t: CcxtTrade): void {
    const trade = toVenueTrade(t, this.deps.venue.symbolOfMarket(t.symbol));
    const orderId = this.orderIdOf(trade);
    if (!orderId) return; // not ours: the reconciler reports it
    if (trade.venueOrderId) this.byVenueId.set(trade.venueOrderId, orderId);
    this.deliver({ kind: 'filled', orderId, fill: fillOf(this.deps.accountId, orderId, trade) });
  }

  private onOrderUpdate(o: CcxtOrder): void {
    const info = (o.info ?? {}) as Record<string, unknown>;
    const conditional = info.algoId !== undefined || info.strategyType !== undefined || (o.triggerPrice !== undefined && o.triggerPrice !== null);
    const v = toVenueOrder(o, this.deps.venue.symbolOfMarket(o.symbol), conditional);
    const orderId = this.deps.ids.fromVenue(v.clientOrderId) ?? this.byVenueId.get(v.venueOrderId) ?? null;
    if (!orderId) return;
    const ts = this.deps.clock.now();
    const journal = this.orderLookup(orderId);
    if (!journal || journal.status === 'filled' || journal.status === 'cancelled' || journal.status === 'rejected') return;
    if (v.status === 'open' && journal.status === 'pending_submit') this.deliver({ kind: 'accepted', orderId, brokerOrderId: v.venueOrderId, ts });
    else if (v.status === 'rejected') this.deliver({ kind: 'rejected', orderId, reason: 'rejected by the venue', ts, byVenue: true });
    else if (v.status === 'cancelled') {
      // A partly filled order may have fills the trade stream has not brought yet: REST settles them first.
      if (v.filledQty > 0) this.deps.resolve(orderId);
      else this.deliver({ kind: 'cancelled', orderId, reason: conditional ? 'conditional order cancelled or expired at the venue' : 'cancelled or expired at the venue', ts });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A fill check still due would query the venue and write to a journal that is closing.
    for (const cancel of this.pendingChecks) cancel();
    this.pendingChecks.clear();
    await this.deps.venue.exchange.close().catch(() => undefined);
  }
}
