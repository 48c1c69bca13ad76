import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelEvent } from '../../src/core/events.js';
import type { Bar, Tick } from '../../src/core/market.js';
import { BarBuilder } from '../../src/engine/bar-builder.js';
import { DataEngine } from '../../src/engine/data-engine.js';
import { MessageBus } from '../../src/engine/message-bus.js';

const tick = (ts: number, price: number, size = 1, trades = 1, symbol = 'BTC/USDT'): Tick => ({ symbol, ts, price, size, trades });

describe('BarBuilder', () => {
  it('aggregates ticks into one aligned bar with OHLC, volume and trade count', () => {
    const bars: Bar[] = [];
    const b = new BarBuilder('BTC/USDT', 60_000, (bar) => bars.push(bar));
    b.onTick(tick(125_000, 10, 1, 2));
    b.onTick(tick(150_000, 12, 0.5, 1));
    b.onTick(tick(165_000, 9, 2, 3));
    b.onTick(tick(179_999, 11, 1, 1));
    assert.equal(bars.length, 0, 'no bar before the next interval starts');
    assert.deepEqual(b.partial(), { symbol: 'BTC/USDT', start: 120_000, intervalMs: 60_000, open: 10, high: 12, low: 9, close: 11, volume: 4.5, trades: 7 });

    b.onTick(tick(180_000, 13, 2, 4));
    assert.deepEqual(bars, [{ symbol: 'BTC/USDT', start: 120_000, intervalMs: 60_000, open: 10, high: 12, low: 9, close: 11, volume: 4.5, trades: 7 }]);
    assert.deepEqual(b.partial(), { symbol: 'BTC/USDT', start: 180_000, intervalMs: 60_000, open: 13, high: 13, low: 13, close: 13, volume: 2, trades: 4 });
  });

  it('aligns bar starts to multiples of the interval, not to the first tick', () => {
    const bars: Bar[] = [];
    const b = new BarBuilder('ES', 5_000, (bar) => bars.push(bar));
    b.onTick(tick(12_345, 100, 1, 1, 'ES'));
    b.onTick(tick(15_001, 101, 1, 1, 'ES'));
    assert.equal(bars[0]?.start, 10_000);
    assert.equal(b.partial()?.start, 15_000);
  });

  it('emits nothing for an empty interval: a gap closes the open bar and starts the next at the new tick', () => {
    const bars: Bar[] = [];
    const b = new BarBuilder('BTC/USDT', 1_000, (bar) => bars.push(bar));
    b.onTick(tick(1_200, 50));
    b.onTick(tick(3_500, 55));
    assert.equal(bars.length, 1);
    assert.equal(bars[0]?.start, 1_000);
    assert.equal(bars[0]?.close, 50);
    assert.equal(b.partial()?.start, 3_000);
  });

  it('returns copies from partial(), so callers cannot corrupt the bar being built', () => {
    const b = new BarBuilder('BTC/USDT', 1_000, () => {});
    b.onTick(tick(0, 10));
    const p = b.partial();
    assert.ok(p);
    p.high = 999;
    assert.equal(b.partial()?.high, 10);
  });

  it('has no partial bar before the first tick and refuses a non-positive interval', () => {
    assert.equal(new BarBuilder('BTC/USDT', 1_000, () => {}).partial(), null);
    assert.throws(() => new BarBuilder('BTC/USDT', 0, () => {}), /positive/);
    assert.throws(() => new BarBuilder('BTC/USDT', -5, () => {}), /positive/);
  });
});

describe('DataEngine', () => {
  it('publishes the closed bar before the tick that closed it', () => {
    const bus = new MessageBus();
    const data = new DataEngine(bus);
    data.subscribeBars('BTC/USDT', 1_000);
    const seen: KernelEvent[] = [];
    bus.onAny((e) => seen.push(e));
    let ticksBeforeBar = -1;
    let lastPriceAtBar: number | undefined;
    bus.on('bar', () => {
      ticksBeforeBar = seen.filter((e) => e.type === 'tick').length;
      lastPriceAtBar = data.lastPrice('BTC/USDT');
    });

    data.onTick(tick(100, 10, 1, 1));
    data.onTick(tick(600, 11, 2, 3));
    assert.deepEqual(seen.map((e) => e.type), ['tick', 'tick']);
    data.onTick(tick(1_050, 12, 1, 1));

    assert.deepEqual(seen.map((e) => e.type), ['tick', 'tick', 'bar', 'tick']);
    const bar = seen[2];
    assert.ok(bar?.type === 'bar');
    assert.deepEqual(bar.bar, { symbol: 'BTC/USDT', start: 0, intervalMs: 1_000, open: 10, high: 11, low: 10, close: 11, volume: 3, trades: 4 });
    const last = seen[3];
    assert.ok(last?.type === 'tick');
    assert.equal(last.tick.price, 12);
    // The bar handler ran while only the two earlier ticks had been published.
    assert.equal(ticksBeforeBar, 2);
    assert.equal(lastPriceAtBar, 11);
    assert.equal(data.lastPrice('BTC/USDT'), 12);
  });

  it('builds every requested interval, ignores duplicate subscriptions and other symbols', () => {
    const bus = new MessageBus();
    const data = new DataEngine(bus);
    data.subscribeBars('BTC/USDT', 1_000);
    data.subscribeBars('BTC/USDT', 1_000);
    data.subscribeBars('BTC/USDT', 3_000);
    const bars: Bar[] = [];
    bus.on('bar', ({ bar }) => bars.push(bar));
    const prices = [10, 11, 12, 13, 14, 15, 16];
    prices.forEach((p, i) => data.onTick(tick(i * 1_000, p)));
    data.onTick(tick(500, 99, 1, 1, 'ETH/USDT'));

    const oneSecond = bars.filter((b) => b.intervalMs === 1_000);
    const threeSecond = bars.filter((b) => b.intervalMs === 3_000);
    // Ticks at 0..6 s: 1 s bars 0..5 closed (6 s still open); 3 s bars [0,3) and [3,6) closed.
    assert.deepEqual(oneSecond.map((b) => [b.start, b.close]), [[0, 10], [1_000, 11], [2_000, 12], [3_000, 13], [4_000, 14], [5_000, 15]]);
    assert.deepEqual(threeSecond.map((b) => [b.start, b.open, b.high, b.low, b.close, b.volume]), [
      [0, 10, 12, 10, 12, 3],
      [3_000, 13, 15, 13, 15, 3],
    ]);
    assert.ok(bars.every((b) => b.symbol === 'BTC/USDT'));
    assert.equal(data.lastPrice('ETH/USDT'), 99);
    assert.equal(data.lastPrice('ES'), undefined);
  });
});
