import Database from 'better-sqlite3';
import type { CoordinatorJournal, CoordinatorTrade, SystemEvent, TradePerformance } from '../../core/coordinator-journal.js';
import { migrate } from './migrate.js';
import type { Migration } from './migrations.js';

/**
 * DATA_DIR/coordinator.db: the ensemble coordinator's journal. Its own file, because the seed's
 * table names (`trades`) are taken in the kernel's journal; `trades` and `system_events` are the
 * seed's DDL word for word. `trade_links` ties a trade to the kernel order that entered it and
 * keeps when it closed (for the day's P&L), so the seed's tables stay exactly as written.
 */
export const COORDINATOR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'seed 004 coordinator journal',
    sql: `
CREATE TABLE trades (
    id INTEGER PRIMARY KEY,
    timestamp TEXT,
    symbol TEXT,
    side TEXT,  -- 'LONG' or 'SHORT'
    entry_price REAL,
    exit_price REAL,
    quantity REAL,
    pnl REAL,
    status TEXT,  -- 'OPEN', 'CLOSED', 'CANCELLED'
    ensemble_confidence REAL,
    model_count INTEGER
);
CREATE TABLE system_events (
    id INTEGER PRIMARY KEY,
    timestamp TEXT,
    event_type TEXT,
    severity TEXT,
    component TEXT,
    message TEXT
);
CREATE TABLE trade_links (
    trade_id INTEGER PRIMARY KEY REFERENCES trades(id),
    order_id TEXT NOT NULL UNIQUE,
    closed_at TEXT
);
CREATE INDEX trade_links_closed ON trade_links (closed_at);
`,
  },
];

export class SqliteCoordinatorStore implements CoordinatorJournal {
  readonly db: Database.Database;
  private readonly s;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    migrate(this.db, COORDINATOR_MIGRATIONS);
    const db = this.db;
    this.s = {
      insert: db.prepare(`INSERT INTO trades (timestamp, symbol, side, entry_price, exit_price, quantity, pnl, status, ensemble_confidence, model_count) VALUES (@timestamp, @symbol, @side, @entry_price, NULL, @quantity, NULL, 'OPEN', @ensemble_confidence, @model_count)`),
      link: db.prepare(`INSERT INTO trade_links (trade_id, order_id) VALUES (?, ?)`),
      byOrder: db.prepare(`SELECT t.* FROM trades t JOIN trade_links l ON l.trade_id = t.id WHERE l.order_id = ?`),
      entry: db.prepare(`UPDATE trades SET entry_price = ?, quantity = ? WHERE id = ?`),
      close: db.prepare(`UPDATE trades SET exit_price = ?, pnl = ?, status = 'CLOSED' WHERE id = ? AND status = 'OPEN'`),
      closedAt: db.prepare(`UPDATE trade_links SET closed_at = ? WHERE trade_id = ?`),
      cancel: db.prepare(`UPDATE trades SET status = 'CANCELLED' WHERE id = ? AND status = 'OPEN'`),
      open: db.prepare(`SELECT * FROM trades WHERE status = 'OPEN' ORDER BY id`),
      recent: db.prepare(`SELECT * FROM trades ORDER BY id DESC LIMIT ?`),
      totals: db.prepare(
        `SELECT COALESCE(SUM(status = 'CLOSED'), 0) AS closed, COALESCE(SUM(status IN ('OPEN', 'CLOSED')), 0) AS executed, COALESCE(SUM(CASE WHEN status = 'CLOSED' THEN pnl END), 0) AS pnl, COALESCE(SUM(status = 'CLOSED' AND pnl > 0), 0) AS wins FROM trades`,
      ),
      daily: db.prepare(`SELECT COALESCE(SUM(t.pnl), 0) AS pnl FROM trades t JOIN trade_links l ON l.trade_id = t.id WHERE t.status = 'CLOSED' AND l.closed_at >= ?`),
      event: db.prepare(`INSERT INTO system_events (timestamp, event_type, severity, component, message) VALUES (@timestamp, @event_type, @severity, @component, @message)`),
      events: db.prepare(`SELECT * FROM system_events ORDER BY id DESC LIMIT ?`),
    };
  }

  openTrade(t: Omit<CoordinatorTrade, 'id' | 'exit_price' | 'pnl' | 'status'>, orderId: string): number {
    return this.db.transaction(() => {
      const id = Number(this.s.insert.run(t).lastInsertRowid);
      this.s.link.run(id, orderId);
      return id;
    })();
  }

  tradeOfOrder(orderId: string): CoordinatorTrade | null {
    return (this.s.byOrder.get(orderId) as CoordinatorTrade | undefined) ?? null;
  }

  setEntryPrice(id: number, price: number, quantity: number): void {
    this.s.entry.run(price, quantity, id);
  }

  closeTrade(id: number, exitPrice: number, pnl: number, closedAt: string): void {
    this.db.transaction(() => {
      this.s.close.run(exitPrice, pnl, id);
      this.s.closedAt.run(closedAt, id);
    })();
  }

  cancelTrade(id: number): void {
    this.s.cancel.run(id);
  }

  openTrades(): CoordinatorTrade[] {
    return this.s.open.all() as CoordinatorTrade[];
  }

  recentTrades(limit: number): CoordinatorTrade[] {
    return this.s.recent.all(limit) as CoordinatorTrade[];
  }

  performance(dayStart: string): TradePerformance {
    const t = this.s.totals.get() as { closed: number; executed: number; pnl: number; wins: number };
    const d = this.s.daily.get(dayStart) as { pnl: number };
    return { total_pnl: t.pnl, daily_pnl: d.pnl, win_rate: t.closed > 0 ? t.wins / t.closed : 0, total_trades: t.executed };
  }

  addEvent(e: Omit<SystemEvent, 'id'>): void {
    this.s.event.run(e);
  }

  recentEvents(limit: number): SystemEvent[] {
    return this.s.events.all(limit) as SystemEvent[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
