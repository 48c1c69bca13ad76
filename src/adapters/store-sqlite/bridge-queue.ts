import type Database from 'better-sqlite3';
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


/**
 * The bridge queue in the trading journal's SQLite file (migration 3). Claims and reports run in
 * BEGIN IMMEDIATE transactions: the write lock is taken before the rows are read, so two
 * connections (two server processes, or two threads) decide one after the other.
 */
export class SqliteBridgeQueue implements BridgeQueue {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO bridge_orders (id, seq, account_id, symbol, contract, exchange, side, qty, kind, mode, env, ref_price, status, created_at, updated_at)
         VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM bridge_orders), @accountId, @symbol, @contract, @exchange, @side, @qty, @kind, @mode, @env, @refPrice, 'PENDING', @createdAt, @createdAt)`,
      ),
      get: db.prepare(`SELECT * FROM bridge_orders WHERE id = ?`),
      listAll: db.prepare(`SELECT * FROM bridge_orders INDEXED BY bridge_orders_account_seq WHERE account_id = ? ORDER BY seq DESC LIMIT ?`),
      listOpen: db.prepare(
        `SELECT * FROM bridge_orders INDEXED BY bridge_orders_queue WHERE account_id = ? AND status IN ('PENDING', 'CLAIMED', 'WORKING') ORDER BY seq DESC LIMIT ?`,
      ),
      candidates: db.prepare(
        // Through the queue index, so only live rows are read and sorted: the (account_id, seq) index
        // would spare the sort but walk every finished order first (the planner has no statistics).
        `SELECT * FROM bridge_orders INDEXED BY bridge_orders_queue WHERE account_id = ? AND status IN ('PENDING', 'CLAIMED')
           AND (status = 'PENDING' OR lease_expires_at IS NULL OR lease_expires_at <= ?) ORDER BY seq LIMIT ?`,
      ),
      cancelRequests: db.prepare(
        // Only the owner can answer a cancel request; an abandoned (expired) claim is cancelled by any poll.
        `SELECT * FROM bridge_orders INDEXED BY bridge_orders_queue WHERE account_id = ? AND cancel_requested = 1 AND status IN ('CLAIMED', 'WORKING')
           AND (lease_owner = ? OR (status = 'CLAIMED' AND (lease_expires_at IS NULL OR lease_expires_at <= ?))) ORDER BY seq`,
      ),
      lease: db.prepare(`UPDATE bridge_orders SET status = 'CLAIMED', lease_owner = ?, lease_expires_at = ?, updated_at = ? WHERE id = ?`),
      update: db.prepare(
        `UPDATE bridge_orders SET status = @status, cancel_requested = @cancelRequested, lease_owner = @leaseOwner, lease_expires_at = @leaseExpiresAt,
           fill_price = @fillPrice, fill_qty = @fillQty, fill_fee = @fillFee, fill_ts = @fillTs, broker_order_id = @brokerOrderId, reason = @reason, updated_at = @updatedAt
         WHERE id = @id`,
      ),
      history: db.prepare(`INSERT INTO bridge_reports (order_id, ts, owner, status, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)`),
      historyOf: db.prepare(`SELECT order_id, ts, owner, status, outcome, detail FROM bridge_reports WHERE order_id = ? ORDER BY id`),
      upsertHeartbeat: db.prepare(
        `INSERT INTO bridge_heartbeats (account_id, ts, data) VALUES (?, ?, ?) ON CONFLICT(account_id) DO UPDATE SET ts = excluded.ts, data = excluded.data`,
      ),
      heartbeat: db.prepare(`SELECT ts, data FROM bridge_heartbeats WHERE account_id = ?`),
      insertPnl: db.prepare(`INSERT INTO bridge_pnl_snapshots (account_id, ts, data) VALUES (?, ?, ?)`),
      lastPnl: db.prepare(`SELECT ts, data FROM bridge_pnl_snapshots WHERE account_id = ? ORDER BY id DESC LIMIT 1`),
    };
  }

  enqueue(order: NewBridgeOrder): boolean {
    return this.stmt.insert.run(order).changes === 1;
  }

  claim(accountId: string, owner: string, limit: number, now: number, leaseMs: number): ClaimResult {
    return this.db
      .transaction((): ClaimResult => {
        const result: ClaimResult = { claimed: [], cancelRequests: [], cancelledOnExpiry: [] };
        // An abandoned claim that the server wanted cancelled is not handed on: it is cancelled.
        for (const o of (this.stmt.cancelRequests.all(accountId, owner, now) as Row[]).map(fromRow)) {
          if (o.status === 'CLAIMED' && !leaseValid(o, now)) {
            // The owner stays on record: if it did execute after all, its late fill is applied.
            const cancelled: BridgeOrder = { ...o, status: 'CANCELLED', leaseExpiresAt: null, updatedAt: now, reason: o.reason ?? 'cancelled before a bridge confirmed it' };
            this.write(cancelled);
            this.stmt.history.run(o.id, now, owner, 'CANCELLED', 'cancelled-on-expiry', JSON.stringify({ previousOwner: o.leaseOwner }));
            result.cancelledOnExpiry.push(cancelled);
          } else {
            result.cancelRequests.push(o);
          }
        }
        const expiresAt = now + leaseMs;
        for (const o of (this.stmt.candidates.all(accountId, now, Math.max(0, limit)) as Row[]).map(fromRow)) {
          if (!claimable(o, now)) continue;
          this.stmt.lease.run(owner, expiresAt, now, o.id);
          this.stmt.history.run(o.id, now, owner, 'CLAIMED', 'claimed', JSON.stringify({ previousOwner: o.leaseOwner, leaseExpiresAt: expiresAt }));
          result.claimed.push({ ...o, status: 'CLAIMED', leaseOwner: owner, leaseExpiresAt: expiresAt, updatedAt: now });
        }
        return result;
      })
      .immediate();
  }

  report(orderId: string, report: BridgeReport, now: number, leaseMs: number): ReportResult {
    return this.db
      .transaction((): ReportResult => {
        const row = this.stmt.get.get(orderId) as Row | undefined;
        if (!row) return { outcome: 'not_found', message: `Order ${orderId} is not in the bridge queue` };
        const order = fromRow(row);
        const decision = decideReport(order, report, now);
        const detail = JSON.stringify(report);
        const by = report.server ? 'server' : report.owner;
        if (decision.kind !== 'apply') {
          this.stmt.history.run(orderId, now, by, report.status, decision.kind, detail);
          return { outcome: decision.kind, order, message: decision.reason };
        }
        const next = rowAfterReport(order, report, decision, now, leaseMs);
        this.write(next);
        this.stmt.history.run(orderId, now, by, report.status, decision.late ? 'late-fill' : decision.duplicate ? 'renewed' : 'applied', detail);
        return { outcome: 'applied', from: decision.from, order: next, duplicate: decision.duplicate, previous: order };
      })
      .immediate();
  }

  requestCancel(orderId: string, reason: string, now: number): CancelRequestResult {
    return this.db
      .transaction((): CancelRequestResult => {
        const row = this.stmt.get.get(orderId) as Row | undefined;
        if (!row) return { outcome: 'not_found' };
        const order = fromRow(row);
        if (order.status === 'FILLED' || order.status === 'REJECTED' || order.status === 'CANCELLED') return { outcome: 'terminal', order };
        if (order.status === 'PENDING') {
          const cancelled: BridgeOrder = { ...order, status: 'CANCELLED', reason, updatedAt: now };
          this.write(cancelled);
          this.stmt.history.run(orderId, now, 'server', 'CANCELLED', 'cancelled', JSON.stringify({ reason }));
          return { outcome: 'cancelled', order: cancelled };
        }
        if (order.cancelRequested) return { outcome: 'already_requested', order };
        const requested: BridgeOrder = { ...order, cancelRequested: true, reason, updatedAt: now };
        this.write(requested);
        this.stmt.history.run(orderId, now, 'server', 'CANCEL_REQUESTED', 'requested', JSON.stringify({ reason }));
        return { outcome: 'requested', order: requested };
      })
      .immediate();
  }

  get(orderId: string): BridgeOrder | null {
    const row = this.stmt.get.get(orderId) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  list(query: { accountId: string; limit: number; openOnly?: boolean }): BridgeOrder[] {
    const rows = (query.openOnly ? this.stmt.listOpen : this.stmt.listAll).all(query.accountId, query.limit) as Row[];
    return rows.map(fromRow);
  }

  history(orderId: string): BridgeReportRecord[] {
    const rows = this.stmt.historyOf.all(orderId) as { order_id: string; ts: number; owner: string; status: string; outcome: string; detail: string }[];
    return rows.map((r) => ({ orderId: r.order_id, ts: r.ts, owner: r.owner, status: r.status, outcome: r.outcome, detail: JSON.parse(r.detail) as unknown }));
  }

  saveHeartbeat(accountId: string, snapshot: BridgeSnapshot): void {
    this.stmt.upsertHeartbeat.run(accountId, snapshot.ts, JSON.stringify(snapshot.data));
  }

  lastHeartbeat(accountId: string): BridgeSnapshot | null {
    const row = this.stmt.heartbeat.get(accountId) as { ts: number; data: string } | undefined;
    return row ? { ts: row.ts, data: JSON.parse(row.data) as Record<string, unknown> } : null;
  }

  savePnlSnapshot(accountId: string, snapshot: BridgeSnapshot): void {
    this.stmt.insertPnl.run(accountId, snapshot.ts, JSON.stringify(snapshot.data));
  }

  lastPnlSnapshot(accountId: string): BridgeSnapshot | null {
    const row = this.stmt.lastPnl.get(accountId) as { ts: number; data: string } | undefined;
    return row ? { ts: row.ts, data: JSON.parse(row.data) as Record<string, unknown> } : null;
  }

  inTransaction(): boolean {
    return this.db.inTransaction;
  }

  private write(o: BridgeOrder): void {
    this.stmt.update.run({
      id: o.id,
      status: o.status,
      cancelRequested: o.cancelRequested ? 1 : 0,
      leaseOwner: o.leaseOwner,
      leaseExpiresAt: o.leaseExpiresAt,
      fillPrice: o.fillPrice,
      fillQty: o.fillQty,
      fillFee: o.fillFee,
      fillTs: o.fillTs,
      brokerOrderId: o.brokerOrderId,
      reason: o.reason,
      updatedAt: o.updatedAt,
    });
  }
}
