// The live market feed (src/adapters/feed-ccxt.ts) through the real ccxt.pro client against the
// fake Binance USD-M venue: trades and candles reach the data engine; a WebSocket cut is followed
// by a reconnect and the missed trades and candle are backfilled by REST; with no WebSocket at
// all the feed polls REST.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import ccxt from 'ccxt';
import { TimerScheduler, WallClock } from '../../src/adapters/clock-wall.js';
import { createCcxtClient, guardCcxtWebSocketSendRace } from '../../src/adapters/ccxt-client.js';
import { CcxtFeed, type CcxtFeedConfig } from '../../src/adapters/feed-ccxt.js';
import type { EventOf } from '../../src/core/events.js';
import { BUILTIN_INSTRUMENTS, InstrumentRegistry } from '../../src/core/instruments.js';
import type { Bar, Quote, Tick } from '../../src/core/market.js';
import { DataEngine } from '../../src/engine/data-engine.js';
import { MessageBus } from '../../src/engine/message-bus.js';
import { binanceusdmOptions, binanceusdmUrls } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { until } from '../fake-binance/testing.js';

const MINUTE = 60_000;
const SYMBOL = 'BTC/USDT';
const VENUE_SYMBOL = 'BTC/USDT:USDT';

interface Harness {
  fake: FakeBinance;
  feed: CcxtFeed;
  data: DataEngine;
  ticks: Tick[];
  bars: Bar[];
  quotes: Quote[];
  events: (EventOf<'feed-connection'> | EventOf<'feed-gap'>)[];
  /** Moves the venue clock to the next minute. */
  nextMinute(): void;
  close(): Promise<void>;
}

const baseConfig: CcxtFeedConfig = {
  symbols: { [SYMBOL]: VENUE_SYMBOL },
  channels: ['trades', 'ohlcv', 'ticker'],
  timeframe: '1m',
  pollIntervalMs: 100,
  reconnectMinMs: 100,
  reconnectMaxMs: 400,
  pollAfterFailures: 3,
  wsRetryMs: 600_000,
};

/** A fake venue on a clock the test moves minute by minute, and the feed into a data engine. */
async function harness(config: Partial<CcxtFeedConfig> = {}, wsUrl?: string): Promise<Harness> {
  // The venue clock starts on a minute boundary (plus 1 s) so each test minute is one kline.
  let venueNow = Math.floor(Date.now() / MINUTE) * MINUTE + 1_000;
  const fake = await startFakeBinance({ replayBars: 200, historyBars: 50, now: () => venueNow });
  const bus = new MessageBus();
  const data = new DataEngine(bus);
  data.useExternalBars(SYMBOL, MINUTE, { ticksToo: true });
  data.subscribeBars(SYMBOL, MINUTE);
  const ticks: Tick[] = [];
  const bars: Bar[] = [];
  bus.on('tick', ({ tick }) => ticks.push(tick));
  bus.on('bar', ({ bar }) => bars.push(bar));
  const quotes: Quote[] = [];
  const events: Harness['events'] = [];
  const exchange = await createCcxtClient({ exchange: 'binanceusdm', sandbox: false, urls: binanceusdmUrls({ url: fake.url, wsUrl: wsUrl ?? fake.wsUrl }) });
  const feed = new CcxtFeed({ ...baseConfig, ...config }, exchange, new InstrumentRegistry(BUILTIN_INSTRUMENTS), new WallClock(), new TimerScheduler());
  feed.start((t) => data.onTick(t), { onBar: (b) => data.onBar(b), onQuote: (q) => quotes.push(q), onEvent: (e) => events.push(e) });
  return {
    fake,
    feed,
    data,
    ticks,
    bars,
    quotes,
    events,
    nextMinute: () => {
      venueNow += MINUTE;
    },
    async close() {
      await feed.stop();
      await fake.close();
    },
  };
}

/** The venue's own 1-minute klines (REST, another ccxt client): the reference for the bars. */
async function venueKlines(fake: FakeBinance, since: number): Promise<number[][]> {
  const ex = new ccxt.binanceusdm(binanceusdmOptions(fake));
  try {
    return (await ex.fetchOHLCV(VENUE_SYMBOL, '1m', since, 100)) as number[][];
  } finally {
    await ex.close();
  }
}

/** One venue minute: its four replay ticks, then the clock moves on. */
function playMinute(h: Harness): number[] {
  const prices = h.fake.control.upcoming('BTCUSDT', 4);
  h.fake.control.step(4);
  h.nextMinute();
  return prices;
}

const streaming = (h: Harness) => h.fake.control.subscribers('btcusdt@aggTrade') > 0 && h.fake.control.subscribers('btcusdt@kline_1m') > 0;

function assertContiguous(ticks: Tick[], prices: number[]): void {
  assert.deepEqual(
    ticks.map((t) => t.price),
    prices,
    'every replayed trade reached the data engine once, in order',
  );
}

function assertBarsMatchVenue(bars: Bar[], klines: number[][]): void {
  assert.ok(bars.length > 0, 'bars arrived');
  for (const bar of bars) {
    const k = klines.find((row) => row[0] === bar.start);
    assert.ok(k, `the venue has a kline at ${new Date(bar.start).toISOString()}`);
    assert.deepEqual([bar.open, bar.high, bar.low, bar.close], k.slice(1, 5), `bar ${new Date(bar.start).toISOString()} equals the venue's kline`);
    assert.equal(bar.intervalMs, MINUTE);
  }
  const starts = bars.map((b) => b.start);
  assert.deepEqual(starts, starts.map((_, i) => (starts[0] as number) + i * MINUTE), 'one bar per minute, none missing, none twice');
}

// As the server does: ccxt.pro can leave a stray rejection when a subscription races a closing socket.
guardCcxtWebSocketSendRace({ warn: () => {} });

describe('live market data through ccxt.pro (fake Binance USD-M)', () => {
  const open: Harness[] = [];
  after(async () => {
    for (const h of open) await h.close();
  });

  it('streams trades as ticks, venue candles as bars and tickers as quotes into the data engine', async () => {
    const h = await harness();
    open.push(h);
    await until('the feed subscribed to trades and klines', () => streaming(h), 30_000);
    const firstMinute = Date.now();
    const prices: number[] = [];
    for (let m = 0; m < 4; m += 1) {
      prices.push(...playMinute(h));
      await until(`the ticks of minute ${m}`, () => h.ticks.length >= prices.length, 30_000);
    }
    assertContiguous(h.ticks, prices);
    await until('three closed bars', () => h.data.history(SYMBOL, MINUTE).length >= 3, 30_000);
    assertBarsMatchVenue([...h.data.history(SYMBOL, MINUTE)], await venueKlines(h.fake, firstMinute - 2 * MINUTE));
    // Bars built from ticks are not published besides the venue's: every bar event is in the history.
    assert.equal(h.bars.length, h.data.history(SYMBOL, MINUTE).length);
    await until('a quote', () => h.quotes.length > 0, 30_000);
    assert.equal(h.quotes.at(-1)?.symbol, SYMBOL);
    assert.ok(h.events.some((e) => e.type === 'feed-connection' && e.state === 'connected' && e.channel === 'market-data/trades'));
    assert.ok(!h.events.some((e) => e.type === 'feed-gap'), 'no gap without a cut');
    assert.equal(h.data.lastPrice(SYMBOL), prices.at(-1));
  });

  it('after a WebSocket cut it reconnects and backfills the missed trades and candles by REST', async () => {
    const h = await harness();
    open.push(h);
    await until('the feed subscribed', () => streaming(h), 30_000);
    const prices: number[] = [];
    prices.push(...playMinute(h));
    await until('the first minute', () => h.ticks.length >= 4, 30_000);
    prices.push(...h.fake.control.upcoming('BTCUSDT', 2));
    h.fake.control.step(2);
    await until('two more ticks', () => h.ticks.length >= 6, 30_000);

    assert.ok(h.fake.control.disconnectWebSockets('market') > 0);
    // Trades the feed cannot see: the rest of this minute and a whole minute more.
    prices.push(...h.fake.control.upcoming('BTCUSDT', 2));
    h.fake.control.step(2);
    h.nextMinute();
    prices.push(...playMinute(h));
    await until('a disconnect event', () => h.events.some((e) => e.type === 'feed-connection' && e.state === 'disconnected'), 30_000);
    await until('the feed subscribed again', () => streaming(h), 30_000);
    prices.push(...playMinute(h));
    prices.push(...playMinute(h));
    await until('every trade, the missed ones backfilled', () => h.ticks.length >= prices.length, 30_000);
    assertContiguous(h.ticks, prices);

    const gap = h.events.find((e): e is EventOf<'feed-gap'> => e.type === 'feed-gap' && e.kind === 'trades');
    assert.ok(gap, 'the trade gap was reported');
    assert.equal(gap.missing, 6);
    assert.equal(gap.backfilled, 6);
    await until('bars up to the last closed minute', () => h.data.history(SYMBOL, MINUTE).length >= 4, 30_000);
    const bars = [...h.data.history(SYMBOL, MINUTE)];
    assertBarsMatchVenue(bars, await venueKlines(h.fake, (bars[0] as Bar).start));
    const connected = h.events.filter((e) => e.type === 'feed-connection' && e.channel === 'market-data/trades').map((e) => (e as EventOf<'feed-connection'>).state);
    assert.deepEqual(connected.slice(0, 3), ['connected', 'disconnected', 'connected']);
  });

  it('polls REST when the WebSocket cannot connect at all', async () => {
    // The streams' URL points at a port nothing listens on; REST is the fake.
    const h = await harness({ channels: ['trades', 'ohlcv'], pollAfterFailures: 2 }, 'ws://127.0.0.1:9');
    open.push(h);
    await until('the feed fell back to polling', () => h.events.some((e) => e.type === 'feed-connection' && e.state === 'polling' && e.channel === 'market-data/trades'), 30_000);
    await until('candles polled too', () => h.events.some((e) => e.type === 'feed-connection' && e.state === 'polling' && e.channel === 'market-data/ohlcv'), 30_000);
    // The first candle poll answered (the baseline), before the market moves on.
    await until('a kline poll answered', () => h.fake.control.requests({ path: '/fapi/v1/klines' }).some((r) => r.status === 200), 30_000);
    // The poll's starting point: the venue's last trade.
    const prices = h.fake.control.upcoming('BTCUSDT', 1);
    h.fake.control.step(1);
    await until('the last trade as the starting point', () => h.ticks.length >= 1, 30_000);
    for (let m = 0; m < 3; m += 1) prices.push(...playMinute(h));
    await until('the polled trades', () => h.ticks.length >= prices.length, 30_000);
    assertContiguous(h.ticks, prices);
    await until('polled bars', () => h.data.history(SYMBOL, MINUTE).length >= 2, 30_000);
    const bars = [...h.data.history(SYMBOL, MINUTE)];
    assertBarsMatchVenue(bars, await venueKlines(h.fake, (bars[0] as Bar).start));
    assert.ok(!h.events.some((e) => e.type === 'feed-connection' && e.state === 'connected'), 'never connected by WebSocket');
  });

  it('stops a channel whose symbol the venue does not list, saying so, instead of retrying forever', async () => {
    const h = await harness({ symbols: { [SYMBOL]: 'XRP/USDT:USDT' }, channels: ['trades'] });
    open.push(h);
    const stopped = await until('the channel stopped', () => h.events.find((e) => e.type === 'feed-connection' && e.state === 'disconnected'), 30_000);
    assert.match((stopped as EventOf<'feed-connection'>).detail, /stopped: BadSymbol/);
    // Stopped at the first failure: a retrying loop would report the cut and then poll.
    assert.equal(h.events.filter((e) => e.type === 'feed-connection').length, 1);
    assert.ok(!h.events.some((e) => e.type === 'feed-connection' && e.state === 'polling'));
  });
});
