// The bridge queue keeps every order it ever held, so its statements must read only what they need:
// a new row's seq through the seq index, claims and the open-orders listing through the live rows
// of the queue index, the newest-first listing through (account_id, seq). Checked on SQLite's own
// query plans (a plan that reads the whole table or every finished order fails here), and on the
// answers: with thousands of finished orders around, the live ones come out in order.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { SqliteBridgeQueue } from '../../src/adapters/store-sqlite/bridge-queue.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import type { NewBridgeOrder } from '../../src/core/bridge.js';
import { queryPlan, tempDir } from './support.js';

const dirs = tempDir('tw-bridge-growth-');
after(() => dirs.cleanup());

const order = (id: string, accountId = 'bridge'): NewBridgeOrder => ({
  id,
  accountId,
  symbol: 'ES',
  contract: 'MESM6',
  exchange: 'CME',
  side: 'BUY',
  qty: 1,
  kind: 'EXIT',
  mode: 'SCALP',
  env: 'DEMO',
  refPrice: 6000,
  createdAt: 1,
});

describe('bridge queue: statements that do not slow down as the queue grows', () => {
  it('reads a new seq, the claimable rows and the listings through indexes, never every row', () => {
    const store = new SqliteStore({ file: dirs.file('plans.db') });
    try {
      const queue = new SqliteBridgeQueue(store.db);
      const stmt = (queue as unknown as { stmt: Record<string, Database.Statement> }).stmt;
      const plan = (name: string) => {
        const s = stmt[name];
        assert.ok(s, `statement ${name}`);
        // The insert's named parameters only feed its VALUES; any value gives the same plan.
        return s.source.includes('@') ? queryPlan(store.db, s.source.replace(/@\w+/g, 'NULL')) : queryPlan(store.db, s.source, 1);
      };
      assert.match(plan('insert'), /SEARCH bridge_orders USING COVERING INDEX bridge_orders_seq\b/, 'MAX(seq) from the seq index');
      for (const name of ['candidates', 'cancelRequests', 'listOpen']) {
        assert.match(plan(name), /USING INDEX bridge_orders_queue \(account_id=\? AND status=\?\)/, `${name}: only the rows of its statuses`);
      }
      assert.match(plan('listAll'), /USING INDEX bridge_orders_account_seq \(account_id=\?\)$/, 'newest first without a sort');
      for (const name of Object.keys(stmt).filter((n) => stmt[n]?.source.includes('bridge_orders'))) {
        assert.doesNotMatch(plan(name), /\bSCAN bridge_orders\b/, `${name} reads the whole table`);
      }
    } finally {
      store.close();
    }
  });

  it('with thousands of finished orders, claims hand out the live ones in order and the listings are the newest', () => {
    const store = new SqliteStore({ file: dirs.file('answers.db') });
    try {
      const queue = new SqliteBridgeQueue(store.db);
      const now = 1_000_000;
      for (let i = 0; i < 3000; i += 1) {
        assert.equal(queue.enqueue(order(`old-${i}`, i % 3 === 0 ? 'other' : 'bridge')), true);
        const [claimed] = queue.claim(i % 3 === 0 ? 'other' : 'bridge', 'b', 1, now, 30_000).claimed;
        assert.equal(claimed?.id, `old-${i}`);
        assert.equal(queue.report(claimed.id, { status: 'REJECTED', owner: 'b' }, now, 30_000).outcome, 'applied');
      }
      for (const id of ['live-1', 'live-2', 'live-3', 'live-4']) queue.enqueue(order(id));
      // live-1 claimed with a lease that has run out by `later`: claimable again, ahead of live-2.
      assert.deepEqual(queue.claim('bridge', 'a', 1, now, 1_000).claimed.map((o) => o.id), ['live-1']);
      assert.deepEqual(queue.claim('bridge', 'a', 1, now, 30_000).claimed.map((o) => o.id), ['live-2']);
      const later = now + 5_000;
      assert.deepEqual(queue.claim('bridge', 'c', 10, later, 30_000).claimed.map((o) => o.id), ['live-1', 'live-3', 'live-4']);
      assert.deepEqual(
        queue.list({ accountId: 'bridge', limit: 10, openOnly: true }).map((o) => o.id),
        ['live-4', 'live-3', 'live-2', 'live-1'],
      );
      const newest = queue.list({ accountId: 'bridge', limit: 6 }).map((o) => o.id);
      assert.deepEqual(newest, ['live-4', 'live-3', 'live-2', 'live-1', 'old-2999', 'old-2998']);
      assert.deepEqual(queue.list({ accountId: 'other', limit: 2 }).map((o) => o.id), ['old-2997', 'old-2994']);
      const seqs = store.db.prepare(`SELECT COUNT(DISTINCT seq) AS distinct_seqs, COUNT(*) AS n, MAX(seq) AS top FROM bridge_orders`).get();
      assert.deepEqual(seqs, { distinct_seqs: 3004, n: 3004, top: 3004 }, 'every seq distinct, one after the other');
    } finally {
      store.close();
    }
  });
});
