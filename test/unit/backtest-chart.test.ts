// The backtest report's chart data (issue 16 items 6 and 14): candles kept at a bounded size with
// every bar's price in them, and an equity curve whose last point is the final value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBacktest } from '../../src/backtest/backtester.js';
import { CandleSampler } from '../../src/backtest/candle-sampler.js';
import { endingAt } from '../../src/backtest/metrics.js';
import type { Bar } from '../../src/core/market.js';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
const SYMBOL = 'BTC/USDT';
const bar = (i: number, close: number): Bar => ({ symbol: SYMBOL, start: T0 + i * MIN, intervalMs: MIN, open: close - 1, high: close + 2 + (i % 3), low: close - 2 - (i % 5), close, volume: 1 + (i % 4), trades: 1 });

describe('CandleSampler', () => {
  it('keeps every bar while there are few, then merges neighbours, never losing a high, low or volume', () => {
    const few = new CandleSampler(10);
    for (let i = 0; i < 10; i++) few.add(bar(i, 100 + i));
    assert.equal(few.result().barsPerCandle, 1);
    assert.equal(few.result().candles.length, 10);

    const s = new CandleSampler(10);
    const all = Array.from({ length: 95 }, (_, i) => bar(i, 100 + Math.sin(i / 5) * 20));
    for (const b of all) s.add(b);
    const { candles, barsPerCandle } = s.result();
    assert.ok(candles.length <= 10, `${candles.length} candles`);
    assert.equal(barsPerCandle, 16);
    assert.equal(candles[0]?.time, T0);
    assert.equal(candles[0]?.open, all[0]?.open);
    assert.equal(candles.at(-1)?.close, all.at(-1)?.close);
    assert.equal(Math.max(...candles.map((c) => c.high)), Math.max(...all.map((b) => b.high)));
    assert.equal(Math.min(...candles.map((c) => c.low)), Math.min(...all.map((b) => b.low)));
    assert.equal(candles.reduce((a, c) => a + c.volume, 0), all.reduce((a, b) => a + b.volume, 0));
    // Each candle starts where its first bar started: 16 bars apart.
    assert.deepEqual(candles.slice(0, 3).map((c) => (c.time - T0) / MIN), [0, 16, 32]);
  });
});

describe('endingAt', () => {
  it('replaces or appends the last point with the final value', () => {
    assert.deepEqual(endingAt([{ ts: 1, equity: 10 }, { ts: 2, equity: 11 }], 2, 10.5), [{ ts: 1, equity: 10 }, { ts: 2, equity: 10.5 }]);
    assert.deepEqual(endingAt([{ ts: 1, equity: 10 }], 3, 9), [{ ts: 1, equity: 10 }, { ts: 3, equity: 9 }]);
    assert.deepEqual(endingAt([{ ts: 1, equity: 10 }], 1, 10), [{ ts: 1, equity: 10 }]);
  });
});

describe('backtest report chart data', () => {
  it('closing at the end with fees: the curve ends on the final value; candles cover every bar', async () => {
    // Falling, then rising to the end: the crossover is long when the data ends.
    const bars = Array.from({ length: 300 }, (_, i) => bar(i, i < 150 ? 30_000 - i * 10 : 28_500 + (i - 150) * 15));
    const r = await runBacktest({ instrument: SYMBOL, strategy: { name: 'sma-cross', fast: 3, slow: 8, size: 1 }, cash: 100_000, feeRate: 0.001, slippageTicks: 5, closeAtEnd: true }, [bars]);
    assert.equal(r.closedAtEnd, true, 'a position was open at the end and closed');
    assert.equal(r.equityCurve.at(-1)?.equity, r.finalValue);
    assert.equal(r.candles.length, 300);
    assert.equal(r.barsPerCandle, 1);
    assert.equal(r.candles.at(-1)?.close, bars.at(-1)?.close);
  });
});
