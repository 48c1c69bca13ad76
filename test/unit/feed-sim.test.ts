import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SIM_INSTRUMENTS, SimulatedFeed, type SimFeedConfig } from '../../src/adapters/feed-sim.js';
import { SimClock } from '../../src/core/clock.js';
import type { Tick } from '../../src/core/market.js';
import type { Cancel, Scheduler } from '../../src/core/ports.js';
import { registry } from './support.js';

/** Records what the feed schedules; the test decides when time passes. */
class FakeScheduler implements Scheduler {
  readonly repeating: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  every(ms: number, fn: () => void): Cancel {
    const entry = { ms, fn, cancelled: false };
    this.repeating.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }
  after(ms: number, fn: () => void): Cancel {
    return this.every(ms, fn);
  }
}

const instruments = registry();
const config = (seed: number, tickIntervalMs = 250): SimFeedConfig => ({ seed, tickIntervalMs, instruments: DEFAULT_SIM_INSTRUMENTS.map((i) => ({ ...i })) });

function run(seed: number, steps: number, tickIntervalMs = 250): Tick[] {
  const clock = new SimClock(1_700_000_000_000);
  const feed = new SimulatedFeed(config(seed, tickIntervalMs), instruments, clock, new FakeScheduler());
  feed.start(() => {});
  const out: Tick[] = [];
  for (let i = 0; i < steps; i += 1) {
    clock.advance(tickIntervalMs);
    out.push(...feed.step());
  }
  return out;
}

const onGrid = (price: number, step: number) => Math.abs(price / step - Math.round(price / step)) < 1e-6;

describe('SimulatedFeed', () => {
  it('gives the same ticks for the same seed, different ones for another seed', () => {
    const a = run(42, 500);
    const b = run(42, 500);
    const c = run(43, 500);
    assert.ok(a.length > 500, `expected prints for most instruments on most steps, got ${a.length}`);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.map((t) => t.price), c.map((t) => t.price));
  });

  it('prints prices on the tick grid, positive sizes on the quantity grid and at least one trade', () => {
    const ticks = run(7, 2_000);
    const symbols = new Set(ticks.map((t) => t.symbol));
    assert.deepEqual([...symbols].sort(), ['BTC/USDT', 'ES', 'ETH/USDT', 'NQ']);
    for (const t of ticks) {
      const inst = instruments.get(t.symbol);
      assert.ok(onGrid(t.price, inst.tickSize), `${t.symbol} price ${t.price} off the ${inst.tickSize} grid`);
      assert.ok(t.price > 0);
      assert.ok(t.size > 0 && t.size >= inst.qtyStep, `${t.symbol} size ${t.size}`);
      assert.ok(onGrid(t.size, inst.qtyStep), `${t.symbol} size ${t.size} off the ${inst.qtyStep} grid`);
      assert.ok(Number.isInteger(t.trades) && t.trades >= 1, `${t.symbol} trades ${t.trades}`);
    }
  });

  it('stamps ticks with the clock time and runs on the injected scheduler', () => {
    const clock = new SimClock(5_000);
    const scheduler = new FakeScheduler();
    const feed = new SimulatedFeed(config(1), instruments, clock, scheduler);
    const got: Tick[] = [];
    feed.start((t) => got.push(t));
    feed.start((t) => got.push(t)); // a second start is ignored
    assert.equal(scheduler.repeating.length, 1);
    assert.equal(scheduler.repeating[0]?.ms, 250);
    clock.advance(250);
    scheduler.repeating[0]?.fn();
    assert.ok(got.length > 0);
    assert.ok(got.every((t) => t.ts === 5_250));
    feed.stop();
    assert.equal(scheduler.repeating[0]?.cancelled, true);
  });

  it('starts from saved prices when given them', () => {
    const clock = new SimClock(0);
    const feed = new SimulatedFeed(config(3), instruments, clock, new FakeScheduler(), { 'BTC/USDT': 20_000 });
    feed.start(() => {});
    const prices: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      clock.advance(250);
      for (const t of feed.step()) if (t.symbol === 'BTC/USDT') prices.push(t.price);
    }
    assert.ok(prices.length > 0);
    for (const p of prices) assert.ok(Math.abs(p / 20_000 - 1) < 0.01, `BTC ${p} should start near 20 000, not 95 000`);
  });

  /**
   * Annualised volatility from one-minute log returns (sampling every minute keeps the tick
   * rounding out of the estimate), annualised over the feed's own year: 365 days for crypto,
   * 252 sessions of 6.5 hours for futures.
   */
  function realisedVol(seed: number, tickIntervalMs: number, minutes: number): Map<string, number> {
    const clock = new SimClock(0);
    const feed = new SimulatedFeed(config(seed, tickIntervalMs), instruments, clock, new FakeScheduler());
    feed.start(() => {});
    const last = new Map<string, number>();
    const samples = new Map<string, number[]>();
    const stepsPerMinute = 60_000 / tickIntervalMs;
    for (let i = 1; i <= minutes * stepsPerMinute; i += 1) {
      clock.advance(tickIntervalMs);
      for (const t of feed.step()) last.set(t.symbol, t.price);
      if (i % stepsPerMinute === 0) for (const [s, p] of last) samples.set(s, [...(samples.get(s) ?? []), p]);
    }
    const vols = new Map<string, number>();
    for (const [s, prices] of samples) {
      const r = prices.slice(1).map((p, i) => Math.log(p / (prices[i] as number)));
      const mean = r.reduce((x, y) => x + y, 0) / r.length;
      const variance = r.reduce((x, y) => x + (y - mean) ** 2, 0) / (r.length - 1);
      const year = instruments.get(s).kind === 'future' ? 252 * 6.5 * 3600 : 365 * 24 * 3600;
      vols.set(s, Math.sqrt((variance * year) / 60));
    }
    return vols;
  }

  for (const tickIntervalMs of [250, 1_000, 5_000]) {
    it(`realises roughly the configured annual volatility with ${tickIntervalMs} ms ticks (within a factor of 2)`, () => {
      const vols = realisedVol(11, tickIntervalMs, 600);
      for (const cfg of DEFAULT_SIM_INSTRUMENTS) {
        const v = vols.get(cfg.symbol);
        assert.ok(v !== undefined, `no prices for ${cfg.symbol}`);
        const ratio = v / cfg.annualVol;
        assert.ok(ratio > 0.5 && ratio < 2, `${cfg.symbol}: realised ${v.toFixed(3)} vs configured ${cfg.annualVol} (x${ratio.toFixed(2)})`);
      }
    });
  }
});
