import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Fill, Order, OrderSide, OrderType } from '../../src/core/orders.js';
import { ScheduleFeeModel, TickSlippage, ZERO_FEES } from '../../src/sim/fees.js';
import { MatchingEngine, type PriceUpdate } from '../../src/sim/matching-engine.js';
import { CRYPTO_FEES, FUTURES_FEES, makeOrder, near, registry } from './support.js';

const instruments = registry();

function engine(slippageTicks = 0, fees = ScheduleFeeModel.uniform(ZERO_FEES)) {
  const fills: { order: Order; fill: Fill }[] = [];
  const m = new MatchingEngine({ instruments, fees, slippage: new TickSlippage(slippageTicks), onFill: (order, fill) => fills.push({ order, fill }) });
  return { m, fills };
}

let seq = 0;
function order(type: OrderType, side: OrderSide, over: Partial<Order> = {}): Order {
  seq += 1;
  return makeOrder({ id: `O-${seq}`, symbol: 'BTC/USDT', side, type, qty: 1, ...over });
}

const bar = (open: number, high: number, low: number, ts = 1_000, symbol = 'BTC/USDT'): PriceUpdate => ({ symbol, ts, open, high, low });

describe('MatchingEngine', () => {
  it('fills market orders at the next open plus slippage ticks against the taker', () => {
    const { m, fills } = engine(2);
    const buy = order('market', 'buy');
    const sell = order('market', 'sell');
    m.add(buy);
    m.add(sell);
    m.onPrice(bar(100, 105, 95, 7_000));
    assert.deepEqual(
      fills.map((f) => [f.order.id, f.fill.price]),
      [
        [buy.id, 100.2], // BTC tick 0.1 * 2
        [sell.id, 99.8],
      ],
    );
    assert.deepEqual(fills[0]?.fill, { id: `${buy.id}-F1`, orderId: buy.id, accountId: 'acc', symbol: 'BTC/USDT', side: 'buy', qty: 1, price: 100.2, fee: 0, ts: 7_000 });
    assert.deepEqual(m.workingOrders(), []);
    assert.equal(m.fillCount, 2);
  });

  it('ignores prices of other symbols', () => {
    const { m, fills } = engine();
    m.add(order('market', 'buy'));
    m.onPrice(bar(100, 100, 100, 1_000, 'ETH/USDT'));
    assert.equal(fills.length, 0);
    assert.equal(m.workingOrders().length, 1);
  });

  it('fills a buy limit only when the low reaches it, at the limit or the better open', () => {
    const { m, fills } = engine(3);
    const o = order('limit', 'buy', { price: 95 });
    m.add(o);
    m.onPrice(bar(100, 101, 95.1));
    assert.equal(fills.length, 0, 'low 95.1 does not reach 95');
    m.onPrice(bar(100, 101, 95));
    assert.equal(fills[0]?.fill.price, 95, 'touching the limit fills at the limit, no slippage');

    const gap = order('limit', 'buy', { price: 95 });
    m.add(gap);
    m.onPrice(bar(94, 94.5, 93));
    assert.equal(fills[1]?.fill.price, 94, 'opening below the limit fills at the better open');
  });

  it('fills a sell limit only when the high reaches it, at the limit or the better open', () => {
    const { m, fills } = engine(3);
    m.add(order('limit', 'sell', { price: 105 }));
    m.onPrice(bar(100, 104.9, 99));
    assert.equal(fills.length, 0);
    m.onPrice(bar(100, 105, 99));
    assert.equal(fills[0]?.fill.price, 105);
    m.add(order('limit', 'sell', { price: 105 }));
    m.onPrice(bar(106, 107, 105.5));
    assert.equal(fills[1]?.fill.price, 106);
  });

  it('triggers a buy stop when the high reaches it and fills at the stop or the worse open, plus slippage', () => {
    const { m, fills } = engine(1);
    m.add(order('stop', 'buy', { stopPrice: 105 }));
    m.onPrice(bar(100, 104.9, 99));
    assert.equal(fills.length, 0);
    m.onPrice(bar(100, 105, 99));
    assert.equal(fills[0]?.fill.price, 105.1);
    m.add(order('stop', 'buy', { stopPrice: 105 }));
    m.onPrice(bar(107, 108, 106));
    assert.equal(fills[1]?.fill.price, 107.1, 'gap above the stop fills at the worse open');
  });

  it('triggers a sell stop when the low reaches it and fills at the stop or the worse open, plus slippage', () => {
    const { m, fills } = engine(1);
    m.add(order('stop', 'sell', { stopPrice: 95 }));
    m.onPrice(bar(100, 101, 95.1));
    assert.equal(fills.length, 0);
    m.onPrice(bar(100, 101, 95));
    assert.equal(fills[0]?.fill.price, 94.9);
    m.add(order('stop', 'sell', { stopPrice: 95 }));
    m.onPrice(bar(93, 94, 92));
    assert.equal(fills[1]?.fill.price, 92.9, 'gap below the stop fills at the worse open');
  });

  it('matches market orders first, then the rest in arrival order', () => {
    const { m, fills } = engine();
    const limit = order('limit', 'buy', { price: 101 });
    const stop = order('stop', 'sell', { stopPrice: 101 });
    const market = order('market', 'buy');
    m.add(limit);
    m.add(stop);
    m.add(market);
    m.onPrice(bar(100, 100, 100));
    assert.deepEqual(fills.map((f) => f.order.id), [market.id, limit.id, stop.id]);
  });

  it('never fills a removed order', () => {
    const { m, fills } = engine();
    const o = order('limit', 'buy', { price: 100 });
    m.add(o);
    assert.equal(m.has(o.id), true);
    assert.equal(m.remove(o.id)?.id, o.id);
    assert.equal(m.has(o.id), false);
    assert.equal(m.remove(o.id), undefined);
    m.onPrice(bar(99, 99, 99));
    assert.equal(fills.length, 0);
  });

  describe('fees by kind', () => {
    const fees = new ScheduleFeeModel({ spot: CRYPTO_FEES, perpetual: CRYPTO_FEES, future: FUTURES_FEES });

    it('charges crypto a rate of notional: taker for market and stop, maker for limit', () => {
      const { m, fills } = engine(0, fees);
      m.add(order('market', 'buy', { qty: 0.5 }));
      m.add(order('limit', 'sell', { qty: 0.5, price: 100_000 }));
      m.add(order('stop', 'sell', { qty: 0.5, stopPrice: 100_000 }));
      m.onPrice(bar(100_000, 100_000, 100_000));
      assert.ok(near(fills[0]?.fill.fee, 0.5 * 100_000 * 0.0004)); // 20
      assert.ok(near(fills[1]?.fill.fee, 0.5 * 100_000 * 0.0002)); // 10
      assert.ok(near(fills[2]?.fill.fee, 20));
    });

    it('charges futures per contract, whatever the price', () => {
      const { m, fills } = engine(0, fees);
      m.add(makeOrder({ id: 'ES-1', symbol: 'ES', side: 'buy', type: 'market', qty: 3 }));
      m.onPrice(bar(5_000, 5_000, 5_000, 1_000, 'ES'));
      m.add(makeOrder({ id: 'NQ-1', symbol: 'NQ', side: 'sell', type: 'market', qty: 3 }));
      m.onPrice(bar(21_000, 21_000, 21_000, 1_000, 'NQ'));
      assert.equal(fills[0]?.fill.fee, 6.75); // 3 * 2.25
      assert.equal(fills[1]?.fill.fee, 6.75);
    });

    it('includes the point value in notional when a futures rate is set', () => {
      const rateFees = ScheduleFeeModel.uniform({ takerRate: 0.0001, makerRate: 0, perContract: 1 });
      // 2 ES at 5 000: notional 2 * 5 000 * 50 = 500 000; 0.01% of it = 50, plus 2 * 1.
      assert.equal(rateFees.fee(instruments.get('ES'), 2, 5_000, 'taker'), 52);
      assert.equal(rateFees.fee(instruments.get('ES'), 2, 5_000, 'maker'), 2);
    });
  });

  it('TickSlippage keeps prices on the tick grid and zero ticks changes nothing', () => {
    const es = instruments.get('ES');
    assert.equal(new TickSlippage(2).apply(es, 'buy', 5_000), 5_000.5);
    assert.equal(new TickSlippage(2).apply(es, 'sell', 5_000), 4_999.5);
    assert.equal(new TickSlippage(0).apply(es, 'buy', 5_000.1), 5_000.1);
    assert.equal(new TickSlippage(1).apply(instruments.get('BTC/USDT'), 'buy', 0.3), 0.4);
  });
});
