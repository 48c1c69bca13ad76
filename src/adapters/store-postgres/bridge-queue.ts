import {
  claimable,
  decideReport,
  rowAfterReport,
  leaseValid,
  type BridgeOrder,
  type BridgeQueue,
  type BridgeReport,
  type BridgeReportRecord,
  type BridgeSnapshot,
  type CancelRequestResult,
  type ClaimResult,
  type NewBridgeOrder,
  type ReportResult,
} from '../../core/bridge.js';
import { fromRow, type Row } from '../bridge-queue-row.js';
import type { SyncPg } from './sync-pg.js';
import type { Step } from './sync-protocol.js';


const HISTORY = `INSERT INTO bridge_reports (order_id, ts, owner, status, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)`;
const history = (orderId: string, ts: number, owner: string, status: string, outcome: string, detail: unknown): Step => ({
  sql: HISTORY,
  params: [orderId, ts, owner, status, outcome, typeof detail === 'string' ? detail : JSON.stringify(detail)],
});
const write = (o: BridgeOrder): Step => ({
  sql: `UPDATE bridge_orders SET status = $2, cancel_requested = $3, lease_owner = $4, lease_expires_at = $5, fill_price = $6, fill_qty = $7, fill_fee = $8,
          fill_ts = $9, broker_order_id = $10, reason = $11, updated_at = $12 WHERE id = $1`,
  params: [o.id, o.status, o.cancelRequested ? 1 : 0, o.leaseOwner, o.leaseExpiresAt, o.fillPrice, o.fillQty, o.fillFee, o.fillTs, o.brokerOrderId, o.reason, o.updatedAt],
});

/**
 * The bridge queue in PostgreSQL, on the journal's connection (a kernel order and its queue row
 * commit together). Claims lock their candidate rows with FOR UPDATE SKIP LOCKED: two servers
 * (or two bridges polling two servers) claiming at once each take rows the other has not
 * locked, and never the same one; reports and cancel requests lock the one row they change.
 * The decisions themselves are the same pure functions (core/bridge.ts) the SQLite queue uses.
 */
export class PgBridgeQueue implements BridgeQueue {
  constructor(private readonly conn: SyncPg) {}

  enqueue(o: NewBridgeOrder): boolean {
    return (
      this.conn.run(
        `INSERT INTO bridge_orders (id, account_id, symbol, contract, exchange, side, qty, kind, mode, env, ref_price, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'PENDING', $12, $12) ON CONFLICT (id) DO NOTHING`,
        [o.id, o.accountId, o.symbol, o.contract, o.exchange, o.side, o.qty, o.kind, o.mode, o.env, o.refPrice, o.createdAt],
      ) === 1
    );
  }

  claim(accountId: string, owner: string, limit: number, now: number, leaseMs: number): ClaimResult {
    return this.conn.atomically((): ClaimResult => {
      const result: ClaimResult = { claimed: [], cancelRequests: [], cancelledOnExpiry: [] };
      const steps: Step[] = [];
      const requests = this.conn.rows<Row>(
        // Only the owner can answer a cancel request; an abandoned (expired) claim is cancelled by any poll.
        `SELECT * FROM bridge_orders WHERE account_id = $1 AND cancel_requested = 1 AND status IN ('CLAIMED', 'WORKING')
           AND (lease_owner = $2 OR (status = 'CLAIMED' AND (lease_expires_at IS NULL OR lease_expires_at <= $3))) ORDER BY seq FOR UPDATE SKIP LOCKED`,
        [accountId, owner, now],
      );
      for (const o of requests.map(fromRow)) {
        if (o.status === 'CLAIMED' && !leaseValid(o, now)) {
          // The owner stays on record: if it did execute after all, its late fill is applied.
          const cancelled: BridgeOrder = { ...o, status: 'CANCELLED', leaseExpiresAt: null, updatedAt: now, reason: o.reason ?? 'cancelled before a bridge confirmed it' };
          steps.push(write(cancelled), history(o.id, now, owner, 'CANCELLED', 'cancelled-on-expiry', { previousOwner: o.leaseOwner }));
          result.cancelledOnExpiry.push(cancelled);
        } else {
          result.cancelRequests.push(o);
        }
      }
      const expiresAt = now + leaseMs;
      const candidates = this.conn.rows<Row>(
        `SELECT * FROM bridge_orders WHERE account_id = $1 AND status IN ('PENDING', 'CLAIMED')
           AND (status = 'PENDING' OR lease_expires_at IS NULL OR lease_expires_at <= $2) ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [accountId, now, Math.max(0, limit)],
      );
      for (const o of candidates.map(fromRow)) {
        if (!claimable(o, now)) continue;
        steps.push(
          { sql: `UPDATE bridge_orders SET status = 'CLAIMED', lease_owner = $1, lease_expires_at = $2, updated_at = $3 WHERE id = $4`, params: [owner, expiresAt, now, o.id] },
          history(o.id, now, owner, 'CLAIMED', 'claimed', { previousOwner: o.leaseOwner, leaseExpiresAt: expiresAt }),
        );
        result.claimed.push({ ...o, status: 'CLAIMED', leaseOwner: owner, leaseExpiresAt: expiresAt, updatedAt: now });
      }
      if (steps.length > 0) this.conn.batch(steps);
      return result;
    });
  }

  report(orderId: string, report: BridgeReport, now: number, leaseMs: number): ReportResult {
    return this.conn.atomically((): ReportResult => {
      const row = this.locked(orderId);
      if (!row) return { outcome: 'not_found', message: `Order ${orderId} is not in the bridge queue` };
      const order = fromRow(row);
      const decision = decideReport(order, report, now);
      const detail = JSON.stringify(report);
      const by = report.server ? 'server' : report.owner;
      if (decision.kind !== 'apply') {
        this.conn.batch([history(orderId, now, by, report.status, decision.kind, detail)]);
        return { outcome: decision.kind, order, message: decision.reason };
      }
      const next = rowAfterReport(order, report, decision, now, leaseMs);
      this.conn.batch([write(next), history(orderId, now, by, report.status, decision.late ? 'late-fill' : decision.duplicate ? 'renewed' : 'applied', detail)]);
      return { outcome: 'applied', from: decision.from, order: next, duplicate: decision.duplicate, previous: order };
    });
  }

  requestCancel(orderId: string, reason: string, now: number): CancelRequestResult {
    return this.conn.atomically((): CancelRequestResult => {
      const row = this.locked(orderId);
      if (!row) return { outcome: 'not_found' };
      const order = fromRow(row);
      if (order.status === 'FILLED' || order.status === 'REJECTED' || order.status === 'CANCELLED') return { outcome: 'terminal', order };
      if (order.status === 'PENDING') {
        const cancelled: BridgeOrder = { ...order, status: 'CANCELLED', reason, updatedAt: now };
        this.conn.batch([write(cancelled), history(orderId, now, 'server', 'CANCELLED', 'cancelled', { reason })]);
        return { outcome: 'cancelled', order: cancelled };
      }
      if (order.cancelRequested) return { outcome: 'already_requested', order };
      const requested: BridgeOrder = { ...order, cancelRequested: true, reason, updatedAt: now };
      this.conn.batch([write(requested), history(orderId, now, 'server', 'CANCEL_REQUESTED', 'requested', { reason })]);
      return { outcome: 'requested', order: requested };
    });
  }

  get(orderId: string): BridgeOrder | null {
    const row = this.conn.rows<Row>(`SELECT * FROM bridge_orders WHERE id = $1`, [orderId])[0];
    return row ? fromRow(row) : null;
  }

  list(query: { accountId: string; limit: number; openOnly?: boolean }): BridgeOrder[] {
    const open = query.openOnly ? ` AND status IN ('PENDING', 'CLAIMED', 'WORKING')` : '';
    return this.conn.rows<Row>(`SELECT * FROM bridge_orders WHERE account_id = $1${open} ORDER BY seq DESC LIMIT $2`, [query.accountId, query.limit]).map(fromRow);
  }

  history(orderId: string): BridgeReportRecord[] {
    const rows = this.conn.rows<{ order_id: string; ts: number; owner: string; status: string; outcome: string; detail: string }>(
      `SELECT order_id, ts, owner, status, outcome, detail FROM bridge_reports WHERE order_id = $1 ORDER BY id`,
      [orderId],
    );
    return rows.map((r) => ({ orderId: r.order_id, ts: r.ts, owner: r.owner, status: r.status, outcome: r.outcome, detail: JSON.parse(r.detail) as unknown }));
  }

  saveHeartbeat(accountId: string, snapshot: BridgeSnapshot): void {
    this.conn.run(`INSERT INTO bridge_heartbeats (account_id, ts, data) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE SET ts = excluded.ts, data = excluded.data`, [
      accountId,
      snapshot.ts,
      JSON.stringify(snapshot.data),
    ]);
  }

  lastHeartbeat(accountId: string): BridgeSnapshot | null {
    const row = this.conn.rows<{ ts: number; data: string }>(`SELECT ts, data FROM bridge_heartbeats WHERE account_id = $1`, [accountId])[0];
    return row ? { ts: row.ts, data: JSON.parse(row.data) as Record<string, unknown> } : null;
  }

  savePnlSnapshot(accountId: string, snapshot: BridgeSnapshot): void {
    this.conn.run(`INSERT INTO bridge_pnl_snapshots (account_id, ts, data) VALUES ($1, $2, $3)`, [accountId, snapshot.ts, JSON.stringify(snapshot.data)]);
  }

  lastPnlSnapshot(accountId: string): BridgeSnapshot | null {
    const row = this.conn.rows<{ ts: number; data: string }>(`SELECT ts, data FROM bridge_pnl_snapshots WHERE account_id = $1 ORDER BY id DESC LIMIT 1`, [accountId])[0];
    return row ? { ts: row.ts, data: JSON.parse(row.data) as Record<string, unknown> } : null;
  }

  inTransaction(): boolean {
    return this.conn.inTransaction;
  }

  private locked(orderId: string): Row | undefined {
    return this.conn.rows<Row>(`SELECT * FROM bridge_orders WHERE id = $1 FOR UPDATE`, [orderId])[0];
  }
}
