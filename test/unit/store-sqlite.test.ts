import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/adapters/store-sqlite/migrations.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import type { Account, ClosedTrade, Position } from '../../src/core/portfolio-types.js';
import type { FillRecord } from '../../src/core/ports.js';
import { makeFill, makeOrder, tempDir } from './support.js';

const dirs = tempDir('tw-store-');
after(() => dirs.cleanup());
let n = 0;
const newFile = () => dirs.file(`store-${(n += 1)}.db`);

const account = (balance: number, ts = 0): Account => ({
  id: 'acc',
  currency: 'USD',
  leverage: 10,
  startingBalance: 100_000,
  balance,
  realizedPnl: 0,
  fees: 100_000 - balance,
  dayStartEquity: 100_000,
  day: '1970-01-01',
  updatedAt: ts,
});

const position = (id: string, qty: number): Position => ({
  id,
  accountId: 'acc',
  botId: 'bot',
  symbol: 'BTC/USDT',
  side: 'long',
  qty,
  avgPrice: 100,
  openedAt: 1,
  stopPrice: null,
  takeProfit: null,
  initialRisk: null,
  realizedPnl: 0,
  fees: 1,
  markPrice: 100,
  unrealizedPnl: 0,
  mode: 'm',
});

const trade = (id: string): ClosedTrade => ({
  id,
  positionId: 'P-00000001',
  accountId: 'acc',
  botId: 'bot',
  symbol: 'BTC/USDT',
  side: 'long',
  qty: 1,
  entryPrice: 100,
  exitPrice: 110,
  openedAt: 1,
  closedAt: 2,
  grossPnl: 10,
  fees: 2,
  netPnl: 8,
  pnlR: null,
  mode: 'm',
});

const count = (s: SqliteStore, table: string) => (s.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

function openFillRecord(): FillRecord {
  const order = makeOrder({ id: 'O-00000001', symbol: 'BTC/USDT', side: 'buy', type: 'market', status: 'filled', filledQty: 1, avgFillPrice: 100, fees: 1, filledAt: 5 });
  return {
    fill: makeFill({ id: 'O-00000001-F1', symbol: 'BTC/USDT', side: 'buy', qty: 1, price: 100, fee: 1, ts: 5 }),
    order,
    position: position('P-00000001', 1),
    positionClosed: null,
    closedTrade: null,
    account: account(99_999, 5),
  };
}

describe('SqliteStore', () => {
  it('records each migration with its version, in WAL mode with full sync', () => {
    const s = new SqliteStore({ file: newFile() });
    const rows = s.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as { version: number; name: string; applied_at: string }[];
    assert.deepEqual(rows.map((r) => [r.version, r.name]), MIGRATIONS.map((m) => [m.version, m.name]));
    assert.ok(rows.every((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(r.applied_at)));
    assert.equal(s.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 2); // FULL
    assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
    s.close();
  });

  it('does not re-apply migrations when reopened, and keeps the data', () => {
    const file = newFile();
    const a = new SqliteStore({ file });
    a.saveAccount(account(123));
    const before = a.db.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
    a.close();
    const b = new SqliteStore({ file });
    assert.deepEqual(b.db.prepare('SELECT version, name, applied_at FROM schema_migrations').all(), before);
    assert.equal(b.restore('acc').account?.balance, 123);
    b.close();
  });

  it('recordFill writes everything once and returns false for a duplicate fill id, changing nothing', () => {
    const s = new SqliteStore({ file: newFile() });
    const rec = openFillRecord();
    s.saveOrder({ ...rec.order, status: 'accepted', filledQty: 0, avgFillPrice: null, fees: 0, filledAt: null });
    assert.equal(s.recordFill(rec), true);
    assert.equal(s.getOrder('O-00000001')?.status, 'filled');
    assert.deepEqual(s.recentFills(10), [rec.fill]);
    assert.deepEqual(s.restore('acc').positions, [rec.position]);
    assert.equal(s.restore('acc').account?.balance, 99_999);
    assert.equal(count(s, 'account_snapshots'), 1);

    // The same fill id again, carrying different state: must be ignored as a whole.
    const replay: FillRecord = {
      ...rec,
      fill: { ...rec.fill, price: 1 },
      order: { ...rec.order, status: 'cancelled' },
      position: position('P-00000001', 99),
      closedTrade: trade('T-00000001'),
      account: account(1, 6),
    };
    assert.equal(s.recordFill(replay), false);
    assert.equal(s.getOrder('O-00000001')?.status, 'filled');
    assert.deepEqual(s.recentFills(10), [rec.fill]);
    assert.deepEqual(s.restore('acc').positions, [rec.position]);
    assert.equal(s.restore('acc').account?.balance, 99_999);
    assert.equal(count(s, 'closed_trades'), 0);
    assert.equal(count(s, 'account_snapshots'), 1);
    s.close();
  });

  it('recordFill is one transaction: a failure half-way leaves nothing behind', () => {
    const s = new SqliteStore({ file: newFile() });
    const rec = openFillRecord();
    s.saveOrder({ ...rec.order, status: 'accepted' });
    assert.equal(s.recordFill({ ...rec, closedTrade: trade('T-00000001') }), true);
    // A second fill whose closed trade collides with the first: the insert fails last-but-one.
    const order2 = makeOrder({ id: 'O-00000002', symbol: 'BTC/USDT', side: 'sell', type: 'market', status: 'accepted' });
    s.saveOrder(order2);
    const bad: FillRecord = {
      fill: makeFill({ id: 'O-00000002-F1', symbol: 'BTC/USDT', side: 'sell', qty: 1, price: 110, fee: 1, ts: 9 }),
      order: { ...order2, status: 'filled' },
      position: null,
      positionClosed: { ...position('P-00000001', 0) },
      closedTrade: trade('T-00000001'),
      account: account(50, 9),
    };
    assert.throws(() => s.recordFill(bad), /UNIQUE|constraint/i);
    assert.equal(s.getOrder('O-00000002')?.status, 'accepted');
    assert.deepEqual(s.recentFills(10).map((f) => f.id), ['O-00000001-F1']);
    assert.deepEqual(s.restore('acc').positions.map((p) => p.id), ['P-00000001'], 'position still open');
    assert.equal(s.restore('acc').account?.balance, 99_999);
    s.close();
  });

  it('restore returns open orders by sequence, open positions and the highest ids', () => {
    const s = new SqliteStore({ file: newFile() });
    for (const [id, status] of [['O-00000003', 'accepted'], ['O-00000001', 'pending_submit'], ['O-00000002', 'filled'], ['O-00000004', 'cancel_pending'], ['O-00000005', 'rejected']] as const) {
      s.saveOrder(makeOrder({ id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 1, status }));
    }
    s.saveOrder(makeOrder({ id: 'O-00000009', accountId: 'other', symbol: 'BTC/USDT', side: 'buy', type: 'market' }));
    s.savePosition(position('P-00000007', 1));
    const r = s.restore('acc');
    assert.deepEqual(r.openOrders.map((o) => o.id), ['O-00000001', 'O-00000003', 'O-00000004']);
    assert.deepEqual(r.positions.map((p) => p.id), ['P-00000007']);
    assert.equal(r.account, null);
    assert.equal(r.lastOrderSeq, 9);
    assert.equal(r.lastPositionSeq, 7);
    assert.equal(r.lastTradeSeq, 0);
    assert.deepEqual(s.listOrders({ limit: 2, accountId: 'acc' }).map((o) => o.id), ['O-00000005', 'O-00000004']);
    assert.deepEqual(s.listOrders({ limit: 10, openOnly: true }).map((o) => o.id), ['O-00000009', 'O-00000004', 'O-00000003', 'O-00000001']);
    s.close();
  });

  it('appendEvents keeps order; recentEvents returns the newest, oldest first', () => {
    const s = new SqliteStore({ file: newFile() });
    s.appendEvents([
      { type: 'a', ts: 1, payload: { n: 1 } },
      { type: 'b', ts: 2, payload: [2] },
    ]);
    s.appendEvents([]);
    s.appendEvents([{ type: 'c', ts: 2, payload: 'three' }]);
    assert.deepEqual(s.recentEvents(10), [
      { type: 'a', ts: 1, payload: { n: 1 } },
      { type: 'b', ts: 2, payload: [2] },
      { type: 'c', ts: 2, payload: 'three' },
    ]);
    assert.deepEqual(s.recentEvents(2).map((e) => e.type), ['b', 'c']);
    s.close();
  });

  it('prunes events beyond maxEvents, keeping the newest', () => {
    const s = new SqliteStore({ file: newFile(), maxEvents: 10 });
    s.appendEvents(Array.from({ length: 1_000 }, (_, i) => ({ type: 'e', ts: i, payload: i })));
    const kept = s.recentEvents(5_000);
    assert.deepEqual(kept.map((e) => e.payload), [990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
    s.close();
  });

  it('keeps meta values and closes idempotently', () => {
    const file = newFile();
    const s = new SqliteStore({ file });
    assert.equal(s.getMeta('k'), null);
    s.setMeta('k', '1');
    s.setMeta('k', '2');
    assert.equal(s.getMeta('k'), '2');
    s.close();
    s.close();
    const t = new SqliteStore({ file });
    assert.equal(t.getMeta('k'), '2');
    t.close();
  });
});
