// Fault injection on the fake Binance venue, observed through the real ccxt client: lost
// answers (the order is booked, the answer never arrives), latency past ccxt's timeout, 5xx,
// 429/418 with Retry-After, Binance's own weight limit, partial fills, and a venue restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ccxt, { type Exchange } from 'ccxt';
import { binanceusdmOptions, type BinanceusdmFakeOptions } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { nextPrice } from '../fake-binance/testing.js';

const BTC = 'BTC/USDT:USDT';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
}

describe('fake Binance venue: faults seen through ccxt', () => {
  let fake: FakeBinance;
  const clients: Exchange[] = [];

  before(async () => {
    fake = await startFakeBinance({ replayBars: 4000 });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await fake.close();
  });

  async function client(opts: BinanceusdmFakeOptions = {}): Promise<{ ex: Exchange; apiKey: string }> {
    const creds = fake.control.addAccount();
    const ex = new ccxt.binanceusdm(binanceusdmOptions(fake, { ...opts, ...creds }));
    clients.push(ex);
    await ex.loadMarkets();
    return { ex, apiKey: creds.apiKey };
  }

  it('a dropped answer: ccxt sees a network error, the venue holds exactly one order, found by its client id', async () => {
    const { ex, apiKey } = await client();
    const price = Math.round(fake.control.price('BTCUSDT') * 0.97);
    fake.control.dropAnswer({ method: 'POST', path: '/fapi/v1/order', apiKey });
    const e = await failure(ex.createOrder(BTC, 'limit', 'buy', 0.002, price, { clientOrderId: 'tw-lost-1' }));
    assert.ok(e instanceof ccxt.NetworkError, e.constructor.name);
    assert.equal(fake.control.snapshot(apiKey).orders.length, 1);
    const found = await ex.fetchOrder('', BTC, { clientOrderId: 'tw-lost-1' });
    assert.deepEqual([found.status, found.price, found.amount], ['open', price, 0.002]);
    const posts = fake.control.requests({ method: 'POST', path: '/fapi/v1/order', apiKey });
    assert.deepEqual(posts.map((r) => [r.fault, r.clientId]), [['drop after', 'tw-lost-1']]);
    // A market order whose answer is lost has filled: the position is there.
    fake.control.dropAnswer({ method: 'POST', path: '/fapi/v1/order', apiKey });
    await failure(ex.createOrder(BTC, 'market', 'buy', 0.002, undefined, { clientOrderId: 'tw-lost-2' }));
    assert.equal((await ex.fetchOrder('', BTC, { clientOrderId: 'tw-lost-2' })).status, 'closed');
    assert.equal((await ex.fetchPositions([BTC]))[0]?.contracts, 0.002);
  });

  it('a connection cut before processing leaves no order', async () => {
    const { ex, apiKey } = await client();
    fake.control.fault({ kind: 'drop', phase: 'before', match: { method: 'POST', path: '/fapi/v1/order', apiKey } });
    assert.ok((await failure(ex.createOrder(BTC, 'market', 'buy', 0.002, undefined, { clientOrderId: 'tw-cut-1' }))) instanceof ccxt.NetworkError);
    assert.equal(fake.control.snapshot(apiKey).orders.length, 0);
    assert.ok((await failure(ex.fetchOrder('', BTC, { clientOrderId: 'tw-cut-1' }))) instanceof ccxt.OrderNotFound);
  });

  it('latency past the client timeout: RequestTimeout, yet the order was booked', async () => {
    const { ex, apiKey } = await client({ timeout: 1500 });
    fake.control.latency(3000, { method: 'POST', path: '/fapi/v1/order', apiKey }, { phase: 'after', times: 1 });
    const e = await failure(ex.createOrder(BTC, 'market', 'buy', 0.002, undefined, { clientOrderId: 'tw-slow-1' }));
    assert.ok(e instanceof ccxt.RequestTimeout, e.constructor.name);
    assert.equal(fake.control.snapshot(apiKey).orders[0]?.clientOrderId, 'tw-slow-1');
    assert.equal((await ex.fetchOrder('', BTC, { clientOrderId: 'tw-slow-1' })).status, 'closed');
  });

  it('5xx: Binance JSON bodies and bare gateway pages, before and after processing', async () => {
    const { ex, apiKey } = await client();
    fake.control.failNext(503, { match: { apiKey } });
    const json503 = await failure(ex.fetchBalance());
    assert.ok(json503 instanceof ccxt.OperationFailed, json503.constructor.name); // -1001 Internal error
    assert.match(json503.message, /-1001/);
    fake.control.failNext(502, { match: { apiKey }, rawBody: '<html><body>502 Bad Gateway</body></html>' });
    const gateway = await failure(ex.fetchBalance());
    assert.ok(gateway instanceof ccxt.ExchangeNotAvailable, gateway.constructor.name);
    // Processed, then answered 503 "unknown": the order exists.
    fake.control.failNext(503, { match: { method: 'POST', apiKey }, phase: 'after', code: -1000, msg: 'Unknown error, please check your request or try again later.' });
    await failure(ex.createOrder(BTC, 'market', 'buy', 0.002, undefined, { clientOrderId: 'tw-5xx-1' }));
    assert.equal((await ex.fetchOrder('', BTC, { clientOrderId: 'tw-5xx-1' })).status, 'closed');
    assert.equal((await ex.fetchBalance()).USDT !== undefined, true);
  });

  it('429 and 418 with Retry-After: ccxt raises DDoSProtection; the rule stops after its count', async () => {
    const { ex, apiKey } = await client();
    fake.control.rateLimit({ status: 429, retryAfterSec: 7, match: { apiKey } });
    const e429 = await failure(ex.fetchBalance());
    assert.ok(e429 instanceof ccxt.DDoSProtection, e429.constructor.name);
    assert.equal(ex.last_response_headers?.['retry-after'] ?? ex.last_response_headers?.['Retry-After'], '7');
    fake.control.rateLimit({ status: 418, retryAfterSec: 120, match: { apiKey } });
    const e418 = await failure(ex.fetchBalance());
    assert.ok(e418 instanceof ccxt.DDoSProtection, e418.constructor.name);
    assert.match(e418.message, /418/);
    assert.equal((await ex.fetchBalance()).USDT?.total, 10_000);
    assert.equal(fake.control.requests({ apiKey, path: '/fapi/v3/account' }).length, 3);
  });

  it("Binance's own request-weight limit answers 429 -1003 with Retry-After", async () => {
    const frozen = Date.now();
    const own = await startFakeBinance({ replayBars: 100, now: () => frozen }); // one rate-limit minute throughout
    try {
      let last: Response | undefined;
      for (let i = 0; i < 61; i++) last = await fetch(`${own.url}/fapi/v1/ticker/24hr`); // weight 40 each: 2440 > 2400
      assert.equal(last?.status, 429);
      assert.ok(Number(last?.headers.get('retry-after')) >= 1);
      assert.equal(((await last?.json()) as { code: number }).code, -1003);
      assert.equal(Number(last?.headers.get('x-mbx-used-weight-1m')), 2440);
    } finally {
      await own.close();
    }
  });

  it('partial fills: a thin book fills a market order at several prices; a resting order fills across ticks', async () => {
    const { ex } = await client();
    fake.control.setLiquidity({ symbol: 'BTCUSDT', levelQty: 0.001 });
    try {
      const ask = fake.control.book('BTCUSDT').ask;
      const mkt = await ex.createOrder(BTC, 'market', 'buy', 0.005);
      assert.equal(mkt.status, 'closed');
      const fills = await ex.fetchMyTrades(BTC);
      assert.deepEqual(fills.map((t) => t.price), [0, 1, 2, 3, 4].map((k) => Math.round((ask + k * 0.1) * 10) / 10));
      assert.ok(fills.every((t) => t.order === mkt.id));
      fake.control.setLiquidity({ symbol: 'BTCUSDT', makerQtyPerTick: 0.001 });
      const target = nextPrice(fake.control, 'BTCUSDT', 'below');
      const lim = await ex.createOrder(BTC, 'limit', 'buy', 0.003, target.price);
      fake.control.step(target.ticks);
      const partial = await ex.fetchOrder(lim.id as string, BTC);
      assert.deepEqual([partial.status, partial.filled, partial.remaining], ['open', 0.001, 0.002]);
      assert.equal((partial.info as { status: string }).status, 'PARTIALLY_FILLED');
      await ex.cancelOrder(lim.id as string, BTC);
      const canceled = await ex.fetchOrder(lim.id as string, BTC);
      assert.deepEqual([canceled.status, canceled.filled], ['canceled', 0.001]);
    } finally {
      fake.control.setLiquidity({});
    }
  });

  it('a venue restart: connections refused while down, the books intact afterwards (and restart(ms) in one call)', async () => {
    const own = await startFakeBinance({ replayBars: 200 });
    const ex = new ccxt.binanceusdm(binanceusdmOptions(own));
    clients.push(ex);
    try {
      await ex.loadMarkets();
      const price = Math.round(own.control.price('BTCUSDT') * 0.97);
      const resting = await ex.createOrder(BTC, 'limit', 'buy', 0.002, price, { clientOrderId: 'tw-restart-1' });
      await ex.createOrder(BTC, 'market', 'buy', 0.003);
      await own.control.goDown();
      const down = await failure(ex.fetchOpenOrders(BTC));
      assert.ok(down instanceof ccxt.NetworkError, down.constructor.name);
      await own.control.comeBack();
      const open = await ex.fetchOpenOrders(BTC);
      assert.deepEqual(open.map((o) => [o.id, o.clientOrderId]), [[resting.id, 'tw-restart-1']]);
      assert.equal((await ex.fetchPositions([BTC]))[0]?.contracts, 0.003);
      await own.control.restart(50);
      assert.equal((await ex.fetchOrder('', BTC, { clientOrderId: 'tw-restart-1' })).status, 'open');
    } finally {
      await own.close();
    }
  });

  it('the control API works over HTTP too', async () => {
    const { ex, apiKey } = await client();
    const post = (path: string, body: unknown) => fetch(`${fake.url}/__control/${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    const { id } = (await post('fault', { kind: 'drop', phase: 'after', match: { method: 'POST', path: '/fapi/v1/order', apiKey } })) as { id: number };
    assert.ok(id > 0);
    await failure(ex.createOrder(BTC, 'market', 'buy', 0.002));
    const state = (await fetch(`${fake.url}/__control/state?apiKey=${apiKey}`).then((r) => r.json())) as { positions: { amt: number }[] };
    assert.equal(state.positions[0]?.amt, 0.002);
    const path = fake.control.upcoming('BTCUSDT', 2);
    assert.deepEqual(await post('step', { n: 2 }), { applied: 4 }); // two ticks of each symbol
    assert.equal(fake.control.price('BTCUSDT'), path[1]);
    await post('tick', { symbol: 'BTCUSDT', price: 12345.6 });
    assert.equal(fake.control.price('BTCUSDT'), 12345.6);
    const log = (await fetch(`${fake.url}/__control/requests`).then((r) => r.json())) as { path: string; fault?: string }[];
    assert.ok(log.some((r) => r.path === '/fapi/v1/order' && r.fault === 'drop after'));
  });
});
