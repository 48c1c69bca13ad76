import { nextState, type TransitionTable } from './fsm.js';

/**
 * The execution bridge (seed 003): orders for a `bridge:<name>` account wait in a durable queue
 * until an external executor (an MT5 expert advisor, a Rithmic/Tradovate process) claims them
 * with GET /api/orders/pending and reports what happened with POST .../execution-report.
 *
 *   PENDING ──claim──► CLAIMED ──WORKING──► WORKING ──FILLED──► FILLED
 *      │                  │  ▲ lease expired:     │ (WORKING again renews the lease)
 *      │                  │  └─ claimable again   ├──REJECTED──► REJECTED
 *      └─cancel──► CANCELLED ◄──CANCELLED─────────┘
 *
 * A claim is a lease: the claimant owns the order until the lease expires; a claimed order
 * whose lease expired before the claimant confirmed it (WORKING) may be claimed by another
 * bridge. WORKING is the commit point: a bridge executes only after its WORKING report was
 * acknowledged, and a WORKING order is never handed to anyone else.
 */
export type BridgeStatus = 'PENDING' | 'CLAIMED' | 'WORKING' | 'FILLED' | 'REJECTED' | 'CANCELLED';
export type BridgeReportStatus = 'WORKING' | 'FILLED' | 'REJECTED' | 'CANCELLED';
export type BridgeCommand = BridgeReportStatus | 'claim' | 'cancel';

export const BRIDGE_REPORT_STATUSES: readonly BridgeReportStatus[] = ['WORKING', 'FILLED', 'REJECTED', 'CANCELLED'];

export const BRIDGE_TRANSITIONS: TransitionTable<BridgeStatus, BridgeCommand> = {
  PENDING: { claim: 'CLAIMED', cancel: 'CANCELLED', WORKING: 'WORKING', FILLED: 'FILLED', REJECTED: 'REJECTED', CANCELLED: 'CANCELLED' },
  // `claim` from CLAIMED only once the lease expired (checked by decideClaim).
  CLAIMED: { claim: 'CLAIMED', WORKING: 'WORKING', FILLED: 'FILLED', REJECTED: 'REJECTED', CANCELLED: 'CANCELLED' },
  WORKING: { WORKING: 'WORKING', FILLED: 'FILLED', REJECTED: 'REJECTED', CANCELLED: 'CANCELLED' },
  FILLED: {},
  REJECTED: {},
  CANCELLED: {},
};

export const BRIDGE_TERMINAL: ReadonlySet<BridgeStatus> = new Set(['FILLED', 'REJECTED', 'CANCELLED']);

export interface BridgeContract {
  /** The bridge's own instrument name, e.g. MESM6 for ES. */
  contract: string;
  exchange: string;
}

/** One queued order as the bridge sees it, with its lease and outcome. */
export interface BridgeOrder {
  id: string;
  accountId: string;
  /** The kernel's symbol (ES). */
  symbol: string;
  /** The bridge's contract (MESM6). */
  contract: string;
  exchange: string;
  side: 'BUY' | 'SELL';
  qty: number;
  kind: 'ENTRY' | 'EXIT';
  mode: string;
  env: string;
  /** Last price the server knew when the order was queued (a hint; market orders have no price). */
  refPrice: number | null;
  status: BridgeStatus;
  cancelRequested: boolean;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  fillPrice: number | null;
  fillQty: number | null;
  fillFee: number | null;
  fillTs: number | null;
  brokerOrderId: string | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type NewBridgeOrder = Omit<
  BridgeOrder,
  'status' | 'cancelRequested' | 'leaseOwner' | 'leaseExpiresAt' | 'fillPrice' | 'fillQty' | 'fillFee' | 'fillTs' | 'brokerOrderId' | 'reason' | 'updatedAt'
>;

/** An execution report as the bridge sent it, already checked for shape. */
export interface BridgeReport {
  status: BridgeReportStatus;
  owner: string;
  fillPrice?: number;
  qty?: number;
  fee?: number;
  symbol?: string;
  side?: 'BUY' | 'SELL';
  reason?: string;
  brokerOrderId?: string;
}

export type ReportDecision =
  /** The report moves the order (or renews the owner's lease on a repeated WORKING). */
  | { kind: 'apply'; from: BridgeStatus; to: BridgeStatus; duplicate: boolean }
  /** Late or out of order (after a terminal state, WORKING after FILLED): acknowledged, no change. */
  | { kind: 'ignored'; reason: string }
  /** Another bridge holds a valid lease on the order. */
  | { kind: 'conflict'; reason: string }
  /** The report contradicts the order (side, symbol, quantity, missing fill price). */
  | { kind: 'invalid'; reason: string };

export const leaseValid = (o: Pick<BridgeOrder, 'leaseOwner' | 'leaseExpiresAt'>, now: number): boolean =>
  o.leaseOwner !== null && o.leaseExpiresAt !== null && o.leaseExpiresAt > now;

/** Whether `claim` may hand this order to a claimant now. */
export function claimable(o: BridgeOrder, now: number): boolean {
  if (o.cancelRequested) return false;
  if (o.status === 'PENDING') return true;
  return o.status === 'CLAIMED' && !leaseValid(o, now);
}

/** What a report does to a queued order: pure, so both store connections decide alike. */
export function decideReport(order: BridgeOrder, report: BridgeReport, now: number): ReportDecision {
  if (BRIDGE_TERMINAL.has(order.status)) {
    return { kind: 'ignored', reason: `order is already ${order.status}; ${report.status} ignored` };
  }
  if (leaseValid(order, now) && order.leaseOwner !== report.owner) {
    return { kind: 'conflict', reason: `order ${order.id} is claimed by another bridge until ${new Date(order.leaseExpiresAt ?? 0).toISOString()}` };
  }
  // WORKING after another bridge's WORKING (lease expired) would hand over a working order.
  if (order.status === 'WORKING' && order.leaseOwner !== null && order.leaseOwner !== report.owner && report.status === 'WORKING') {
    return { kind: 'conflict', reason: `order ${order.id} is working at another bridge (${order.leaseOwner})` };
  }
  const step = nextState(BRIDGE_TRANSITIONS, order.status, report.status);
  if (!step.ok) return { kind: 'ignored', reason: step.reason };
  if (report.side !== undefined && report.side !== order.side) {
    return { kind: 'invalid', reason: `side ${report.side} does not match the order's ${order.side}` };
  }
  if (report.symbol !== undefined && report.symbol !== '' && report.symbol !== order.contract && report.symbol !== order.symbol) {
    return { kind: 'invalid', reason: `symbol ${report.symbol} does not match the order's ${order.contract} (${order.symbol})` };
  }
  if (report.status === 'FILLED') {
    if (!(typeof report.fillPrice === 'number' && report.fillPrice > 0 && Number.isFinite(report.fillPrice))) {
      return { kind: 'invalid', reason: 'FILLED needs extra.fill_price, a positive number' };
    }
    if (report.qty !== undefined && !(report.qty > 0 && report.qty <= order.qty + 1e-9)) {
      return { kind: 'invalid', reason: `filled qty ${report.qty} must be above 0 and at most the order's ${order.qty}` };
    }
    if (report.fee !== undefined && !(report.fee >= 0 && Number.isFinite(report.fee))) {
      return { kind: 'invalid', reason: 'extra.fee must be a non-negative number' };
    }
  }
  return { kind: 'apply', from: order.status, to: step.to, duplicate: step.to === order.status };
}

export interface ClaimResult {
  /** Orders newly leased to the claimant. */
  claimed: BridgeOrder[];
  /** The claimant's (or an abandoned) claimed/working orders the server wants cancelled. */
  cancelRequests: BridgeOrder[];
  /** Claimed orders with a cancel request whose lease expired unconfirmed: cancelled now. */
  cancelledOnExpiry: BridgeOrder[];
}

export type ReportResult =
  | { outcome: 'applied'; from: BridgeStatus; order: BridgeOrder; duplicate: boolean }
  | { outcome: 'ignored' | 'conflict' | 'invalid'; order: BridgeOrder; message: string }
  | { outcome: 'not_found'; message: string };

export type CancelRequestResult =
  | { outcome: 'cancelled' | 'requested' | 'already_requested' | 'terminal'; order: BridgeOrder }
  | { outcome: 'not_found' };

export interface BridgeReportRecord {
  orderId: string;
  ts: number;
  owner: string;
  status: string;
  outcome: string;
  detail: unknown;
}

export interface BridgeSnapshot {
  ts: number;
  data: Record<string, unknown>;
}

/**
 * The durable queue behind a bridge account. Every method is one transaction; claim and report
 * take the write lock first (BEGIN IMMEDIATE), so two server processes on one database never
 * hand one order to two bridges.
 */
export interface BridgeQueue {
  /** False when the order was already queued (a resubmit changes nothing). */
  enqueue(order: NewBridgeOrder): boolean;
  claim(accountId: string, owner: string, limit: number, now: number, leaseMs: number): ClaimResult;
  report(orderId: string, report: BridgeReport, now: number, leaseMs: number): ReportResult;
  requestCancel(orderId: string, reason: string, now: number): CancelRequestResult;
  get(orderId: string): BridgeOrder | null;
  list(query: { accountId: string; limit: number; openOnly?: boolean }): BridgeOrder[];
  history(orderId: string): BridgeReportRecord[];
  saveHeartbeat(accountId: string, snapshot: BridgeSnapshot): void;
  lastHeartbeat(accountId: string): BridgeSnapshot | null;
  savePnlSnapshot(accountId: string, snapshot: BridgeSnapshot): void;
  lastPnlSnapshot(accountId: string): BridgeSnapshot | null;
  /** True while a write transaction is open on the queue's connection (its rows are not durable yet). */
  inTransaction?(): boolean;
}

/** The trade id of a bridge fill: derived from the order id, so a replay is recognised. */
export const bridgeFillId = (orderId: string): string => `${orderId}-B1`;
