// The real ccxt `binanceusdm` client against the fake Binance USD-M venue (REST): markets,
// balance, every order type's lifecycle, leverage and margin type, positions, and the errors
// Binance answers (as the exception classes ccxt raises for them).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ccxt, { type Exchange } from 'ccxt';
import { binanceusdmOptions, type BinanceusdmFakeOptions } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { nextPrice } from '../fake-binance/testing.js';

const BTC = 'BTC/USDT:USDT';
const id = (o: { id?: string }): string => o.id as string;
const ETH = 'ETH/USDT:USDT';

/** The ccxt error class a call fails with, and the Binance message. */
async function failure(p: Promise<unknown>): Promise<{ name: string; error: Error }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).constructor.name, error: e as Error };
  }
  throw new Error('expected the call to fail');
}

describe('ccxt binanceusdm against the fake venue (REST)', () => {
  let fake: FakeBinance;
  const clients: Exchange[] = [];

  before(async () => {
    fake = await startFakeBinance({ replayBars: 4000 });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await fake.close();
  });

  /** A ccxt client on a fresh account of the fake (its own orders and positions). */
  async function client(opts: BinanceusdmFakeOptions & { balance?: number } = {}): Promise<{ ex: Exchange; apiKey: string }> {
    const creds = opts.apiKey ? { apiKey: opts.apiKey, secret: opts.secret ?? '' } : fake.control.addAccount({ balance: opts.balance });
    const ex = new ccxt.binanceusdm(binanceusdmOptions(fake, { ...opts, ...creds }));
    clients.push(ex);
    return { ex, apiKey: creds.apiKey };
  }

  it("loads both perpetuals with Binance's filters", async () => {
    const { ex } = await client();
    const markets = await ex.loadMarkets();
    assert.deepEqual(Object.keys(markets).sort(), [BTC, ETH]);
    const m = markets[BTC]!;
    assert.equal(m.id, 'BTCUSDT');
    assert.equal(m.swap, true);
    assert.equal(m.linear, true);
    assert.equal(m.settle, 'USDT');
    assert.deepEqual([m.precision.amount, m.precision.price], [0.001, 0.1]);
    assert.deepEqual([m.limits.amount?.min, m.limits.amount?.max, m.limits.cost?.min, m.limits.price?.min], [0.001, 1000, 100, 261.1]);
    assert.equal((m.limits as { market?: { max?: number } }).market?.max, 120);
    const filters = (m.info as { filters: { filterType: string }[] }).filters.map((f) => f.filterType);
    assert.ok(filters.includes('PERCENT_PRICE') && filters.includes('MIN_NOTIONAL') && filters.includes('MARKET_LOT_SIZE'));
    assert.equal(markets[ETH]!.precision.price, 0.01);
  });

  it('answers time, balance (v3 and v2), ticker, klines, order book and trades', async () => {
    const { ex } = await client({ balance: 2500 });
    const t = await ex.fetchTime();
    assert.ok(Math.abs((t ?? 0) - Date.now()) < 5000);
    const bal = await ex.fetchBalance();
    assert.deepEqual([bal.USDT?.total, bal.USDT?.free, bal.USDT?.used], [2500, 2500, 0]);
    assert.equal(bal.BTC, undefined); // never-used assets (updateTime 0) are skipped by ccxt
    const v2 = await ex.fetchBalance({ useV2: true });
    assert.equal(v2.USDT?.total, 2500);
    const ticker = await ex.fetchTicker(BTC);
    assert.equal(ticker.last, fake.control.price('BTCUSDT'));
    const candles = await ex.fetchOHLCV(BTC, '1m', undefined, 10);
    assert.equal(candles.length, 10);
    assert.ok(candles.every((c, i) => i === 0 || (c[0] as number) - (candles[i - 1]![0] as number) === 60_000));
    const hourly = await ex.fetchOHLCV(BTC, '1h', undefined, 5);
    assert.ok(hourly.length >= 2 && (hourly[1]![0] as number) - (hourly[0]![0] as number) === 3_600_000);
    const book = await ex.fetchOrderBook(BTC, 5);
    assert.deepEqual([book.bids[0]?.[0], book.asks[0]?.[0]], [fake.control.book('BTCUSDT').bid, fake.control.book('BTCUSDT').ask]);
    assert.equal(book.bids.length, 5);
    fake.control.step(4);
    const trades = await ex.fetchTrades(BTC);
    assert.ok(trades.length >= 4);
  });

  it('market order: fills at the ask, found by client id, a user trade, a position; closing realizes PnL into the balance', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    const ask = fake.control.book('BTCUSDT').ask;
    const buy = await ex.createOrder(BTC, 'market', 'buy', 0.01, undefined, { clientOrderId: 'tw-mkt-1' });
    assert.deepEqual([buy.status, buy.filled, buy.average, buy.clientOrderId, buy.type, buy.side], ['closed', 0.01, ask, 'tw-mkt-1', 'market', 'buy']);
    const byClientId = await ex.fetchOrder('', BTC, { clientOrderId: 'tw-mkt-1' });
    assert.equal(byClientId.id, buy.id);
    const [pos] = await ex.fetchPositions([BTC]);
    assert.deepEqual([pos?.contracts, pos?.side, pos?.entryPrice, pos?.marginMode], [0.01, 'long', ask, 'cross']);
    fake.control.step(8);
    const bid = fake.control.book('BTCUSDT').bid;
    const sell = await ex.createOrder(BTC, 'market', 'sell', 0.01, undefined, { reduceOnly: true });
    assert.equal(sell.average, bid);
    assert.deepEqual(await ex.fetchPositions([BTC]), []);
    const trades = await ex.fetchMyTrades(BTC);
    assert.deepEqual(trades.map((t) => t.order), [buy.id, sell.id]);
    assert.ok(trades.every((t) => t.takerOrMaker === 'taker' && t.fee?.currency === 'USDT'));
    const realized = Number((trades[1]!.info as { realizedPnl: string }).realizedPnl);
    assert.equal(Math.round(realized * 1e6), Math.round((bid - ask) * 0.01 * 1e6));
    const fees = trades.reduce((s, t) => s + (t.fee?.cost ?? 0), 0);
    const bal = await ex.fetchBalance();
    assert.equal(Math.round((bal.USDT?.total ?? 0) * 1e6), Math.round((10_000 + realized - fees) * 1e6));
  });

  it('ETHUSDT trades on its own path, rules and position', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    const ask = fake.control.book('ETHUSDT').ask;
    const o = await ex.createOrder(ETH, 'market', 'buy', 0.01);
    assert.deepEqual([o.status, o.average], ['closed', ask]);
    assert.ok(ask > 500 && ask < 10_000, String(ask)); // BTC × 0.0357
    const [pos] = await ex.fetchPositions([ETH]);
    assert.deepEqual([pos?.symbol, pos?.contracts], [ETH, 0.01]);
    assert.equal((await failure(ex.createOrder(ETH, 'market', 'buy', 0.001))).name, 'InvalidOrder'); // under 20 USDT
  });

  it('limit order: rests, is listed and queried by client id, fills as maker when the path reaches it', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    const target = nextPrice(fake.control, 'BTCUSDT', 'below');
    const o = await ex.createOrder(BTC, 'limit', 'buy', 0.002, target.price, { clientOrderId: 'tw-lim-1' });
    assert.deepEqual([o.status, o.filled, o.price], ['open', 0, target.price]);
    assert.deepEqual((await ex.fetchOpenOrders(BTC)).map((x) => x.clientOrderId), ['tw-lim-1']);
    fake.control.step(target.ticks);
    const done = await ex.fetchOrder('', BTC, { clientOrderId: 'tw-lim-1' });
    assert.deepEqual([done.status, done.filled, done.average], ['closed', 0.002, target.price]);
    const [fill] = await ex.fetchMyTrades(BTC);
    assert.equal(fill?.takerOrMaker, 'maker');
    assert.equal(fill?.fee?.cost, Math.round(target.price * 0.002 * 0.0002 * 1e8) / 1e8);
    assert.deepEqual(await ex.fetchOpenOrders(BTC), []);
  });

  it('cancel: a resting order is canceled once; unknown orders are OrderNotFound', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    const price = Math.round(fake.control.price('BTCUSDT') * 0.97);
    const o = await ex.createOrder(BTC, 'limit', 'buy', 0.002, price);
    const c = await ex.cancelOrder(id(o), BTC);
    assert.equal(c.status, 'canceled');
    assert.equal((await failure(ex.cancelOrder(id(o), BTC))).name, 'OrderNotFound'); // -2011
    assert.equal((await failure(ex.fetchOrder('123', BTC))).name, 'OrderNotFound'); // -2013
    const all = await ex.fetchOrders(BTC);
    assert.deepEqual(all.map((x) => x.status), ['canceled']);
  });

  it('batch create, edit, batch cancel and cancel-all', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    const p = Math.round(fake.control.price('BTCUSDT') * 0.97);
    const created = await ex.createOrders([0, 1, 2].map((i) => ({ symbol: BTC, type: 'limit', side: 'buy', amount: 0.002, price: p - i * 10 })));
    assert.equal(created.length, 3);
    assert.ok(created.every((o) => o.status === 'open'));
    const edited = await ex.editOrder(id(created[0]!), BTC, 'limit', 'buy', 0.003, p - 50);
    assert.deepEqual([edited.id, edited.amount, edited.price], [created[0]!.id, 0.003, p - 50]);
    const canceled = await ex.cancelOrders([id(created[0]!), id(created[1]!)], BTC);
    assert.deepEqual(canceled.map((o) => o.status), ['canceled', 'canceled']);
    await ex.cancelAllOrders(BTC);
    assert.deepEqual(await ex.fetchOpenOrders(BTC), []);
    assert.deepEqual((await ex.fetchOrders(BTC)).map((o) => o.status), ['canceled', 'canceled', 'canceled']);
  });

  it('conditional orders (algo API): stop-loss and take-profit market, stop-limit; trigger, fill, cancel', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    await ex.createOrder(BTC, 'market', 'buy', 0.004);
    const down = nextPrice(fake.control, 'BTCUSDT', 'below');
    const sl = await ex.createOrder(BTC, 'market', 'sell', 0.002, undefined, { stopLossPrice: down.price, reduceOnly: true, clientOrderId: 'tw-sl-1' });
    assert.deepEqual([sl.status, sl.triggerPrice, sl.clientOrderId], ['open', down.price, 'tw-sl-1']);
    const up = Math.round(fake.control.price('BTCUSDT') * 1.2);
    const tp = await ex.createOrder(BTC, 'market', 'sell', 0.002, undefined, { takeProfitPrice: up, reduceOnly: true });
    const open = await ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true });
    assert.deepEqual(open.map(id).sort(), [id(sl), id(tp)].sort());
    fake.control.step(down.ticks);
    const slDone = await ex.fetchOrder(id(sl), BTC, { trigger: true });
    assert.equal(slDone.status, 'closed');
    const actualId = (slDone.info as { actualOrderId: string }).actualOrderId;
    const actual = await ex.fetchOrder(actualId, BTC);
    assert.deepEqual([actual.status, actual.filled, (actual.info as { origType: string }).origType], ['closed', 0.002, 'STOP_MARKET']);
    const [pos] = await ex.fetchPositions([BTC]);
    assert.equal(pos?.contracts, 0.002);
    await ex.cancelOrder(id(tp), BTC, { trigger: true });
    assert.equal((await ex.fetchOrder(id(tp), BTC, { trigger: true })).status, 'canceled');
    const below = Math.round(fake.control.price('BTCUSDT') * 0.9);
    const stopLimit = await ex.createOrder(BTC, 'limit', 'sell', 0.002, below - 100, { stopLossPrice: below, reduceOnly: true });
    assert.equal((stopLimit.info as { orderType: string }).orderType, 'STOP');
    assert.equal((await failure(ex.createOrder(BTC, 'market', 'sell', 0.002, undefined, { stopLossPrice: Math.round(fake.control.price('BTCUSDT') * 1.1) }))).name, 'OrderImmediatelyFillable'); // -2021
  });

  it('leverage and margin type; positions report them', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    const res = (await ex.setLeverage(7, BTC)) as { leverage: number; symbol: string };
    assert.deepEqual([res.leverage, res.symbol], [7, 'BTCUSDT']);
    const lev = await ex.fetchLeverages([BTC]);
    assert.equal(lev[BTC]?.longLeverage, 7);
    await ex.setMarginMode('isolated', BTC);
    assert.equal((await failure(ex.setMarginMode('isolated', BTC))).name, 'MarginModeAlreadySet'); // -4046
    assert.equal((await ex.fetchMarginMode(BTC)).marginMode, 'isolated');
    await ex.createOrder(BTC, 'market', 'buy', 0.01);
    const [pos] = await ex.fetchPositions([BTC]);
    assert.equal(pos?.marginMode, 'isolated');
    assert.ok((pos?.collateral ?? 0) > 0 && (pos?.liquidationPrice ?? 0) > 0);
    assert.equal(Math.round((pos?.initialMargin ?? 0) * 100), Math.round(((pos?.notional ?? 0) / 7) * 100));
    assert.equal((await failure(ex.setMarginMode('cross', BTC))).name, 'OperationRejected'); // -4048: a position is open
    const v2 = await ex.fetchPositions([BTC], { useV2: true });
    assert.equal(v2[0]?.leverage, 7);
    assert.equal((await failure(ex.setLeverage(0, BTC))).name, 'BadRequest'); // ccxt checks 1..125 itself
  });

  it('wrong secret, unknown key, no key: AuthenticationError after exactly one request', async () => {
    const { apiKey } = fake.control.addAccount();
    const { ex: wrongSecret } = await client({ apiKey, secret: 'not-the-secret' });
    await wrongSecret.loadMarkets();
    fake.control.clearRequests();
    const e1 = await failure(wrongSecret.fetchBalance());
    assert.equal(e1.name, 'AuthenticationError');
    assert.match(e1.error.message, /-1022/);
    assert.equal(fake.control.requests({ apiKey }).length, 1);
    const { ex: unknown } = await client({ apiKey: 'A'.repeat(64), secret: 'x' });
    await unknown.loadMarkets();
    const e2 = await failure(unknown.createOrder(BTC, 'market', 'buy', 0.01));
    assert.equal(e2.name, 'AuthenticationError');
    assert.match(e2.error.message, /-2015/);
    const raw = await fetch(`${fake.url}/fapi/v3/balance?timestamp=${Date.now()}&signature=00`);
    assert.equal(raw.status, 401);
    assert.deepEqual(await raw.json(), { code: -2014, msg: 'API-key format invalid.' });
  });

  it('a stale timestamp is -1021 (InvalidNonce); ccxt recovers by measuring the clock difference', async () => {
    const { ex } = await client();
    await ex.loadMarkets();
    ex.options.timeDifference = 70_000; // requests stamped 70 s in the past
    const e = await failure(ex.fetchBalance());
    assert.equal(e.name, 'InvalidNonce');
    assert.match(e.error.message, /outside of the recvWindow/);
    ex.options.timeDifference = 0;
    fake.control.setClockOffset(30_000); // the venue's clock runs 30 s ahead
    try {
      assert.equal((await failure(ex.fetchBalance())).name, 'InvalidNonce');
      await ex.loadTimeDifference();
      assert.equal((await ex.fetchBalance()).USDT?.total, 10_000);
      fake.control.setClockOffset(-5_000); // now the requests are ahead of the venue
      const ahead = await failure(ex.fetchBalance());
      assert.match(ahead.error.message, /1000ms ahead/);
    } finally {
      fake.control.setClockOffset(0);
    }
  });

  it('order rejections map to ccxt classes: duplicate id, min notional, margin, precision, percent price', async () => {
    const { ex, apiKey } = await client();
    await ex.loadMarkets();
    const p = Math.round(fake.control.price('BTCUSDT') * 0.97);
    await ex.createOrder(BTC, 'limit', 'buy', 0.002, p, { clientOrderId: 'tw-dup' });
    const dup = await failure(ex.createOrder(BTC, 'limit', 'buy', 0.002, p, { clientOrderId: 'tw-dup' }));
    assert.deepEqual([dup.name, /-4116/.test(dup.error.message)], ['InvalidOrder', true]);
    assert.equal(fake.control.snapshot(apiKey).orders.length, 1);
    const small = await failure(ex.createOrder(BTC, 'market', 'buy', 0.001));
    assert.deepEqual([small.name, /-4164/.test(small.error.message)], ['InvalidOrder', true]);
    fake.control.setBalance(5, apiKey);
    const poor = await failure(ex.createOrder(BTC, 'market', 'buy', 0.01));
    assert.deepEqual([poor.name, /-2019/.test(poor.error.message)], ['InsufficientFunds', true]);
    const precise = await failure(ex.fapiPrivatePostOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.0001' }));
    assert.deepEqual([precise.name, /-1111/.test(precise.error.message)], ['BadRequest', true]);
    const far = await failure(ex.createOrder(BTC, 'limit', 'buy', 0.002, Math.round(fake.control.price('BTCUSDT') * 1.2)));
    assert.match(far.error.message, /-4016/);
    const stopOnOrder = await failure(ex.fapiPrivatePostOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', stopPrice: '1000' }));
    assert.match(stopOnOrder.error.message, /-4120/);
  });

  it('answers Binance headers and bodies on the wire', async () => {
    const res = await fetch(`${fake.url}/fapi/v1/ticker/price?symbol=BTCUSDT`);
    assert.equal(res.status, 200);
    assert.ok(Number(res.headers.get('x-mbx-used-weight-1m')) >= 1);
    const body = (await res.json()) as { symbol: string; price: string };
    assert.equal(body.symbol, 'BTCUSDT');
    assert.match(body.price, /^\d+\.\d{2}$/);
    const bad = await fetch(`${fake.url}/fapi/v1/ticker/price?symbol=NOPE`);
    assert.deepEqual([bad.status, await bad.json()], [400, { code: -1121, msg: 'Invalid symbol.' }]);
    const none = await fetch(`${fake.url}/fapi/v9/nothing`);
    assert.equal(none.status, 404);
    assert.equal(((await none.json()) as { code: number }).code, -5000);
  });
});
