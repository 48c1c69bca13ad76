// The journal keeps every order and trade, and its reads run on the event loop: a listing of the
// newest rows must walk an index in order and stop at its limit, never read and sort the whole
// history (GET /api/orders took about 200 ms at 100,000 orders before migration 8). Checked on
// SQLite's query plans of the statements the store really runs, and on their answers.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { queryPlan, tempDir } from './support.js';

const dirs = tempDir('tw-journal-plans-');
after(() => dirs.cleanup());

/** Records the SQL of every statement the store prepares from now on. */
function recordPrepares(db: Database.Database): string[] {
  const seen: string[] = [];
  const prepare = db.prepare.bind(db);
  (db as unknown as { prepare: (sql: string) => Database.Statement }).prepare = (sql: string) => {
    seen.push(sql);
    return prepare(sql);
  };
  return seen;
}

function fill(db: Database.Database, n: number): void {
  db.pragma('foreign_keys = OFF');
  const order = db.prepare(`INSERT INTO orders (id, seq, account_id, symbol, status, created_at, updated_at, data) VALUES (?, ?, ?, 'ES', ?, ?, ?, ?)`);
  const trade = db.prepare(`INSERT INTO closed_trades (id, seq, position_id, account_id, symbol, closed_at, net_pnl, data) VALUES (?, ?, ?, ?, 'ES', ?, 0, ?)`);
  db.transaction(() => {
    for (let i = 1; i <= n; i += 1) {
      const account = i % 3 === 0 ? 'other' : 'paper';
      const status = i % 500 === 0 ? 'accepted' : 'filled';
      order.run(`o${i}`, i, account, status, i, i, JSON.stringify({ id: `o${i}`, accountId: account, status }));
      trade.run(`t${i}`, i, `p${i}`, account, i, JSON.stringify({ id: `t${i}`, accountId: account }));
    }
  })();
  db.pragma('foreign_keys = ON');
}

describe('journal reads: the newest rows through an index, never the whole history', () => {
  it('orders, working orders and closed trades are listed without reading and sorting every row', () => {
    const store = new SqliteStore({ file: dirs.file('plans.db') });
    try {
      fill(store.db, 3000);
      const seen = recordPrepares(store.db);
      const newest = store.listOrders({ limit: 3 }).map((o) => o.id);
      const ofPaper = store.listOrders({ accountId: 'paper', limit: 3 }).map((o) => o.id);
      const working = store.listOrders({ accountId: 'paper', limit: 10, openOnly: true }).map((o) => o.id);
      const trades = store.recentTrades(2).map((t) => t.id);
      const paperTrades = store.recentTrades(2, 'paper').map((t) => t.id);
      const page = store.tradeHistory({ accountId: 'paper', limit: 2, offset: 1 });
      assert.deepEqual(newest, ['o3000', 'o2999', 'o2998']);
      assert.deepEqual(ofPaper, ['o2999', 'o2998', 'o2996']);
      assert.deepEqual(working, ['o2500', 'o2000', 'o1000', 'o500'], 'every fifth hundred is still working; o1500 belongs to the other account');
      assert.deepEqual(trades, ['t2999', 't3000'], 'oldest first, as the callers expect');
      assert.deepEqual(paperTrades, ['t2998', 't2999']);
      assert.deepEqual([page.total, page.trades.map((t) => t.id)], [2000, ['t2998', 't2996']]);

      const stmt = (store as unknown as { stmt: Record<string, Database.Statement> }).stmt;
      const statements = [...seen.filter((sql) => /\bLIMIT\b/.test(sql)), stmt.openOrders!.source];
      assert.ok(statements.length >= 7, `the listings' statements were seen (${statements.length})`);
      for (const sql of statements) {
        const p = queryPlan(store.db, sql, 'paper');
        assert.doesNotMatch(p, /USE TEMP B-TREE FOR ORDER BY/, `sorts every row it reads: ${sql}\n${p}`);
        assert.doesNotMatch(p, /\bSCAN (orders|closed_trades)\b(?! USING)/, `reads the whole table: ${sql}\n${p}`);
      }
      assert.match(queryPlan(store.db, stmt.openOrders!.source, 'paper'), /USING INDEX orders_working/, 'working orders from their own index');
    } finally {
      store.close();
    }
  });
});
