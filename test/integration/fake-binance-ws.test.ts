// The fake Binance venue's WebSocket side through ccxt.pro (watchTrades, watchOHLCV,
// watchTicker, watchOrderBook, watchOrders, watchMyTrades, on the URLs ccxt builds: /public/ws,
// /market/ws, /private/ws?listenKey=), disconnects and reconnection, and raw Binance clients
// (/ws/<stream>, /stream?streams=, /ws/<listenKey>).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ccxt, { type Exchange } from 'ccxt';
import WebSocket from 'ws';
import { binanceusdmOptions } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { until } from '../fake-binance/testing.js';

const BTC = 'BTC/USDT:USDT';

/** A raw WebSocket client that collects parsed messages. */
async function rawClient(url: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const ws = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages };
}

describe('fake Binance venue: WebSocket streams', () => {
  let fake: FakeBinance;
  let ex: Exchange;

  before(async () => {
    fake = await startFakeBinance({ replayBars: 4000 });
    ex = new ccxt.pro.binanceusdm(binanceusdmOptions(fake, { listenKeyRefreshRate: 1000 }));
    await ex.loadMarkets();
  });
  after(async () => {
    await ex.close();
    await fake.close();
  });

  it('watchTrades: the replayed ticks arrive as trades with their ids and prices', async () => {
    const path = fake.control.upcoming('BTCUSDT', 10);
    const pending = ex.watchTrades(BTC);
    await until('the trade subscription', () => fake.control.subscribers('btcusdt@trade') > 0);
    fake.control.step(1);
    const seen = [...(await pending)];
    // Each further watch is registered before the tick it waits for.
    while (seen.length < 3) {
      const next = ex.watchTrades(BTC);
      fake.control.step(1);
      seen.push(...(await next));
    }
    assert.deepEqual(seen.map((t) => t.price), path.slice(0, seen.length));
    const ids = seen.map((t) => Number(t.id));
    assert.deepEqual(ids, ids.map((_, i) => ids[0]! + i));
  });

  it('watchOHLCV and watchTicker follow the last price', async () => {
    const candles = ex.watchOHLCV(BTC, '1m');
    await until('the kline subscription', () => fake.control.subscribers('btcusdt@kline_1m') > 0);
    fake.control.step(1);
    const [last] = (await candles).slice(-1);
    assert.equal(last?.[4], fake.control.price('BTCUSDT'));
    const ticker = ex.watchTicker(BTC);
    await until('the ticker subscription', () => fake.control.subscribers('btcusdt@miniTicker') > 0);
    fake.control.step(1);
    assert.equal((await ticker).last, fake.control.price('BTCUSDT'));
  });

  it('watchOrderBook: snapshot plus diffs give the venue book', async () => {
    const pending = ex.watchOrderBook(BTC);
    await until('the depth subscription', () => fake.control.subscribers('btcusdt@depth') + fake.control.subscribers('btcusdt@depth@100ms') > 0);
    let book = await (async () => {
      for (let i = 0; i < 50; i++) {
        fake.control.step(1);
        const r = await Promise.race([pending, new Promise<undefined>((res) => setTimeout(() => res(undefined), 50))]);
        if (r) return r;
      }
      throw new Error('no order book');
    })();
    for (let i = 0; i < 5; i++) {
      fake.control.step(1);
      book = await ex.watchOrderBook(BTC);
    }
    assert.deepEqual([book.bids[0]?.[0], book.asks[0]?.[0]], [fake.control.book('BTCUSDT').bid, fake.control.book('BTCUSDT').ask]);
  });

  /** ccxt.pro's order cache: the latest state of each order it saw on the user stream. */
  const cachedOrder = (pred: (o: { id?: string; clientOrderId?: string; status?: string }) => boolean) =>
    ((ex as unknown as { orders?: { id?: string; clientOrderId?: string; status?: string; filled?: number; triggerPrice?: number }[] }).orders ?? []).find(pred);

  it('watchOrders and watchMyTrades: ORDER_TRADE_UPDATE on the user stream', async () => {
    const orders = ex.watchOrders(BTC);
    await until('the user stream', () => fake.control.wsConnections('user', fake.apiKey) > 0);
    const placed = await ex.createOrder(BTC, 'market', 'buy', 0.002, undefined, { clientOrderId: 'tw-ws-1' });
    assert.ok((await orders).some((o) => o.clientOrderId === 'tw-ws-1'));
    const o = await until('the filled order on the stream', () => cachedOrder((x) => x.clientOrderId === 'tw-ws-1' && x.status === 'closed'));
    assert.deepEqual([o.id, o.filled], [placed.id, 0.002]);
    const myTrades = ex.watchMyTrades(BTC);
    const sell = await ex.createOrder(BTC, 'market', 'sell', 0.002);
    const first = await myTrades;
    const cached = () => ((ex as unknown as { myTrades?: { order?: string; amount?: number; fee?: { currency?: string } }[] }).myTrades ?? []);
    const t = first.find((x) => x.order === sell.id) ?? (await until('the sell fill on the stream', () => cached().find((x) => x.order === sell.id)));
    assert.equal(t.amount, 0.002);
    assert.equal(t.fee?.currency, 'USDT');
  });

  it('conditional orders report on the user stream (ALGO_UPDATE)', async () => {
    const orders = ex.watchOrders(BTC);
    const trigger = Math.round(fake.control.price('BTCUSDT') * 0.8);
    const sl = await ex.createOrder(BTC, 'market', 'sell', 0.002, undefined, { stopLossPrice: trigger, clientOrderId: 'tw-ws-sl' });
    await orders;
    const seen = await until('the conditional order on the stream', () => cachedOrder((x) => x.id === sl.id));
    assert.deepEqual([seen.clientOrderId, seen.status, seen.triggerPrice], ['tw-ws-sl', 'open', trigger]);
    await ex.cancelOrder(sl.id as string, BTC, { trigger: true });
    await until('the cancellation on the stream', () => cachedOrder((x) => x.id === sl.id && x.status === 'canceled'));
  });

  it('a market-stream disconnect rejects the pending watch; the next watch reconnects', async () => {
    const pending = ex.watchTrades(BTC);
    await until('the trade subscription', () => fake.control.subscribers('btcusdt@trade') > 0);
    assert.ok(fake.control.disconnectWebSockets('market') >= 1);
    const e = await pending.then(() => undefined, (err: Error) => err);
    assert.ok(e instanceof ccxt.NetworkError, String(e));
    const again = ex.watchTrades(BTC);
    await until('the new trade subscription', () => fake.control.subscribers('btcusdt@trade') > 0);
    fake.control.step(1);
    assert.ok((await again).length > 0);
  });

  it('a user-stream disconnect: watchOrders fails, then resumes on the same listen key', async () => {
    const pending = ex.watchOrders(BTC);
    await until('the user stream', () => fake.control.wsConnections('user', fake.apiKey) > 0);
    fake.control.disconnectWebSockets('user');
    const e = await pending.then(() => undefined, (err: Error) => err);
    assert.ok(e instanceof ccxt.NetworkError, String(e));
    const again = ex.watchOrders(BTC);
    await until('the user stream again', () => fake.control.wsConnections('user', fake.apiKey) > 0);
    const placed = await ex.createOrder(BTC, 'limit', 'buy', 0.002, Math.round(fake.control.price('BTCUSDT') * 0.97));
    await again;
    await until('the new order on the resumed stream', () => cachedOrder((o) => o.id === placed.id));
    await ex.cancelOrder(placed.id as string, BTC);
  });

  it('raw Binance clients: /ws/<stream>, combined /stream, and /ws/<listenKey> with field letters', async () => {
    const agg = await rawClient(`${fake.wsUrl}/ws/btcusdt@aggTrade`);
    const combined = await rawClient(`${fake.wsUrl}/stream?streams=btcusdt@kline_1m/ethusdt@bookTicker`);
    const { apiKey, secret } = fake.control.addAccount();
    const key = ((await fetch(`${fake.url}/fapi/v1/listenKey`, { method: 'POST', headers: { 'X-MBX-APIKEY': apiKey } }).then((r) => r.json())) as { listenKey: string }).listenKey;
    assert.equal(key.length, 64);
    const user = await rawClient(`${fake.wsUrl}/ws/${key}`);
    try {
      fake.control.step(1);
      await until('market messages', () => agg.messages.length > 0 && combined.messages.length >= 2);
      const a = agg.messages[0]!;
      assert.deepEqual(Object.keys(a).sort(), ['E', 'T', 'a', 'e', 'f', 'l', 'm', 'nq', 'p', 'q', 's'].sort());
      assert.equal(a.e, 'aggTrade');
      assert.deepEqual(combined.messages.map((m) => m.stream).sort(), ['btcusdt@kline_1m', 'ethusdt@bookTicker']);
      const k = combined.messages.find((m) => m.stream === 'btcusdt@kline_1m')!.data as { e: string; k: { c: string; i: string } };
      assert.deepEqual([k.e, k.k.i, Number(k.k.c)], ['kline', '1m', fake.control.price('BTCUSDT')]);
      // A signed order by hand, as any Binance client sends it; its fill event is sent twice.
      fake.control.duplicateFills(1, apiKey);
      const { hmacHex } = await import('../fake-binance/index.js');
      const query = `symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&newClientOrderId=raw-1&timestamp=${Date.now()}`;
      const res = await fetch(`${fake.url}/fapi/v1/order`, { method: 'POST', headers: { 'X-MBX-APIKEY': apiKey, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `${query}&signature=${hmacHex(secret, query)}` });
      assert.equal(res.status, 200);
      const fills = () => user.messages.filter((m) => m.e === 'ORDER_TRADE_UPDATE' && (m.o as { x: string }).x === 'TRADE').map((m) => m.o as Record<string, unknown>);
      await until('user events', () => fills().length >= 2 && user.messages.some((m) => m.e === 'ACCOUNT_UPDATE'));
      assert.deepEqual(fills().map((f) => f.t), [fills()[0]!.t, fills()[0]!.t]); // the same trade, twice
      const fill = fills()[0]!;
      assert.deepEqual([fill.c, fill.X, fill.z, fill.N, fill.ps], ['raw-1', 'FILLED', '0.002', 'USDT', 'BOTH']);
      const acct = user.messages.find((m) => m.e === 'ACCOUNT_UPDATE')!.a as { m: string; P: { s: string; pa: string }[]; B: { a: string }[] };
      assert.deepEqual([acct.m, acct.P[0]?.s, acct.P[0]?.pa, acct.B[0]?.a], ['ORDER', 'BTCUSDT', '0.002', 'USDT']);
      fake.control.expireListenKey(apiKey);
      await until('listenKeyExpired', () => user.messages.some((m) => m.e === 'listenKeyExpired'));
      const expired = await fetch(`${fake.url}/fapi/v1/listenKey`, { method: 'PUT', headers: { 'X-MBX-APIKEY': apiKey } });
      assert.deepEqual([expired.status, ((await expired.json()) as { code: number }).code], [400, -1125]);
    } finally {
      for (const c of [agg, combined, user]) c.ws.close();
    }
  });
});
