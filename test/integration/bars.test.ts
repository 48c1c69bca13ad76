// GET /api/bars (the dashboard's candles from the kernel's bar history) and GET /api/bars/symbols.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

const HISTORY_BARS = 50;
let server: ServerHandle;
before(async () => {
  const dir = tempDir();
  // A short history (feed.historyBars) that the 200 ms bars fill within seconds.
  server = await startServer({ dataDir: dir, config: fastConfig(dir, { feed: { tickIntervalMs: 50, historyBars: HISTORY_BARS } }) });
});
after(async () => {
  await server.stop();
});

interface Bars {
  symbol: string;
  interval_ms: number;
  intervals: number[];
  bars: { time: number; open: number; high: number; low: number; close: number; volume: number }[];
}

test('symbols list the fed instruments with the demo interval, 5 s and 1 min', async () => {
  const { status, body } = await getJson<{ symbols: { symbol: string; intervals: number[] }[] }>(`${server.url}/api/bars/symbols`);
  assert.equal(status, 200);
  const es = body.symbols.find((s) => s.symbol === 'ES');
  assert.deepEqual(es?.intervals, [200, 5000, 60000]);
  assert.ok(body.symbols.some((s) => s.symbol === 'BTC/USDT'));
});

test('closed bars, oldest first, consistent OHLC; limit; symbol spellings', async () => {
  const answer = await waitFor('three 200 ms bars', async () => {
    const r = await getJson<Bars>(`${server.url}/api/bars?symbol=BTCUSDT&interval=200`);
    return r.status === 200 && r.body.bars.length >= 3 ? r.body : undefined;
  });
  assert.equal(answer.symbol, 'BTC/USDT');
  assert.equal(answer.interval_ms, 200);
  for (let i = 0; i < answer.bars.length; i += 1) {
    const b = answer.bars[i]!;
    assert.ok(b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close));
    if (i > 0) assert.ok(b.time > answer.bars[i - 1]!.time);
  }
  const limited = await getJson<Bars>(`${server.url}/api/bars?symbol=BTC%2FUSDT&interval=200&limit=2`);
  assert.equal(limited.body.bars.length, 2);
  const byDefault = await getJson<Bars>(`${server.url}/api/bars?symbol=es`);
  assert.equal(byDefault.status, 200);
  assert.equal(byDefault.body.interval_ms, 200);
});

test('the history holds feed.historyBars closed bars: full, the oldest make way for the newest', async () => {
  const read = async () => (await getJson<Bars>(`${server.url}/api/bars?symbol=BTCUSDT&interval=200`)).body.bars;
  const full = await waitFor(`${HISTORY_BARS} bars`, async () => {
    const bars = await read();
    return bars.length >= HISTORY_BARS ? bars : undefined;
  });
  assert.equal(full.length, HISTORY_BARS);
  const later = await waitFor('the next bars', async () => {
    const bars = await read();
    return bars[0]!.time > full[0]!.time ? bars : undefined;
  });
  assert.equal(later.length, HISTORY_BARS, 'still full, no more');
  assert.ok(later[HISTORY_BARS - 1]!.time > full[HISTORY_BARS - 1]!.time);
});

test('errors: unknown symbol 404, interval without history 400, missing symbol 422', async () => {
  assert.equal((await getJson(`${server.url}/api/bars?symbol=NOPE`)).status, 404);
  const bad = await getJson<{ detail: string }>(`${server.url}/api/bars?symbol=ES&interval=1234`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.detail, /available: 200, 5000, 60000/);
  assert.equal((await getJson(`${server.url}/api/bars`)).status, 422);
});
