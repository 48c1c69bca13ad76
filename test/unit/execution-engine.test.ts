import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Order, OrderRequest } from '../../src/core/orders.js';
import type { ExecutionReport } from '../../src/core/ports.js';
import { OrderValidationError } from '../../src/engine/execution-engine.js';
import { buildHarness, near, tempDir, type Harness } from './support.js';

const dirs = tempDir('tw-exec-');
after(() => dirs.cleanup());
let n = 0;
const harness = (opts: Partial<Parameters<typeof buildHarness>[0]> = {}): Harness => {
  n += 1;
  return buildHarness({ file: dirs.file(`exec-${n}.db`), ...opts });
};

const request = (over: Partial<OrderRequest> = {}): OrderRequest => ({
  accountId: 'paper',
  botId: 'bot',
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'market',
  purpose: 'entry',
  qty: 0.5,
  ...over,
});

const counts = (h: Harness) => {
  const row = (sql: string) => (h.store.db.prepare(sql).get() as { n: number }).n;
  return {
    fills: row('SELECT COUNT(*) AS n FROM fills'),
    positions: row('SELECT COUNT(*) AS n FROM positions'),
    trades: row('SELECT COUNT(*) AS n FROM closed_trades'),
    snapshots: row('SELECT COUNT(*) AS n FROM account_snapshots'),
  };
};

describe('ExecutionEngine with PaperBroker and SqliteStore', () => {
  it('writes the order to the store before the broker sees it', () => {
    const h = harness();
    const seen: { passed: Order; stored: Order | null }[] = [];
    const submit = h.broker.submit.bind(h.broker);
    h.broker.submit = (order: Order) => {
      seen.push({ passed: { ...order }, stored: h.store.getOrder(order.id) });
      submit(order);
    };
    const placed = h.kernel.placeOrder('test', request());
    assert.equal(seen.length, 1);
    const first = seen[0];
    assert.ok(first);
    assert.equal(first.passed.id, placed.id);
    assert.ok(first.stored, 'order was in the store when submit was called');
    assert.equal(first.stored.status, 'pending_submit');
    assert.deepEqual(first.stored, first.passed);
    // The paper broker acknowledges synchronously; the acknowledgement is stored too.
    assert.equal(placed.status, 'accepted');
    assert.equal(placed.brokerOrderId, `paper-${placed.id}`);
    assert.equal(h.store.getOrder(placed.id)?.status, 'accepted');
    h.store.close();
  });

  it('assigns sequential client ids and validates requests before storing anything', () => {
    const h = harness();
    assert.equal(h.kernel.placeOrder('test', request()).id, 'O-00000001');
    assert.equal(h.kernel.placeOrder('test', request({ type: 'limit', price: 40_000 })).id, 'O-00000002');
    assert.throws(() => h.kernel.placeOrder('test', request({ symbol: 'DOGE/XYZ' })), OrderValidationError);
    assert.throws(() => h.kernel.placeOrder('test', request({ qty: 0.0001 })), OrderValidationError);
    assert.throws(() => h.kernel.placeOrder('test', request({ type: 'limit', price: null })), OrderValidationError);
    assert.throws(() => h.kernel.placeOrder('test', request({ type: 'stop', stopPrice: 0 })), OrderValidationError);
    assert.equal(h.store.listOrders({ limit: 100 }).length, 2, 'refused requests are not stored');
    assert.equal(h.kernel.placeOrder('test', request()).id, 'O-00000003');
    h.store.close();
  });

  it('fills a market order at the next price (plus slippage) and records order, fill, position and account', () => {
    const h = harness();
    h.clock.set(1_000);
    const placed = h.kernel.placeOrder('test', request({ qty: 0.5 }));
    assert.equal(h.store.recentFills(10).length, 0, 'no fill before a price arrives');
    assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined);

    h.tick('BTC/USDT', 50_000, 2_000);
    const fillPrice = 50_000.1; // one tick (0.1) of slippage against the buyer
    const fee = 0.5 * fillPrice * 0.0004; // taker fee on notional: 10.00002

    const order = h.store.getOrder(placed.id);
    assert.ok(order);
    assert.equal(order.status, 'filled');
    assert.equal(order.filledQty, 0.5);
    assert.equal(order.avgFillPrice, fillPrice);
    assert.ok(near(order.fees, fee));
    assert.equal(order.filledAt, 2_000);

    const fills = h.store.recentFills(10);
    assert.equal(fills.length, 1);
    assert.deepEqual(fills[0], { id: `${placed.id}-F1`, orderId: placed.id, accountId: 'paper', symbol: 'BTC/USDT', side: 'buy', qty: 0.5, price: fillPrice, fee: order.fees, ts: 2_000 });

    const restored = h.store.restore('paper');
    assert.equal(restored.positions.length, 1);
    const pos = h.kernel.portfolio.position('BTC/USDT');
    assert.ok(pos);
    assert.deepEqual(restored.positions[0], pos);
    assert.equal(pos.qty, 0.5);
    assert.equal(pos.avgPrice, fillPrice);
    assert.ok(restored.account);
    assert.ok(near(restored.account.balance, 100_000 - fee));
    assert.ok(near(restored.account.fees, fee));
    assert.deepEqual(restored.account, h.kernel.portfolio.accountState());
    assert.equal(counts(h).snapshots, 1);
    assert.deepEqual(restored.openOrders, []);
    assert.deepEqual(h.kernel.execution.openOrders(), []);

    const types = h.events.map((e) => e.type);
    assert.ok(types.includes('fill') && types.includes('position'));
    h.store.close();
  });

  it('ignores a replayed duplicate fill report', () => {
    const h = harness();
    h.kernel.placeOrder('test', request());
    h.tick('BTC/USDT', 50_000, 1_000);
    const fillReport = h.reports.find((r): r is Extract<ExecutionReport, { kind: 'filled' }> => r.kind === 'filled');
    assert.ok(fillReport);
    const before = {
      counts: counts(h),
      account: h.kernel.portfolio.accountState(),
      position: { ...h.kernel.portfolio.position('BTC/USDT') },
      order: h.store.getOrder(fillReport.orderId),
      events: h.events.length,
    };
    h.replay(fillReport);
    h.replay({ ...fillReport, fill: { ...fillReport.fill, ts: 9_999 } });
    assert.deepEqual(counts(h), before.counts);
    assert.deepEqual(h.kernel.portfolio.accountState(), before.account);
    assert.deepEqual(h.kernel.portfolio.position('BTC/USDT'), before.position);
    assert.deepEqual(h.store.getOrder(fillReport.orderId), before.order);
    assert.equal(h.events.length, before.events, 'nothing published');
    assert.deepEqual(h.errors, []);
    h.store.close();
  });

  describe('cancel', () => {
    it('answers not_found for an unknown order', () => {
      const h = harness();
      const r = h.kernel.execution.cancel('O-99999999');
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.code === 'not_found');
      h.store.close();
    });

    it('answers not_cancellable for a filled order', () => {
      const h = harness();
      const o = h.kernel.placeOrder('test', request());
      h.tick('BTC/USDT', 50_000, 1_000);
      const r = h.kernel.execution.cancel(o.id);
      assert.ok(!r.ok && r.code === 'not_cancellable', JSON.stringify(r));
      assert.equal(h.store.getOrder(o.id)?.status, 'filled');
      h.store.close();
    });

    it('cancels a working limit order, which then never fills', () => {
      const h = harness();
      const o = h.kernel.placeOrder('test', request({ type: 'limit', price: 49_000 }));
      h.tick('BTC/USDT', 50_000, 1_000);
      assert.equal(h.store.getOrder(o.id)?.status, 'accepted', 'limit not reached yet');
      const r = h.kernel.execution.cancel(o.id, 'changed my mind');
      assert.ok(r.ok);
      assert.equal(r.order.status, 'cancelled');
      assert.equal(h.store.getOrder(o.id)?.status, 'cancelled');
      const statuses = h.events.flatMap((e) => (e.type === 'order' && e.order.id === o.id ? [e.order.status] : []));
      assert.deepEqual(statuses, ['pending_submit', 'accepted', 'cancel_pending', 'cancelled']);
      assert.deepEqual(h.broker.workingOrders(), []);
      h.tick('BTC/USDT', 48_000, 2_000);
      assert.equal(h.store.recentFills(10).length, 0);
      assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined);
      const again = h.kernel.execution.cancel(o.id);
      assert.ok(!again.ok && again.code === 'not_cancellable');
      h.store.close();
    });
  });

  describe('protective stop', () => {
    /** The broker answers every stop order as a venue refusing it (a business refusal when `byVenue`), after the send, as a venue does. */
    const refuseStops = (h: Harness, byVenue: boolean) => {
      const submit = h.broker.submit.bind(h.broker);
      h.broker.submit = (order: Order) => {
        if (order.type !== 'stop') return submit(order);
        queueMicrotask(() => h.replay({ kind: 'rejected', orderId: order.id, reason: 'venue refused: binanceusdm {"code":-2021,"msg":"Order would immediately trigger."}', ts: h.clock.now(), ...(byVenue ? { byVenue } : {}) }));
      };
    };
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

    it('a stop the venue refuses leaves no position unprotected: it is closed at market at once', async () => {
      const h = harness();
      refuseStops(h, true);
      h.kernel.placeOrder('test', request({ qty: 0.5, stopLoss: 49_000 }));
      h.tick('BTC/USDT', 50_000, 1_000);
      await settle();
      const orders = h.events.flatMap((e) => (e.type === 'order' ? [e.order] : []));
      const stop = orders.find((o) => o.purpose === 'stop_loss');
      assert.equal(h.store.getOrder(stop?.id ?? '')?.status, 'rejected');
      const exit = orders.find((o) => o.purpose === 'exit');
      assert.ok(exit, 'an exit was sent');
      assert.equal(exit.type, 'market');
      assert.equal(exit.side, 'sell');
      assert.equal(exit.qty, 0.5);
      assert.match(exit.reason ?? '', /protective stop refused by the venue .*-2021.*: closed at market/);
      h.tick('BTC/USDT', 49_900, 2_000);
      assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined, 'flat after the exit filled');
      assert.equal(h.store.recentTrades(10).length, 1);
      const exits = new Set(h.events.flatMap((e) => (e.type === 'order' && e.order.purpose === 'exit' ? [e.order.id] : [])));
      assert.equal(exits.size, 1, 'one exit, not one per report');
      h.store.close();
    });

    it('a stop refused for our own reasons (not by the venue) does not close the position', async () => {
      const h = harness();
      refuseStops(h, false);
      h.kernel.placeOrder('test', request({ qty: 0.5, stopLoss: 49_000 }));
      h.tick('BTC/USDT', 50_000, 1_000);
      await settle();
      h.tick('BTC/USDT', 50_100, 2_000);
      assert.equal(h.kernel.portfolio.position('BTC/USDT')?.qty, 0.5);
      assert.equal(h.events.filter((e) => e.type === 'order' && e.order.purpose === 'exit').length, 0);
      h.store.close();
    });

    it('attaches a stop when the entry fills and cancels it when an exit closes the position', () => {
      const h = harness();
      const entry = h.kernel.placeOrder('test', request({ qty: 0.5, stopLoss: 49_000 }));
      assert.equal(h.kernel.execution.openOrders().filter((o) => o.purpose === 'stop_loss').length, 0, 'no stop before the entry fills');
      h.tick('BTC/USDT', 50_000, 1_000);

      const stops = h.kernel.execution.openOrders().filter((o) => o.purpose === 'stop_loss');
      assert.equal(stops.length, 1);
      const stop = stops[0];
      assert.ok(stop);
      assert.equal(stop.type, 'stop');
      assert.equal(stop.side, 'sell');
      assert.equal(stop.qty, 0.5);
      assert.equal(stop.stopPrice, 49_000);
      assert.equal(stop.status, 'accepted');
      assert.equal(h.store.getOrder(stop.id)?.status, 'accepted');
      assert.deepEqual(h.broker.workingOrders().map((o) => o.id), [stop.id]);
      const pos = h.kernel.portfolio.position('BTC/USDT');
      assert.equal(pos?.stopPrice, 49_000);
      assert.ok(near(pos?.initialRisk, (50_000.1 - 49_000) * 0.5)); // 500.05

      h.kernel.placeOrder('test', request({ side: 'sell', purpose: 'exit', qty: 0.5 }));
      h.tick('BTC/USDT', 50_500, 2_000);
      assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined);
      assert.equal(h.store.getOrder(stop.id)?.status, 'cancelled');
      const stopHistory = h.events.flatMap((e) => (e.type === 'order' && e.order.id === stop.id ? [[e.order.status, e.order.reason]] : []));
      assert.deepEqual(stopHistory.map(([status]) => status), ['pending_submit', 'accepted', 'cancel_pending', 'cancelled']);
      assert.deepEqual(stopHistory[2], ['cancel_pending', 'position closed']);
      assert.deepEqual(h.broker.workingOrders(), []);
      assert.deepEqual(h.kernel.execution.openOrders(), []);

      const [t] = h.store.recentTrades(10);
      assert.ok(t);
      assert.equal(t.entryPrice, 50_000.1);
      assert.equal(t.exitPrice, 50_499.9);
      assert.ok(near(t.grossPnl, (50_499.9 - 50_000.1) * 0.5)); // 249.9
      const fees = 0.5 * 50_000.1 * 0.0004 + 0.5 * 50_499.9 * 0.0004; // 10.00002 + 10.09998 = 20.1
      assert.ok(near(t.fees, fees));
      assert.ok(near(t.netPnl, 249.9 - fees));
      assert.ok(near(t.pnlR, (249.9 - fees) / 500.05), `pnlR ${t.pnlR}`); // 229.8 / 500.05

      // The cancelled stop does not fire later.
      h.tick('BTC/USDT', 48_000, 3_000);
      assert.equal(h.store.recentFills(10).length, 2);
      assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined);
      assert.equal(entry.stopLoss, 49_000);
      h.store.close();
    });

    it('closes the position when the stop triggers, at the worse of stop and open plus slippage', () => {
      const h = harness();
      h.kernel.placeOrder('test', request({ qty: 0.5, stopLoss: 49_000 }));
      h.tick('BTC/USDT', 50_000, 1_000);
      h.tick('BTC/USDT', 49_500, 2_000);
      assert.equal(h.kernel.portfolio.position('BTC/USDT')?.qty, 0.5);
      h.tick('BTC/USDT', 48_900, 3_000); // gaps through the stop: sells at 48 900 - 0.1
      assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined);
      const [t] = h.store.recentTrades(10);
      assert.equal(t?.exitPrice, 48_899.9);
      assert.ok(near(t?.grossPnl, (48_899.9 - 50_000.1) * 0.5));
      assert.deepEqual(h.kernel.execution.openOrders(), []);
      h.store.close();
    });

    it('a moved stop (trailing) replaces the protective stop order, journaled with the position', () => {
      const h = harness();
      h.kernel.placeOrder('test', request({ qty: 0.5, stopLoss: 49_000 }));
      h.tick('BTC/USDT', 50_000, 1_000);
      const [old] = h.kernel.execution.openOrders().filter((o) => o.purpose === 'stop_loss');
      const moved = h.kernel.execution.updateProtection('BTC/USDT', { stopPrice: 49_600.04 });
      assert.equal(moved?.stopPrice, 49_600, 'rounded to the tick');
      assert.equal(h.store.restore('paper').positions[0]?.stopPrice, 49_600);
      assert.equal(h.store.getOrder(old?.id ?? '')?.status, 'cancelled');
      const stops = h.kernel.execution.openOrders().filter((o) => o.purpose === 'stop_loss');
      assert.deepEqual(stops.map((o) => [o.stopPrice, o.qty, o.status]), [[49_600, 0.5, 'accepted']]);
      assert.ok(h.events.some((e) => e.type === 'position' && e.change === 'protection'));
      assert.throws(() => h.kernel.execution.updateProtection('BTC/USDT', { stopPrice: Number.NaN }), OrderValidationError);
      assert.throws(() => h.kernel.execution.updateProtection('BTC/USDT', { stopPrice: -1 }), OrderValidationError);
      assert.equal(h.kernel.execution.updateProtection('ETH/USDT', { stopPrice: 1 }), null, 'no position');
      h.tick('BTC/USDT', 49_650, 2_000);
      assert.equal(h.kernel.portfolio.position('BTC/USDT')?.qty, 0.5);
      h.tick('BTC/USDT', 49_590, 3_000);
      assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined, 'the moved stop closed it');
      h.store.close();
    });

    it('keeps the protective stop no larger than the position after a partial exit', () => {
      const h = harness();
      h.kernel.placeOrder('test', request({ qty: 1, stopLoss: 49_000 }));
      h.tick('BTC/USDT', 50_000, 1_000);
      h.kernel.placeOrder('test', request({ side: 'sell', purpose: 'exit', qty: 0.4 }));
      h.tick('BTC/USDT', 50_200, 2_000);
      assert.equal(h.kernel.portfolio.position('BTC/USDT')?.qty, 0.6);
      const stopQty = h.kernel.execution
        .openOrders()
        .filter((o) => o.purpose === 'stop_loss')
        .reduce((s, o) => s + o.qty, 0);
      // A stop for the original 1.0 would sell 0.4 more than is held and open a short.
      assert.equal(stopQty, 0.6, 'protective stop quantity follows the remaining position');
      h.store.close();
    });
  });
});
