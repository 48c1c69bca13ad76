import { sequenceOf } from '../../core/ids.js';
import type { ManagedStop } from '../../core/managed-stops.js';
import type { Fill, Order } from '../../core/orders.js';
import type { Account, ClosedTrade, Position } from '../../core/portfolio-types.js';
import type { BotRecord } from '../../core/bot-records.js';
import type { FillRecord, JournalStore, RestoredState, StoredEvent } from '../../core/ports.js';
import type { RenkoBar, RenkoSize } from '../../core/renko.js';
import { tradeFilterSql, type TradePage, type TradePageQuery } from '../../core/trade-history.js';
import { PgBridgeQueue } from './bridge-queue.js';
import type { PgTarget } from './connect.js';
import { PG_MIGRATIONS } from './migrations.js';
import { SyncPg } from './sync-pg.js';
import type { Step, StepResult } from './sync-protocol.js';
import { StaleLeaderError } from '../../core/leader-lease.js';

export interface PgStoreOptions extends PgTarget {
  /** Events kept in the table; older ones are pruned. */
  maxEvents?: number;
}

type Row = { data: string };
const parse = <T>(row: Row | undefined): T | null => (row ? (JSON.parse(row.data) as T) : null);
const datas = <T>(rows: Row[]): T[] => rows.map((r) => JSON.parse(r.data) as T);

const UPSERT_ACCOUNT = `INSERT INTO accounts (id, updated_at, data) VALUES ($1, $2, $3)
  ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data`;
const UPSERT_ORDER = `INSERT INTO orders (id, seq, account_id, symbol, status, created_at, updated_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data`;
const UPSERT_POSITION = `INSERT INTO positions (id, seq, account_id, symbol, open, opened_at, closed_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (id) DO UPDATE SET open = excluded.open, closed_at = excluded.closed_at, data = excluded.data`;
const OPEN = `status NOT IN ('filled', 'cancelled', 'rejected')`;

/**
 * The trading journal in PostgreSQL: the same port and the same guarantees as SqliteStore (a
 * write has committed when it returns, a write that throws changed nothing, `atomically` is one
 * transaction with savepoints inside). Calls block on a connection thread (SyncPg); a fill and
 * everything it changed travel in one round trip.
 */
export class PgStore implements JournalStore {
  readonly conn: SyncPg;
  private readonly maxEvents: number;
  private eventsSincePrune = 0;
  /** Cluster mode: the leader's fencing scope and token, checked by every trading write. */
  private fence: { scope: string; token: number } | null = null;

  constructor(options: PgStoreOptions) {
    this.conn = new SyncPg(options, PG_MIGRATIONS, 'schema_migrations');
    this.maxEvents = options.maxEvents ?? 20_000;
  }

  get inTransaction(): boolean {
    return this.conn.inTransaction;
  }

  atomically<T>(fn: () => T): T {
    return this.conn.atomically(fn);
  }

  /**
   * Cluster mode (docs/SCALE-OUT.md): raises the scope's fencing token in the journal to `token`
   * (refused with StaleLeaderError when a newer leader already holds a larger one); from then on
   * every trading write (orders, fills, positions, accounts, managed stops) first checks, in its
   * own transaction, that the journal's token is still this one, under a row lock a newer leader's
   * claim waits for. A leader that lost its lease therefore cannot journal an order, and an order
   * it cannot journal is never sent (journal first, docs/ARCHITECTURE.md).
   */
  fenceWrites(scope: string, token: number): void {
    // The table belongs to cluster mode only, so it is created here rather than by a numbered
    // migration; the advisory lock serialises two instances creating it at once.
    this.conn.batch([
      { sql: `SELECT pg_advisory_xact_lock(hashtext('tradewind.leader_fences'))` },
      { sql: `CREATE TABLE IF NOT EXISTS leader_fences (scope TEXT PRIMARY KEY, token BIGINT NOT NULL)` },
    ]);
    const raised = this.conn.run(
      `INSERT INTO leader_fences (scope, token) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET token = excluded.token WHERE leader_fences.token < excluded.token`,
      [scope, token],
    );
    if (raised === 0) throw new StaleLeaderError(`fencing token ${token} of ${scope} is older than the journal's: another instance leads`);
    this.fence = { scope, token };
  }

  saveAccount(account: Account): void {
    this.write([{ sql: UPSERT_ACCOUNT, params: accountParams(account) }]);
  }

  saveOrder(order: Order): void {
    this.write([{ sql: UPSERT_ORDER, params: orderParams(order) }]);
  }

  savePosition(position: Position): void {
    this.write([{ sql: UPSERT_POSITION, params: positionParams(position, true) }]);
  }

  /** A trading write: one batch (transaction or savepoint), after the fencing check when fenced. */
  private write(steps: Step[]): { results: StepResult[]; stopped: boolean } {
    const fence = this.fence;
    if (!fence) {
      const [only] = steps;
      if (steps.length === 1 && only) return { results: [{ rows: [], rowCount: this.conn.run(only.sql, only.params) }], stopped: false };
      return this.conn.batch(steps);
    }
    const r = this.conn.batch([{ sql: `SELECT 1 FROM leader_fences WHERE scope = $1 AND token = $2 FOR SHARE`, params: [fence.scope, fence.token], stopIfNone: true }, ...steps]);
    if (r.stopped && r.results.length === 1) throw new StaleLeaderError(`write refused: fencing token ${fence.token} of ${fence.scope} is stale (another instance leads)`);
    return { results: r.results.slice(1), stopped: r.stopped };
  }

  hasFill(fillId: string): boolean {
    return this.conn.rows(`SELECT 1 FROM fills WHERE id = $1`, [fillId]).length > 0;
  }

  recordFill(r: FillRecord): boolean {
    const steps: Step[] = [
      {
        sql: `INSERT INTO fills (id, order_id, account_id, symbol, ts, data) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        params: [r.fill.id, r.fill.orderId, r.fill.accountId, r.fill.symbol, r.fill.ts, JSON.stringify(r.fill)],
        stopIfNone: true,
      },
      { sql: UPSERT_ORDER, params: orderParams(r.order) },
    ];
    if (r.positionClosed) steps.push({ sql: UPSERT_POSITION, params: positionParams(r.positionClosed, false, r.fill.ts) });
    if (r.position) steps.push({ sql: UPSERT_POSITION, params: positionParams(r.position, true) });
    if (r.closedTrade) {
      const t = r.closedTrade;
      steps.push({
        sql: `INSERT INTO closed_trades (id, seq, position_id, account_id, symbol, closed_at, net_pnl, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        params: [t.id, sequenceOf(t.id), t.positionId, t.accountId, t.symbol, t.closedAt, t.netPnl, JSON.stringify(t)],
      });
    }
    steps.push({ sql: UPSERT_ACCOUNT, params: accountParams(r.account) });
    steps.push({
      sql: `INSERT INTO account_snapshots (account_id, ts, balance, realized_pnl, fees) VALUES ($1, $2, $3, $4, $5)`,
      params: [r.account.id, r.fill.ts, r.account.balance, r.account.realizedPnl, r.account.fees],
    });
    return !this.write(steps).stopped;
  }

  saveManagedStop(stop: ManagedStop): void {
    this.write([
      {
        sql: `INSERT INTO managed_stops (id, account_id, symbol, status, updated_at, data) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data`,
        params: [stop.id, stop.accountId, stop.symbol, stop.status, stop.updatedAt, JSON.stringify(stop)],
      },
    ]);
  }

  saveBot(record: BotRecord): void {
    const { state, ...rest } = record;
    this.conn.run(
      `INSERT INTO bots (id, kind, account_id, status, created_at, updated_at, data, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data, state = excluded.state`,
      [record.id, record.kind, record.accountId, record.status, record.createdAt, record.updatedAt, JSON.stringify(rest), state === undefined || state === null ? null : JSON.stringify(state)],
    );
  }

  saveBotState(id: string, state: unknown, updatedAt: number): void {
    this.conn.run(`UPDATE bots SET state = $1, updated_at = $2 WHERE id = $3`, [state === undefined || state === null ? null : JSON.stringify(state), updatedAt, id]);
  }

  listBots(kind: string): BotRecord[] {
    return this.conn
      .rows<{ data: string; state: string | null }>(`SELECT data, state FROM bots WHERE kind = $1 ORDER BY created_at, id`, [kind])
      .map((r) => ({ ...(JSON.parse(r.data) as Omit<BotRecord, 'state'>), state: r.state === null ? null : (JSON.parse(r.state) as unknown) }));
  }

  managedStops(accountId: string): ManagedStop[] {
    return datas(this.conn.rows<Row>(`SELECT data FROM managed_stops WHERE account_id = $1 AND status <> 'cancelled' ORDER BY ord`, [accountId]));
  }

  appendEvents(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    // One statement for the batch; WITH ORDINALITY keeps the ids in the batch's order.
    this.conn.run(
      `INSERT INTO events (ts, type, payload) SELECT ts, type, payload FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS e(ts, type, payload, i) ORDER BY i`,
      [events.map((e) => e.ts), events.map((e) => e.type), events.map((e) => JSON.stringify(e.payload))],
    );
    this.eventsSincePrune += events.length;
    if (this.eventsSincePrune >= 1_000) {
      this.eventsSincePrune = 0;
      this.conn.run(`DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - $1`, [this.maxEvents]);
    }
  }

  restore(accountId: string): RestoredState {
    const [account, orders, positions, seq] = this.conn.batch([
      { sql: `SELECT data FROM accounts WHERE id = $1`, params: [accountId] },
      { sql: `SELECT data FROM orders WHERE account_id = $1 AND ${OPEN} ORDER BY seq`, params: [accountId] },
      { sql: `SELECT data FROM positions WHERE account_id = $1 AND open = 1 ORDER BY seq`, params: [accountId] },
      {
        sql: `SELECT (SELECT COALESCE(MAX(seq), 0) FROM orders) AS orders, (SELECT COALESCE(MAX(seq), 0) FROM positions) AS positions,
                     (SELECT COALESCE(MAX(seq), 0) FROM closed_trades) AS trades`,
      },
    ]).results;
    const s = seq?.rows[0] as { orders: number; positions: number; trades: number };
    return {
      account: parse<Account>(account?.rows[0] as Row | undefined),
      openOrders: datas<Order>((orders?.rows ?? []) as Row[]),
      positions: datas<Position>((positions?.rows ?? []) as Row[]),
      lastOrderSeq: s.orders,
      lastPositionSeq: s.positions,
      lastTradeSeq: s.trades,
    };
  }

  listOrders(query: { accountId?: string; limit: number; openOnly?: boolean }): Order[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.accountId) {
      params.push(query.accountId);
      where.push(`account_id = $${params.length}`);
    }
    if (query.openOnly) where.push(OPEN);
    params.push(query.limit);
    return datas(this.conn.rows<Row>(`SELECT data FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`, params));
  }

  getOrder(id: string): Order | null {
    return parse<Order>(this.conn.rows<Row>(`SELECT data FROM orders WHERE id = $1`, [id])[0]);
  }

  recentFills(limit: number, accountId?: string): Fill[] {
    const rows = accountId
      ? this.conn.rows<Row>(`SELECT data FROM fills WHERE account_id = $1 ORDER BY ts DESC, ord DESC LIMIT $2`, [accountId, limit])
      : this.conn.rows<Row>(`SELECT data FROM fills ORDER BY ts DESC, ord DESC LIMIT $1`, [limit]);
    return datas<Fill>(rows).reverse();
  }

  recentTrades(limit: number, accountId?: string): ClosedTrade[] {
    const rows = accountId
      ? this.conn.rows<Row>(`SELECT data FROM closed_trades WHERE account_id = $1 ORDER BY seq DESC LIMIT $2`, [accountId, limit])
      : this.conn.rows<Row>(`SELECT data FROM closed_trades ORDER BY seq DESC LIMIT $1`, [limit]);
    return datas<ClosedTrade>(rows).reverse();
  }

  tradeHistory(query: TradePageQuery): TradePage {
    const { where, params } = tradeFilterSql(query, (n) => `$${n}`, `(data::json ->> 'botId')`);
    const total = Number(this.conn.rows<{ n: string | number }>(`SELECT COUNT(*) AS n FROM closed_trades ${where}`, params)[0]?.n ?? 0);
    const n = params.length;
    const rows = this.conn.rows<Row>(`SELECT data FROM closed_trades ${where} ORDER BY closed_at DESC, seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, query.limit, query.offset]);
    return { total, trades: datas<ClosedTrade>(rows) };
  }

  recentEvents(limit: number): StoredEvent[] {
    const rows = this.conn.rows<{ ts: number; type: string; payload: string }>(`SELECT ts, type, payload FROM events ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.reverse().map((r) => ({ ts: r.ts, type: r.type, payload: JSON.parse(r.payload) as unknown }));
  }

  getMeta(key: string): string | null {
    return this.conn.rows<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [key])[0]?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.conn.run(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  createSession(s: { tokenHash: string; createdAt: number; expiresAt: number; client: string }): void {
    this.conn.run(`INSERT INTO sessions (token_hash, created_at, expires_at, client) VALUES ($1, $2, $3, $4)`, [s.tokenHash, s.createdAt, s.expiresAt, s.client]);
  }

  findSession(tokenHash: string, now: number): { createdAt: number; expiresAt: number; client: string } | null {
    const row = this.conn.rows<{ created_at: number; expires_at: number; client: string }>(
      `SELECT created_at, expires_at, client FROM sessions WHERE token_hash = $1 AND expires_at > $2`,
      [tokenHash, now],
    )[0];
    return row ? { createdAt: row.created_at, expiresAt: row.expires_at, client: row.client } : null;
  }

  deleteSession(tokenHash: string): void {
    this.conn.run(`DELETE FROM sessions WHERE token_hash = $1`, [tokenHash]);
  }

  purgeSessions(now: number): number {
    return this.conn.run(`DELETE FROM sessions WHERE expires_at <= $1`, [now]);
  }

  recordRenkoBar(bar: RenkoBar): boolean {
    return (
      this.conn.run(`INSERT INTO renko_bars (asset, size, bar_id, ts, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
        bar.asset,
        bar.size,
        bar.barId,
        bar.ts,
        JSON.stringify(bar),
      ]) === 1
    );
  }

  recentRenkoBars(asset: string, size: RenkoSize, limit: number): RenkoBar[] {
    const rows = this.conn.rows<Row>(`SELECT data FROM renko_bars WHERE asset = $1 AND size = $2 ORDER BY ts DESC, ord DESC LIMIT $3`, [asset, size, limit]);
    return datas<RenkoBar>(rows).reverse();
  }

  bridgeQueue(): PgBridgeQueue {
    return new PgBridgeQueue(this.conn);
  }

  schemaVersion(): number {
    return this.conn.rows<{ v: number }>(`SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations`)[0]?.v ?? 0;
  }

  close(): void {
    this.conn.close();
  }
}

const accountParams = (a: Account) => [a.id, a.updatedAt, JSON.stringify(a)];

const orderParams = (o: Order) => [o.id, sequenceOf(o.id), o.accountId, o.symbol, o.status, o.createdAt, o.updatedAt, JSON.stringify(o)];

const positionParams = (p: Position, open: boolean, closedAt: number | null = null) => [
  p.id,
  sequenceOf(p.id),
  p.accountId,
  p.symbol,
  open ? 1 : 0,
  p.openedAt,
  closedAt,
  JSON.stringify(p),
];
