// The in-memory journal's order rows (src/backtest/order-rows.ts) against a map of order copies,
// the way the journal kept orders before: every write of seeded random orders and updates, over
// several blocks of rows, reads back the same orders (values, nulls, key order, creation order).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../src/backtest/memory-store.js';
import { OrderRows } from '../../src/backtest/order-rows.js';
import { copyOrder, type Order } from '../../src/core/orders.js';
import { seededRandom } from '../../src/core/seeded-random.js';

const STATUSES: Order['status'][] = ['pending_submit', 'accepted', 'partially_filled', 'cancel_pending', 'filled', 'cancelled', 'rejected'];

function randomOrder(random: () => number, id: string): Order {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const num = (): number => pick([0, -0, 0.1, 1e-8, 42_000.5, random() * 1e5, -random(), 1.7e12 + Math.floor(random() * 1e9), Number.MAX_VALUE]);
  const maybe = (): number | null => (random() < 0.4 ? null : num());
  return {
    id,
    accountId: pick(['backtest', 'paper', 'a']),
    botId: pick(['backtest', 'desk', 'venue']),
    symbol: pick(['BTC/USDT', 'ETH/USDT']),
    side: pick(['buy', 'sell'] as const),
    type: pick(['market', 'limit', 'stop'] as const),
    purpose: pick(['entry', 'exit', 'stop_loss', 'take_profit'] as const),
    qty: num(),
    price: maybe(),
    stopPrice: maybe(),
    status: pick(STATUSES),
    filledQty: num(),
    avgFillPrice: maybe(),
    fees: num(),
    brokerOrderId: random() < 0.5 ? null : `paper-${id}`,
    reason: random() < 0.3 ? null : pick(['sma cross', `stop loss for P-${Math.floor(random() * 1e6)}`, '']),
    stopLoss: maybe(),
    takeProfit: maybe(),
    tag: random() < 0.3 ? null : 'sma_10_30',
    createdAt: num(),
    updatedAt: num(),
    filledAt: maybe(),
  };
}

describe('OrderRows', () => {
  it('reads back every order as last written, over 10,000 orders (three blocks) and 30,000 writes', () => {
    const random = seededRandom(42);
    const rows = new OrderRows();
    const reference = new Map<string, Order>();
    const ids: string[] = [];
    for (let n = 0; n < 30_000; n += 1) {
      // New orders at first, then mostly rewrites of recent and old ones (as a kernel writes them).
      const fresh = ids.length < 10_000 && (ids.length === 0 || random() < 0.45);
      const id = fresh ? `O-${String(ids.length + 1).padStart(8, '0')}` : (ids[random() < 0.7 ? ids.length - 1 - Math.floor(random() * Math.min(3, ids.length)) : Math.floor(random() * ids.length)] as string);
      if (fresh) ids.push(id);
      const order = randomOrder(random, id);
      rows.save(order);
      reference.set(id, copyOrder(order));
      order.status = 'filled'; // a later change of the caller's object does not reach the row
      order.qty = -1;
    }
    assert.equal(rows.size, reference.size);
    assert.ok(rows.size > 8_192, `${rows.size} rows span three blocks`);
    const expected = [...reference.values()];
    for (let row = 0; row < rows.size; row += 1) {
      const got = rows.orderAt(row);
      const want = expected[row] as Order;
      assert.deepEqual(got, want);
      assert.ok(Object.is(got.qty, want.qty) && Object.is(got.fees, want.fees), 'negative zero kept');
      assert.equal(JSON.stringify(got), JSON.stringify(want), 'same keys in the same order');
      assert.equal(rows.find(want.id), row);
    }
    assert.deepEqual([...rows.ids()], [...reference.keys()]);
    assert.equal(rows.find('O-missing'), -1);
  });

  it('finds orders of several prefixes with the same sequence number, and ids without one', () => {
    const random = seededRandom(9);
    const rows = new OrderRows();
    const reference = new Map<string, Order>();
    const ids = ['O-00000001', 'bridge-O-00000001', 'P-1', 'x', '', 'O-', '1234567890123', 'O-00000000', 'O-4194304', 'O-999999999', 'a-0001'];
    for (let lap = 0; lap < 3; lap += 1) {
      for (const id of ids) {
        const order = randomOrder(random, id);
        rows.save(order);
        reference.set(id, copyOrder(order));
      }
    }
    assert.equal(rows.size, ids.length);
    for (const [row, id] of ids.entries()) {
      assert.equal(rows.find(id), row, id);
      assert.deepEqual(rows.orderAt(row), reference.get(id));
    }
    assert.equal(rows.find('O-00000002'), -1);
    assert.equal(rows.find('y-00000001'), -1);
    assert.deepEqual([...rows.ids()], ids);
  });

  it('backs the MemoryStore: listOrders newest first with filters, getOrder, restore of open orders', () => {
    const random = seededRandom(7);
    const store = new MemoryStore();
    const reference = new Map<string, Order>();
    for (let n = 0; n < 600; n += 1) {
      const id = `O-${String(1 + Math.floor(random() * 400)).padStart(8, '0')}`;
      const order = randomOrder(random, id);
      store.saveOrder(order);
      reference.set(id, copyOrder(order));
    }
    const all = [...reference.values()].reverse();
    assert.deepEqual(store.listOrders({ limit: Number.MAX_SAFE_INTEGER }), all);
    assert.deepEqual(store.listOrders({ limit: 5, accountId: 'paper' }), all.filter((o) => o.accountId === 'paper').slice(0, 5));
    const open = (o: Order) => !['filled', 'cancelled', 'rejected'].includes(o.status);
    assert.deepEqual(store.listOrders({ limit: 1_000, openOnly: true }), all.filter(open));
    for (const [id, o] of reference) assert.deepEqual(store.getOrder(id), o);
    assert.equal(store.getOrder('O-99999999'), null);
    const restored = store.restore('backtest');
    assert.deepEqual(restored.openOrders, [...reference.values()].filter((o) => o.accountId === 'backtest' && open(o)));
    assert.equal(restored.lastOrderSeq, Math.max(...[...reference.keys()].map((id) => Number(id.slice(2)))));
    assert.equal(store.orderCount, reference.size);
  });
});
