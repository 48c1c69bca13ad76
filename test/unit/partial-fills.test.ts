// Partial fills: the simulator's volume cap, the order states and cumulative figures the kernel
// keeps, the journal after a restart in the middle of an order, and a bridge-like broker
// reporting an order in several executions.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { Backtester } from '../../src/backtest/backtester.js';
import { SimClock } from '../../src/core/clock.js';
import type { KernelEvent } from '../../src/core/events.js';
import type { Bar } from '../../src/core/market.js';
import type { Fill, Order, OrderRequest } from '../../src/core/orders.js';
import { Kernel } from '../../src/engine/kernel.js';
import { ScheduleFeeModel, TickSlippage, ZERO_FEES } from '../../src/sim/fees.js';
import { MatchingEngine, type PriceUpdate } from '../../src/sim/matching-engine.js';
import { buildHarness, makeOrder, near, registry, tempDir, type Harness, paperRequest, ScriptedBroker, OPEN_LIMITS, referencePrice } from './support.js';

const dirs = tempDir('tw-partial-');
after(() => dirs.cleanup());
let n = 0;
const harness = (over: Partial<Parameters<typeof buildHarness>[0]> = {}): Harness => {
  n += 1;
  return buildHarness({ file: dirs.file(`partial-${n}.db`), ...over });
};

const request = (over: Partial<OrderRequest> = {}): OrderRequest => paperRequest({ qty: 1, ...over });

const pick = (o: Order | null | undefined) => [o?.status, o?.filledQty, o?.brokerOrderId];
const statusesOf = (events: KernelEvent[], id: string) => events.flatMap((e) => (e.type === 'order' && e.order.id === id ? [e.order.status] : []));

/** The journal's view and the kernel's memory must be the same after every step. */
function assertMemoryIsDisk(h: Harness): void {
  const disk = h.store.restore('paper');
  assert.deepEqual(disk.account, h.kernel.portfolio.accountState(), 'account');
  const durable = (p: object) => ({ ...p, markPrice: 0, unrealizedPnl: 0 });
  assert.deepEqual(disk.positions.map(durable), h.kernel.portfolio.openPositions().map(durable), 'positions');
  const byId = (a: Order, b: Order) => a.id.localeCompare(b.id);
  assert.deepEqual(disk.openOrders.sort(byId), h.kernel.execution.openOrders().sort(byId), 'open orders');
}

describe('MatchingEngine volume cap', () => {
  const instruments = registry();
  const engine = (maxVolumeShare: number | null, slippageTicks = 0) => {
    const fills: Fill[] = [];
    const m = new MatchingEngine({ instruments, fees: ScheduleFeeModel.uniform(ZERO_FEES), slippage: new TickSlippage(slippageTicks), maxVolumeShare, onFill: (_o, f) => fills.push(f) });
    return { m, fills };
  };
  const bar = (open: number, high: number, low: number, volume: number, ts: number): PriceUpdate => ({ symbol: 'BTC/USDT', ts, open, high, low, volume });

  it('fills a market order over several bars, at most the share of each bar’s volume, at each open', () => {
    const { m, fills } = engine(0.1, 1);
    m.add(makeOrder({ id: 'O-1', symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 1 }));
    m.onPrice(bar(100, 101, 99, 3, 1_000));
    m.onPrice(bar(102, 103, 101, 3, 2_000));
    m.onPrice(bar(104, 105, 103, 3, 3_000));
    assert.equal(m.workingOrders().length, 1, 'still working after 0.9');
    m.onPrice(bar(106, 107, 105, 30, 4_000));
    assert.deepEqual(
      fills.map((f) => [f.id, f.qty, f.price, f.ts]),
      [
        ['O-1-F1', 0.3, 100.1, 1_000],
        ['O-1-F301', 0.3, 102.1, 2_000],
        ['O-1-F601', 0.3, 104.1, 3_000],
        ['O-1-F901', 0.1, 106.1, 4_000],
      ],
    );
    assert.deepEqual(m.workingOrders(), []);
  });

  it('shares one update’s volume between the orders, market orders first', () => {
    const { m, fills } = engine(0.5);
    m.add(makeOrder({ id: 'L', symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 100, qty: 1 }));
    m.add(makeOrder({ id: 'M', symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 0.4 }));
    m.onPrice(bar(100, 100, 99, 1, 1_000)); // 0.5 to share: 0.4 to the market order, 0.1 to the limit
    assert.deepEqual(fills.map((f) => [f.orderId, f.qty]), [['M', 0.4], ['L', 0.1]]);
    m.onPrice(bar(101, 102, 100.5, 10, 2_000));
    assert.equal(fills.length, 2, 'the limit is not reached: no fill, whatever the volume');
    m.onPrice(bar(100, 100, 99, 10, 3_000));
    assert.deepEqual(fills.slice(2).map((f) => [f.id, f.qty, f.price]), [['L-F101', 0.9, 100]]);
  });

  it('a stop triggered with volume for only part of it fills the rest as a market order', () => {
    const { m, fills } = engine(0.25);
    m.add(makeOrder({ id: 'S', symbol: 'BTC/USDT', side: 'sell', type: 'stop', stopPrice: 95, qty: 1 }));
    m.onPrice(bar(96, 97, 94, 2, 1_000));
    assert.deepEqual(fills.map((f) => [f.qty, f.price]), [[0.5, 95]]);
    m.onPrice(bar(98, 99, 97, 2, 2_000)); // back above the stop: the triggered remainder still sells, at the open
    assert.deepEqual(fills.slice(1).map((f) => [f.qty, f.price]), [[0.5, 98]]);
    assert.deepEqual(m.workingOrders(), []);
  });

  it('without a cap (the default) every order fills whole, whatever the volume', () => {
    const { m, fills } = engine(null);
    m.add(makeOrder({ id: 'O-9', symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 5 }));
    m.onPrice(bar(100, 100, 100, 0.001, 1_000));
    assert.deepEqual(fills.map((f) => [f.id, f.qty]), [['O-9-F1', 5]]);
  });

  it('an update with no volume fills nothing under a cap', () => {
    const { m, fills } = engine(0.5);
    m.add(makeOrder({ id: 'O-8', symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 1 }));
    m.onPrice(bar(100, 100, 100, 0, 1_000));
    assert.equal(fills.length, 0);
    assert.equal(m.workingOrders().length, 1);
  });
});

describe('partial fills through the kernel (paper broker with a volume cap, SQLite journal)', () => {
  it('an entry fills in three executions: states, cumulative quantity, VWAP and fees, position and stop follow', () => {
    const h = harness({ maxVolumeShare: 0.5 });
    const o = h.kernel.placeOrder('test', request({ qty: 1, stopLoss: 49_000 }));
    h.tick('BTC/USDT', 50_000, 1_000, 0.8); // 0.4
    let stored = h.store.getOrder(o.id);
    assert.equal(stored?.status, 'partially_filled');
    assert.equal(stored?.filledQty, 0.4);
    assert.equal(h.kernel.portfolio.position('BTC/USDT')?.qty, 0.4);
    const stops = () => h.kernel.execution.openOrders().filter((x) => x.purpose === 'stop_loss');
    assert.deepEqual(stops().map((s) => s.qty), [0.4], 'the stop protects what is held');
    assertMemoryIsDisk(h);

    h.tick('BTC/USDT', 50_100, 2_000, 0.8); // 0.4
    h.tick('BTC/USDT', 50_200, 3_000, 10); // the last 0.2
    stored = h.store.getOrder(o.id);
    assert.ok(stored);
    assert.equal(stored.status, 'filled');
    assert.equal(stored.filledQty, 1);
    const prices = [50_000.1, 50_100.1, 50_200.1]; // one 0.1 tick of slippage each
    const qtys = [0.4, 0.4, 0.2];
    const vwap = (prices[0]! * 0.4 + prices[1]! * 0.4 + prices[2]! * 0.2) / 1;
    assert.ok(near(stored.avgFillPrice, vwap), `avg ${stored.avgFillPrice} vs ${vwap}`);
    const fills = h.store.recentFills(10);
    assert.deepEqual(fills.map((f) => [f.id, f.qty, f.price]), [
      [`${o.id}-F1`, qtys[0], prices[0]],
      [`${o.id}-F401`, qtys[1], prices[1]],
      [`${o.id}-F801`, qtys[2], prices[2]],
    ]);
    assert.ok(near(stored.fees, fills.reduce((s, f) => s + f.fee, 0)));
    assert.deepEqual(statusesOf(h.events, o.id), ['pending_submit', 'accepted', 'partially_filled', 'partially_filled', 'filled']);
    const pos = h.kernel.portfolio.position('BTC/USDT');
    assert.equal(pos?.qty, 1);
    assert.ok(near(pos?.avgPrice, vwap));
    assert.deepEqual(stops().map((s) => s.qty), [1]);
    assert.ok(near(h.kernel.portfolio.accountState().fees, stored.fees));
    assertMemoryIsDisk(h);
    h.store.close();
  });

  it('cancelling a partially filled order cancels only the remainder; the filled part stays held', () => {
    const h = harness({ maxVolumeShare: 0.1 });
    const o = h.kernel.placeOrder('test', request({ type: 'limit', price: 50_000, qty: 2 }));
    h.tick('BTC/USDT', 50_000, 1_000, 3); // 0.3
    const r = h.kernel.execution.cancel(o.id, 'enough');
    assert.ok(r.ok);
    const stored = h.store.getOrder(o.id);
    assert.equal(stored?.status, 'cancelled');
    assert.equal(stored?.filledQty, 0.3);
    assert.equal(stored?.reason, 'enough');
    assert.deepEqual(statusesOf(h.events, o.id), ['pending_submit', 'accepted', 'partially_filled', 'cancel_pending', 'cancelled']);
    h.tick('BTC/USDT', 49_000, 2_000, 100);
    assert.equal(h.kernel.portfolio.position('BTC/USDT')?.qty, 0.3, 'no fill after the cancel');
    assert.deepEqual(h.broker.workingOrders(), []);
    assertMemoryIsDisk(h);
    h.store.close();
  });

  it('a restart in the middle of an order works only the remainder, and no fill id repeats', () => {
    const file = dirs.file('partial-restart.db');
    const a = buildHarness({ file, maxVolumeShare: 0.5 });
    const o = a.kernel.placeOrder('test', request({ side: 'sell', qty: 1 }));
    a.tick('BTC/USDT', 50_000, 1_000, 1); // 0.5
    assert.equal(a.store.getOrder(o.id)?.status, 'partially_filled');
    a.store.close();

    const b = buildHarness({ file, clock: new SimClock(2_000), maxVolumeShare: 0.5 });
    assert.deepEqual(b.kernel.execution.openOrders().map((x) => [x.id, x.status, x.filledQty]), [[o.id, 'partially_filled', 0.5]]);
    assert.deepEqual(b.broker.workingOrders().map((x) => [x.id, x.filledQty]), [[o.id, 0.5]], 'the broker holds the remainder');
    b.tick('BTC/USDT', 49_000, 3_000, 100);
    const stored = b.store.getOrder(o.id);
    assert.equal(stored?.status, 'filled');
    assert.equal(stored?.filledQty, 1);
    assert.deepEqual(b.store.recentFills(10).map((f) => [f.id, f.qty]), [[`${o.id}-F1`, 0.5], [`${o.id}-F501`, 0.5]]);
    assert.ok(near(stored?.avgFillPrice, (49_999.9 + 48_999.9) / 2));
    assert.equal(b.kernel.portfolio.position('BTC/USDT')?.qty, 1);
    assertMemoryIsDisk(b);
    b.store.close();
  });

  it('partial exits through the simulator close one trade with the total quantity and VWAP prices', () => {
    const h = harness({ maxVolumeShare: 0.5, slippageTicks: 0, crypto: ZERO_FEES });
    h.kernel.placeOrder('test', request({ qty: 2 }));
    h.tick('BTC/USDT', 100, 1_000, 100);
    h.kernel.placeOrder('test', request({ side: 'sell', purpose: 'exit', qty: 2 }));
    h.tick('BTC/USDT', 110, 2_000, 2); // 1 @ 110
    assert.equal(h.kernel.portfolio.position('BTC/USDT')?.qty, 1);
    assert.equal(h.store.recentTrades(10).length, 0);
    h.tick('BTC/USDT', 120, 3_000, 2); // 1 @ 120
    const trades = h.store.recentTrades(10);
    assert.equal(trades.length, 1);
    const t = trades[0];
    assert.ok(t);
    assert.deepEqual([t.qty, t.entryPrice, t.exitPrice, t.grossPnl], [2, 100, 115, 30]);
    h.store.close();
  });
});

describe('partial fills in a bar backtest with a volume cap', () => {
  // Deterministic synthetic bars: a slow sine with thin volume, so the cap bites.
  const bars: Bar[] = Array.from({ length: 3_000 }, (_, i) => {
    const mid = 50_000 + 400 * Math.sin(i / 40);
    return { symbol: 'BTC/USDT', start: Date.UTC(2024, 0, 1) + i * 60_000, intervalMs: 60_000, open: mid, high: mid + 20, low: mid - 20, close: mid + 5, volume: 1 + (i % 5), trades: 10 };
  });
  const run = (maxVolumeShare: number | null) => {
    const bt = new Backtester({ instrument: 'BTC/USDT', strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 2, longOnly: false }, cash: 1_000_000, feeRate: 0.0004, maxVolumeShare });
    bt.feedBars(bars);
    return { bt, report: bt.report() };
  };

  it('orders fill over several bars; every fill, order, trade and the cash reconcile exactly', () => {
    const { bt, report } = run(0.2);
    const whole = run(null).report;
    assert.ok(report.closedTrades > 10, `${report.closedTrades} trades`);
    assert.ok(report.fills > whole.fills, `more fills (${report.fills}) than whole fills (${whole.fills})`);
    const fills = bt.store.allFills();
    const orders = bt.store.listOrders({ limit: 100_000 });
    for (const o of orders) {
      const mine = fills.filter((f) => f.orderId === o.id);
      const qty = mine.reduce((s, f) => s + f.qty, 0);
      assert.ok(near(o.filledQty, qty, 1e-9), `${o.id}: filledQty ${o.filledQty} vs fills ${qty}`);
      if (mine.length) assert.ok(near(o.avgFillPrice, mine.reduce((s, f) => s + f.qty * f.price, 0) / qty, 1e-6), `${o.id} VWAP`);
      assert.ok(near(o.fees, mine.reduce((s, f) => s + f.fee, 0), 1e-6), `${o.id} fees`);
    }
    // The fills of one bar add up to at most 20 % of its volume.
    const perBar = new Map<number, number>();
    for (const f of fills) perBar.set(f.ts, (perBar.get(f.ts) ?? 0) + f.qty);
    for (const [ts, qty] of perBar) {
      const b = bars.find((x) => x.start === ts);
      assert.ok(b && qty <= 0.2 * b.volume + 1e-9, `bar ${ts}: ${qty} filled of volume ${b?.volume}`);
    }
    assert.ok(fills.some((f) => f.qty < 2), 'some fills were partial');
    // Closed trades: entries and exits of each round trip add up, and the cash is the sum of it all.
    for (const t of bt.store.allTrades()) {
      assert.ok(near(t.grossPnl, (t.exitPrice - t.entryPrice) * t.qty * (t.side === 'long' ? 1 : -1), 1e-4), `${t.id} gross vs VWAPs`);
    }
    const account = bt.kernel.portfolio.accountState();
    const realized = bt.store.allTrades().reduce((s, t) => s + t.grossPnl, 0) + bt.kernel.portfolio.openPositions().reduce((s, p) => s + p.realizedPnl, 0);
    assert.ok(near(account.realizedPnl, realized, 1e-4));
    assert.ok(near(account.balance, 1_000_000 + account.realizedPnl - account.fees, 1e-4));
    assert.ok(near(account.fees, fills.reduce((s, f) => s + f.fee, 0), 1e-4));
  });
});

describe('partial fills through the kernel with a bridge-like broker', () => {
  const setup = () => {
    const store = new SqliteStore({ file: dirs.file(`bridge-like-${(n += 1)}.db`) });
    const broker = new ScriptedBroker();
    const errors: string[] = [];
    const kernel = new Kernel({
      clock: new SimClock(1_000),
      store,
      broker,
      instruments: registry(),
      account: { id: 'b', currency: 'USD', startingBalance: 50_000, leverage: 10 },
      risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
      // Bridge and fill mechanics, not limits: sizes beyond the live limits.
      limits: OPEN_LIMITS,
      lastPrice: referencePrice,
      onError: (e, c) => errors.push(`${c}: ${(e as Error).message}`),
    });
    const fill = (orderId: string, id: string, qty: number, price: number, fee = 1): Fill => ({ id, orderId, accountId: 'b', symbol: 'ES', side: 'buy', qty, price, fee, ts: 2_000 });
    return { store, broker, kernel, errors, fill };
  };

  it('fills short of the remainder keep the order working; the completing one fills it; a replay changes nothing', () => {
    const { store, broker, kernel, errors, fill } = setup();
    const o = kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 5 });
    broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: 'X1', ts: 1_500 });
    broker.report({ kind: 'filled', orderId: o.id, fill: fill(o.id, 'T1', 2, 6_000) });
    broker.report({ kind: 'filled', orderId: o.id, fill: fill(o.id, 'T1', 2, 6_000) }); // replayed
    let stored = store.getOrder(o.id);
    assert.deepEqual([stored?.status, stored?.filledQty, stored?.avgFillPrice, stored?.fees], ['partially_filled', 2, 6_000, 1]);
    assert.equal(kernel.portfolio.position('ES')?.qty, 2);
    broker.report({ kind: 'filled', orderId: o.id, fill: fill(o.id, 'T2', 3, 6_002.5) });
    stored = store.getOrder(o.id);
    assert.deepEqual([stored?.status, stored?.filledQty, stored?.fees], ['filled', 5, 2]);
    assert.ok(near(stored?.avgFillPrice, (2 * 6_000 + 3 * 6_002.5) / 5));
    assert.equal(kernel.portfolio.position('ES')?.qty, 5);
    assert.ok(near(kernel.portfolio.position('ES')?.avgPrice, 6_001.5));
    assert.equal(store.recentFills(10).length, 2);
    assert.deepEqual(kernel.execution.openOrders(), []);
    assert.deepEqual(errors, []);
    store.close();
  });

  // Found by test/integration/ccxt-live-bots.test.ts: a venue's user stream brought a market
  // order's fill before the REST answer, and the journal never got the venue's order id.
  it('fills before the acknowledgement: the late answer adds the broker order id and changes nothing else', () => {
    const { store, broker, kernel, errors, fill } = setup();
    const whole = kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 2 });
    broker.report({ kind: 'filled', orderId: whole.id, fill: fill(whole.id, 'T1', 2, 6_000) });
    broker.report({ kind: 'accepted', orderId: whole.id, brokerOrderId: 'V1', ts: 2_100 });
    assert.deepEqual(pick(store.getOrder(whole.id)), ['filled', 2, 'V1']);
    const part = kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'limit', price: 5_990, purpose: 'entry', qty: 3 });
    broker.report({ kind: 'filled', orderId: part.id, fill: fill(part.id, 'T2', 1, 5_990) });
    broker.report({ kind: 'accepted', orderId: part.id, brokerOrderId: 'V2', ts: 2_100 });
    assert.deepEqual(pick(store.getOrder(part.id)), ['partially_filled', 1, 'V2']);
    assert.equal(kernel.execution.openOrders().find((o) => o.id === part.id)?.brokerOrderId, 'V2', 'the working order in memory too');
    // The answer again, or another id: the first one stays.
    broker.report({ kind: 'accepted', orderId: part.id, brokerOrderId: 'V9', ts: 2_200 });
    assert.equal(store.getOrder(part.id)?.brokerOrderId, 'V2');
    broker.report({ kind: 'filled', orderId: part.id, fill: fill(part.id, 'T3', 2, 5_990) });
    assert.deepEqual(pick(store.getOrder(part.id)), ['filled', 3, 'V2']);
    assert.equal(kernel.portfolio.position('ES')?.qty, 5);
    assert.deepEqual(errors, []);
    store.close();
  });

  it('a fill marked done for less than the order cancels the remainder (nothing is lost or left working)', () => {
    const { store, broker, kernel, errors, fill } = setup();
    const o = kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 3 });
    broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: 'X1', ts: 1_500 });
    broker.report({ kind: 'filled', orderId: o.id, fill: fill(o.id, 'T1', 1, 6_000), done: true });
    const stored = store.getOrder(o.id);
    assert.equal(stored?.status, 'cancelled');
    assert.equal(stored?.filledQty, 1);
    assert.match(stored?.reason ?? '', /filled 1 of 3/);
    assert.equal(kernel.portfolio.position('ES')?.qty, 1);
    assert.deepEqual(kernel.execution.openOrders(), []);
    assert.deepEqual(errors, []);
    store.close();
  });

  // Found by the order property test (test/unit/property-orders.test.ts): a broker fill of 2 for an
  // order of 1 was journalled as "filled 2 of 1" and booked a position of 2.
  it('a fill past the order\'s quantity is refused: the account halts, the journal keeps the order within its quantity', () => {
    const { store, broker, kernel, errors, fill } = setup();
    const events: string[] = [];
    kernel.bus.onAny((e) => events.push(e.type));
    const o = kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 3 });
    broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: 'X1', ts: 1_500 });
    broker.report({ kind: 'filled', orderId: o.id, fill: fill(o.id, 'T1', 2, 6_000) });
    broker.report({ kind: 'filled', orderId: o.id, fill: fill(o.id, 'T2', 2, 6_001) }); // 4 of 3
    const stored = store.getOrder(o.id);
    assert.deepEqual([stored?.status, stored?.filledQty], ['partially_filled', 2], 'the over-fill is not booked');
    assert.equal(kernel.portfolio.position('ES')?.qty, 2);
    assert.equal(store.recentFills(10).length, 1);
    assert.ok(events.includes('fill-refused') && events.includes('account-halted'), events.join(','));
    assert.match(kernel.execution.halted()?.reason ?? '', /would fill 4 of the order's 3/);
    assert.equal(errors.length, 1);
    store.close();
  });

  it('an over-fill of an order of 1 (the shrunk counterexample) books nothing', () => {
    const { store, broker, kernel, fill } = setup();
    const o = kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1 });
    broker.report({ kind: 'filled', orderId: o.id, fill: fill(o.id, 'T1', 2, 5_000) });
    assert.deepEqual([store.getOrder(o.id)?.status, store.getOrder(o.id)?.filledQty], ['pending_submit', 0]);
    assert.equal(kernel.portfolio.position('ES'), undefined);
    store.close();
  });
});
