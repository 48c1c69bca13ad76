import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Bar, Tick } from '../../src/core/market.js';
import { BarHistory } from '../../src/engine/bar-history.js';
import { DataEngine } from '../../src/engine/data-engine.js';
import { SymbolMarketStats, TickAtr } from '../../src/engine/market-stats.js';
import { MessageBus } from '../../src/engine/message-bus.js';
import { buildHarness, near, registry, tempDir } from './support.js';

const MIN = 60_000;
const tick = (symbol: string, ts: number, price: number, size = 1, trades = 1): Tick => ({ symbol, ts, price, size, trades });

const dirs = tempDir('tw-stats-');
after(() => dirs.cleanup());

describe('market statistics from ticks', () => {
  it('sums 24 h traded value in USD with the point value, and ages minutes out of the window', () => {
    const data = new DataEngine(new MessageBus(), registry());
    assert.equal(data.marketStats('ES'), undefined, 'no stats before the first tick');
    data.onTick(tick('ES', 0, 5000, 2)); // 5000 * 2 * 50 = 500 000
    data.onTick(tick('ES', 1439 * MIN, 5010, 1)); // minute 1439: 250 500; minute 0 still in the window
    assert.ok(near(data.marketStats('ES')?.volume_24h_usd, 750_500));
    data.onTick(tick('ES', 1440 * MIN, 4990, 1)); // minute 1440: minute 0 drops out; + 249 500
    const s = data.marketStats('ES');
    assert.ok(near(s?.volume_24h_usd, 250_500 + 249_500));
    assert.equal(s?.price, 4990);
    assert.equal(s?.timestamp, 1440 * MIN);
    // Asked later without new ticks: minute 1439 leaves at minute 2879, everything by 2880.
    assert.ok(near(data.marketStats('ES', 2879 * MIN)?.volume_24h_usd, 249_500));
    assert.equal(data.marketStats('ES', 2880 * MIN)?.volume_24h_usd, 0);
    // Crypto counts price * size (point value 1).
    data.onTick(tick('BTC/USDT', 10, 40_000, 0.5));
    assert.ok(near(data.marketStats('BTC/USDT')?.volume_24h_usd, 20_000));
  });

  it('a day-long gap empties the window; a later tick starts it over', () => {
    const s = new SymbolMarketStats('X');
    s.onTick(0, 10, 1, 1);
    s.onTick(5 * 1440 * MIN, 20, 3, 1);
    assert.equal(s.view().volume_24h_usd, 60);
  });

  it('averages trades per minute over the last 5 minute buckets, or the elapsed time, never under a minute', () => {
    const s = new SymbolMarketStats('BTC/USDT');
    s.onTick(0, 100, 1, 3);
    assert.equal(s.view().trades_per_minute, 3, 'one print: divided by the one-minute floor');
    // A print of 2 trades every 10 s up to 290 s: 30 prints, 60 trades over 290 s (elapsed < 5 min).
    const t = new SymbolMarketStats('BTC/USDT');
    for (let ts = 0; ts <= 290_000; ts += 10_000) t.onTick(ts, 100, 1, 2);
    assert.ok(near(t.view().trades_per_minute, (60 * 60_000) / 290_000), `${t.view().trades_per_minute}`);
    // Up to 600 s: minutes 6..9 hold 6 prints each, minute 10 one: 50 trades over 600 - 360 s = 4 min.
    for (let ts = 300_000; ts <= 600_000; ts += 10_000) t.onTick(ts, 100, 1, 2);
    assert.ok(near(t.view().trades_per_minute, 12.5), `${t.view().trades_per_minute}`);
    // Ten quiet minutes later nothing is left in the window.
    assert.equal(t.view(1_200_000).trades_per_minute, 0);
  });

  it('ATR over 5- and 15-minute bars: null until a bar closed, then the mean true range', () => {
    const s = new SymbolMarketStats('BTC/USDT');
    // bar [0, 5m): 100, 104, 98, 101 -> H 104 L 98 C 101, TR 6
    for (const [i, p] of [100, 104, 98, 101].entries()) s.onTick(i * 1000, p, 1, 1);
    assert.equal(s.view().atr_5m, null);
    assert.equal(s.view().atr_15m, null);
    // bar [5m, 10m): 105, 110, 104, 108 -> TR max(6, |110-101|, |104-101|) = 9
    for (const [i, p] of [105, 110, 104, 108].entries()) s.onTick(5 * MIN + i * 1000, p, 1, 1);
    assert.equal(s.view().atr_5m, 6, 'the first bar closed');
    // bar [10m, 15m): 100, 99 -> TR max(1, |100-108|, |99-108|) = 9
    s.onTick(10 * MIN, 100, 1, 1);
    s.onTick(10 * MIN + 1000, 99, 1, 1);
    assert.equal(s.view().atr_5m, 7.5);
    assert.equal(s.view().atr_15m, null, 'the 15-minute bar is still open');
    // Asked after 15m without a tick: the third 5m bar and the first 15m bar (H 110 L 98) have ended.
    assert.equal(s.view(15 * MIN).atr_5m, 8);
    assert.equal(s.view(15 * MIN).atr_15m, 12);
    assert.equal(s.view().atr_5m, 7.5, 'asking later does not change the state');
  });

  it('ATR averages only the last 14 true ranges', () => {
    // One print per 5-minute bar at 100 + k(k+1)/2: TR of bar k is k (bar 0: high - low = 0).
    const a = new TickAtr(5 * MIN);
    for (let k = 0; k <= 20; k += 1) a.onTick(k * 5 * MIN, 100 + (k * (k + 1)) / 2);
    // 20 bars closed (0..19); the last 14 TRs are 6..19, mean 12.5.
    assert.equal(a.value(20 * 5 * MIN), 12.5);
  });
});

describe('bar history', () => {
  const bar = (start: number): Bar => ({ symbol: 'X', start, intervalMs: 1, open: start, high: start, low: start, close: start, volume: 1, trades: 1 });

  it('keeps the last `capacity` bars oldest first, bounded', () => {
    const h = new BarHistory(3);
    assert.deepEqual(h.bars(), []);
    for (let i = 0; i < 10; i += 1) h.push(bar(i));
    assert.deepEqual(
      h.bars().map((b) => b.start),
      [7, 8, 9],
    );
    assert.equal(h.length, 3);
    assert.equal(h.last()?.start, 9);
    assert.ok(Object.isFrozen(h.bars()));
  });

  it('DataEngine keeps 2000 closed bars per subscription, stored before the bar is published', () => {
    const bus = new MessageBus((e) => {
      throw e;
    });
    const data = new DataEngine(bus, registry());
    data.subscribeBars('BTC/USDT', 1000);
    data.subscribeBars('BTC/USDT', 5000);
    const seen: boolean[] = [];
    bus.on('bar', ({ bar }) => {
      const h = data.history(bar.symbol, bar.intervalMs);
      seen.push(h[h.length - 1] === bar);
    });
    for (let i = 0; i <= 2105; i += 1) data.onTick(tick('BTC/USDT', i * 1000, 100 + (i % 7)));
    const h1 = data.history('BTC/USDT', 1000);
    assert.equal(h1.length, 2000);
    assert.equal(h1[0]?.start, 105_000, 'bars 0..104 dropped');
    assert.equal(h1[1999]?.start, 2_104_000, 'the bar of the last tick is still open');
    assert.ok(h1.every((b, i) => i === 0 || b.start > (h1[i - 1] as Bar).start));
    assert.equal(data.history('BTC/USDT', 5000).length, 421); // 2105 s of closed 5 s bars
    assert.deepEqual(data.history('BTC/USDT', 60_000), [], 'not subscribed');
    assert.deepEqual(data.history('ETH/USDT', 1000), []);
    assert.equal(seen.length, 2105 + 421);
    assert.ok(seen.every(Boolean));
  });

  it('the kernel feeds point values to the statistics and keeps lastPrice', () => {
    const h = buildHarness({ file: dirs.file('stats.db') });
    h.tick('ES', 5000, 1000);
    h.tick('ES', 5001, 2000);
    assert.ok(near(h.kernel.data.marketStats('ES')?.volume_24h_usd, (5000 + 5001) * 50));
    assert.equal(h.kernel.data.lastPrice('ES'), 5001);
    assert.equal(h.kernel.data.lastPrice('NQ'), undefined);
    h.store.close();
  });
});
