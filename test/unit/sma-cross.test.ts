import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SmaCrossStrategy, type SmaCrossConfig } from '../../src/strategies/sma-cross/sma-cross.js';
import { ZERO_FEES } from '../../src/sim/fees.js';
import { buildHarness, near, tempDir } from './support.js';

const dirs = tempDir('tw-sma-');
after(() => dirs.cleanup());

/**
 * One print per one-second bar, so bar i closes at PRICES[i] and is emitted when print i+1
 * arrives (whose price is where a market order placed on that bar fills).
 *
 * fast SMA(2) vs slow SMA(4) of the closes:
 *   bar 3 (97):  fast 97.5  < slow 98.5   first reading: short, no entry
 *   bar 4 (98):  fast 97.5  < slow 98     short
 *   bar 5 (101): fast 99.5  > slow 98.5   cross up: long entry, fills at print 6 = 103
 *                ATR(4) of true ranges 1,1,1,3 = 1.5; stop 2 ATR below 101 = 98
 *                qty = 100 000 * 0.5% / 3 = 166.666 (floored to 0.001)
 *   bar 6..8:    fast 102, 103.5, 103 > slow 99.75, 101.5, 102.5: hold
 *   bar 9 (99):  fast 100.5 < slow 102    cross down: exit, fills at print 10 = 100
 *   print 11 (97) would have hit the 98 stop had it not been cancelled.
 */
const PRICES = [100, 99, 98, 97, 98, 101, 103, 104, 102, 99, 100, 97];

function runSeries(longOnly: boolean, name: string) {
  const h = buildHarness({ file: dirs.file(name), crypto: ZERO_FEES, slippageTicks: 0 });
  const config: SmaCrossConfig = { symbols: ['BTC/USDT'], barIntervalMs: 1_000, fast: 2, slow: 4, stopAtr: 2, targetAtr: 0, longOnly };
  h.kernel.addBot('sma', new SmaCrossStrategy(config)).start();
  PRICES.forEach((p, i) => h.tick('BTC/USDT', p, i * 1_000));
  return h;
}

describe('SmaCrossStrategy in a SimClock-driven kernel', () => {
  it('enters long on the upward cross and exits on the downward cross', () => {
    const h = runSeries(true, 'long-only.db');
    const signals = h.events.flatMap((e) => (e.type === 'signal' ? [e.signal] : []));
    assert.equal(signals.length, 1);
    assert.equal(signals[0]?.side, 'long');
    assert.equal(signals[0]?.price, 101);
    assert.ok(near(signals[0]?.stopPrice, 98));
    assert.equal(signals[0]?.ts, 6_000);

    const orders = h.store.listOrders({ limit: 10 }).reverse();
    assert.deepEqual(
      orders.map((o) => [o.id, o.purpose, o.side, o.status]),
      [
        ['O-00000001', 'entry', 'buy', 'filled'],
        ['O-00000002', 'stop_loss', 'sell', 'cancelled'],
        ['O-00000003', 'exit', 'sell', 'filled'],
      ],
    );
    const [entry, stop, exit] = orders;
    assert.equal(entry?.qty, 166.666);
    assert.equal(entry?.avgFillPrice, 103);
    assert.equal(entry?.filledAt, 6_000);
    assert.equal(entry?.tag, 'sma_2_4');
    assert.equal(stop?.stopPrice, 98);
    assert.equal(exit?.qty, 166.666);
    assert.equal(exit?.avgFillPrice, 100);
    assert.equal(exit?.filledAt, 10_000);

    const trades = h.store.recentTrades(10);
    assert.equal(trades.length, 1);
    const t = trades[0];
    assert.ok(t);
    assert.equal(t.side, 'long');
    assert.equal(t.entryPrice, 103);
    assert.equal(t.exitPrice, 100);
    assert.ok(near(t.grossPnl, -3 * 166.666));
    assert.ok(near(t.pnlR, -0.6), `pnlR ${t.pnlR}`); // lost 3 of the 5 points risked (103 -> stop 98)
    assert.equal(t.mode, 'sma_2_4');
    assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined, 'long-only: no short after the exit');
    assert.ok(near(h.kernel.portfolio.accountState().balance, 100_000 - 499.998));
    assert.deepEqual(h.errors, []);
    h.store.close();
  });

  it('without longOnly, goes short on the bar after the exit', () => {
    const h = runSeries(false, 'both.db');
    const signals = h.events.flatMap((e) => (e.type === 'signal' ? [e.signal] : []));
    assert.deepEqual(signals.map((s) => [s.side, s.price]), [
      ['long', 101],
      ['short', 100],
    ]);
    // Bar 10: ATR(4) of 1, 2, 3, 1 = 1.75; stop 3.5 above 100. Equity is now 99 500.002 after
    // the long lost 499.998, so qty = 99 500.002 * 0.5% / 3.5 = 142.1428... -> 142.142.
    const pos = h.kernel.portfolio.position('BTC/USDT');
    assert.ok(pos);
    assert.equal(pos.side, 'short');
    assert.equal(pos.qty, 142.142);
    assert.equal(pos.avgPrice, 97);
    assert.ok(near(pos.stopPrice, 103.5));
    assert.equal(h.store.recentTrades(10).length, 1);
    h.store.close();
  });

  it('refuses fast >= slow', () => {
    assert.throws(() => new SmaCrossStrategy({ symbols: ['BTC/USDT'], barIntervalMs: 1_000, fast: 4, slow: 4, stopAtr: 2, targetAtr: 0, longOnly: true }), /fast/);
  });
});
