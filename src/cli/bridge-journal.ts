import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The reference bridge's own durable state (`tradewind bridge --state-dir`): the orders it took
 * on and how far each got, its outbox of reports the server has not acknowledged, and its
 * simulated broker book. One SQLite file (WAL, synchronous=FULL: every commit is fsynced), so a
 * SIGKILL at any point loses nothing that was acknowledged to anyone:
 *
 *   claimed ──WORKING acknowledged──► confirmed ──executed (+ book, + FILLED in the outbox, one
 *   transaction)──► executed ──FILLED delivered──► done
 *
 * After a restart `claimed` and `confirmed` orders are taken up again (WORKING first, which
 * tells whether the server still has them for us), executed ones are never executed again, and
 * the outbox is delivered in order. A real venue bridge journals its intent with a client order
 * id before sending and, after a crash, asks the venue about that id instead of re-executing.
 */

export type JournalState = 'claimed' | 'confirmed' | 'executed' | 'done';

export interface JournalOrder<T> {
  key: string;
  id: string;
  order: T;
  state: JournalState;
  price: number | null;
  qty: number | null;
}

export interface OutboxRow {
  seq: number;
  orderId: string;
  /** The journal key of its order. */
  key: string;
  body: Record<string, unknown>;
}

export interface BookRow {
  contract: string;
  qty: number;
  avgPrice: number;
  lastPrice: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  key TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  state TEXT NOT NULL,
  price REAL,
  qty REAL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_state ON orders(state);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, order_key TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS book (contract TEXT PRIMARY KEY, qty REAL NOT NULL, avg_price REAL NOT NULL, last_price REAL NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** How many finished orders are kept (to recognise an order handed out again); older ones are pruned. */
const KEEP_DONE = 5_000;

export class BridgeJournal<T extends object> {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly stmt;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'bridge-journal.db');
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.stmt = {
      get: this.db.prepare(`SELECT * FROM orders WHERE key = ?`),
      upsert: this.db.prepare(
        `INSERT INTO orders (key, id, data, state, price, qty, updated_at) VALUES (@key, @id, @data, @state, @price, @qty, @now)
         ON CONFLICT(key) DO UPDATE SET state = excluded.state, price = COALESCE(excluded.price, orders.price), qty = COALESCE(excluded.qty, orders.qty), updated_at = excluded.updated_at`,
      ),
      inState: this.db.prepare(`SELECT * FROM orders WHERE state IN ('claimed', 'confirmed') ORDER BY rowid`),
      pushOutbox: this.db.prepare(`INSERT INTO outbox (order_id, order_key, body, created_at) VALUES (?, ?, ?, ?)`),
      outbox: this.db.prepare(`SELECT seq, order_id, order_key, body FROM outbox ORDER BY seq`),
      dropOutbox: this.db.prepare(`DELETE FROM outbox WHERE seq = ?`),
      hasOutbox: this.db.prepare(`SELECT 1 FROM outbox WHERE order_key = ? LIMIT 1`),
      finish: this.db.prepare(`UPDATE orders SET state = 'done', updated_at = ? WHERE key = ?`),
      book: this.db.prepare(`SELECT contract, qty, avg_price, last_price FROM book ORDER BY contract`),
      setBook: this.db.prepare(
        `INSERT INTO book (contract, qty, avg_price, last_price) VALUES (?, ?, ?, ?) ON CONFLICT(contract) DO UPDATE SET qty = excluded.qty, avg_price = excluded.avg_price, last_price = excluded.last_price`,
      ),
      getMeta: this.db.prepare(`SELECT value FROM meta WHERE key = ?`),
      setMeta: this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
      prune: this.db.prepare(`DELETE FROM orders WHERE state = 'done' AND rowid NOT IN (SELECT rowid FROM orders WHERE state = 'done' ORDER BY rowid DESC LIMIT ${KEEP_DONE})`),
    };
    this.stmt.prune.run();
  }

  get(key: string): JournalOrder<T> | null {
    const r = this.stmt.get.get(key) as { key: string; id: string; data: string; state: JournalState; price: number | null; qty: number | null } | undefined;
    return r ? { key: r.key, id: r.id, order: JSON.parse(r.data) as T, state: r.state, price: r.price, qty: r.qty } : null;
  }

  /** Orders taken on but not executed: to be taken up again after a restart. */
  unfinished(): JournalOrder<T>[] {
    return (this.stmt.inState.all() as { key: string; id: string; data: string; state: JournalState; price: number | null; qty: number | null }[]).map((r) => ({
      key: r.key,
      id: r.id,
      order: JSON.parse(r.data) as T,
      state: r.state,
      price: r.price,
      qty: r.qty,
    }));
  }

  setState(key: string, id: string, order: T, state: JournalState, now: number): void {
    this.stmt.upsert.run({ key, id, data: JSON.stringify(order), state, price: null, qty: null, now });
  }

  /**
   * The execution and everything it changes, in one transaction: the order's price and state,
   * the book position, the realized PnL and the FILLED report in the outbox.
   */
  recordExecution(e: { key: string; id: string; order: T; price: number; qty: number; book: BookRow; realized: number; report: Record<string, unknown>; now: number }): void {
    this.db.transaction(() => {
      this.stmt.upsert.run({ key: e.key, id: e.id, data: JSON.stringify(e.order), state: 'executed', price: e.price, qty: e.qty, now: e.now });
      this.stmt.setBook.run(e.book.contract, e.book.qty, e.book.avgPrice, e.book.lastPrice);
      this.stmt.setMeta.run('realized', String(e.realized));
      this.stmt.pushOutbox.run(e.id, e.key, JSON.stringify(e.report), e.now);
    })();
  }

  /** Queues a report for an order and moves the order to `state`, in one transaction. */
  queueReport(key: string, id: string, order: T, body: Record<string, unknown>, state: JournalState, now: number): void {
    this.db.transaction(() => {
      this.stmt.upsert.run({ key, id, data: JSON.stringify(order), state, price: null, qty: null, now });
      this.stmt.pushOutbox.run(id, key, JSON.stringify(body), now);
    })();
  }

  /** Queues a report again (a fill the server asks about once more). */
  requeue(key: string, id: string, body: Record<string, unknown>, now: number): void {
    this.stmt.pushOutbox.run(id, key, JSON.stringify(body), now);
  }

  outbox(): OutboxRow[] {
    return (this.stmt.outbox.all() as { seq: number; order_id: string; order_key: string; body: string }[]).map((r) => ({
      seq: r.seq,
      orderId: r.order_id,
      key: r.order_key,
      body: JSON.parse(r.body) as Record<string, unknown>,
    }));
  }

  hasReport(key: string): boolean {
    return this.stmt.hasOutbox.get(key) !== undefined;
  }

  /** The server answered the report (acknowledged or refused): it leaves the outbox, and its order is done. */
  delivered(row: OutboxRow, now: number): void {
    this.db.transaction(() => {
      this.stmt.dropOutbox.run(row.seq);
      this.stmt.finish.run(now, row.key);
    })();
  }

  /** An order this bridge will not execute (refused, ended at the server): done. */
  finish(key: string, now: number): void {
    this.stmt.finish.run(now, key);
  }

  book(): BookRow[] {
    return (this.stmt.book.all() as { contract: string; qty: number; avg_price: number; last_price: number }[]).map((r) => ({ contract: r.contract, qty: r.qty, avgPrice: r.avg_price, lastPrice: r.last_price }));
  }

  realized(): number {
    const r = this.stmt.getMeta.get('realized') as { value: string } | undefined;
    return r ? Number(r.value) : 0;
  }

  close(): void {
    this.db.close();
  }
}
