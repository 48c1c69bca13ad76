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
];
