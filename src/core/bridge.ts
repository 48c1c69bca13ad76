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
 *                      └──FILLED (the owner's late fill: the broker's book is the truth)──► FILLED
 *
 * A claim is a lease: the claimant owns the order until the lease expires; a claimed order
 * whose lease expired before the claimant confirmed it (WORKING) may be claimed by another
 * bridge, which then owns it. WORKING is the commit point: a bridge executes only after its
 * WORKING report was acknowledged, and a WORKING order is never handed to anyone else. Only the
 * owner of the claim may report on an order (a never-claimed order has no owner: 409); a
 * WORKING order whose owner stops renewing its lease is flagged stale, never handed on.
 */
export type BridgeStatus = 'PENDING' | 'CLAIMED' | 'WORKING' | 'FILLED' | 'REJECTED' | 'CANCELLED';
/**
 * PARTIAL (an extension of seed 003): part of the order executed; `qty` is the cumulative filled
 * quantity, `fill_price` the average price of all of it and `fee` the cumulative fee, as FIX's
 * CumQty/AvgPx, so a repeated or out-of-order report changes nothing. FILLED ends the order with
 * the same cumulative meaning.
 */
export type BridgeReportStatus = 'WORKING' | 'PARTIAL' | 'FILLED' | 'REJECTED' | 'CANCELLED';
export type BridgeCommand = BridgeReportStatus | 'claim' | 'cancel';

export const BRIDGE_REPORT_STATUSES: readonly BridgeReportStatus[] = ['WORKING', 'PARTIAL', 'FILLED', 'REJECTED', 'CANCELLED'];

export const BRIDGE_TRANSITIONS: TransitionTable<BridgeStatus, BridgeCommand> = {
  // No report moves a PENDING order: nobody owns it until a claim.
  PENDING: { claim: 'CLAIMED', cancel: 'CANCELLED' },
  // `claim` from CLAIMED only once the lease expired (checked by decideClaim).
  // A partially filled order stays WORKING on the queue (its owner keeps the lease) with the
  // cumulative fill on the row.
  CLAIMED: { claim: 'CLAIMED', WORKING: 'WORKING', PARTIAL: 'WORKING', FILLED: 'FILLED', REJECTED: 'REJECTED', CANCELLED: 'CANCELLED' },
  WORKING: { WORKING: 'WORKING', PARTIAL: 'WORKING', FILLED: 'FILLED', REJECTED: 'REJECTED', CANCELLED: 'CANCELLED' },
  FILLED: {},
  REJECTED: {},
  // The owner's fill after a cancel (a cancel request it did not see in time, a stale order
  // resolved as not executed): the broker's book is the truth, so the fill is applied.
  CANCELLED: { FILLED: 'FILLED' },
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
  /**
   * The server itself decided (an operator resolving a stale order from the bridge's position
   * report): no ownership check, recorded as `server`.
   */
  server?: boolean;
}

export type ReportDecision =
  /** The report moves the order (or renews the owner's lease on a repeated WORKING); `late`: a fill after a cancel. */
  | { kind: 'apply'; from: BridgeStatus; to: BridgeStatus; duplicate: boolean; late: boolean }
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

/** The refusal of a report from anyone but the owner of the order's claim, or null. */
export function ownershipConflict(order: BridgeOrder, report: Pick<BridgeReport, 'owner' | 'server'>): string | null {
  if (report.server) return null;
  if (order.leaseOwner === null) {
    return `order ${order.id} was never claimed: only the bridge that claimed it (GET /api/orders/pending) may report on it`;
  }
  if (order.leaseOwner !== report.owner) {
    return `order ${order.id} is owned by bridge ${order.leaseOwner}: reports are accepted only from the owner of the claim, not from ${report.owner}`;
  }
  return null;
}

/** What a report does to a queued order: pure, so both store connections decide alike. */
export function decideReport(order: BridgeOrder, report: BridgeReport, now: number): ReportDecision {
  void now; // ownership no longer depends on the lease's expiry; kept for the callers' symmetry
  const conflict = ownershipConflict(order, report);
  if (conflict) return { kind: 'conflict', reason: conflict };
  const late = order.status === 'CANCELLED' && report.status === 'FILLED';
  if (BRIDGE_TERMINAL.has(order.status) && !late) {
    return { kind: 'ignored', reason: `order is already ${order.status}; ${report.status} ignored` };
  }
  const step = nextState(BRIDGE_TRANSITIONS, order.status, report.status);
  if (!step.ok) return { kind: 'ignored', reason: step.reason };
  if (report.side !== undefined && report.side !== order.side) {
    return { kind: 'invalid', reason: `side ${report.side} does not match the order's ${order.side}` };
  }
  if (report.symbol !== undefined && report.symbol !== '' && report.symbol !== order.contract && report.symbol !== order.symbol) {
    return { kind: 'invalid', reason: `symbol ${report.symbol} does not match the order's ${order.contract} (${order.symbol})` };
  }
  if (report.status === 'FILLED' || report.status === 'PARTIAL') {
    const problem = fillReportProblem(order, report);
    if (problem) return problem;
  }
  // A PARTIAL keeps the order WORKING but is never a mere renewal: it carries a new fill.
  const duplicate = step.to === order.status && report.status !== 'PARTIAL';
  return { kind: 'apply', from: order.status, to: step.to, duplicate, late };
}

/** Checks of a FILLED or PARTIAL report's cumulative quantity, average price and fee. */
function fillReportProblem(order: BridgeOrder, report: BridgeReport): ReportDecision | null {
  const what = report.status;
  if (!(typeof report.fillPrice === 'number' && report.fillPrice > 0 && Number.isFinite(report.fillPrice))) {
    return { kind: 'invalid', reason: `${what} needs extra.fill_price, a positive number` };
  }
  if (report.fee !== undefined && !(report.fee >= 0 && Number.isFinite(report.fee))) {
    return { kind: 'invalid', reason: 'extra.fee must be a non-negative number' };
  }
  const before = order.fillQty ?? 0;
  if (what === 'PARTIAL') {
    if (report.qty === undefined) return { kind: 'invalid', reason: 'PARTIAL needs extra.qty, the cumulative filled quantity' };
    if (!(report.qty > 0 && report.qty < order.qty - 1e-9)) {
      return { kind: 'invalid', reason: `PARTIAL qty ${report.qty} (cumulative) must be above 0 and below the order's ${order.qty}; a complete fill is FILLED` };
    }
    if (report.qty <= before + 1e-9) return { kind: 'ignored', reason: `PARTIAL qty ${report.qty} is not above the ${before} already filled (repeated or out of order)` };
    return null;
  }
  if (report.qty !== undefined && !(report.qty > 0 && report.qty <= order.qty + 1e-9)) {
    return { kind: 'invalid', reason: `filled qty ${report.qty} must be above 0 and at most the order's ${order.qty}` };
  }
  if ((report.qty ?? order.qty) < before - 1e-9) {
    return { kind: 'invalid', reason: `FILLED qty ${report.qty ?? order.qty} is below the ${before} already reported filled (qty is cumulative)` };
  }
  return null;
}

/**
 * The new part of a cumulative fill report: what executed since the previous report, at the price
 * that makes both averages hold (cum·avg − prev·prevAvg) / (cum − prev).
 */
export function fillIncrement(
  before: Pick<BridgeOrder, 'fillQty' | 'fillPrice' | 'fillFee'>,
  after: { qty: number; price: number; fee: number },
): { qty: number; price: number; fee: number } {
  const q0 = before.fillQty ?? 0;
  const p0 = before.fillPrice ?? 0;
  const qty = after.qty - q0;
  if (qty <= 1e-12) return { qty: 0, price: after.price, fee: after.fee - (before.fillFee ?? 0) };
  const price = q0 === 0 ? after.price : (after.qty * after.price - q0 * p0) / qty;
  return { qty, price, fee: after.fee - (before.fillFee ?? 0) };
}

/**
 * The queue row after an applied report (both store engines write exactly this): the owner and
 * lease, the cumulative fill of a PARTIAL or FILLED, the reason of an end.
 */
export function rowAfterReport(order: BridgeOrder, report: BridgeReport, decision: Extract<ReportDecision, { kind: 'apply' }>, now: number, leaseMs: number): BridgeOrder {
  const next: BridgeOrder = { ...order, status: decision.to, updatedAt: now };
  if (decision.to === 'WORKING') {
    // Confirmation and lease renewal: the reporting bridge owns the working order.
    next.leaseOwner = report.owner;
    next.leaseExpiresAt = now + leaseMs;
    if (report.brokerOrderId) next.brokerOrderId = report.brokerOrderId;
    else next.brokerOrderId ??= `bridge:${report.owner}:${order.id}`;
  } else {
    // A resolution by the server keeps the owner on record (its late fill still counts).
    if (!report.server) next.leaseOwner = report.owner;
    next.leaseExpiresAt = null;
    if (report.brokerOrderId) next.brokerOrderId = report.brokerOrderId;
  }
  const cumulative = report.qty ?? order.qty;
  if ((decision.to === 'FILLED' || report.status === 'PARTIAL') && cumulative > (order.fillQty ?? 0) + 1e-9) {
    // Cumulative: quantity, average price and fee of everything filled so far.
    next.fillPrice = report.fillPrice ?? null;
    next.fillQty = cumulative;
    next.fillFee = report.fee ?? order.fillFee ?? 0;
    next.fillTs = now;
  }
  // A FILLED at the quantity already reported adds no execution, so the ledger books nothing: the
  // row keeps the price and fee that were booked (a different average or fee stays in the report
  // history only), so the queue and the kernel's fills never disagree.
  if (decision.to === 'REJECTED' || decision.to === 'CANCELLED') next.reason = report.reason ?? (order.cancelRequested ? order.reason : null) ?? `${decision.to.toLowerCase()} by bridge ${report.owner}`;
  if (decision.late) next.reason = `filled after it was cancelled (${order.reason ?? 'cancelled'})`;
  return next;
}

/** A WORKING order whose owner has not renewed its lease for `graceMs` past its expiry. */
export const isStale = (o: Pick<BridgeOrder, 'status' | 'leaseExpiresAt'>, now: number, graceMs: number): boolean =>
  o.status === 'WORKING' && o.leaseExpiresAt !== null && o.leaseExpiresAt + graceMs <= now;

/** Signed quantity of an order (BUY +, SELL -). */
export const signedQty = (o: Pick<BridgeOrder, 'side' | 'qty'>): number => (o.side === 'BUY' ? o.qty : -o.qty);

const same = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

/**
 * How a stale WORKING order ended at the broker, read from the bridge's own position report:
 * FILLED when the bridge holds the server's position plus the order, CANCELLED (never executed)
 * when it holds exactly the server's position, null when that cannot be told (another order of
 * the symbol is in flight, or the difference matches neither).
 */
export function resolveFromPositions(order: Pick<BridgeOrder, 'side' | 'qty'>, serverQty: number, bridgeQty: number, otherInFlight: number): 'FILLED' | 'CANCELLED' | null {
  if (otherInFlight > 0) return null;
  const delta = bridgeQty - serverQty;
  if (same(delta, signedQty(order))) return 'FILLED';
  if (same(delta, 0)) return 'CANCELLED';
  return null;
}

/** One contract whose position at the bridge differs from the server's. */
export interface PositionDiff {
  /** The bridge's contract (MESM6), or the snapshot's name when the server routes nothing to it. */
  contract: string;
  /** The kernel symbols routed to it that are involved (holding a position or an order), e.g. ES. */
  symbols: string[];
  /** `symbols` joined with ',' (one symbol in the usual case). */
  symbol: string;
  server: number;
  bridge: number;
  /** Orders for the contract claimed or working: a difference they can account for is `explained`. */
  inFlight: string[];
  explained: boolean;
}

/** The server's signed position in each contract: the sum over the kernel symbols routed to it. */
export function contractPositions(server: Readonly<Record<string, number>>, contracts: Readonly<Record<string, BridgeContract>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [symbol, c] of Object.entries(contracts)) out.set(c.contract, (out.get(c.contract) ?? 0) + (server[symbol] ?? 0));
  return out;
}

/**
 * Compares a pnl snapshot's positions (per contract, signed; a kernel symbol is accepted for its
 * contract) with the server's, per contract: several kernel symbols may be routed to one contract
 * (ES and MES both to MESM6), and the broker only knows the contract. A contract missing from
 * either side counts as flat. A difference that the contract's in-flight orders could make up (an
 * order executed at the broker whose fill report is still on its way) is `explained`.
 */
export function comparePositions(
  snapshot: readonly { symbol: string; position: number }[],
  server: Readonly<Record<string, number>>,
  contracts: Readonly<Record<string, BridgeContract>>,
  inFlight: readonly BridgeOrder[],
): PositionDiff[] {
  const bridge = new Map<string, number>();
  for (const s of snapshot) {
    const contract = contracts[s.symbol]?.contract ?? s.symbol;
    bridge.set(contract, (bridge.get(contract) ?? 0) + s.position);
  }
  const serverBy = contractPositions(server, contracts);
  const names = new Set([...bridge.keys(), ...[...serverBy].filter(([, q]) => !same(q, 0)).map(([c]) => c)]);
  const diffs: PositionDiff[] = [];
  for (const contract of [...names].sort()) {
    const b = bridge.get(contract) ?? 0;
    const srv = serverBy.get(contract) ?? 0;
    if (same(b, srv)) continue;
    const open = inFlight.filter((o) => o.contract === contract && (o.status === 'CLAIMED' || o.status === 'WORKING'));
    const up = open.reduce((sum, o) => sum + Math.max(0, signedQty(o)), 0);
    const down = open.reduce((sum, o) => sum + Math.min(0, signedQty(o)), 0);
    const delta = b - srv;
    const routed = Object.entries(contracts).filter(([, c]) => c.contract === contract).map(([symbol]) => symbol);
    const involved = routed.filter((x) => !same(server[x] ?? 0, 0) || open.some((o) => o.symbol === x));
    const symbols = involved.length > 0 ? involved : routed.length > 0 ? routed : [contract];
    diffs.push({ contract, symbols, symbol: symbols.join(','), server: srv, bridge: b, inFlight: open.map((o) => o.id), explained: delta >= down - 1e-9 && delta <= up + 1e-9 });
  }
  return diffs;
}

/** What the bridge broker flags: a typed bus event (`bridge-alert`), a log line, and GET /api/state's events. */
export type BridgeAlert = { accountId: string; ts: number; message: string } & (
  | { kind: 'stale-working'; orderId: string; symbol: string; owner: string | null; leaseExpiredAt: number; resolution: 'FILLED' | 'CANCELLED' | null }
  | { kind: 'stale-resolved'; orderId: string; symbol: string; outcome: 'FILLED' | 'CANCELLED'; fillPrice: number | null }
  | { kind: 'late-fill'; orderId: string; symbol: string; owner: string; fillPrice: number; qty: number }
  | { kind: 'position-mismatch'; diffs: PositionDiff[] }
  | { kind: 'positions-match' }
  | { kind: 'fill-refused'; orderId: string; symbol: string; owner: string; code: string; field: string; value: unknown }
);

export interface ClaimResult {
  /** Orders newly leased to the claimant. */
  claimed: BridgeOrder[];
  /** The claimant's (or an abandoned) claimed/working orders the server wants cancelled. */
  cancelRequests: BridgeOrder[];
  /** Claimed orders with a cancel request whose lease expired unconfirmed: cancelled now. */
  cancelledOnExpiry: BridgeOrder[];
}

export type ReportResult =
  | { outcome: 'applied'; from: BridgeStatus; order: BridgeOrder; duplicate: boolean; /** The row before the report (its cumulative fill). */ previous: BridgeOrder }
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
/** The kernel fill id of a bridge fill: `-B1` for the first (or only) fill, then keyed by the cumulative quantity so a replay dedups. */
export const bridgeFillId = (orderId: string, filledBefore = 0, cumulative = 0): string =>
  filledBefore <= 0 ? `${orderId}-B1` : `${orderId}-B1@${cumulative}`;
