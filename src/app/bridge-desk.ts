import { createHash, timingSafeEqual } from 'node:crypto';
import type { BridgeBroker, PendingOrderView } from '../adapters/broker-bridge.js';
import { isOrderOpen, type OrderSide } from '../core/orders.js';
import type { Kernel } from '../engine/kernel.js';

export type DeskResult = { ok: true; body: Record<string, unknown> } | { ok: false; status: 400 | 401 | 403 | 404 | 409 | 422; error: string; extra?: Record<string, unknown> };

export interface BridgeDeskOptions {
  /** BRIDGE_HEARTBEAT_SECRET; empty disables the bridge routes (403), never opens them. */
  secret: string;
  /** The bridge account: its broker and kernel; null when bridge.enabled is false. */
  bridge: { broker: BridgeBroker; kernel: Kernel } | null;
  /** POST /api/bridge/test-order places orders on the bridge account (bridge.allowTestOrders). */
  allowTestOrders: boolean;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const OWNER = /^[A-Za-z0-9_.:@-]{1,64}$/;
const HEARTBEAT_FIELDS = ['tsConnected', 'mdConnected', 'repoOk', 'account', 'tradeRoute', 'lastRapiEventUtc', 'owner'] as const;

/** Longest long poll: below the usual 30 s proxy and client timeouts. */
export const MAX_WAIT_MS = 25_000;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Seed 003's bridge routes as use cases: the executor's side (pending orders, execution reports,
 * heartbeats, PnL snapshots; authenticated by the bridge secret, compared in constant time) and
 * the operator's side (status, cancel, test orders; behind the operator guard).
 */
export class BridgeDesk {
  private readonly secretDigest: Buffer | null;
  /** Set on server shutdown: long polls answer at once. */
  private closed = false;

  constructor(private readonly o: BridgeDeskOptions) {
    this.secretDigest = o.secret ? digest(o.secret) : null;
  }

  /** Null when the presented secret is right; the refusal otherwise. The secret is never echoed. */
  authorize(presented: unknown): DeskResult | null {
    if (!this.secretDigest) return { ok: false, status: 403, error: 'Bridge routes are disabled: set BRIDGE_HEARTBEAT_SECRET (bridge.secret) to enable them' };
    if (!this.o.bridge) return { ok: false, status: 403, error: 'Bridge routes are disabled: no bridge account is configured (bridge.enabled)' };
    const given = typeof presented === 'string' && presented !== '' ? digest(presented) : null;
    if (!given || !timingSafeEqual(given, this.secretDigest)) return { ok: false, status: 401, error: 'invalid or missing bridge secret' };
    return null;
  }

  /** GET /api/orders/pending: leases orders to `owner`, with `cancel: true` for cancel requests. */
  pending(query: Record<string, unknown>): DeskResult {
    const parsed = this.pendingQuery(query);
    if (!parsed.ok) return parsed.result;
    return { ok: true, body: { ok: true, orders: this.broker().claim(parsed.owner, parsed.limit) } };
  }

  /**
   * GET /api/orders/pending?wait_ms=N (long poll, N ≤ MAX_WAIT_MS): claims at once; when there
   * is nothing to claim it waits until an order is queued (committed) or a cancel is requested,
   * then claims again, and answers `orders: []` when N ms passed with nothing (or `signal`
   * aborted: client gone, server closing). Without wait_ms (or 0) it is the plain poll.
   */
  async pendingWait(query: Record<string, unknown>, signal?: AbortSignal): Promise<DeskResult> {
    const parsed = this.pendingQuery(query);
    if (!parsed.ok) return parsed.result;
    const broker = this.broker();
    const deadline = Date.now() + parsed.waitMs;
    // Orders claimed for this poll by the transaction that queued them (see waitToClaim).
    let claimed: PendingOrderView[] | null = null;
    for (;;) {
      const orders = claimed ?? broker.claim(parsed.owner, parsed.limit);
      const left = deadline - Date.now();
      if (orders.length > 0 || left <= 0 || signal?.aborted || this.closed) return { ok: true, body: { ok: true, orders } };
      claimed = await broker.waitToClaim(parsed.owner, parsed.limit, left, signal);
      // The client went away: claim nothing more for it.
      if (signal?.aborted) return { ok: true, body: { ok: true, orders: [] } };
    }
  }

  /**
   * The push channel (GET /api/orders/stream, a WebSocket): the same claim as a poll, run again
   * every time work may have become claimable, its orders handed to `push` at once. A pushed order
   * is claimed with a lease exactly as a polled one, so nothing changes for at-most-once: the
   * bridge confirms it with WORKING before executing, and an order pushed into a connection that
   * died is claimable again when its lease runs out. Cancel requests are pushed once per
   * connection (a poll repeats them on every answer). Nothing is claimed once the channel stops
   * being `open` (a close under way). Ends when `signal` aborts or the server closes.
   */
  async stream(sub: { owner: string; limit: number }, channel: { push(orders: PendingOrderView[]): void; open(): boolean }, signal: AbortSignal): Promise<void> {
    const broker = this.broker();
    const cancelsSent = new Set<string>();
    const push = (orders: PendingOrderView[]) => channel.push(orders);
    // Orders claimed for this channel by the transaction that queued them (see waitToClaim).
    let claimed: PendingOrderView[] | null = null;
    while (!signal.aborted && !this.closed && channel.open()) {
      const orders = (claimed ?? broker.claim(sub.owner, sub.limit)).filter((o) => !o.cancel || !cancelsSent.has(o.id));
      claimed = null;
      for (const o of orders) if (o.cancel) cancelsSent.add(o.id);
      if (orders.length > 0) push(orders);
      // A full batch: more may be waiting. Otherwise sleep until an order is committed (no await
      // between this claim and the wait: a wake-up cannot slip in between).
      if (orders.filter((o) => !o.cancel).length >= sub.limit) continue;
      claimed = await broker.waitToClaim(sub.owner, sub.limit, MAX_WAIT_MS, signal, () => channel.open());
    }
  }

  /** The owner and batch size of a push subscription (query `owner`, `limit`), or why they are refused. */
  streamQuery(query: Record<string, unknown>): { ok: true; owner: string; limit: number } | { ok: false; result: DeskResult } {
    const parsed = this.pendingQuery({ ...query, wait_ms: undefined });
    return parsed.ok ? { ok: true, owner: parsed.owner, limit: parsed.limit } : parsed;
  }

  get leaseSeconds(): number {
    return this.broker().leaseSeconds;
  }

  /** Ends the waiting long polls (server shutdown). */
  close(): void {
    this.closed = true;
    this.o.bridge?.broker.releaseWaiters();
  }

  private pendingQuery(query: Record<string, unknown>): { ok: true; owner: string; limit: number; waitMs: number } | { ok: false; result: DeskResult } {
    const denied = this.authorize(query.secret);
    if (denied) return { ok: false, result: denied };
    const owner = query.owner === undefined || query.owner === '' ? 'bridge' : String(query.owner);
    if (!OWNER.test(owner)) return { ok: false, result: { ok: false, status: 400, error: 'owner must be 1-64 characters of letters, digits and _ . : @ -' } };
    const limit = query.limit === undefined || query.limit === '' ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return { ok: false, result: { ok: false, status: 400, error: 'limit must be an integer from 1 to 100' } };
    const waitMs = query.wait_ms === undefined || query.wait_ms === '' ? 0 : Number(query.wait_ms);
    if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) return { ok: false, result: { ok: false, status: 400, error: `wait_ms must be an integer from 0 to ${MAX_WAIT_MS}` } };
    return { ok: true, owner, limit, waitMs };
  }

  /** POST /api/orders/{id}/execution-report {status, extra: {fill_price, symbol, side, qty}}. */
  report(orderId: string, body: Record<string, unknown>, query: Record<string, unknown>): DeskResult {
    const denied = this.authorize(body.secret ?? query.secret);
    if (denied) return denied;
    const extra = body.extra && typeof body.extra === 'object' && !Array.isArray(body.extra) ? (body.extra as Record<string, unknown>) : {};
    const owner = body.owner ?? query.owner;
    if (owner !== undefined && (typeof owner !== 'string' || !OWNER.test(owner))) return { ok: false, status: 400, error: 'owner must be 1-64 characters of letters, digits and _ . : @ -' };
    const r = this.broker().report(orderId, {
      status: typeof body.status === 'string' ? body.status : '',
      owner: owner as string | undefined,
      fill_price: extra.fill_price ?? body.fill_price,
      qty: extra.qty ?? body.qty,
      fee: extra.fee ?? extra.commission,
      symbol: extra.symbol,
      side: extra.side,
      reason: extra.reason ?? body.reason,
      broker_order_id: extra.broker_order_id ?? extra.order_id,
    });
    if (r.status === 200) return { ok: true, body: r.body };
    return { ok: false, status: r.status, error: r.body.error, ...(r.body.status ? { extra: { status: r.body.status } } : {}) };
  }

  /** POST /api/bridge/heartbeat. */
  heartbeat(body: Record<string, unknown>): DeskResult {
    const denied = this.authorize(body.secret);
    if (denied) return denied;
    const data: Record<string, unknown> = {};
    for (const k of HEARTBEAT_FIELDS) if (body[k] !== undefined) data[k] = body[k];
    const broker = this.broker();
    broker.heartbeat(data);
    return { ok: true, body: { ok: true, available: broker.isAvailable() } };
  }

  /** POST /api/rithmic/pnl-snapshot: stored; daily-stop and auto-exit listen on the broker's hook. */
  pnlSnapshot(body: Record<string, unknown>): DeskResult {
    const denied = this.authorize(body.secret);
    if (denied) return denied;
    for (const k of ['realized', 'unrealized', 'accountBalance'] as const) {
      if (body[k] !== undefined && !finite(body[k])) return { ok: false, status: 400, error: `${k} must be a number` };
    }
    const rawSymbols = body.symbols ?? [];
    if (!Array.isArray(rawSymbols)) return { ok: false, status: 400, error: 'symbols must be an array of {symbol, position, openPnl}' };
    const symbols = [];
    for (const s of rawSymbols as unknown[]) {
      const e = (s ?? {}) as Record<string, unknown>;
      if (typeof e.symbol !== 'string' || !finite(e.position) || (e.openPnl !== undefined && !finite(e.openPnl))) {
        return { ok: false, status: 400, error: 'symbols must be an array of {symbol, position, openPnl}' };
      }
      symbols.push({ symbol: e.symbol, position: e.position, openPnl: e.openPnl ?? 0 });
    }
    // Positions are compared with the server's only when the bridge sent them (`symbols`).
    const snapshot = this.broker().pnlSnapshot(
      { realized: body.realized ?? null, unrealized: body.unrealized ?? null, accountBalance: body.accountBalance ?? null, symbols },
      undefined,
      { positions: body.symbols !== undefined },
    );
    return { ok: true, body: { ok: true, ts: new Date(snapshot.ts).toISOString() } };
  }

  /** GET /api/bridge/status (operator): connectivity, the queue, and the bridge account. */
  status(limit = 50): DeskResult {
    if (!this.o.bridge) return { ok: true, body: { ok: true, enabled: false, secret_configured: this.secretDigest !== null } };
    const { broker, kernel } = this.o.bridge;
    return {
      ok: true,
      body: {
        ok: true,
        enabled: true,
        secret_configured: this.secretDigest !== null,
        ...broker.status(),
        account: kernel.portfolio.view(),
        positions: kernel.portfolio.openPositions(),
        open_orders: kernel.execution.openOrders(),
        queue: broker.queued(limit),
      },
    };
  }

  /** POST /api/bridge/orders/{id}/cancel (operator). */
  cancel(orderId: string): DeskResult {
    if (!this.o.bridge) return { ok: false, status: 403, error: 'no bridge account is configured (bridge.enabled)' };
    const { broker, kernel } = this.o.bridge;
    const open = kernel.execution.openOrders().find((o) => o.id === orderId);
    if (open && open.status !== 'pending_submit') {
      const r = kernel.execution.cancel(orderId, 'cancelled by operator');
      if (!r.ok) return { ok: false, status: r.code === 'not_found' ? 404 : 409, error: r.message };
      return { ok: true, body: { ok: true, order_id: orderId, outcome: 'requested', order_status: r.order.status } };
    }
    const outcome = broker.cancel(orderId, 'cancelled by operator');
    if (outcome === 'not_found') return { ok: false, status: 404, error: `Order ${orderId} is not in the bridge queue` };
    if (outcome === 'not_cancellable') return { ok: false, status: 409, error: `Order ${orderId} is already done` };
    return { ok: true, body: { ok: true, order_id: orderId, outcome } };
  }

  /**
   * POST /api/bridge/orders/{id}/resolve (operator): ends a stale WORKING order (its owner went
   * silent) as the bridge's own last position report says it ended; optional `fill_price` for a
   * FILLED outcome (default: the order's ref_price).
   */
  resolve(orderId: string, body: Record<string, unknown>): DeskResult {
    if (!this.o.bridge) return { ok: false, status: 403, error: 'no bridge account is configured (bridge.enabled)' };
    const raw = body.fill_price;
    if (raw !== undefined && raw !== null && !finite(raw)) return { ok: false, status: 400, error: 'fill_price must be a number' };
    const r = this.o.bridge.broker.resolveStale(orderId, finite(raw) ? raw : undefined);
    if (!r.ok) return { ok: false, status: r.status, error: r.error };
    const order = this.o.bridge.kernel.execution.openOrders().find((o) => o.id === orderId) ?? null;
    return { ok: true, body: { ok: true, order_id: orderId, outcome: r.outcome, queue_status: r.order.status, fill_price: r.order.fillPrice, open: order !== null } };
  }

  /** POST /api/bridge/test-order (operator, only with bridge.allowTestOrders): a market order on the bridge account. */
  testOrder(body: Record<string, unknown>): DeskResult {
    if (!this.o.bridge) return { ok: false, status: 403, error: 'no bridge account is configured (bridge.enabled)' };
    if (!this.o.allowTestOrders) return { ok: false, status: 403, error: 'test orders are disabled (bridge.allowTestOrders)' };
    const side = String(body.side ?? '').toLowerCase();
    if (side !== 'buy' && side !== 'sell') return { ok: false, status: 400, error: 'side must be BUY or SELL' };
    if (typeof body.symbol !== 'string') return { ok: false, status: 400, error: 'symbol is required' };
    if (!finite(body.qty) || body.qty <= 0) return { ok: false, status: 400, error: 'qty must be a positive number' };
    const purpose = body.kind === 'EXIT' || body.purpose === 'exit' ? 'exit' : 'entry';
    const { kernel } = this.o.bridge;
    const r = kernel.submit(
      { botId: 'bridge-test', symbol: body.symbol, side: side as OrderSide, type: 'market', purpose, qty: body.qty, reason: 'bridge test order', tag: typeof body.mode === 'string' ? body.mode : null },
      'test',
    );
    if (!r.ok) return { ok: false, status: r.code === 'invalid' ? 400 : 409, error: `${r.code}: ${r.message}` };
    return { ok: true, body: { ok: true, order: r.order, open: isOrderOpen(r.order) } };
  }

  private broker(): BridgeBroker {
    if (!this.o.bridge) throw new Error('bridge account is not configured');
    return this.o.bridge.broker;
  }
}
