import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Bar } from '../../src/core/market.js';
import type { AccountView, ClosedTrade, Position } from '../../src/core/portfolio-types.js';
import type { StrategyContext } from '../../src/engine/strategy.js';
import { ZERO_FEES } from '../../src/sim/fees.js';
import { MaxStrategy, type MaxConfig } from '../../src/strategies/max/max.js';
import { buildHarness, registry, tempDir } from './support.js';

const dirs = tempDir('tw-max-');
after(() => dirs.cleanup());

let n = 0;
/** A kernel with no fees and no slippage, a Max bot on one-second reference bars, and a tape. */
function run(config: Omit<MaxConfig, 'barIntervalMs'>, tape: [number, number][]) {
  const h = buildHarness({ file: dirs.file(`max-${(n += 1)}.db`), futures: ZERO_FEES, slippageTicks: 0 });
  const strategy = new MaxStrategy({ ...config, barIntervalMs: 1_000 }, registry().get(config.symbol));
  h.kernel.addBot('max-001', strategy).start();
  for (const [ts, price] of tape) h.tick(config.symbol, price, ts);
  const trades = h.events.flatMap((e) => (e.type === 'trade-closed' ? [e.trade] : [])) as ClosedTrade[];
  const signals = h.events.flatMap((e) => (e.type === 'signal' ? [e.signal] : []));
  const phases = h.events.flatMap((e) => (e.type === 'bot-phase' ? [e.phase] : []));
  const orders = h.store.listOrders({ limit: 50 }).reverse();
  return { h, strategy, trades, signals, phases, orders };
}

describe('MaxStrategy on ticks (real kernel, paper matching, no fees)', () => {
  /**
   * NQ, point_key 4_2_3_1, exit 0_0 (no hard target, no time stop), long only, 1 contract.
   *   bar 0 [0 s, 1 s): 100, 101            -> reference high 101, low 100
   *   1.000 s 102      closes bar 0; long trigger 101 + 4 = 105: no signal
   *   1.250 s 105      signal LONG at 105, stop 105 - 2 = 103 (broker stop order)
   *   1.500 s 105.5    entry fills at the next print 105.5; best 105.5 (+0.5)
   *   1.750 s 108      best 108 = +3 = target1: trail armed at 108 - 1 = 107
   *   2.000 s 109      closes bar 1; best 109, trail 108
   *   2.250 s 108      reaches the trail: exit at market
   *   2.500 s 107.75   exit fills; profit (107.75 - 105.5) x $20 = $45
   *   2.750 s 112.5    >= new trigger 108 + 4 = 112 but bar 1 already had its trade: no entry
   */
  it('enters at the trigger, arms the trail at target1 and exits on the trail (NQ $20/pt)', () => {
    const r = run({ symbol: 'NQ', maxMode: 'long', pointKey: '4_2_3_1', exitKey: '0_0', qty: 1 }, [
      [0, 100],
      [500, 101],
      [1_000, 102],
      [1_250, 105],
      [1_500, 105.5],
      [1_750, 108],
      [2_000, 109],
      [2_250, 108],
      [2_500, 107.75],
      [2_750, 112.5],
    ]);
    assert.deepEqual(r.h.errors, []);
    assert.equal(r.signals.length, 1);
    assert.deepEqual([r.signals[0]?.side, r.signals[0]?.price, r.signals[0]?.stopPrice, r.signals[0]?.ts], ['long', 105, 103, 1_250]);
    assert.equal(r.trades.length, 1);
    const t = r.trades[0] as ClosedTrade;
    assert.deepEqual([t.side, t.qty, t.entryPrice, t.exitPrice, t.openedAt, t.closedAt], ['long', 1, 105.5, 107.75, 1_500, 2_500]);
    assert.equal(t.netPnl, 45);
    assert.deepEqual(
      r.orders.map((o) => [o.purpose, o.side, o.status]),
      [
        ['entry', 'buy', 'filled'],
        ['stop_loss', 'sell', 'cancelled'],
        ['exit', 'sell', 'filled'],
      ],
    );
    assert.equal(r.orders[1]?.stopPrice, 103);
    assert.match(r.strategy.exits[0]?.reason ?? '', /^trail 1 pts from best 109.00 \(stop 108.00\)/);
    assert.deepEqual(r.phases, ['LEVEL_BUILDING', 'SIGNAL_WAIT', 'SIZING', 'EXECUTION', 'MANAGING', 'SIGNAL_WAIT']);
    assert.equal(r.h.kernel.portfolio.openPositions().length, 0);
  });

  /**
   * ES, point_key 2_3_4_1, exit 0_0, short only.
   *   bar 0: 5000, 5001                      -> reference low 5000, high 5001
   *   1.000 s 5003.25  >= long trigger 5003, but maxMode short: nothing
   *   1.250 s 4997.75  <= short trigger 4998: signal SHORT at 4997.75, stop 5000.75
   *   1.500 s 4998     entry fills at 4998
   *   1.750 s 5001     the broker's buy stop 5000.75 fills at the print 5001
   *   loss (4998 - 5001) x $50 = -$150
   */
  it('takes the stop on a short (ES $50/pt) and ignores the long trigger in short mode', () => {
    const r = run({ symbol: 'ES', maxMode: 'short', pointKey: '2_3_4_1', exitKey: '0_0', qty: 1 }, [
      [0, 5000],
      [500, 5001],
      [1_000, 5003.25],
      [1_250, 4997.75],
      [1_500, 4998],
      [1_750, 5001],
    ]);
    assert.equal(r.signals.length, 1);
    assert.deepEqual([r.signals[0]?.side, r.signals[0]?.price, r.signals[0]?.stopPrice], ['short', 4997.75, 5000.75]);
    const t = r.trades[0] as ClosedTrade;
    assert.deepEqual([t.side, t.entryPrice, t.exitPrice], ['short', 4998, 5001]);
    assert.equal(t.netPnl, -150);
    assert.equal(r.strategy.exits[0]?.reason, 'stop or target filled');
    assert.deepEqual(
      r.orders.map((o) => [o.purpose, o.status]),
      [
        ['entry', 'filled'],
        ['stop_loss', 'filled'],
      ],
    );
  });

  /**
   * NQ, point_key 1_2_3_1, exit 5_0 (hard target 5 points), both sides, 2 contracts.
   *   bar 0: 200, 200.5 -> long trigger 201.5, short trigger 199
   *   1.000 s 198.75   short signal at 198.75 (maxMode both), stop 200.75, target 193.75
   *   1.250 s 198.5    entry fills at 198.5 (2 contracts)
   *   1.500 s 193.5    the broker's buy limit 193.75 fills at the better print: min(193.5, 193.75)
   *   profit (198.5 - 193.5) x $20 x 2 = $200
   */
  it('takes the hard exit target on a short in both mode (2 contracts)', () => {
    const r = run({ symbol: 'NQ', maxMode: 'both', pointKey: '1_2_3_1', exitKey: '5_0', qty: 2 }, [
      [0, 200],
      [500, 200.5],
      [1_000, 198.75],
      [1_250, 198.5],
      [1_500, 193.5],
    ]);
    assert.deepEqual([r.signals[0]?.side, r.signals[0]?.price, r.signals[0]?.stopPrice], ['short', 198.75, 200.75]);
    const t = r.trades[0] as ClosedTrade;
    assert.deepEqual([t.side, t.qty, t.entryPrice, t.exitPrice], ['short', 2, 198.5, 193.5]);
    assert.equal(t.netPnl, 200);
    const tp = r.orders.find((o) => o.purpose === 'take_profit');
    assert.deepEqual([tp?.price, tp?.status], [193.75, 'filled']);
  });

  /**
   * NQ, point_key 1_2_3_0 (trail 0 = take everything at target1), exit 0_0, long.
   *   bar 0: 300, 300 -> long trigger 301
   *   1.000 s 301      signal long at 301; 1.250 s 301.25 fill
   *   1.500 s 304      best 304 = +3 from the signal: exit at market; 1.750 s 304.25 fills
   *   profit (304.25 - 301.25) x $20 = $60
   */
  it('trail 0 takes the whole profit at target1', () => {
    const r = run({ symbol: 'NQ', maxMode: 'both', pointKey: '1_2_3_0', exitKey: '0_0', qty: 1 }, [
      [0, 300],
      [500, 300],
      [1_000, 301],
      [1_250, 301.25],
      [1_500, 304],
      [1_750, 304.25],
    ]);
    const t = r.trades[0] as ClosedTrade;
    assert.deepEqual([t.entryPrice, t.exitPrice, t.netPnl], [301.25, 304.25, 60]);
    assert.equal(r.strategy.exits[0]?.reason, 'target1 +3 pts');
  });

  /**
   * ES, point_key 1_5_4_1, exit 0_1 (one-minute time stop), long.
   *   signal at 4001 (bar 0 high 4000), fill 4001 at 1.250 s; price drifts, never +4 nor -5;
   *   61.250 s is one minute after the fill: exit at market, filled at 61.5 s at 4002
   *   profit (4002 - 4001) x $50 = $50
   */
  it('closes the position at the timeout', () => {
    const r = run({ symbol: 'ES', maxMode: 'long', pointKey: '1_5_4_1', exitKey: '0_1', qty: 1 }, [
      [0, 4000],
      [1_000, 4001],
      [1_250, 4001],
      [30_000, 4002.5],
      [61_000, 4002],
      [61_250, 4002.25],
      [61_500, 4002],
    ]);
    const t = r.trades[0] as ClosedTrade;
    assert.deepEqual([t.entryPrice, t.exitPrice, t.openedAt, t.closedAt, t.netPnl], [4001, 4002, 1_250, 61_500, 50]);
    assert.equal(r.strategy.exits[0]?.reason, 'timeout 1 min');
  });

  it('sizes from the stop through the risk engine when no quantity is given', () => {
    // 100 000 equity x 0.5% risk = $500; stop 2 points on NQ = $40 a contract -> 12 contracts,
    // capped by leverage 5: 500 000 / (105 x 20) = 238 -> 12.
    const r = run({ symbol: 'NQ', maxMode: 'long', pointKey: '4_2_3_1', exitKey: '0_0' }, [
      [0, 100],
      [500, 101],
      [1_000, 102],
      [1_250, 105],
      [1_500, 105.5],
    ]);
    assert.equal(r.orders[0]?.qty, 12);
    assert.equal(r.h.kernel.portfolio.position('NQ')?.qty, 12);
  });
});

describe('MaxStrategy on bars only (no ticks in the bar)', () => {
  /** A context that records what the strategy asks for; the test plays the broker. */
  function fakeContext() {
    const calls: string[] = [];
    let position: Position | undefined;
    let working = false;
    let now = 0;
    const ctx: StrategyContext = {
      botId: 'max-bars',
      now: () => now,
      instrument: (s) => registry().get(s),
      position: () => position,
      hasWorkingOrder: () => working,
      account: () => ({}) as AccountView,
      enter: (intent) => {
        calls.push(`enter ${intent.side} @${intent.price} stop ${intent.stopPrice} tp ${intent.takeProfit} qty ${intent.qty}`);
        working = true;
        return { ok: true, orderId: 'O-1', qty: intent.qty ?? 1 };
      },
      exit: (_s, reason) => {
        calls.push(`exit ${reason}`);
        return true;
      },
      setStatus: () => {},
      history: () => [],
      marketStats: () => undefined,
      setPhase: (phase) => calls.push(`phase ${phase}`),
      publishScan: () => {},
    };
    return {
      ctx,
      calls,
      at: (ms: number) => (now = ms),
      fill: (side: 'long' | 'short', price: number, ts: number) => {
        working = false;
        position = { id: 'P-1', botId: 'max-bars', symbol: 'ES', side, qty: 1, avgPrice: price, openedAt: ts } as Position;
      },
      flat: () => (position = undefined),
    };
  }
  const bar = (start: number, open: number, high: number, low: number, close: number): Bar => ({ symbol: 'ES', start, intervalMs: 60_000, open, high, low, close, volume: 1, trades: 1 });

  /**
   * ES one-minute bars, point_key 2_3_4_1, exit 10_5, both.
   *   bar 0  H 5001 L 4999                   reference
   *   bar 1  C 5003.5 >= 5001 + 2            enter long @5003.5 stop 5000.5 tp 5013.5
   *          (the broker fills it at bar 2's open, 5003.5)
   *   bar 2  L 5003, H 5008, C 5007.5        best 5008 = +4.5 >= 4: armed, trail 5007; close 5007.5 above it
   *   bar 3  L 5006.75 <= trail 5007         exit on the trail before bar 3's high counts
   */
  it('enters on a close beyond the trigger and trails on the bar range', () => {
    const f = fakeContext();
    const s = new MaxStrategy({ symbol: 'ES', maxMode: 'both', pointKey: '2_3_4_1', exitKey: '10_5', qty: 1 }, registry().get('ES'));
    f.at(60_000);
    s.onBar(bar(0, 5000, 5001, 4999, 5000), f.ctx);
    f.at(120_000);
    s.onBar(bar(60_000, 5000, 5004, 5000, 5003.5), f.ctx);
    f.fill('long', 5003.5, 120_000);
    f.at(180_000);
    s.onBar(bar(120_000, 5003.5, 5008, 5003, 5007.5), f.ctx);
    assert.equal(s.trailStop(), 5007);
    f.at(240_000);
    s.onBar(bar(180_000, 5007.5, 5012, 5006.75, 5011), f.ctx);
    assert.deepEqual(f.calls, [
      'phase LEVEL_BUILDING',
      'phase SIGNAL_WAIT',
      'phase SIZING',
      'enter long @5003.5 stop 5000.5 tp 5013.5 qty 1',
      'phase EXECUTION',
      'phase MANAGING',
      'exit trail 1 pts from best 5008.00 (stop 5007.00)',
    ]);
  });

  it('closes on the time stop at the end of the bar and waits for a new bar after a trade', () => {
    const f = fakeContext();
    const s = new MaxStrategy({ symbol: 'ES', maxMode: 'short', pointKey: '2_3_4_1', exitKey: '0_2', qty: 1 }, registry().get('ES'));
    s.onBar(bar(0, 5000, 5001, 4999, 5000), f.ctx);
    s.onBar(bar(60_000, 5000, 5000, 4996, 4996.5), f.ctx); // close <= 4999 - 2: short @4996.5
    f.fill('short', 4996.5, 120_000);
    s.onBar(bar(120_000, 4996.5, 4997, 4995, 4996), f.ctx); // ends at 180 000: 1 minute held
    s.onBar(bar(180_000, 4996, 4997, 4995, 4995.5), f.ctx); // ends at 240 000: 2 minutes -> exit
    f.flat();
    s.onBar(bar(240_000, 4995.5, 4996, 4990, 4990), f.ctx); // trade closed on this bar: no entry
    s.onBar(bar(300_000, 4990, 4991, 4980, 4980), f.ctx); // 4980 <= 4990 - 2: new short
    assert.deepEqual(
      f.calls.filter((c) => !c.startsWith('phase')),
      ['enter short @4996.5 stop 4999.5 tp null qty 1', 'exit timeout 2 min', 'enter short @4980 stop 4983 tp null qty 1'],
    );
  });
});
