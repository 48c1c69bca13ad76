import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BarSequence, TradeSequence, type Candle, type GapReport, type VenueTrade } from '../../src/adapters/feed-sequence.js';
import type { Bar, Tick } from '../../src/core/market.js';

const M = 60_000;
const trade = (id: number, price = 100 + id): VenueTrade => ({ id, ts: id * 10, price, size: 1, trades: 1 });
const candle = (start: number, close: number): Candle => [start, close, close + 1, close - 1, close, 5];

function trades(backfill: (from: number, to: number) => Promise<VenueTrade[]>) {
  const ticks: Tick[] = [];
  const gaps: GapReport[] = [];
  const calls: [number, number][] = [];
  const seq = new TradeSequence('BTC/USDT', (t) => ticks.push(t), (from, to) => {
    calls.push([from, to]);
    return backfill(from, to);
  }, (g) => gaps.push(g));
  return { seq, ticks, gaps, calls };
}

describe('live feed sequencing', () => {
  it('drops trades already delivered and sorts a batch by id', async () => {
    const t = trades(async () => []);
    await t.seq.accept([trade(2), trade(1)]);
    await t.seq.accept([trade(2), trade(3)]);
    assert.deepEqual(t.ticks.map((x) => x.price), [101, 102, 103]);
    assert.deepEqual(t.calls, []);
    assert.equal(t.seq.last, 3);
  });

  it('fetches a gap before delivering newer trades, and reports it', async () => {
    const t = trades(async (from, to) => Array.from({ length: to - from + 1 }, (_, i) => trade(from + i)));
    await t.seq.accept([trade(10)]);
    await t.seq.accept([trade(14), trade(15)]);
    assert.deepEqual(t.ticks.map((x) => x.price), [110, 111, 112, 113, 114, 115]);
    assert.deepEqual(t.calls, [[11, 13]]);
    assert.deepEqual(t.gaps, [{ from: 11, to: 13, missing: 3, backfilled: 3 }]);
  });

  it('reports what it could not backfill and carries on', async () => {
    const t = trades(async () => {
      throw new Error('venue down');
    });
    await t.seq.accept([trade(1)]);
    await t.seq.accept([trade(5)]);
    assert.deepEqual(t.ticks.map((x) => x.price), [101, 105]);
    assert.deepEqual(t.gaps, [{ from: 2, to: 4, missing: 3, backfilled: 0 }]);
  });

  it('emits a candle once, when the next one starts; refetches after a cut or a jump', async () => {
    const bars: Bar[] = [];
    const gaps: GapReport[] = [];
    const venue = [candle(0, 10), candle(M, 11), candle(2 * M, 12), candle(3 * M, 13), candle(4 * M, 14), candle(5 * M, 15)];
    const seq = new BarSequence('BTC/USDT', M, (b) => bars.push(b), async (since) => venue.filter((c) => c[0] >= since), (g) => gaps.push(g));
    await seq.accept([candle(0, 9)]);
    await seq.accept([candle(0, 10)]);
    assert.equal(bars.length, 0, 'the forming candle is not emitted');
    await seq.accept([candle(M, 10.5)]);
    assert.deepEqual(bars.map((b) => [b.start, b.close]), [[0, 10]]);
    // Cut while M was forming (its last update 11 was missed): refetched from the venue.
    seq.markStale();
    await seq.accept([candle(2 * M, 12)]);
    assert.deepEqual(bars.map((b) => [b.start, b.close]), [[0, 10], [M, 11]]);
    assert.deepEqual(gaps, []);
    // A jump: 3M and 4M never seen on the stream.
    await seq.accept([candle(5 * M, 15)]);
    assert.deepEqual(bars.map((b) => b.start), [0, M, 2 * M, 3 * M, 4 * M]);
    assert.deepEqual(bars.map((b) => b.close), [10, 11, 12, 13, 14]);
    assert.deepEqual(gaps, [{ from: 3 * M, to: 4 * M, missing: 2, backfilled: 2 }]);
    await seq.accept([candle(4 * M, 99)]);
    assert.equal(bars.length, 5, 'a closed candle is never emitted again');
    assert.equal(seq.since, 5 * M);
  });
});
