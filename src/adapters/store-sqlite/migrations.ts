export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned schema. Append new migrations; never edit an applied one. Rows keep their key
 * columns for queries and the whole record as JSON so a restart restores them exactly.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'trading journal',
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX orders_status ON orders(status);
      CREATE INDEX orders_account_created ON orders(account_id, created_at);
      CREATE TABLE fills (
        id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders(id),
        account_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        ts INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX fills_ts ON fills(ts);
      CREATE TABLE positions (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        open INTEGER NOT NULL,
        opened_at INTEGER NOT NULL,
        closed_at INTEGER,
        data TEXT NOT NULL
      );
      CREATE INDEX positions_open ON positions(account_id, open);
      CREATE TABLE closed_trades (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        position_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        closed_at INTEGER NOT NULL,
        net_pnl REAL NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX closed_trades_closed ON closed_trades(closed_at);
      CREATE TABLE account_snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        balance REAL NOT NULL,
        realized_pnl REAL NOT NULL,
        fees REAL NOT NULL
      );
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL
      );
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'operator sessions',
    sql: `
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        client TEXT NOT NULL
      );
      CREATE INDEX sessions_expiry ON sessions(expires_at);
    `,
  },
  {
    version: 3,
    name: 'execution bridge queue',
    sql: `
      CREATE TABLE bridge_orders (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        contract TEXT NOT NULL,
        exchange TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
        qty REAL NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('ENTRY', 'EXIT')),
        mode TEXT NOT NULL,
        env TEXT NOT NULL,
        ref_price REAL,
        status TEXT NOT NULL CHECK (status IN ('PENDING', 'CLAIMED', 'WORKING', 'FILLED', 'REJECTED', 'CANCELLED')),
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        fill_price REAL,
        fill_qty REAL,
        fill_fee REAL,
        fill_ts INTEGER,
        broker_order_id TEXT,
        reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX bridge_orders_queue ON bridge_orders(account_id, status, seq);
      CREATE TABLE bridge_reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX bridge_reports_order ON bridge_reports(order_id, id);
      CREATE TABLE bridge_heartbeats (
        account_id TEXT PRIMARY KEY,
        ts INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE bridge_pnl_snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX bridge_pnl_account ON bridge_pnl_snapshots(account_id, id);
    `,
  },
  {
    version: 4,
    name: 'renko bars',
    sql: `
      CREATE TABLE renko_bars (
        asset TEXT NOT NULL,
        size REAL NOT NULL,
        bar_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (asset, size, bar_id)
      );
      CREATE INDEX renko_bars_recent ON renko_bars(asset, size, ts);
    `,
  },
  {
    version: 5,
    name: 'server-managed stops',
    // Partial fills need no schema change: an order's cumulative quantity, average price and fees
    // and a position's entered/exited quantities live in the rows' JSON.
    sql: `
      CREATE TABLE managed_stops (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'triggered', 'cancelled')),
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX managed_stops_account ON managed_stops(account_id, status);
    `,
  },
  {
    version: 6,
    name: 'bot registry',
    // Bots survive restarts: the Max bots and the engine's run, with their strategy state. Rows
    // are never deleted (a stopped bot keeps its id), so ids never repeat.
    sql: `
      CREATE TABLE bots (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        account_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'stopped')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        data TEXT NOT NULL,
        state TEXT
      );
      CREATE INDEX bots_kind ON bots(kind, created_at);
    `,
  },
  {
    version: 7,
    name: 'bridge queue indexes that keep its cost flat as it grows',
    // The queue keeps every order it ever held. Without these, a new row's seq (MAX(seq) + 1) and
    // the operator's newest-first listing read the whole table (claims, which read every finished
    // order too, now name the queue index: bridge-queue.ts), so each order cost more than the last
    // (enqueue about 1 ms and a claim 2 ms at 20,000 rows, growing linearly).
    sql: `
      CREATE INDEX bridge_orders_seq ON bridge_orders(seq);
      CREATE INDEX bridge_orders_account_seq ON bridge_orders(account_id, seq);
    `,
  },
  {
    version: 8,
    name: 'journal reads that stay fast as the history grows',
    // The order and trade listings (GET /api/orders, the seed routes, an account's orders, the
    // closed trades a restart and the engine read) asked for the newest rows by seq with no index
    // on it: every call read and sorted the whole history on the event loop (150-170 ms at
    // 100,000 rows). The partial index holds only working orders (the same condition as the
    // queries, so SQLite uses it for them).
    sql: `
      CREATE INDEX orders_seq ON orders(seq);
      CREATE INDEX orders_account_seq ON orders(account_id, seq);
      CREATE INDEX orders_working ON orders(account_id, seq) WHERE status NOT IN ('filled', 'cancelled', 'rejected');
      CREATE INDEX closed_trades_seq ON closed_trades(seq);
      CREATE INDEX closed_trades_account_seq ON closed_trades(account_id, seq);
      CREATE INDEX closed_trades_account_closed ON closed_trades(account_id, closed_at, seq);
    `,
  },
];
