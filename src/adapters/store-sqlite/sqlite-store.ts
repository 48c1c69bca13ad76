import type { BotRecord, BotStore } from '../../core/bot-records.js';
import Database from 'better-sqlite3';
import { sequenceOf } from '../../core/ids.js';
import type { ManagedStop } from '../../core/managed-stops.js';
import type { Fill, Order } from '../../core/orders.js';
import type { Account, ClosedTrade, Position } from '../../core/portfolio-types.js';
import type { RenkoBar, RenkoSize } from '../../core/renko.js';
import type { FillRecord, JournalStore, RestoredState, StoredEvent } from '../../core/ports.js';
import { tradeFilterSql, type TradePage, type TradePageQuery } from '../../core/trade-history.js';
import { SqliteBridgeQueue } from './bridge-queue.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

export interface SqliteStoreOptions {
  /** Path to the database file, or ':memory:'. */
  file: string;
  /** Events kept in the table; older ones are pruned. */
  maxEvents?: number;
}

type Row = { data: string };
const parse = <T>(row: Row | undefined): T | null => (row ? (JSON.parse(row.data) as T) : null);

/** The embedded trading journal: better-sqlite3 in WAL mode with full fsync on commit. */
export class SqliteStore implements JournalStore, BotStore {
  readonly db: Database.Database;
  private readonly maxEvents: number;
  private eventsSincePrune = 0;
  private readonly stmt;

  constructor(options: SqliteStoreOptions) {
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    // Money data: every commit reaches the disk before the call returns.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Savepoints (every nested atomically) keep their undo pages in a statement journal, a temp
    // file by default: opened and written inside the transaction, it made each nested write about
    // 0.1 ms slower (bench:bridge-push). The journal's temp data is small: its queries are bounded.
    this.db.pragma('temp_store = MEMORY');
    this.maxEvents = options.maxEvents ?? 20_000;
    migrate(this.db, MIGRATIONS);
    const db = this.db;
    this.stmt = {
      upsertAccount: db.prepare(
        `INSERT INTO accounts (id, updated_at, data) VALUES (@id, @updatedAt, @data)
         ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data`,
      ),
      snapshot: db.prepare(
        `INSERT INTO account_snapshots (account_id, ts, balance, realized_pnl, fees) VALUES (?, ?, ?, ?, ?)`,
      ),
      upsertOrder: db.prepare(
        `INSERT INTO orders (id, seq, account_id, symbol, status, created_at, updated_at, data)
         VALUES (@id, @seq, @accountId, @symbol, @status, @createdAt, @updatedAt, @data)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data`,
      ),
      insertFill: db.prepare(
        `INSERT OR IGNORE INTO fills (id, order_id, account_id, symbol, ts, data) VALUES (@id, @orderId, @accountId, @symbol, @ts, @data)`,
      ),
      upsertPosition: db.prepare(
        `INSERT INTO positions (id, seq, account_id, symbol, open, opened_at, closed_at, data)
         VALUES (@id, @seq, @accountId, @symbol, @open, @openedAt, @closedAt, @data)
         ON CONFLICT(id) DO UPDATE SET open = excluded.open, closed_at = excluded.closed_at, data = excluded.data`,
      ),
      insertTrade: db.prepare(
        `INSERT INTO closed_trades (id, seq, position_id, account_id, symbol, closed_at, net_pnl, data)
         VALUES (@id, @seq, @positionId, @accountId, @symbol, @closedAt, @netPnl, @data)`,
      ),
      insertEvent: db.prepare(`INSERT INTO events (ts, type, payload) VALUES (?, ?, ?)`),
      hasFill: db.prepare(`SELECT 1 FROM fills WHERE id = ?`),
      getOrder: db.prepare(`SELECT data FROM orders WHERE id = ?`),
      getAccount: db.prepare(`SELECT data FROM accounts WHERE id = ?`),
      openOrders: db.prepare(
        `SELECT data FROM orders WHERE account_id = ? AND status NOT IN ('filled', 'cancelled', 'rejected') ORDER BY seq`,
      ),
      openPositions: db.prepare(`SELECT data FROM positions WHERE account_id = ? AND open = 1 ORDER BY seq`),
      maxSeq: db.prepare(
        `SELECT (SELECT COALESCE(MAX(seq), 0) FROM orders) AS orders,
                (SELECT COALESCE(MAX(seq), 0) FROM positions) AS positions,
                (SELECT COALESCE(MAX(seq), 0) FROM closed_trades) AS trades`,
      ),
      upsertManagedStop: db.prepare(
        `INSERT INTO managed_stops (id, account_id, symbol, status, updated_at, data) VALUES (@id, @accountId, @symbol, @status, @updatedAt, @data)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data`,
      ),
      upsertBot: db.prepare(
        `INSERT INTO bots (id, kind, account_id, status, created_at, updated_at, data, state)
         VALUES (@id, @kind, @accountId, @status, @createdAt, @updatedAt, @data, @state)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data, state = excluded.state`,
      ),
      botState: db.prepare(`UPDATE bots SET state = ?, updated_at = ? WHERE id = ?`),
      listBots: db.prepare(`SELECT data, state FROM bots WHERE kind = ? ORDER BY created_at, id`),
      managedStops: db.prepare(`SELECT data FROM managed_stops WHERE account_id = ? AND status <> 'cancelled' ORDER BY rowid`),
      getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`),
      setMeta: db.prepare(
        `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      ),
    };
  }

  saveAccount(account: Account): void {
    this.stmt.upsertAccount.run({ id: account.id, updatedAt: account.updatedAt, data: JSON.stringify(account) });
  }

  /**
   * One BEGIN IMMEDIATE ... COMMIT around `fn` (inside another transaction: a savepoint of it).
   * The bridge queue lives in this file, so a kernel order row and its queue row written in
   * here commit with a single fsync, and a failure between them leaves neither.
   */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** True while a transaction is open on this connection (nothing written in it is durable yet). */
  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  saveOrder(order: Order): void {
    this.stmt.upsertOrder.run(orderRow(order));
  }

  saveOrderUnsynced(order: Order): void {
    this.withoutSync(() => this.saveOrder(order));
  }

  /**
   * Runs `fn`'s writes without an fsync of their own. WAL with synchronous = NORMAL: the commit is
   * written to the WAL but not synced; the next FULL commit's fsync of the WAL makes it durable
   * too (the WAL is one file, written in order). Inside a transaction the outer commit decides.
   */
  private withoutSync<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    // exec, not a prepared statement: SQLite applies this pragma when it is prepared.
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      return fn();
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
    }
  }

  savePosition(position: Position): void {
    this.stmt.upsertPosition.run(positionRow(position, true));
  }

  hasFill(fillId: string): boolean {
    return this.stmt.hasFill.get(fillId) !== undefined;
  }

  recordFillUnsynced(record: FillRecord): boolean {
    return this.withoutSync(() => this.recordFill(record));
  }

  recordFill(record: FillRecord): boolean {
    return this.db.transaction((r: FillRecord): boolean => {
      const inserted = this.stmt.insertFill.run({ ...r.fill, data: JSON.stringify(r.fill) }).changes === 1;
      if (!inserted) return false;
      this.stmt.upsertOrder.run(orderRow(r.order));
      if (r.positionClosed) this.stmt.upsertPosition.run(positionRow(r.positionClosed, false, r.fill.ts));
      if (r.position) this.stmt.upsertPosition.run(positionRow(r.position, true));
      if (r.closedTrade) this.stmt.insertTrade.run(tradeRow(r.closedTrade));
      this.saveAccount(r.account);
      this.stmt.snapshot.run(r.account.id, r.fill.ts, r.account.balance, r.account.realizedPnl, r.account.fees);
      return true;
    }).immediate(record);
  }

  saveManagedStop(stop: ManagedStop): void {
    this.stmt.upsertManagedStop.run({ id: stop.id, accountId: stop.accountId, symbol: stop.symbol, status: stop.status, updatedAt: stop.updatedAt, data: JSON.stringify(stop) });
  }

  saveBot(record: BotRecord): void {
    const { state, ...rest } = record;
    this.stmt.upsertBot.run({ id: record.id, kind: record.kind, accountId: record.accountId, status: record.status, createdAt: record.createdAt, updatedAt: record.updatedAt, data: JSON.stringify(rest), state: state === undefined || state === null ? null : JSON.stringify(state) });
  }

  saveBotState(id: string, state: unknown, updatedAt: number): void {
    this.stmt.botState.run(state === undefined || state === null ? null : JSON.stringify(state), updatedAt, id);
  }

  listBots(kind: string): BotRecord[] {
    return (this.stmt.listBots.all(kind) as { data: string; state: string | null }[]).map((r) => ({ ...(JSON.parse(r.data) as Omit<BotRecord, 'state'>), state: r.state === null ? null : (JSON.parse(r.state) as unknown) }));
  }

  managedStops(accountId: string): ManagedStop[] {
    return (this.stmt.managedStops.all(accountId) as Row[]).map((r) => JSON.parse(r.data) as ManagedStop);
  }

  appendEvents(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    // The event log (what the dashboard lists) is not money: its batches, written on the stream's
    // refresh timer, need no fsync of their own between an order and its fill.
    this.withoutSync(() =>
      this.db.transaction(() => {
        for (const e of events) this.stmt.insertEvent.run(e.ts, e.type, JSON.stringify(e.payload));
      })(),
    );
    this.eventsSincePrune += events.length;
    if (this.eventsSincePrune >= 1_000) {
      this.eventsSincePrune = 0;
      this.db.prepare(`DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?`).run(this.maxEvents);
    }
  }

  restore(accountId: string): RestoredState {
    const seq = this.stmt.maxSeq.get() as { orders: number; positions: number; trades: number };
    return {
      account: parse<Account>(this.stmt.getAccount.get(accountId) as Row | undefined),
      openOrders: (this.stmt.openOrders.all(accountId) as Row[]).map((r) => JSON.parse(r.data) as Order),
      positions: (this.stmt.openPositions.all(accountId) as Row[]).map((r) => JSON.parse(r.data) as Position),
      lastOrderSeq: seq.orders,
      lastPositionSeq: seq.positions,
      lastTradeSeq: seq.trades,
    };
  }

  listOrders(query: { accountId?: string; limit: number; openOnly?: boolean }): Order[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.accountId) {
      where.push('account_id = ?');
      params.push(query.accountId);
    }
    if (query.openOnly) where.push(`status NOT IN ('filled', 'cancelled', 'rejected')`);
    const sql = `SELECT data FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, query.limit) as Row[]).map((r) => JSON.parse(r.data) as Order);
  }

  getOrder(id: string): Order | null {
    return parse<Order>(this.stmt.getOrder.get(id) as Row | undefined);
  }

  recentFills(limit: number, accountId?: string): Fill[] {
    const rows = accountId
      ? this.db.prepare(`SELECT data FROM fills WHERE account_id = ? ORDER BY ts DESC, rowid DESC LIMIT ?`).all(accountId, limit)
      : this.db.prepare(`SELECT data FROM fills ORDER BY ts DESC, rowid DESC LIMIT ?`).all(limit);
    return (rows as Row[]).map((r) => JSON.parse(r.data) as Fill).reverse();
  }

  recentTrades(limit: number, accountId?: string): ClosedTrade[] {
    const rows = accountId
      ? this.db.prepare(`SELECT data FROM closed_trades WHERE account_id = ? ORDER BY seq DESC LIMIT ?`).all(accountId, limit)
      : this.db.prepare(`SELECT data FROM closed_trades ORDER BY seq DESC LIMIT ?`).all(limit);
    return (rows as Row[]).map((r) => JSON.parse(r.data) as ClosedTrade).reverse();
  }

  tradeHistory(query: TradePageQuery): TradePage {
    const { where, params } = tradeFilterSql(query, () => '?', `json_extract(data, '$.botId')`);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM closed_trades ${where}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT data FROM closed_trades ${where} ORDER BY closed_at DESC, seq DESC LIMIT ? OFFSET ?`).all(...params, query.limit, query.offset) as Row[];
    return { total, trades: rows.map((r) => JSON.parse(r.data) as ClosedTrade) };
  }

  recentEvents(limit: number): StoredEvent[] {
    const rows = this.db.prepare(`SELECT ts, type, payload FROM events ORDER BY id DESC LIMIT ?`).all(limit) as {
      ts: number;
      type: string;
      payload: string;
    }[];
    return rows.reverse().map((r) => ({ ts: r.ts, type: r.type, payload: JSON.parse(r.payload) as unknown }));
  }

  getMeta(key: string): string | null {
    const row = this.stmt.getMeta.get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  createSession(s: { tokenHash: string; createdAt: number; expiresAt: number; client: string }): void {
    this.db.prepare(`INSERT INTO sessions (token_hash, created_at, expires_at, client) VALUES (?, ?, ?, ?)`).run(s.tokenHash, s.createdAt, s.expiresAt, s.client);
  }

  findSession(tokenHash: string, now: number): { createdAt: number; expiresAt: number; client: string } | null {
    const row = this.db.prepare(`SELECT created_at, expires_at, client FROM sessions WHERE token_hash = ? AND expires_at > ?`).get(tokenHash, now) as
      | { created_at: number; expires_at: number; client: string }
      | undefined;
    return row ? { createdAt: row.created_at, expiresAt: row.expires_at, client: row.client } : null;
  }

  deleteSession(tokenHash: string): void {
    this.db.prepare(`DELETE FROM sessions WHERE token_hash = ?`).run(tokenHash);
  }

  purgeSessions(now: number): number {
    return this.db.prepare(`DELETE FROM sessions WHERE expires_at <= ?`).run(now).changes;
  }

  recordRenkoBar(bar: RenkoBar): boolean {
    return (
      this.db.prepare(`INSERT OR IGNORE INTO renko_bars (asset, size, bar_id, ts, data) VALUES (?, ?, ?, ?, ?)`).run(bar.asset, bar.size, bar.barId, bar.ts, JSON.stringify(bar))
        .changes === 1
    );
  }

  recentRenkoBars(asset: string, size: RenkoSize, limit: number): RenkoBar[] {
    const rows = this.db.prepare(`SELECT data FROM renko_bars WHERE asset = ? AND size = ? ORDER BY ts DESC, rowid DESC LIMIT ?`).all(asset, size, limit) as Row[];
    return rows.map((r) => JSON.parse(r.data) as RenkoBar).reverse();
  }

  bridgeQueue(): SqliteBridgeQueue {
    return new SqliteBridgeQueue(this.db);
  }

  schemaVersion(): number {
    return (this.db.prepare(`SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations`).get() as { v: number }).v;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}


const orderRow = (o: Order) => ({
  id: o.id,
  seq: sequenceOf(o.id),
  accountId: o.accountId,
  symbol: o.symbol,
  status: o.status,
  createdAt: o.createdAt,
  updatedAt: o.updatedAt,
  data: JSON.stringify(o),
});

const positionRow = (p: Position, open: boolean, closedAt: number | null = null) => ({
  id: p.id,
  seq: sequenceOf(p.id),
  accountId: p.accountId,
  symbol: p.symbol,
  open: open ? 1 : 0,
  openedAt: p.openedAt,
  closedAt,
  data: JSON.stringify(p),
});

const tradeRow = (t: ClosedTrade) => ({
  id: t.id,
  seq: sequenceOf(t.id),
  positionId: t.positionId,
  accountId: t.accountId,
  symbol: t.symbol,
  closedAt: t.closedAt,
  netPnl: t.netPnl,
  data: JSON.stringify(t),
});
