// The kernel backtest of the plain SMA crossover against a tiny independent reference: a loop
// over the closes with the textbook semantics (enter on the cross, exit or reverse on the
// opposite cross, orders at the bar close filled at the next bar's open, fixed size, no fees).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readBars } from '../../src/adapters/importers/index.js';
import { runBacktest } from '../../src/backtest/backtester.js';
import type { Bar } from '../../src/core/market.js';
import { repoRoot } from '../helpers/server.js';

const FILE = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2024.csv.gz');
const N = 50_000;

interface RefTrade {
  side: 'long' | 'short';
  entryTs: number;
  entry: number;
  exitTs: number;
  exit: number;
  pnl: number;
}

function reference(bars: readonly Bar[], fast: number, slow: number, size: number, longOnly: boolean) {
  const trades: RefTrade[] = [];
  let pos: { side: 'long' | 'short'; entry: number; entryTs: number } | null = null;
  let pending: ('exit' | 'long' | 'short')[] = [];
  let prev: 'long' | 'short' | null = null;
  const mean = (end: number, n: number) => {
    let s = 0;
    for (let j = end - n + 1; j <= end; j += 1) s += (bars[j] as Bar).close;
    return s / n;
  };
  for (let i = 0; i < bars.length; i += 1) {
    const bar = bars[i] as Bar;
    for (const action of pending) {
      if (action === 'exit' && pos) {
        const pnl = (bar.open - pos.entry) * size * (pos.side === 'long' ? 1 : -1);
        trades.push({ side: pos.side, entryTs: pos.entryTs, entry: pos.entry, exitTs: bar.start, exit: bar.open, pnl });
        pos = null;
      } else if (action !== 'exit') pos = { side: action, entry: bar.open, entryTs: bar.start };
    }
    pending = [];
    if (i + 1 < slow) continue;
    const regime = mean(i, fast) > mean(i, slow) ? 'long' : 'short';
    if (prev === null || regime === prev) {
      prev = regime;
      continue;
    }
    prev = regime;
    if (pos && pos.side !== regime) pending.push('exit');
    if (regime === 'long' || !longOnly) pending.push(regime);
  }
  return { trades, open: pos };
}

describe('SMA crossover: kernel backtest = independent reference (first 50,000 bars of 2024)', { skip: !existsSync(FILE) && `no ${FILE}` }, () => {
  let bars: Bar[] = [];
  before(async () => {
    for await (const batch of readBars(FILE, { symbol: 'BTC/USDT' })) {
      bars.push(...batch);
      if (bars.length >= N) break;
    }
    bars = bars.slice(0, N);
  });

  for (const longOnly of [true, false]) {
    it(`fast 10, slow 30, size 1, ${longOnly ? 'long-only' : 'long and short (reversals)'}`, async () => {
      const ref = reference(bars, 10, 30, 1, longOnly);
      const r = await runBacktest(
        { instrument: 'BTC/USDT', strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 1, longOnly }, cash: 1_000_000 },
        [bars],
      );
      assert.ok(ref.trades.length > 100, `${ref.trades.length} reference trades`);
      assert.equal(r.closedTrades, ref.trades.length);
      const mine = r.trades.map((t) => [t.side, t.openedAt, t.entryPrice, t.closedAt, t.exitPrice]);
      const theirs = ref.trades.map((t) => [t.side, t.entryTs, t.entry, t.exitTs, t.exit]);
      const firstDiff = mine.findIndex((m, i) => JSON.stringify(m) !== JSON.stringify(theirs[i]));
      assert.equal(firstDiff, -1, `first differing trade #${firstDiff}: kernel ${JSON.stringify(mine[firstDiff])} vs reference ${JSON.stringify(theirs[firstDiff])}`);
      const refPnl = ref.trades.reduce((a, t) => a + t.pnl, 0);
      assert.ok(Math.abs(r.closedPnl - refPnl) < 1e-6, `closed PnL ${r.closedPnl} vs reference ${refPnl}`);
      assert.deepEqual(r.openPosition && [r.openPosition.side, r.openPosition.avgPrice, r.openPosition.openedAt], ref.open && [ref.open.side, ref.open.entry, ref.open.entryTs]);
      assert.equal(r.fees, 0);
    });
  }
});

describe('SMA crossover on the whole of 2024 under the live default limits', { skip: !existsSync(FILE) && `no ${FILE}` }, () => {
  it('fast 10, slow 30, size 1, long-only, 1 000 000 cash: 10,616 closed trades, closed PnL -10,393.09, equal to the reference loop', async () => {
    const all: Bar[] = [];
    for await (const batch of readBars(FILE, { symbol: 'BTC/USDT' })) all.push(...batch);
    // No risk block given: the backtest runs under DEFAULT_RISK and DEFAULT_ACCOUNT_LIMITS (5x gross, 5% daily loss, margin at 10x...).
    const r = await runBacktest({ instrument: 'BTC/USDT', strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 1, longOnly: true }, cash: 1_000_000, feeRate: 0 }, [all]);
    const ref = reference(all, 10, 30, 1, true);
    assert.equal(r.closedTrades, ref.trades.length);
    assert.equal(r.closedTrades, 10_616);
    assert.equal(Math.round(r.closedPnl * 100) / 100, -10_393.09);
    assert.ok(Math.abs(r.closedPnl - ref.trades.reduce((a, t) => a + t.pnl, 0)) < 1e-6);
  });
});
