// The reconciler against a stand-in of the VenueQueries port (our interface; the ccxt side is
// tested through real ccxt against the fake venue in test/integration/ccxt-*.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VenueReconciler, type UnknownOrderPolicy } from '../../src/app/venue-reconciler.js';
import { SimClock } from '../../src/core/clock.js';
import type { KernelEvent } from '../../src/core/events.js';
import type { Fill, Order } from '../../src/core/orders.js';
import type { Position } from '../../src/core/portfolio-types.js';
import type { ExecutionReport } from '../../src/core/ports.js';
import type { VenueOrder, VenueQueries, VenueTrade } from '../../src/core/venue.js';

const order = (over: Partial<Order> = {}): Order => ({
  id: 'b-O-00000001', accountId: 'b', botId: 'x', symbol: 'BTC/USDT', side: 'buy', type: 'limit', purpose: 'entry', qty: 0.002, price: 90_000, stopPrice: null,
  status: 'accepted', filledQty: 0, avgFillPrice: null, fees: 0, brokerOrderId: '11', reason: null, stopLoss: null, takeProfit: null, tag: null, createdAt: 0, updatedAt: 0, filledAt: null, ...over,
});
const venueOrder = (over: Partial<VenueOrder> = {}): VenueOrder => ({
  venueOrderId: '11', clientOrderId: 'twT.b-O-00000001', symbol: 'BTC/USDT', side: 'buy', type: 'limit', qty: 0.002, filledQty: 0, price: 90_000, stopPrice: null, status: 'open', conditional: false, tradesOrderId: '11', ts: 0, ...over,
});
const trade = (over: Partial<VenueTrade> = {}): VenueTrade => ({ tradeId: '501', venueOrderId: '11', clientOrderId: null, symbol: 'BTC/USDT', side: 'buy', qty: 0.002, price: 90_000, fee: 0.036, ts: 5, ...over });
const failing = (what: string) => () => Promise.reject(new Error(`${what} unreachable`));

function setup(venue: Partial<VenueQueries>, journal: { orders?: Order[]; positions?: Position[]; balance?: number; fills?: string[] } = {}, policy: UnknownOrderPolicy = 'report') {
  const reports: ExecutionReport[] = [];
  const events: KernelEvent[] = [];
  const orders = new Map((journal.orders ?? []).map((o) => [o.id, o]));
  const fills = new Set(journal.fills ?? []);
  const q: VenueQueries = {
    openOrders: async () => [],
    orderOf: async () => null,
    tradesSince: async () => [],
    tradesOfOrder: async () => [],
    positions: async () => [],
    balance: async () => ({ currency: 'USDT', total: journal.balance ?? 10_000, free: 0 }),
    ...venue,
  };
  const adopted: VenueOrder[] = [];
  const r = new VenueReconciler({
    accountId: 'b',
    clock: new SimClock(100_000),
    scheduler: { every: () => () => {}, after: () => () => {} },
    venue: q,
    broker: {
      deliver: (rep) => {
        reports.push(rep);
        if (rep.kind === 'filled') fills.add(rep.fill.id);
      },
      orderIdOf: (t) => (t.clientOrderId?.startsWith('twT.') ? t.clientOrderId.slice(4) : [...orders.values()].find((o) => o.brokerOrderId === t.venueOrderId)?.id ?? null),
      noteVenueOrder: () => {},
      notBefore: (o) => o.createdAt,
    },
    clientIdOf: (id) => `twT.${id}`,
    fillOf: (orderId, t): Fill => ({ id: `b:${t.symbol}:${t.tradeId}`, orderId, accountId: 'b', symbol: t.symbol, side: t.side, qty: t.qty, price: t.price, fee: t.fee, ts: t.ts }),
    journal: {
      openOrders: () => [...orders.values()],
      getOrder: (id) => orders.get(id) ?? null,
      hasFill: (id) => fills.has(id),
      positions: () => journal.positions ?? [],
      balance: () => journal.balance ?? 10_000,
      qtyStep: () => 0.001,
    },
    unknownOrders: policy,
    adopt: (v) => {
      adopted.push(v);
      return order({ id: 'b-O-00000009', brokerOrderId: v.venueOrderId });
    },
    recvWindowMs: 5_000,
    balanceTolerance: 1,
    backoffMs: 10,
    publish: (e) => events.push(e),
    describe: (e) => String(e),
  });
  const diffs = () => events.flatMap((e) => (e.type === 'venue-difference' ? [e.difference] : []));
  return { r, reports, events, diffs, adopted };
}

describe('VenueReconciler', () => {
  it('failed queries are reported and never read as flat: no position or order is closed for them', async () => {
    const open = order();
    const long: Position = { symbol: 'BTC/USDT', side: 'long', qty: 0.002 } as Position;
    const t = setup({ openOrders: failing('open orders'), orderOf: failing('order'), positions: failing('positions'), balance: failing('balance'), tradesSince: failing('trades') }, { orders: [open], positions: [long] });
    await t.r.reconcile('periodic');
    assert.deepEqual(t.reports, [], 'nothing applied');
    assert.deepEqual(t.diffs().map((d) => d.kind), ['query-failed', 'query-failed', 'query-failed', 'query-failed', 'query-failed']);
    const done = t.events.find((e) => e.type === 'venue-reconciled');
    assert.ok(done?.type === 'venue-reconciled' && done.complete === false);
  });

  it('a fill the journal lacks is applied once; a second pass finds nothing more', async () => {
    const o = order();
    const t = setup({ openOrders: async () => [venueOrder({ filledQty: 0.002, status: 'open' })], orderOf: async () => venueOrder({ filledQty: 0.002, status: 'filled' }), tradesOfOrder: async () => [trade()], tradesSince: async () => [trade()] }, { orders: [o] });
    await t.r.reconcile('start');
    await t.r.reconcile('periodic');
    const fills = t.reports.filter((r) => r.kind === 'filled');
    assert.equal(fills.length, 1);
    assert.deepEqual(t.diffs().filter((d) => d.kind === 'missing-fill').length, 1);
  });

  it('a journal order the venue cancelled is cancelled; positions and balance differences are reported', async () => {
    const t = setup(
      { openOrders: async () => [], orderOf: async () => venueOrder({ status: 'cancelled' }), positions: async () => [{ symbol: 'BTC/USDT', signedQty: -0.004, entryPrice: 1 }], balance: async () => ({ currency: 'USDT', total: 9_000, free: 0 }) },
      { orders: [order()] },
    );
    await t.r.reconcile('reconnect');
    assert.deepEqual(t.reports.map((r) => r.kind), ['cancelled']);
    assert.deepEqual(t.diffs().map((d) => d.kind).sort(), ['balance', 'order-status', 'position']);
  });

  it('unknown venue orders: reported, or adopted by policy', async () => {
    const foreign = venueOrder({ venueOrderId: '77', clientOrderId: 'someone-else', tradesOrderId: '77' });
    const reported = setup({ openOrders: async () => [foreign] });
    await reported.r.reconcile('start');
    assert.deepEqual(reported.diffs().map((d) => (d.kind === 'unknown-order' ? d.action : d.kind)), ['reported']);
    const adopting = setup({ openOrders: async () => [foreign] }, {}, 'adopt');
    await adopting.r.reconcile('start');
    assert.equal(adopting.adopted.length, 1);
    assert.deepEqual(adopting.diffs().map((d) => (d.kind === 'unknown-order' ? [d.action, d.orderId] : d.kind)), [['adopted', 'b-O-00000009']]);
  });

  it('an order the venue never got is closed only once the request window has passed', async () => {
    const young = setup({}, { orders: [order({ status: 'pending_submit', brokerOrderId: null, createdAt: 99_000 })] });
    await young.r.reconcile('start');
    assert.deepEqual(young.reports, []);
    const old = setup({}, { orders: [order({ status: 'pending_submit', brokerOrderId: null, createdAt: 0 })] });
    await old.r.reconcile('start');
    assert.deepEqual(old.reports.map((r) => r.kind), ['rejected']);
  });
});
