import {
  BRIDGE_REPORT_STATUSES,
  bridgeFillId,
  fillIncrement,
  decideReport,
  type BridgeAlert,
  type BridgeContract,
  type BridgeOrder,
  type BridgeQueue,
  type BridgeReport,
  type BridgeReportStatus,
  type BridgeSnapshot,
  type ClaimResult,
  type PositionDiff,
} from '../core/bridge.js';
import type { Clock } from '../core/clock.js';
import type { Instrument } from '../core/instruments.js';
import { DEFAULT_MONEY_LIMITS, fillProblem, type MoneyLimits } from '../core/money-checks.js';
import type { Fill, Order } from '../core/orders.js';
import type { Broker, ExecutionReport } from '../core/ports.js';
import { BridgeWatch, type StaleOrderView } from './bridge-watch.js';

export type { StaleOrderView } from './bridge-watch.js';

export interface BridgeBrokerDeps {
  clock: Clock;
  queue: BridgeQueue;
  /** The kernel account whose orders this bridge executes. */
  accountId: string;
  /** `bridge:<name>`; the account id by default. */
  name?: string;
  /** Kernel symbol -> the bridge's contract and exchange (ES -> MESM6 on CME). */
  contracts: Readonly<Record<string, BridgeContract>>;
  /** DEMO or LIVE, passed to the bridge with every order (seed 003 `env`). */
  env: string;
  /** Seed 003 `mode` when the order carries no tag. */
  defaultMode?: string;
  /** How long a claim holds an order for its claimant before another bridge may take it. */
  leaseMs: number;
  /** The bridge counts as offline when its last heartbeat is older than this. */
  heartbeatTimeoutMs: number;
  /** Last known price of a kernel symbol, sent with the order as a hint. */
  lastPrice?: (symbol: string) => number | undefined;
  /**
   * The journal's transaction (SqliteStore.atomically) when the queue shares its database: an
   * execution report's queue update and what the kernel records for it (order status, fill,
   * position, desk state) then commit together, with one fsync.
   */
  atomically?: <T>(fn: () => T) => T;
  /**
   * Instrument specs for the money checks of fill reports (tick size, lot size, min/max
   * quantity); without them only the range checks apply.
   */
  instrument?: (symbol: string) => Instrument | undefined;
  /** The band around the last price and the fee cap for fills (risk.fillPriceBandPct, risk.maxFeePct). */
  limits?: MoneyLimits;
  /** A WORKING order is flagged stale once its lease ran out this long ago (bridge.staleGraceSeconds). */
  staleGraceMs?: number;
  /** The server's signed position (long +, short -) per kernel symbol of this account. */
  serverPositions?: () => Readonly<Record<string, number>>;
}

/** An order in GET /api/orders/pending (seed 003 fields first, then ours). */
export interface PendingOrderView {
  id: string;
  asset: string;
  exchange: string;
  side: 'BUY' | 'SELL';
  qty: number;
  mode: string;
  env: string;
  kind: 'ENTRY' | 'EXIT';
  /** True: the server asks the bridge to cancel this order it holds (report CANCELLED, or FILLED if it already executed). */
  cancel: boolean;
  symbol: string;
  type: 'market';
  ref_price: number | null;
  lease_expires_at: string | null;
  /** When the server queued it: with the id, a key no database reset can repeat (a bridge's journal uses it). */
  created_at: string;
  /**
   * Latency probes (µs since the epoch, this server's monotonic clock), present only for orders
   * placed by a webhook since the server started: when the webhook arrived, when its order's
   * queue row was committed (durable and claimable), when a poll first claimed it.
   */
  received_at_us?: number;
  queued_at_us?: number;
  claimed_at_us?: number;
}

/** Microseconds since the epoch on the monotonic clock (performance.now anchored at timeOrigin). */
export const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

interface Timing {
  receivedAtUs: number;
  queuedAtUs: number;
  claimedAtUs?: number;
}
const MAX_TIMINGS = 10_000;

/**
 * A push subscriber (or long poll) waiting for work. The transaction that queues an order claims
 * it for the first waiting claimant at once (no commit of its own), and the claim is handed over
 * once that transaction has committed; see BridgeBroker.waitToClaim.
 */
interface Claimant {
  owner: string;
  limit: number;
  /** False once the claimant cannot take orders (its connection is closing). */
  active(): boolean;
  /** Claimed on its behalf inside a transaction that has not ended yet. */
  taken: { result: ClaimResult; now: number } | null;
  /** Ends the wait: the claim made for it (committed), or null when it should claim itself. */
  settle(orders: PendingOrderView[] | null): void;
  /** New work may be claimable: ends the wait with null unless a claim made for it is on its way. */
  wake(): void;
}

export interface BridgeReportInput {
  status: string;
  owner?: string;
  fill_price?: unknown;
  qty?: unknown;
  fee?: unknown;
  symbol?: unknown;
  side?: unknown;
  reason?: unknown;
  broker_order_id?: unknown;
}

export type BridgeReportResponse =
  | {
      status: 200;
      body: { ok: true; order_id: string; status: string; ignored?: true; duplicate?: true; message?: string; lease_expires_at?: string; lease_seconds?: number };
    }
  | { status: 400 | 404 | 409 | 422; body: { ok: false; error: string; status?: string } };

export type PnlSnapshotListener = (snapshot: BridgeSnapshot) => void;
export type BridgeAlertListener = (alert: BridgeAlert) => void;

export type ResolveResult =
  | { ok: true; outcome: 'FILLED' | 'CANCELLED'; order: BridgeOrder }
  | { ok: false; status: 404 | 409 | 422; error: string };

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * A broker whose orders are executed by an external process (seed 003's bridge). `submit`
 * queues the order durably; a bridge claims it with a lease, confirms it (WORKING, reported to
 * the kernel as `accepted`), and reports FILLED, REJECTED or CANCELLED. Reports are idempotent:
 * the queue row decides, and a fill's id is derived from its order id.
 */
export class BridgeBroker implements Broker {
  readonly name: string;
  /** Market orders only: the kernel keeps the stops and targets (server-managed stops). */
  readonly supportsProtectiveOrders = false;
  private listeners: ((r: ExecutionReport) => void)[] = [];
  private pnlListeners: PnlSnapshotListener[] = [];
  private alertListeners: BridgeAlertListener[] = [];
  /** Stale orders and position reconciliation. */
  private readonly watch: BridgeWatch;
  private lastHeartbeatAt: number | null;
  private lastHeartbeatData: Record<string, unknown> | null;
  /** Push channels and long polls waiting for claimable work (waitToClaim), oldest first. */
  private readonly claimants = new Set<Claimant>();
  private wakeScheduled = false;
  private readonly timings = new Map<string, Timing>();

  constructor(private readonly deps: BridgeBrokerDeps) {
    this.name = `bridge:${deps.name ?? deps.accountId}`;
    this.watch = new BridgeWatch({ ...deps, staleGraceMs: deps.staleGraceMs ?? 0, alert: (a) => this.alert(a) });
    const hb = deps.queue.lastHeartbeat(deps.accountId);
    this.lastHeartbeatAt = hb?.ts ?? null;
    this.lastHeartbeatData = hb?.data ?? null;
  }

  /** How long a claim holds an order (bridge.leaseSeconds). */
  get leaseSeconds(): number {
    return this.deps.leaseMs / 1000;
  }

  onReport(listener: (r: ExecutionReport) => void): void {
    this.listeners.push(listener);
  }

  /** Stale orders, late fills, refused fills and position mismatches (see BridgeAlert). */
  onAlert(listener: BridgeAlertListener): void {
    this.alertListeners.push(listener);
  }

  submit(order: Order): void {
    const now = this.deps.clock.now();
    const refuse = (reason: string) => this.emit({ kind: 'rejected', orderId: order.id, reason, ts: now });
    if (order.type !== 'market') return refuse(`the bridge executes market orders only; ${order.type} orders are managed by the server`);
    const contract = this.deps.contracts[order.symbol];
    if (!contract) return refuse(`no bridge contract for ${order.symbol} (bridge.contracts)`);
    if (!this.isAvailable()) return refuse(this.offlineReason(now));
    const queued = this.deps.queue.enqueue({
      id: order.id,
      accountId: order.accountId,
      symbol: order.symbol,
      contract: contract.contract,
      exchange: contract.exchange,
      side: order.side === 'buy' ? 'BUY' : 'SELL',
      qty: order.qty,
      kind: order.purpose === 'entry' ? 'ENTRY' : 'EXIT',
      mode: order.tag ?? this.deps.defaultMode ?? 'A',
      env: this.deps.env,
      refPrice: this.deps.lastPrice?.(order.symbol) ?? null,
      createdAt: now,
    });
    if (queued) {
      this.claimForWaiting(now);
      this.signalWork();
    }
    // 'accepted' comes when a bridge confirms the order (WORKING).
  }

  /**
   * Resolves when new work may be claimable (an order queued, a cancel requested), after `ms`, or
   * when `signal` aborts, for a claimant that claims as soon as it wakes (the push channel, a long
   * poll). Being woken is a hint, not a promise that something is there. When an order is queued
   * while it waits, the queuing transaction (the webhook's) claims
   * it for the claimant right there, so the claim costs no commit of its own, and this resolves
   * with those orders once that transaction has committed (checked against the rows, so a
   * rolled-back claim is never handed out). Resolves with null when the claimant should claim
   * itself: woken by other work, timed out, aborted, or the claim in the transaction failed.
   */
  waitToClaim(owner: string, limit: number, ms: number, signal?: AbortSignal, active: () => boolean = () => true): Promise<PendingOrderView[] | null> {
    return new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve(null);
      const settle = (orders: PendingOrderView[] | null) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.claimants.delete(claimant);
        resolve(orders);
      };
      // A claim made for it in a transaction still open is handed over when that transaction ends.
      const wake = () => void (claimant.taken === null && settle(null));
      const claimant: Claimant = { owner, limit, active, taken: null, settle, wake };
      const abort = () => settle(null); // its claim, if any, runs out its lease as an unread poll answer would
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', abort, { once: true });
      this.claimants.add(claimant);
    });
  }

  /** Ends every long poll now (server shutdown): each answers with what it can claim. */
  releaseWaiters(): void {
    for (const c of [...this.claimants]) c.wake();
  }

  /**
   * Wakes the long polls, but only once the writes that made the work are committed: the wake-up
   * runs after the current synchronous call (the webhook's transaction) has returned, and while
   * a transaction is still open on the queue's connection it waits a turn of the event loop and
   * checks again. So a bridge can never be handed a row that is not yet durable.
   */
  private signalWork(): void {
    if (this.claimants.size === 0 || this.wakeScheduled) return;
    this.wakeScheduled = true;
    const wake = () => {
      if (this.deps.queue.inTransaction?.()) {
        setImmediate(wake);
        return;
      }
      this.wakeScheduled = false;
      this.handOverClaims();
      for (const c of [...this.claimants]) c.wake();
    };
    queueMicrotask(wake);
  }

  /**
   * Inside the transaction that has just queued an order: claims for the first waiting claimant
   * that gets something (oldest waiter first, the same claim as its own poll would make). A claim
   * that fails leaves the transaction as it was (its savepoint is rolled back) and the claimants
   * to claim for themselves when woken.
   */
  private claimForWaiting(now: number): void {
    for (const c of this.claimants) {
      if (c.taken !== null || !c.active()) continue;
      let r: ClaimResult;
      try {
        r = this.deps.queue.claim(this.deps.accountId, c.owner, c.limit, now, this.deps.leaseMs);
      } catch {
        return;
      }
      if (r.claimed.length === 0 && r.cancelledOnExpiry.length === 0) continue;
      c.taken = { result: r, now };
      return;
    }
  }

  /**
   * After the queuing transaction has ended: each claim made inside it is handed to its claimant
   * if the rows show it committed; otherwise (rolled back) the claimant claims for itself.
   */
  private handOverClaims(): void {
    for (const c of [...this.claimants]) {
      if (c.taken === null) continue;
      const { result: r, now } = c.taken;
      const committed = r.claimed.every((o) => {
        const q = this.deps.queue.get(o.id);
        return q?.status === 'CLAIMED' && q.leaseOwner === c.owner && q.leaseExpiresAt === o.leaseExpiresAt;
      });
      // The cancellations it made are reported to the kernel as far as the rows show them.
      const cancelled = r.cancelledOnExpiry.filter((o) => this.deps.queue.get(o.id)?.status === 'CANCELLED');
      const views = this.claimedViews({ claimed: committed ? r.claimed : [], cancelRequests: committed ? r.cancelRequests : [], cancelledOnExpiry: cancelled }, now);
      c.settle(committed ? views : null);
    }
  }

  /** Records a webhook's arrival and its order's commit time (µs, nowUs) for the latency probes. */
  noteTiming(orderId: string, receivedAtUs: number, queuedAtUs: number): void {
    if (this.timings.size >= MAX_TIMINGS) this.timings.delete(this.timings.keys().next().value as string);
    this.timings.set(orderId, { receivedAtUs, queuedAtUs });
  }

  /**
   * A queued order nobody claimed is cancelled at once; a claimed or working one is marked, and
   * its bridge sees `cancel: true` in its next poll and answers CANCELLED (or FILLED: a fill
   * that raced the request wins).
   */
  cancel(orderId: string, reason = 'cancelled by request'): 'cancelled' | 'requested' | 'not_cancellable' | 'not_found' {
    const now = this.deps.clock.now();
    const r = this.deps.queue.requestCancel(orderId, reason, now);
    if (r.outcome === 'not_found') return 'not_found';
    if (r.outcome === 'terminal') return 'not_cancellable';
    if (r.outcome === 'cancelled') {
      this.emit({ kind: 'cancelled', orderId, reason, ts: now });
      return 'cancelled';
    }
    if (r.outcome === 'requested') this.signalWork(); // its bridge's long poll shows `cancel: true` at once
    return 'requested';
  }

  /**
   * After a restart nothing is resent. Queued and claimed orders stay in the queue (a claim
   * survives through its lease); outcomes the queue recorded while the kernel was down are
   * replayed once: the kernel's order leaves the open set when it takes them.
   */
  reconcile(openOrders: readonly Order[]): void {
    const now = this.deps.clock.now();
    for (const o of openOrders) {
      const q = this.deps.queue.get(o.id);
      if (!q) {
        if (o.status === 'pending_submit') this.emit({ kind: 'rejected', orderId: o.id, reason: 'not queued for the bridge before restart; not resent', ts: now });
        continue;
      }
      switch (q.status) {
        case 'PENDING':
        case 'CLAIMED':
          if (o.status === 'cancel_pending' && !q.cancelRequested) this.cancel(o.id, o.reason ?? 'cancelled by request');
          break;
        case 'WORKING': {
          if (o.status === 'pending_submit') this.emit(this.accepted(q));
          // A PARTIAL the kernel has not recorded yet (it is applied with the queue's write, so only an older journal lacks it).
          if ((q.fillQty ?? 0) > o.filledQty + 1e-9) this.emitFill(q, this.knownByKernel(q, o), false);
          if (o.status === 'cancel_pending' && !q.cancelRequested) this.cancel(o.id, o.reason ?? 'cancelled by request');
          break;
        }
        default:
          this.emitOutcome(q, o.status === 'pending_submit' ? 'CLAIMED' : 'WORKING', this.knownByKernel(q, o), q.status === 'FILLED' ? 'FILLED' : 'CANCELLED');
      }
    }
  }

  /** The queue row as the kernel's order knows it: its cumulative fill so far. */
  private knownByKernel(q: BridgeOrder, o: Order): BridgeOrder {
    return { ...q, fillQty: o.filledQty > 0 ? o.filledQty : null, fillPrice: o.avgFillPrice, fillFee: o.fees };
  }

  isAvailable(): boolean {
    const now = this.deps.clock.now();
    if (this.lastHeartbeatAt === null || now - this.lastHeartbeatAt > this.deps.heartbeatTimeoutMs) return false;
    return this.lastHeartbeatData?.tsConnected !== false;
  }

  // ---- the bridge's side (seed 003 routes) ----

  /** GET /api/orders/pending: leases up to `limit` orders to `owner`, plus its cancel requests. */
  claim(owner: string, limit: number, now = this.deps.clock.now()): PendingOrderView[] {
    return this.claimedViews(this.deps.queue.claim(this.deps.accountId, owner, limit, now, this.deps.leaseMs), now);
  }

  /** A committed claim as the bridge sees it; the cancellations it made are reported to the kernel. */
  private claimedViews(r: ClaimResult, now: number): PendingOrderView[] {
    for (const o of r.cancelledOnExpiry) this.emit({ kind: 'cancelled', orderId: o.id, reason: o.reason ?? 'cancelled', ts: now });
    const claimedAtUs = r.claimed.length > 0 ? nowUs() : 0;
    for (const o of r.claimed) {
      const t = this.timings.get(o.id);
      if (t) t.claimedAtUs ??= claimedAtUs;
    }
    return [...r.cancelRequests.map((o) => this.view(o, true)), ...r.claimed.map((o) => this.view(o, false))];
  }

  /** POST /api/orders/{id}/execution-report. */
  report(orderId: string, input: BridgeReportInput, now = this.deps.clock.now()): BridgeReportResponse {
    const status = String(input.status ?? '').toUpperCase() as BridgeReportStatus;
    if (!BRIDGE_REPORT_STATUSES.includes(status)) {
      return { status: 400, body: { ok: false, error: `status must be one of ${BRIDGE_REPORT_STATUSES.join(', ')}` } };
    }
    const side = str(input.side)?.toUpperCase();
    if (side !== undefined && side !== 'BUY' && side !== 'SELL') return { status: 400, body: { ok: false, error: 'extra.side must be BUY or SELL' } };
    const report: BridgeReport = { status, owner: str(input.owner) ?? 'bridge' };
    const fillPrice = num(input.fill_price);
    const qty = num(input.qty);
    const fee = num(input.fee);
    if (fillPrice !== undefined) report.fillPrice = fillPrice;
    if (qty !== undefined) report.qty = qty;
    if (fee !== undefined) report.fee = fee;
    if (side !== undefined) report.side = side;
    const symbol = str(input.symbol);
    if (symbol !== undefined) report.symbol = symbol;
    const reason = str(input.reason);
    if (reason !== undefined) report.reason = reason;
    const brokerOrderId = str(input.broker_order_id);
    if (brokerOrderId !== undefined) report.brokerOrderId = brokerOrderId;

    if (status === 'FILLED' || status === 'PARTIAL') {
      const refused = this.refuseFill(orderId, report, now);
      if (refused) return refused;
    }
    const r = this.applyReport(orderId, report, now);
    switch (r.outcome) {
      case 'not_found':
        return { status: 404, body: { ok: false, error: r.message } };
      case 'conflict':
        return { status: 409, body: { ok: false, error: r.message, status: r.order.status } };
      case 'invalid':
        return { status: 422, body: { ok: false, error: r.message, status: r.order.status } };
      case 'ignored':
        return { status: 200, body: { ok: true, order_id: orderId, status: r.order.status, ignored: true, message: r.message } };
      case 'applied': {
        // A WORKING acknowledgement tells the owner how long its lease runs: it renews it (WORKING again) well before.
        const lease = r.order.status === 'WORKING' && r.order.leaseExpiresAt !== null ? { lease_expires_at: new Date(r.order.leaseExpiresAt).toISOString(), lease_seconds: this.deps.leaseMs / 1000 } : {};
        return { status: 200, body: { ok: true, order_id: orderId, status: r.order.status, ...(r.duplicate ? { duplicate: true as const } : {}), ...lease } };
      }
    }
  }

  private applyReport(orderId: string, report: BridgeReport, now: number) {
    const apply = () => {
      const r = this.deps.queue.report(orderId, report, now, this.deps.leaseMs);
      if (r.outcome === 'applied' && !r.duplicate) {
        this.watch.forget(orderId);
        this.emitOutcome(r.order, r.from, r.previous, report.status);
      }
      return r;
    };
    return this.deps.atomically ? this.deps.atomically(apply) : apply();
  }

  /**
   * Money checks of a FILLED report the queue would apply: the price against the instrument
   * (range, tick) and the market (the band around the last price), the quantity (lot, min/max)
   * and the fee (finite, at most risk.maxFeePct of the notional). A refusal is a 422 and an alert;
   * the order stays as it was (a stale WORKING order then, for the operator to resolve).
   */
  private refuseFill(orderId: string, report: BridgeReport, now: number): BridgeReportResponse | null {
    const q = this.deps.queue.get(orderId);
    if (!q || decideReport(q, report, now).kind !== 'apply') return null; // the queue answers (404, 409, 422 or ignored)
    // Reports are cumulative: the new part is what reaches the ledger, so it is what is checked.
    const part = typeof report.fillPrice === 'number' ? fillIncrement(q, { qty: report.qty ?? q.qty, price: report.fillPrice, fee: report.fee ?? q.fillFee ?? 0 }) : null;
    const problem = part && part.qty > 0 ? this.fillProblemOf(q, part.price, part.qty, part.fee) : this.fillProblemOf(q, report.fillPrice, report.qty ?? q.qty, report.fee ?? 0);
    if (!problem) return null;
    const message = `fill refused: ${problem.message}`;
    this.alert({ kind: 'fill-refused', accountId: this.deps.accountId, ts: now, message: `${q.id} ${message}`, orderId: q.id, symbol: q.symbol, owner: report.owner, code: problem.code, field: problem.field, value: problem.value });
    return { status: 422, body: { ok: false, error: message, status: q.status } };
  }

  private fillProblemOf(q: BridgeOrder, price: unknown, qty: unknown, fee: unknown) {
    const inst = this.deps.instrument?.(q.symbol);
    const spec = inst ?? { symbol: q.symbol, tickSize: 0, qtyStep: 0, minQty: 0, maxQty: Number.MAX_VALUE, pointValue: 1 };
    return fillProblem({ price, qty, fee }, spec, { lastPrice: this.deps.lastPrice?.(q.symbol), limits: this.deps.limits ?? DEFAULT_MONEY_LIMITS, allowNegativeFee: false });
  }

  /** POST /api/bridge/heartbeat. */
  heartbeat(data: Record<string, unknown>, now = this.deps.clock.now()): void {
    this.lastHeartbeatAt = now;
    this.lastHeartbeatData = data;
    this.deps.queue.saveHeartbeat(this.deps.accountId, { ts: now, data });
  }

  /**
   * POST /api/rithmic/pnl-snapshot: stored, then handed to the listeners (daily stop, auto-exit).
   * When the bridge sent its positions (`positions: true`), they are compared with the server's.
   */
  pnlSnapshot(data: Record<string, unknown>, now = this.deps.clock.now(), o: { positions?: boolean } = {}): BridgeSnapshot {
    const snapshot = { ts: now, data };
    this.deps.queue.savePnlSnapshot(this.deps.accountId, snapshot);
    for (const l of this.pnlListeners) l(snapshot);
    if (o.positions !== false && Array.isArray(data.symbols)) this.watch.comparePositions(data.symbols as { symbol: string; position: number }[], now);
    return snapshot;
  }

  /** The unexplained differences of the last snapshot (empty when the positions agree). */
  positionMismatch(): PositionDiff[] {
    return this.watch.positionMismatch();
  }

  /**
   * Flags WORKING orders whose owner went silent (see BridgeWatch.checkStale). Run it
   * periodically (the composition root's scheduler); cheap when nothing is open.
   */
  checkStale(now = this.deps.clock.now()): StaleOrderView[] {
    return this.watch.checkStale(now);
  }

  /** The stale WORKING orders now, each with what the bridge's last position report says of it. */
  staleOrders(now = this.deps.clock.now()): StaleOrderView[] {
    return this.watch.staleOrders(now);
  }

  /**
   * POST /api/bridge/orders/{id}/resolve (operator): ends a stale WORKING order the way the
   * bridge's own position report says it ended. FILLED is applied at `fillPrice` (default: the
   * order's ref_price, else the last price; money-checked like any fill); CANCELLED when the
   * bridge never executed it. If the owner reports its real outcome later, a late fill still
   * counts (after CANCELLED), anything else is ignored.
   */
  resolveStale(orderId: string, fillPrice?: number, now = this.deps.clock.now()): ResolveResult {
    const q = this.deps.queue.get(orderId);
    if (!q || q.accountId !== this.deps.accountId) return { ok: false, status: 404, error: `Order ${orderId} is not in the bridge queue` };
    const stale = this.staleOrders(now).find((s) => s.order_id === orderId);
    if (!stale) return { ok: false, status: 409, error: `Order ${orderId} is ${q.status}, not a stale WORKING order: nothing to resolve` };
    if (!stale.resolution) return { ok: false, status: 409, error: `Order ${orderId} cannot be resolved from the bridge's positions: ${stale.resolution_reason}` };
    const reason = `resolved by the operator from the bridge's position report: ${stale.resolution_reason}`;
    const report: BridgeReport = { status: stale.resolution, owner: 'server', server: true, reason };
    if (stale.resolution === 'FILLED') {
      const price = fillPrice ?? q.refPrice ?? this.deps.lastPrice?.(q.symbol);
      const problem = this.fillProblemOf(q, price, q.qty, 0);
      if (problem) return { ok: false, status: 422, error: `fill_price refused: ${problem.message}` };
      Object.assign(report, { fillPrice: price, qty: q.qty, fee: 0 });
    }
    const r = this.applyReport(orderId, report, now);
    if (r.outcome !== 'applied') return { ok: false, status: 409, error: 'message' in r ? r.message : `Order ${orderId} changed meanwhile` };
    this.alert({
      kind: 'stale-resolved',
      accountId: this.deps.accountId,
      ts: now,
      message: `stale bridge order ${orderId} resolved as ${stale.resolution}${stale.resolution === 'FILLED' ? ` at ${String(report.fillPrice)}` : ''} (${stale.resolution_reason})`,
      orderId,
      symbol: q.symbol,
      outcome: stale.resolution,
      fillPrice: report.fillPrice ?? null,
    });
    return { ok: true, outcome: stale.resolution, order: r.order };
  }

  /** The hook for daily-stop checks and auto-exit on the bridge's PnL. */
  onPnlSnapshot(listener: PnlSnapshotListener): void {
    this.pnlListeners.push(listener);
  }

  status(now = this.deps.clock.now()) {
    const hb = this.lastHeartbeatAt;
    return {
      stale_orders: this.staleOrders(now),
      position_mismatch: this.watch.positionMismatch(),
      broker: this.name,
      account_id: this.deps.accountId,
      available: this.isAvailable(),
      reason: this.isAvailable() ? null : this.offlineReason(now),
      last_heartbeat: hb === null ? null : { ts: new Date(hb).toISOString(), age_s: Math.round((now - hb) / 100) / 10, ...this.lastHeartbeatData },
      last_pnl_snapshot: this.deps.queue.lastPnlSnapshot(this.deps.accountId),
      lease_seconds: this.deps.leaseMs / 1000,
      heartbeat_timeout_seconds: this.deps.heartbeatTimeoutMs / 1000,
    };
  }

  queued(limit: number, openOnly = false): BridgeOrder[] {
    return this.deps.queue.list({ accountId: this.deps.accountId, limit, openOnly });
  }

  private offlineReason(now: number): string {
    if (this.lastHeartbeatAt === null) return 'bridge offline: no heartbeat received; order not queued';
    if (this.lastHeartbeatData?.tsConnected === false) return 'bridge offline: its trading server is disconnected; order not queued';
    return `bridge offline: last heartbeat ${Math.round((now - this.lastHeartbeatAt) / 1000)} s ago; order not queued`;
  }

  private view(o: BridgeOrder, cancel: boolean): PendingOrderView {
    return {
      id: o.id,
      asset: o.contract,
      exchange: o.exchange,
      side: o.side,
      qty: o.qty,
      mode: o.mode,
      env: o.env,
      kind: o.kind,
      cancel,
      symbol: o.symbol,
      type: 'market',
      ref_price: o.refPrice,
      lease_expires_at: o.leaseExpiresAt === null ? null : new Date(o.leaseExpiresAt).toISOString(),
      created_at: new Date(o.createdAt).toISOString(),
      ...this.timingView(o.id),
    };
  }

  private timingView(id: string): Pick<PendingOrderView, 'received_at_us' | 'queued_at_us' | 'claimed_at_us'> {
    const t = this.timings.get(id);
    if (!t) return {};
    return { received_at_us: t.receivedAtUs, queued_at_us: t.queuedAtUs, ...(t.claimedAtUs === undefined ? {} : { claimed_at_us: t.claimedAtUs }) };
  }

  private accepted(o: BridgeOrder): ExecutionReport {
    return { kind: 'accepted', orderId: o.id, brokerOrderId: o.brokerOrderId ?? `bridge:${o.leaseOwner ?? 'bridge'}:${o.id}`, ts: o.updatedAt };
  }

  /** What the kernel hears when a queued order reaches `o.status` from `from` on a `reported` report. */
  private emitOutcome(o: BridgeOrder, from: string, previous: BridgeOrder, reported: BridgeReportStatus): void {
    const wasWorking = from === 'WORKING';
    if (reported === 'PARTIAL') {
      if (!wasWorking) this.emit(this.accepted(o));
      this.emitFill(o, previous, false);
      return;
    }
    switch (o.status) {
      case 'WORKING':
        this.emit(this.accepted(o));
        break;
      case 'FILLED': {
        if (from === 'CANCELLED') {
          const message = `bridge order ${o.id} was filled by ${o.leaseOwner ?? '?'} at ${String(o.fillPrice)} after it was cancelled: applied (the broker's book is the truth)`;
          this.alert({ kind: 'late-fill', accountId: this.deps.accountId, ts: o.updatedAt, message, orderId: o.id, symbol: o.symbol, owner: o.leaseOwner ?? '', fillPrice: o.fillPrice ?? 0, qty: o.fillQty ?? o.qty });
        }
        // FILLED ends the queue row: a quantity short of the order's is a partial fill whose
        // remainder the kernel cancels (done), never the whole order filled.
        this.emitFill(o, previous, true);
        break;
      }
      case 'REJECTED':
        // The kernel's order table has no reject once accepted: a late rejection ends it as cancelled.
        if (wasWorking) this.emit({ kind: 'cancelled', orderId: o.id, reason: `rejected by the bridge after it was working: ${o.reason ?? ''}`.trim(), ts: o.updatedAt });
        else this.emit({ kind: 'rejected', orderId: o.id, reason: o.reason ?? 'rejected by the bridge', ts: o.updatedAt });
        break;
      case 'CANCELLED':
        this.emit({ kind: 'cancelled', orderId: o.id, reason: o.reason ?? 'cancelled by the bridge', ts: o.updatedAt });
        break;
      default:
        break;
    }
  }

  /** The fill since `previous` (reports are cumulative); `done`: the bridge will fill no more. */
  private emitFill(o: BridgeOrder, previous: BridgeOrder, done: boolean): void {
    const before = previous.fillQty ?? 0;
    const cumulative = o.fillQty ?? o.qty;
    const part = fillIncrement(previous, { qty: cumulative, price: o.fillPrice ?? 0, fee: o.fillFee ?? 0 });
    if (part.qty <= 0) {
      // FILLED at the quantity the PARTIALs already reported: nothing new executed, the rest never will.
      if (done) this.emit({ kind: 'cancelled', orderId: o.id, reason: `the bridge ended the order at ${cumulative} of ${o.qty} filled; the remainder is cancelled`, ts: o.updatedAt });
      return;
    }
    const fill: Fill = {
      id: bridgeFillId(o.id, before, cumulative),
      orderId: o.id,
      accountId: o.accountId,
      symbol: o.symbol,
      side: o.side === 'BUY' ? 'buy' : 'sell',
      qty: part.qty,
      price: part.price,
      fee: part.fee,
      ts: o.fillTs ?? o.updatedAt,
    };
    this.emit({ kind: 'filled', orderId: o.id, fill, done });
  }

  private emit(report: ExecutionReport): void {
    for (const l of this.listeners) l(report);
  }

  private alert(a: BridgeAlert): void {
    for (const l of this.alertListeners) l(a);
  }
}
