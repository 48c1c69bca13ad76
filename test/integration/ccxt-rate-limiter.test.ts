// ccxt's rate limiter as the ccxt accounts run it (createExchange: the rolling-window algorithm),
// through the real ccxt client against the loopback fake Binance USD-M venue, measured on the
// limiter's admissions and the fake's own request log: an order after idle time is sent at once (ccxt's default leaky bucket
// made it wait 4 × 50 ms), and a burst over the window's budget is spaced over the windows.
import assert from 'node:assert/strict';
import type { Exchange } from 'ccxt';
import { after, before, describe, it } from 'node:test';
import { createExchange } from '../../src/adapters/ccxt/exchange.js';
import { binanceusdmUrls } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';

const KEY = 'LimiterKey0123456789abcdef0123456789abcdef0123456789abcdef012345';
const SECRET = 'LimiterSecretfedcba9876543210fedcba9876543210fedcba9876543210fe';
const MARKET = 'BTC/USDT:USDT';
const ORDER_COST = 4; // ccxt's cost of POST /fapi/v1/order on binanceusdm
const WINDOW_MS = 2_000;

const exchange = (fake: FakeBinance, windowMs: number): Promise<Exchange> =>
  createExchange({ exchange: 'binanceusdm', marketType: 'swap', environment: 'testnet', apiKey: KEY, secret: SECRET, timeoutMs: 10_000, recvWindowMs: 10_000, rateLimitWindowMs: windowMs, urls: binanceusdmUrls(fake), pro: false });

/** Awaits ccxt's throttle for `cost` and answers how long it was held there. */
async function held(ex: Exchange, cost: number): Promise<number> {
  const t0 = performance.now();
  await ex.throttle(cost);
  return performance.now() - t0;
}

describe("ccxt's rate limiter on the accounts' exchange client (rolling window)", () => {
  let fake: FakeBinance;
  before(async () => {
    fake = await startFakeBinance({ replayBars: 300, accounts: [{ apiKey: KEY, secret: SECRET, balance: 1_000_000 }] });
  });
  after(async () => fake?.close());

  it('the product default: on, rolling window of 60 s, budget = 60,000 / rateLimit (binanceusdm: 1,200 cost units)', async () => {
    const ex = await exchange(fake, 60_000);
    const cfg = (ex as unknown as { throttler: { config: Record<string, unknown> } }).throttler.config;
    assert.equal(ex.enableRateLimit, true);
    assert.equal(cfg.algorithm, 'rollingWindow');
    assert.equal(cfg.windowSize, 60_000);
    assert.equal(cfg.maxWeight, 60_000 / (ex.rateLimit as number));
    assert.equal(cfg.maxWeight, 1_200);
    await ex.close();
  });

  it('after idle time an order is not held; a burst over the budget is spaced by the window (fake request timestamps)', async () => {
    const ex = await exchange(fake, WINDOW_MS);
    const budget = WINDOW_MS / (ex.rateLimit as number); // 40 cost units: 10 orders
    const perWindow = Math.floor(budget / ORDER_COST);
    await ex.loadMarkets();
    // Idle: the window that loadMarkets charged has expired.
    await new Promise((r) => setTimeout(r, WINDOW_MS + 50));

    // Sequential orders under the budget, each awaited: none is held by the limiter (the leaky
    // bucket held each for ORDER_COST × rateLimit = 200 ms).
    const holds: number[] = [];
    const realThrottle = ex.throttle.bind(ex);
    ex.throttle = async (cost?: number) => {
      const t0 = performance.now();
      await realThrottle(cost);
      holds.push(performance.now() - t0);
    };
    for (let i = 0; i < 4; i++) await ex.createOrder(MARKET, 'market', i % 2 === 0 ? 'buy' : 'sell', 0.002, undefined, { clientOrderId: `idle-${i}` });
    ex.throttle = realThrottle;
    assert.equal(holds.length, 4);
    for (const h of holds) assert.ok(h < ORDER_COST * (ex.rateLimit as number) / 2, `an order under the budget was held ${h.toFixed(1)} ms by the limiter: ${holds.map((x) => x.toFixed(1)).join(', ')}`);

    // A burst: 2.5 windows' worth of orders at once. The limiter's decisions are timed where it admits each order
    // (when ccxt's throttle lets it go), not on the fake's arrival: on a loaded machine the delivery between the two
    // varies by hundreds of milliseconds, which says nothing about the limiter.
    await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
    fake.control.clearRequests();
    const admitted: number[] = [];
    ex.throttle = async (cost?: number) => {
      await realThrottle(cost);
      if (cost === ORDER_COST) admitted.push(performance.now());
    };
    const n = Math.floor(perWindow * 2.5);
    await Promise.all(Array.from({ length: n }, (_, i) => ex.createOrder(MARKET, 'market', i % 2 === 0 ? 'buy' : 'sell', 0.002, undefined, { clientOrderId: `burst-${i}` })));
    ex.throttle = realThrottle;
    const arrived = fake.control.requests({ method: 'POST', path: '/fapi/v1/order' }).filter((r) => r.status === 200);
    assert.equal(arrived.length, n, 'every order reached the venue once, none refused');
    assert.equal(admitted.length, n, 'every order passed the limiter once');
    const times = admitted.sort((a, b) => a - b);
    // In no window (less a few milliseconds between ccxt's own timestamp and this continuation) did more than the
    // budget go out.
    const slack = 50;
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= (times[i] as number) && t < (times[i] as number) + WINDOW_MS - slack).length;
      assert.ok(inWindow <= perWindow, `${inWindow} orders admitted within ${WINDOW_MS - slack} ms from #${i} (budget ${perWindow})`);
    }
    // The first window's orders went at once; the rest waited for the window: three windows in all.
    const first = times[0] as number;
    assert.ok((times[perWindow - 1] as number) - first < WINDOW_MS / 2, `the first ${perWindow} orders were spread over ${(times[perWindow - 1] as number) - first} ms`);
    assert.ok((times[perWindow] as number) - first >= WINDOW_MS - slack, `order ${perWindow + 1} was admitted ${(times[perWindow] as number) - first} ms after the first`);
    assert.ok((times[n - 1] as number) - first >= 2 * WINDOW_MS - slack, `the last was admitted ${(times[n - 1] as number) - first} ms after the first`);
    await ex.close();
  });

  it('ccxt throttle itself: idle time credited (a full budget at once), then one cost waits for the window', async () => {
    const ex = await exchange(fake, WINDOW_MS);
    const budget = WINDOW_MS / (ex.rateLimit as number);
    for (let i = 0; i < budget / ORDER_COST; i++) assert.ok((await held(ex, ORDER_COST)) < 50);
    const waited = await held(ex, ORDER_COST);
    assert.ok(waited >= WINDOW_MS - 100, `over the budget the request waited only ${waited.toFixed(0)} ms`);
    await ex.close();
  });
});
