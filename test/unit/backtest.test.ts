import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backtester, runBacktest, type BacktestConfig } from '../../src/backtest/backtester.js';
import { EquityStats } from '../../src/backtest/metrics.js';
import { MemoryStore } from '../../src/backtest/memory-store.js';
import type { Bar } from '../../src/core/market.js';
import type { OrderRequest } from '../../src/core/orders.js';
import type { Strategy, StrategyContext } from '../../src/engine/strategy.js';
import { near } from './support.js';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
const SYMBOL = 'BTC/USDT';

/** Bars from [open, high, low, close] rows, one minute apart from T0. */
const bars = (rows: [number, number, number, number][]): Bar[] =>
  rows.map(([open, high, low, close], i) => ({ symbol: SYMBOL, start: T0 + i * MIN, intervalMs: MIN, open, high, low, close, volume: 1, trades: 1 }));

/** A strategy that does what the script says at the close of bar i: enter long/short or exit. */
function scripted(script: Record<number, 'long' | 'short' | 'exit'>): Strategy {
  let i = -1;
  return {
    name: 'scripted',
    mode: 'scripted',
    symbols: [SYMBOL],
    barIntervalMs: MIN,
    onBar(bar: Bar, ctx: StrategyContext) {
      i += 1;
      const action = script[i];
      if (action === 'exit') ctx.exit(SYMBOL, 'script');
      else if (action) assert.ok(ctx.enter({ symbol: SYMBOL, side: action, price: bar.close, qty: 1, reason: 'script' }).ok);
    },
  };
}

const config = (over: Partial<BacktestConfig> = {}): BacktestConfig => ({
  instrument: SYMBOL,
  strategy: { name: 'sma-cross', fast: 2, slow: 3, size: 1 },
  cash: 1000,
  ...over,
});

//            open   high   low   close
const SERIES = bars([
  [100, 101, 99, 100], // 0: close -> enter long
  [102, 103, 101, 102], // 1: long filled at the open, 102
  [104, 106, 103, 105], // 2
  [107, 108, 100, 101], // 3: close -> exit
  [99, 100, 98, 99], // 4: exit filled at 99 (-3); close -> enter long
  [100, 102, 99, 101], // 5: long filled at 100; close -> exit
  [103, 104, 102, 103], // 6: exit filled at 103 (+3)
]);
const SCRIPT = { 0: 'long', 3: 'exit', 4: 'long', 5: 'exit' } as const;

describe('Backtester: execution semantics on bars', () => {
  it('fills a market order placed on a bar close at the next bar open; PnL, drawdown, win rate, exposure', () => {
    const bt = new Backtester(config(), () => scripted(SCRIPT));
    bt.feedBars(SERIES);
    const r = bt.report();
    assert.equal(r.bars, 7);
    assert.equal(r.fills, 4);
    assert.deepEqual(
      r.trades.map((t) => [t.side, t.entryPrice, t.exitPrice, t.openedAt - T0, t.closedAt - T0, t.netPnl]),
      [
        ['long', 102, 99, 1 * MIN, 4 * MIN, -3],
        ['long', 100, 103, 5 * MIN, 6 * MIN, 3],
      ],
    );
    assert.equal(r.closedTrades, 2);
    assert.equal(r.winningTrades, 1);
    assert.equal(r.losingTrades, 1);
    assert.equal(r.winRate, 0.5);
    assert.equal(r.closedPnl, 0);
    assert.equal(r.finalValue, 1000);
    assert.equal(r.fees, 0);
    assert.equal(r.openPosition, null);
    // Equity at the closes: 1000, 1000, 1003, 999, 997, 998, 1000: peak 1003, trough 997.
    assert.equal(r.maxDrawdown, 6);
    assert.ok(near(r.maxDrawdownPct, (6 / 1003) * 100, 1e-6));
    assert.ok(near(r.exposure, 4 / 7), `exposure ${r.exposure}`); // in the market at the close of bars 1, 2, 3, 5
    assert.equal(r.equityCurve.length, 7);
    assert.deepEqual(r.equityCurve.map((p) => p.equity), [1000, 1000, 1003, 999, 997, 998, 1000]);
    assert.equal(r.equityCurve[0]?.ts, T0 + MIN, 'equity points are stamped with the bar close');
    // Sharpe: per-bar returns, sample sd, annualised with sqrt(525 600) one-minute bars a year.
    const eq = [1000, 1000, 1003, 999, 997, 998, 1000];
    const rets = eq.slice(1).map((e, i) => e / (eq[i] as number) - 1);
    const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
    const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
    assert.ok(near(r.sharpe, (mean / sd) * Math.sqrt(525_600), 1e-9));
  });

  it('charges commission (rate of notional and per contract) and slippage in ticks', () => {
    const bt = new Backtester(config({ feeRate: 0.001, perContract: 0.5, slippageTicks: 1 }), () => scripted({ 0: 'long', 2: 'exit' }));
    bt.feedBars(SERIES.slice(0, 4));
    const r = bt.report();
    const [t] = r.trades;
    assert.ok(t);
    // Buy at 102 + 0.1, sell at 107 - 0.1 (BTC/USDT tick 0.1).
    assert.equal(t.entryPrice, 102.1);
    assert.equal(t.exitPrice, 106.9);
    const fees = 0.001 * 102.1 + 0.5 + 0.001 * 106.9 + 0.5;
    assert.ok(near(t.fees, fees), `fees ${t.fees}`);
    assert.ok(near(t.grossPnl, 4.8));
    assert.ok(near(r.closedPnl, 4.8 - fees));
    assert.ok(near(r.fees, fees));
    assert.ok(near(r.finalValue, 1000 + 4.8 - fees));
  });

  it('leaves an order placed on the last bar unfilled and reports the open position marked at the close', () => {
    const bt = new Backtester(config(), () => scripted({ 0: 'long', 2: 'exit' }));
    bt.feedBars(SERIES.slice(0, 3));
    const r = bt.report();
    assert.equal(r.fills, 1);
    assert.equal(r.closedTrades, 0);
    assert.deepEqual(r.openPosition && [r.openPosition.side, r.openPosition.qty, r.openPosition.avgPrice, r.openPosition.unrealizedPnl], ['long', 1, 102, 3]);
    assert.equal(r.finalValue, 1003);
    assert.equal(r.winRate, 0);
  });

  it('fills limit and stop orders when the bar range crosses them, at the price or a better/worse open', () => {
    const bt = new Backtester(config({ feeRate: 0.001, makerRate: 0.0005 }), null);
    const place = (req: Partial<OrderRequest>) =>
      bt.kernel.placeOrder('test', { accountId: 'backtest', botId: 'manual', symbol: SYMBOL, purpose: 'entry', qty: 1, side: 'buy', type: 'limit', ...req });
    const b = bars([
      [100, 100, 100, 100], // 0
      [100, 101, 99.5, 100], // 1: buy limit 99.8 inside the range: fills at 99.8 (maker)
      [100, 100.5, 99.6, 100], // 2: sell stop 99 not reached
      [99.2, 99.5, 98, 98.5], // 3: sell stop 99 reached: fills at 99 (open above it)
      [98, 98, 98, 98], // 4
      [103, 104, 102, 103], // 5: buy stop 101 gapped through: fills at the open 103; sell limit 102 not (placed later)
      [106, 107, 105, 106], // 6: sell limit 105 gapped through: fills at the better open 106
    ]);
    bt.feedBars(b.slice(0, 1));
    place({ type: 'limit', price: 99.8 });
    bt.feedBars(b.slice(1, 2));
    assert.equal(bt.kernel.portfolio.position(SYMBOL)?.avgPrice, 99.8);
    place({ type: 'stop', side: 'sell', purpose: 'exit', stopPrice: 99 });
    bt.feedBars(b.slice(2, 3));
    assert.ok(bt.kernel.portfolio.position(SYMBOL), 'stop not touched by a low of 99.6');
    bt.feedBars(b.slice(3, 5));
    assert.equal(bt.kernel.portfolio.position(SYMBOL), undefined);
    place({ type: 'stop', side: 'buy', stopPrice: 101 });
    bt.feedBars(b.slice(5, 6));
    assert.equal(bt.kernel.portfolio.position(SYMBOL)?.avgPrice, 103);
    place({ type: 'limit', side: 'sell', purpose: 'exit', price: 105 });
    bt.feedBars(b.slice(6, 7));
    const r = bt.report();
    assert.deepEqual(
      r.trades.map((t) => [t.entryPrice, t.exitPrice, t.openedAt - T0, t.closedAt - T0]),
      [
        [99.8, 99, 1 * MIN, 3 * MIN],
        [103, 106, 5 * MIN, 6 * MIN],
      ],
    );
    // Limit fills pay the maker rate, stop fills the taker rate.
    assert.ok(near(r.trades[0]?.fees, 99.8 * 0.0005 + 99 * 0.001));
    assert.ok(near(r.trades[1]?.fees, 103 * 0.001 + 106 * 0.0005));
  });

  it('runs over async batches and reports bars, kernel time and bars/s', async () => {
    async function* source() {
      yield SERIES.slice(0, 3);
      yield SERIES.slice(3);
    }
    const r = await runBacktest(config({ strategy: { name: 'sma-cross', fast: 2, slow: 3, size: 1 } }), source());
    assert.equal(r.bars, 7);
    assert.ok(r.kernelMs >= 0 && r.barsPerSecond > 0);
    assert.equal(r.cancelled, false);
  });

  it('refuses bars out of order', () => {
    const bt = new Backtester(config(), null);
    bt.feedBars(SERIES.slice(0, 2));
    assert.throws(() => bt.feedBars(SERIES.slice(1, 2)), /out of order/);
  });
});

describe('EquityStats', () => {
  it('keeps a bounded, evenly sampled equity curve with the last point', () => {
    const s = new EquityStats(10);
    for (let i = 0; i < 1000; i += 1) s.bar(i, 1000 + i);
    const curve = s.equityCurve();
    assert.ok(curve.length <= 11, `length ${curve.length}`);
    assert.equal(curve[0]?.ts, 0);
    assert.equal(curve[curve.length - 1]?.ts, 999);
    const gaps = new Set(curve.slice(1, -1).map((p, i) => p.ts - (curve[i] as { ts: number }).ts));
    assert.equal(gaps.size, 1, 'evenly spaced');
  });

  it('measures drawdown from the running peak, ticks included', () => {
    const s = new EquityStats();
    s.bar(1, 100);
    s.mark(120);
    s.mark(90);
    s.bar(2, 110);
    assert.equal(s.maxDrawdown, 30);
    assert.equal(s.maxDrawdownPct, 25);
  });
});

describe('MemoryStore', () => {
  it('restores account, open orders and id sequences like the SQLite journal', () => {
    const bt = new Backtester(config(), () => scripted({ 0: 'long', 3: 'exit', 4: 'long' }));
    bt.feedBars(SERIES.slice(0, 6));
    const restored = bt.store.restore('backtest');
    assert.equal(restored.account?.id, 'backtest');
    assert.equal(restored.positions.length, 1);
    assert.equal(restored.lastTradeSeq, 1);
    assert.equal(restored.lastPositionSeq, 2);
    assert.equal(restored.lastOrderSeq, 3);
    assert.equal(bt.store.recentTrades(10).length, 1);
    assert.equal(bt.store.listOrders({ limit: 2 })[0]?.id, 'O-00000003');
    assert.equal(new MemoryStore().restore('x').account, null);
  });
});
