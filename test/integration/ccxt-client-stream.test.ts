// The project's ccxt client (src/adapters/ccxt-client.ts) on the user stream of the fake Binance
// USD-M venue, when the stream drops while the venue is slow: nothing may be left rejected with
// nobody listening (an unhandled rejection ends the server; it did so in the ccxt-account venue
// restart test under load, through ccxt.pro's positions snapshot), and the stream resumes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ccxt, { type Exchange } from 'ccxt';
import { createCcxtClient } from '../../src/adapters/ccxt-client.js';
import { binanceusdmUrls } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { waitFor } from '../helpers/server.js';

const BTC = 'BTC/USDT:USDT';

describe('ccxt client: a user stream dropped while the venue is slow', () => {
  let fake: FakeBinance;
  let ex: Exchange;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  before(async () => {
    fake = await startFakeBinance({ replayBars: 2000 });
    ex = await createCcxtClient({ exchange: 'binanceusdm', sandbox: false, urls: binanceusdmUrls(fake), apiKey: fake.apiKey, secret: fake.secret });
    // ccxt.pro's listen-key renewal timer is not unref'd: short, so the process can end after close().
    (ex.options as Record<string, unknown>).listenKeyRefreshRate = 1_000;
    process.on('unhandledRejection', onUnhandled);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await ex.close();
    await fake.close();
  });

  it('no stray rejection, no positions query behind the stream, and the stream resumes', async () => {
    // Every position query answers 1.5 s late: one started by the subscription would still be in
    // flight when the stream drops.
    fake.control.latency(1_500, { path: /positionRisk/ });
    const pending = ex.watchOrders(BTC);
    await waitFor('the user stream', async () => fake.control.wsConnections('user', fake.apiKey) > 0, 30_000, 10);
    fake.control.disconnectWebSockets('user');
    const error = await pending.then(() => undefined, (e: Error) => e);
    assert.ok(error instanceof ccxt.NetworkError, String(error));
    // A rejection nobody handles is reported after the microtasks of the turn that made it.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled.map(String), []);
    assert.deepEqual(fake.control.requests().filter((r) => /positionRisk/.test(r.path)).map((r) => r.path), [], 'the stream asked for no positions snapshot');

    const again = ex.watchOrders(BTC);
    await waitFor('the user stream again', async () => fake.control.wsConnections('user', fake.apiKey) > 0, 30_000, 10);
    const placed = await ex.createOrder(BTC, 'limit', 'buy', 0.002, Math.round(fake.control.price('BTCUSDT') * 0.97));
    const seen = await again;
    assert.ok(seen.some((o) => o.id === placed.id), 'the new order came on the resumed stream');
    await ex.cancelOrder(placed.id as string, BTC);
    assert.deepEqual(unhandled.map(String), []);
  });
});
