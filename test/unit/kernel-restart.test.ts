import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SimClock } from '../../src/core/clock.js';
import type { Order } from '../../src/core/orders.js';
import type { Position } from '../../src/core/portfolio-types.js';
import { buildHarness, tempDir, type Harness, OPEN_LIMITS } from './support.js';

const dirs = tempDir('tw-restart-');
after(() => dirs.cleanup());

/** A position without the fields that follow the market (re-marked on the next tick). */
const durable = ({ markPrice: _m, unrealizedPnl: _u, ...rest }: Position) => rest;

const place = (h: Harness, over: Partial<Parameters<Harness['kernel']['placeOrder']>[1]>) =>
  h.kernel.placeOrder('test', { accountId: 'paper', botId: 'bot', symbol: 'BTC/USDT', side: 'buy', type: 'market', purpose: 'entry', qty: 1, ...over });

describe('Kernel restart on the same SQLite file', () => {
  it('restores positions, open orders, the account and every id sequence exactly', () => {
    const file = dirs.file('restart.db');
    const a = buildHarness({ file, limits: OPEN_LIMITS });
    // A round trip on ES: one closed trade.
    place(a, { symbol: 'ES', qty: 2 });
    a.tick('ES', 5_000, 1_000);
    place(a, { symbol: 'ES', side: 'sell', purpose: 'exit', qty: 2 });
    a.tick('ES', 5_010, 2_000);
    // An open BTC position with its protective stop.
    place(a, { qty: 0.5, stopLoss: 49_000 });
    a.tick('BTC/USDT', 50_000, 3_000);
    // A working ETH limit order.
    place(a, { symbol: 'ETH/USDT', type: 'limit', price: 3_000, qty: 1 });
    a.tick('ETH/USDT', 3_100, 4_000);
    a.tick('BTC/USDT', 50_200, 5_000);

    const positions = a.kernel.portfolio.openPositions().map((p) => ({ ...p }));
    const openOrders = a.kernel.execution.openOrders().map((o) => ({ ...o }));
    const account = a.kernel.portfolio.accountState();
    // Sanity of the scenario itself: O-1..O-5, P-1..P-2, T-1.
    assert.deepEqual(positions.map((p) => [p.id, p.symbol, p.side, p.qty]), [['P-00000002', 'BTC/USDT', 'long', 0.5]]);
    assert.deepEqual(openOrders.map((o) => [o.id, o.purpose, o.status]).sort(), [
      ['O-00000004', 'stop_loss', 'accepted'],
      ['O-00000005', 'entry', 'accepted'],
    ]);
    assert.deepEqual(a.store.recentTrades(10).map((t) => t.id), ['T-00000001']);
    // ES bought at 5 000.25 and sold at 5 009.75 (one 0.25 tick of slippage each way):
    // 9.5 points * 2 * 50 = 950, minus 4 * 2.25 contract fees, minus the BTC entry fee.
    const btcFee = 0.5 * 50_000.1 * 0.0004;
    assert.ok(Math.abs(account.balance - (100_000 + 950 - 9 - btcFee)) < 1e-6, `balance ${account.balance}`);
    a.store.close();

    const b = buildHarness({ file, clock: new SimClock(6_000), limits: OPEN_LIMITS });
    assert.deepEqual(b.kernel.portfolio.openPositions().map(durable), positions.map(durable));
    assert.deepEqual(
      b.kernel.execution.openOrders().sort((x, y) => x.id.localeCompare(y.id)),
      openOrders.sort((x, y) => x.id.localeCompare(y.id)),
    );
    assert.deepEqual(b.kernel.portfolio.accountState(), account);
    assert.deepEqual(b.broker.workingOrders().map((o) => o.id).sort(), ['O-00000004', 'O-00000005'], 'working orders handed back to the broker');
    assert.deepEqual(b.errors, []);

    // Sequences continue where they stopped: the next order, position and trade ids.
    const next = place(b, { symbol: 'ES', qty: 1 });
    assert.equal(next.id, 'O-00000006');
    b.tick('ES', 5_020, 7_000);
    assert.equal(b.kernel.portfolio.position('ES')?.id, 'P-00000003');
    // The restored stop still protects the restored position.
    b.tick('BTC/USDT', 48_000, 8_000);
    assert.equal(b.kernel.portfolio.position('BTC/USDT'), undefined);
    const trades = b.store.recentTrades(10);
    assert.deepEqual(trades.map((t) => [t.id, t.positionId]), [
      ['T-00000001', 'P-00000001'],
      ['T-00000002', 'P-00000002'],
    ]);
    assert.equal(b.store.getOrder('O-00000004')?.status, 'filled');
    b.store.close();
  });

  it("reports a stored 'pending_submit' order rejected on restart and never resends it", () => {
    const file = dirs.file('pending.db');
    const a = buildHarness({ file, limits: OPEN_LIMITS });
    // A submit that throws now rolls the order row back with it (place runs in one transaction):
    a.broker.submit = () => {
      throw new Error('broker failed inside the placement');
    };
    assert.throws(() => place(a, { qty: 0.25 }), /broker failed/);
    assert.equal(a.store.listOrders({ limit: 10 }).length, 0, 'a failed placement leaves no order row');
    assert.deepEqual(a.kernel.execution.openOrders(), []);
    // The process dies after the order was stored but before the broker acknowledged it: the
    // broker never hears of it (its submit does nothing) and the process stops there.
    a.broker.submit = () => {};
    // (the failed placement used id O-00000001: ids are never reused, gaps are harmless)
    assert.equal(place(a, { qty: 0.25 }).id, 'O-00000002');
    const stranded = a.store.getOrder('O-00000002');
    assert.equal(stranded?.status, 'pending_submit');
    a.store.close();

    const clock = new SimClock(10_000);
    const b = buildHarness({ file, clock, limits: OPEN_LIMITS });
    // Spy on the new broker: nothing may be (re)submitted.
    const submitted: Order[] = [];
    const submit = b.broker.submit.bind(b.broker);
    b.broker.submit = (o: Order) => {
      submitted.push(o);
      submit(o);
    };
    const o = b.store.getOrder('O-00000002');
    assert.equal(o?.status, 'rejected');
    assert.match(o?.reason ?? '', /not resent/);
    assert.deepEqual(b.kernel.execution.openOrders(), []);
    assert.deepEqual(b.broker.workingOrders(), []);
    b.tick('BTC/USDT', 50_000, 11_000);
    assert.deepEqual(submitted, []);
    assert.equal(b.kernel.portfolio.position('BTC/USDT'), undefined);
    assert.equal(b.store.recentFills(10).length, 0);
    assert.equal(b.store.getOrder('O-00000002')?.status, 'rejected');
    // The id of the stranded order is never reused.
    assert.equal(place(b, { qty: 0.25 }).id, 'O-00000003');
    b.store.close();
  });

  it('rolls the P/L day on the first tick after UTC midnight and persists it', () => {
    const file = dirs.file('day.db');
    const day1 = Date.UTC(2024, 2, 1, 22, 0, 0);
    const a = buildHarness({ file, clock: new SimClock(day1) });
    assert.equal(a.kernel.portfolio.accountState().day, '2024-03-01');
    place(a, { symbol: 'ES', qty: 1 });
    a.tick('ES', 5_000, day1 + 1_000); // buys at 5 000.25, pays 2.25
    a.tick('ES', 5_010.25, day1 + 2_000); // +10 points * 50 = 500 unrealised
    const equityAtMidnight = 100_000 - 2.25 + 500;
    assert.equal(a.kernel.portfolio.view().dayPnl, equityAtMidnight - 100_000);

    const midnight = Date.UTC(2024, 2, 2, 0, 0, 0);
    a.tick('ES', 5_020.25, midnight + 5); // rolls first, then marks at the new price
    const acct = a.kernel.portfolio.accountState();
    assert.equal(acct.day, '2024-03-02');
    assert.equal(acct.dayStartEquity, equityAtMidnight);
    assert.equal(a.kernel.portfolio.view().dayPnl, 500); // 10 more points since midnight
    const rolled = a.events.find((e) => e.type === 'account' && e.material && e.account.day === '2024-03-02');
    assert.ok(rolled, 'a material account event announces the new day');
    assert.deepEqual(a.store.restore('paper').account, acct);
    a.store.close();
  });
});
