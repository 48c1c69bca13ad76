import type { Migration } from './migrations.js';

/**
 * Schema of DATA_DIR/market.db (market data, apart from the trading journal so a long import
 * never holds the journal's write lock). Append new migrations; never edit an applied one.
 *
 * Both tables are WITHOUT ROWID with the duplicate key as primary key: one B-tree per table, so
 * an insert writes one tree (no separate unique index) and a range read is a clustered scan.
 * Imports arrive in time order, so inserts append at the right edge of the tree.
 */
export const MARKET_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'market data',
    sql: `
      CREATE TABLE symbols (
        id INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL UNIQUE
      );
      CREATE TABLE ticks (
        sym INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        price REAL NOT NULL,
        size REAL NOT NULL,
        n INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        trades INTEGER NOT NULL,
        PRIMARY KEY (sym, ts, price, size, n)
      ) WITHOUT ROWID;
      CREATE TABLE bars (
        sym INTEGER NOT NULL,
        interval_ms INTEGER NOT NULL,
        start INTEGER NOT NULL,
        open REAL NOT NULL,
        high REAL NOT NULL,
        low REAL NOT NULL,
        close REAL NOT NULL,
        volume REAL NOT NULL,
        trades INTEGER NOT NULL,
        PRIMARY KEY (sym, interval_ms, start)
      ) WITHOUT ROWID;
    `,
  },
];
