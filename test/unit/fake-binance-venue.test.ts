// The fake Binance venue's engine and rules, without HTTP: matching, fills, positions, PnL,
// commissions, conditional orders, Binance's order checks, klines and the diff depth stream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BinanceError } from '../fake-binance/errors.js';
import * as ev from '../fake-binance/events.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { readAlgoOrder, readOrder, type Params } from '../fake-binance/params.js';
import { makeBars } from '../fake-binance/testing.js';
import type { Account } from '../fake-binance/account.js';

// Two bars of history at 50000, then the replay. Ticks per bar: up bar O,L,H,C; down bar O,H,L,C.
const BARS = makeBars([
  [50000, 50010, 49990, 50000],
  [50000, 50010, 49990, 50000],
  [50000, 50100, 49900, 50050], // ticks 50000 49900 50100 50050
  [50050, 50200, 49800, 49850], // ticks 50050 50200 49800 49850
  [49850, 50500, 49850, 50400], // ticks 49850 49850 50500 50400
  [50400, 50450, 49900, 49950], // ticks 50400 50450 49900 49950
  [49950, 50000, 49900, 49990],
]);

const code = (f: () => unknown): number => {
  try {
    f();
  } catch (e) {
    if (e instanceof BinanceError) return e.code;
    throw e;
  }
  throw new Error('expected a Binance error');
};

async function venue(opts: Parameters<typeof startFakeBinance>[0] = {}): Promise<FakeBinance> {
  return startFakeBinance({ bars: BARS, historyBars: 2, loop: false, ...opts });
}

describe('fake Binance venue', () => {
  let fake: FakeBinance;
  let a: Account;
  const btc = () => fake.venue.market('BTCUSDT');
  const order = (p: Params) => fake.venue.newOrder(a, readOrder({ symbol: 'BTCUSDT', ...p }, btc().spec));
  const algo = (p: Params) => fake.venue.newAlgoOrder(a, readAlgoOrder({ symbol: 'BTCUSDT', algoType: 'CONDITIONAL', ...p }, btc().spec));
  const pos = () => a.position('BTCUSDT');

  before(async () => {
    fake = await venue();
  });
  after(async () => {
    await fake.close();
  });

  /** A fresh venue for each test that trades. */
  async function fresh(opts: Parameters<typeof startFakeBinance>[0] = {}): Promise<void> {
    await fake.close();
    fake = await venue(opts);
    a = fake.control.account();
  }

  it('starts at the first replay bar with the history re-stamped before now', async () => {
    await fresh();
    assert.equal(btc().last, 50000);
    assert.deepEqual(fake.control.book('BTCUSDT'), { bid: 50000, ask: 50000.1 });
    const k = btc().klines('1m');
    assert.equal(k.length, 2);
    const startMinute = Math.floor(fake.venue.now() / 60_000) * 60_000;
    assert.equal(k[1]?.openTime, startMinute - 60_000);
    assert.deepEqual(fake.control.upcoming('BTCUSDT', 6), [50000, 49900, 50100, 50050, 50050, 50200]);
    fake.control.step(4);
    const live = btc().klines('1m').at(-1);
    assert.equal(live?.open, 50000);
    assert.equal(live?.high, 50100);
    assert.equal(live?.low, 49900);
    assert.equal(live?.close, 50050);
    assert.equal(live?.trades, 4);
  });

  it('fills a market buy at the ask, a market sell at the bid; realized PnL and commissions reach the wallet', async () => {
    await fresh();
    const buy = order({ side: 'BUY', type: 'MARKET', quantity: '0.1' });
    assert.equal(buy.status, 'FILLED');
    assert.equal(buy.cumQuote, 5000.01);
    assert.deepEqual([pos().amt, pos().entry], [0.1, 50000.1]);
    fake.control.tick('BTCUSDT', 51000);
    const sell = order({ side: 'SELL', type: 'MARKET', quantity: '0.1' });
    assert.equal(sell.status, 'FILLED');
    assert.equal(pos().amt, 0);
    const [t1, t2] = a.trades;
    assert.equal(t1?.commission, 2.500005); // 5000.01 × 0.05 % taker
    assert.equal(t2?.price, 51000);
    assert.equal(t2?.realizedPnl, 99.99);
    assert.equal(t2?.commission, 2.55);
    assert.equal(a.wallet, 10094.939995);
    assert.notEqual(t1?.id, t2?.id);
    assert.deepEqual(a.income.map((i) => [i.incomeType, i.income]), [['COMMISSION', -2.500005], ['REALIZED_PNL', 99.99], ['COMMISSION', -2.55]]);
  });

  it('nets one-way: selling more than the long closes it and opens a short at the fill price', async () => {
    await fresh();
    order({ side: 'BUY', type: 'MARKET', quantity: '0.1' });
    fake.control.tick('BTCUSDT', 49000);
    order({ side: 'SELL', type: 'MARKET', quantity: '0.3' });
    assert.deepEqual([pos().amt, pos().entry], [-0.2, 49000]);
    assert.equal(a.trades[1]?.realizedPnl, -100.01);
  });

  it('rests a limit order and fills it as maker on the tick that reaches its price', async () => {
    await fresh();
    const o = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '49900', newClientOrderId: 'maker-1' });
    assert.equal(o.status, 'NEW');
    fake.control.step(1); // 50000
    assert.equal(o.status, 'NEW');
    fake.control.step(1); // 49900
    assert.equal(o.status, 'FILLED');
    assert.equal(a.trades[0]?.maker, true);
    assert.equal(a.trades[0]?.commission, 0.998); // 4990 × 0.02 % maker
    assert.equal(fake.venue.findOrder(a, 'BTCUSDT', undefined, 'maker-1'), o);
  });

  it('partially fills a resting order when the book is thin, tick after tick', async () => {
    await fresh();
    fake.control.setLiquidity({ makerQtyPerTick: 0.04 });
    const o = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '49900' });
    fake.control.step(2); // 50000, 49900
    assert.deepEqual([o.status, o.executedQty], ['PARTIALLY_FILLED', 0.04]);
    fake.control.step(5); // 50100 50050 50050 50200 49800
    assert.deepEqual([o.status, o.executedQty], ['PARTIALLY_FILLED', 0.08]);
    fake.control.step(1); // 49850
    assert.deepEqual([o.status, o.executedQty], ['FILLED', 0.1]);
    assert.equal(a.trades.length, 3);
  });

  it('walks the book: a market order larger than a level fills at several prices', async () => {
    await fresh();
    fake.control.setLiquidity({ levelQty: 0.01 });
    const o = order({ side: 'BUY', type: 'MARKET', quantity: '0.05' });
    assert.equal(o.status, 'FILLED');
    assert.deepEqual(a.trades.map((t) => t.price), [50000.1, 50000.2, 50000.3, 50000.4, 50000.5]);
    assert.equal(Math.round((o.cumQuote / o.executedQty) * 10) / 10, 50000.3);
  });

  it('IOC fills what it can and expires the rest; FOK and GTX are rejected and not recorded', async () => {
    await fresh();
    fake.control.setLiquidity({ levelQty: 0.01 });
    const ioc = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.05', price: '50000.3' });
    assert.deepEqual([ioc.status, ioc.executedQty], ['EXPIRED', 0.03]);
    const before = a.orders.size;
    assert.equal(code(() => order({ side: 'BUY', type: 'LIMIT', timeInForce: 'FOK', quantity: '0.05', price: '50000.3' })), -5021);
    assert.equal(code(() => order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.05', price: '50000.1' })), -5022);
    assert.equal(a.orders.size, before);
    const gtx = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTX', quantity: '0.05', price: '50000' });
    assert.equal(gtx.status, 'NEW');
  });

  it('reduce-only: rejected when it cannot reduce, expired when the position is gone', async () => {
    await fresh();
    assert.equal(code(() => order({ side: 'SELL', type: 'MARKET', quantity: '0.1', reduceOnly: 'true' })), -2022);
    order({ side: 'BUY', type: 'MARKET', quantity: '0.1' });
    const tp = order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '50500', reduceOnly: 'true' });
    assert.equal(tp.status, 'NEW');
    order({ side: 'SELL', type: 'MARKET', quantity: '0.1' });
    assert.equal(tp.status, 'EXPIRED');
    assert.equal(a.open.size, 0);
  });

  it('a reused client order id is -4116 while the first order is open (and always with scope "all")', async () => {
    await fresh();
    const first = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '49000', newClientOrderId: 'dup-1' });
    assert.equal(code(() => order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '49000', newClientOrderId: 'dup-1' })), -4116);
    fake.venue.cancelOrder(a, 'BTCUSDT', first.orderId, undefined);
    const again = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '49000', newClientOrderId: 'dup-1' });
    assert.notEqual(again.orderId, first.orderId);
    assert.equal(fake.venue.findOrder(a, 'BTCUSDT', undefined, 'dup-1'), again);
    await fresh({ clientOrderIdScope: 'all' });
    const o = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '49000', newClientOrderId: 'dup-2' });
    fake.venue.cancelOrder(a, 'BTCUSDT', o.orderId, undefined);
    assert.equal(code(() => order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '49000', newClientOrderId: 'dup-2' })), -4116);
  });

  it('checks margin (-2019), MIN_NOTIONAL (-4164) and PERCENT_PRICE (-4016 / -4024)', async () => {
    await fresh();
    assert.equal(code(() => order({ side: 'BUY', type: 'MARKET', quantity: '0.001' })), -4164);
    assert.equal(code(() => order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '52600' })), -4016);
    assert.equal(code(() => order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '47400' })), -4024);
    fake.control.setBalance(10);
    assert.equal(code(() => order({ side: 'BUY', type: 'MARKET', quantity: '0.1' })), -2019);
    fake.control.setBalance(300); // 0.1 × 50000 / 20 = 250 of initial margin
    assert.equal(order({ side: 'BUY', type: 'MARKET', quantity: '0.1' }).status, 'FILLED');
    assert.equal(code(() => order({ side: 'BUY', type: 'MARKET', quantity: '0.1' })), -2019);
    assert.equal(order({ side: 'SELL', type: 'MARKET', quantity: '0.1' }).status, 'FILLED'); // reducing needs no margin
  });

  it("rejects parameters the way Binance's filters do", async () => {
    const s = btc().spec;
    const read = (p: Params) => code(() => readOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000', ...p }, s));
    assert.equal(read({ quantity: '0.0001' }), -1111);
    assert.equal(read({ price: '50000.123' }), -1111);
    assert.equal(read({ price: '50000.05' }), -4014); // the tick is 0.10
    assert.equal(read({ quantity: '0' }), -4003);
    assert.equal(read({ quantity: '1001' }), -4005);
    assert.equal(read({ type: 'MARKET', price: '', timeInForce: '', quantity: '121' }), -4005);
    assert.equal(read({ price: '100' }), -4013);
    assert.equal(read({ type: 'STOP_MARKET' }), -4120);
    assert.equal(read({ type: 'LIMITED' }), -1116);
    assert.equal(read({ side: 'buy' }), -1117);
    assert.equal(read({ timeInForce: 'DAY' }), -1115);
    assert.equal(read({ timeInForce: '' }), -1102);
    assert.equal(read({ quantity: '' }), -1102);
    assert.equal(read({ quantity: '1e-3' }), -1100);
    assert.equal(read({ positionSide: 'LONG' }), -4061);
    assert.equal(read({ newClientOrderId: 'has space' }), -1100);
    assert.equal(read({ newClientOrderId: 'x'.repeat(37) }), -4015);
    assert.equal(code(() => readOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', price: '50000' }, s)), -1106);
  });

  it('conditional orders: stop-market with closePosition, take-profit, stop-limit, immediate trigger refused', async () => {
    await fresh();
    order({ side: 'BUY', type: 'MARKET', quantity: '0.1' });
    assert.equal(code(() => algo({ side: 'SELL', type: 'STOP_MARKET', triggerPrice: '50100', closePosition: 'true' })), -2021);
    const sl = algo({ side: 'SELL', type: 'STOP_MARKET', triggerPrice: '49950', closePosition: 'true', clientAlgoId: 'sl-1' });
    assert.equal(sl.algoStatus, 'NEW');
    fake.control.step(1); // 50000
    assert.equal(sl.algoStatus, 'NEW');
    fake.control.step(1); // 49900: triggered, market sell at the bid
    assert.equal(sl.algoStatus, 'FINISHED');
    const child = fake.venue.actualOrder(a, sl);
    assert.deepEqual([child?.type, child?.origType, child?.status, child?.clientOrderId, child?.stopPrice], ['MARKET', 'STOP_MARKET', 'FILLED', 'sl-1', 49950]);
    assert.equal(a.trades.at(-1)?.price, 49900);
    assert.equal(pos().amt, 0);

    const tp = algo({ side: 'SELL', type: 'TAKE_PROFIT_MARKET', triggerPrice: '50100', quantity: '0.05', reduceOnly: 'true' });
    fake.control.step(1); // 50100: triggers, but there is no position to reduce
    assert.deepEqual([tp.algoStatus, tp.rejectReason], ['EXPIRED', 'Reduce Only reject']);

    const stopLimit = algo({ side: 'BUY', type: 'STOP', triggerPrice: '50150', price: '50200', quantity: '0.01' });
    fake.control.step(3); // 50050 50050 50200: triggers, rests at 50200
    assert.equal(stopLimit.algoStatus, 'TRIGGERED');
    const resting = fake.venue.actualOrder(a, stopLimit);
    assert.deepEqual([resting?.type, resting?.status, resting?.price], ['LIMIT', 'NEW', 50200]);
    fake.control.step(1); // 49800: fills as maker at 50200
    assert.equal(resting?.status, 'FILLED');
    assert.equal(stopLimit.algoStatus, 'FINISHED');
    assert.equal(pos().amt, 0.01);
  });

  it('a trailing stop follows the high and fires on the retracement', async () => {
    await fresh();
    order({ side: 'BUY', type: 'MARKET', quantity: '0.1' });
    const trail = algo({ side: 'SELL', type: 'TRAILING_STOP_MARKET', callbackRate: '1', quantity: '0.1', reduceOnly: 'true' });
    fake.control.step(12); // up to 50500, back to 50400: still above 50500 × 0.99
    assert.equal(trail.algoStatus, 'NEW');
    fake.control.step(3); // 50400 50450 49900: fires
    assert.equal(trail.algoStatus, 'FINISHED');
    assert.equal(pos().amt, 0);
  });

  it('leverage and margin type follow Binance (-4028, -2027, -4046, -4047, -4048)', async () => {
    await fresh();
    assert.equal(code(() => fake.venue.setLeverage(a, 'BTCUSDT', 0)), -4028);
    assert.equal(code(() => fake.venue.setLeverage(a, 'BTCUSDT', 126)), -4028);
    assert.deepEqual(fake.venue.setLeverage(a, 'BTCUSDT', 10), { leverage: 10, maxNotionalValue: '230000000', symbol: 'BTCUSDT' });
    assert.equal(code(() => fake.venue.setMarginType(a, 'BTCUSDT', 'CROSSED')), -4046);
    const o = order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '49000' });
    assert.equal(code(() => fake.venue.setMarginType(a, 'BTCUSDT', 'ISOLATED')), -4047);
    fake.venue.cancelOrder(a, 'BTCUSDT', o.orderId, undefined);
    assert.deepEqual(fake.venue.setMarginType(a, 'BTCUSDT', 'ISOLATED'), { code: 200, msg: 'success' });
    order({ side: 'BUY', type: 'MARKET', quantity: '1.1' });
    assert.equal(code(() => fake.venue.setMarginType(a, 'BTCUSDT', 'CROSSED')), -4048);
    assert.equal(code(() => fake.venue.setLeverage(a, 'BTCUSDT', 125)), -2027); // 55000 of notional > 50000 at 125x
    const f = fake.venue.figures(a).positions.find((p) => p.symbol === 'BTCUSDT');
    assert.equal(f?.marginType, 'ISOLATED');
    assert.ok((f?.isolatedWallet ?? 0) > 0 && (f?.liquidationPrice ?? 0) > 0 && (f?.liquidationPrice ?? 0) < 50000);
  });

  it('the diff depth stream keeps a local book equal to the venue book, never crossed', async () => {
    await fresh();
    const m = btc();
    const book = { bid: new Map<string, string>(), ask: new Map<string, string>() };
    for (const [p, q] of m.levels('bid', 50)) book.bid.set(p.toFixed(2), q.toFixed(3));
    for (const [p, q] of m.levels('ask', 50)) book.ask.set(p.toFixed(2), q.toFixed(3));
    let lastU = m.bookUpdateId;
    for (let i = 0; i < 20; i++) {
      fake.control.step(1);
      const e = ev.depthDiffEvent(m, fake.venue.now()) as { pu: number; u: number; b: [string, string][]; a: [string, string][] };
      assert.equal(e.pu, lastU);
      lastU = e.u;
      for (const [side, list] of [['bid', e.b], ['ask', e.a]] as const) {
        for (const [p, q] of list) {
          if (Number(q) === 0) book[side].delete(p);
          else book[side].set(p, q);
        }
      }
      const bestBid = Math.max(...[...book.bid.keys()].map(Number));
      const bestAsk = Math.min(...[...book.ask.keys()].map(Number));
      assert.equal(bestBid, m.bid);
      assert.equal(bestAsk, m.ask);
      assert.equal(book.bid.size, 50);
      assert.equal(book.ask.size, 50);
    }
  });
});
