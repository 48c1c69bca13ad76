// `tradewind backtest --strategy ensemble --models train:N` on real BTCUSDT minutes: models
// trained only on the days before the test period, the same report twice, and decisions that do
// not change when later data is cut off (nothing of the future reaches a decision).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { runBacktestCli, type BacktestCliOptions } from '../../src/cli/backtest.js';
import { BTC_2024 } from '../helpers/ml.js';

const sink = () => {
  let text = '';
  const stream = new Writable({ write: (c, _e, cb) => ((text += c.toString()), cb()) });
  return { stream, text: () => text };
};

const DAY = 86_400_000;
const FROM = Date.UTC(2024, 0, 10);

async function run(to: number): Promise<Record<string, unknown> & { trades: { closedAt: number; entryPrice: number; side: string; qty: number }[]; training: { from: number; to: number; rows: number; horizon: number } }> {
  const out = sink();
  const err = sink();
  const opts: BacktestCliOptions = {
    data: BTC_2024, instrument: 'BTC/USDT', from: FROM, to, strategy: 'ensemble', fast: 10, slow: 30, stopAtr: 0, cash: 100_000, fee: 0.0004, feePerContract: 0, slippageTicks: 0,
    json: true, models: 'train:2', trainDays: 5, horizon: 5, rounds: 30, method: 'weighted_average', threshold: 0.52, edge: 0.01, minModels: 2, positionSize: 0.1, stopLoss: 0.005, takeProfit: 0.01,
  };
  const code = await runBacktestCli(opts, out.stream as unknown as typeof process.stdout, err.stream as unknown as typeof process.stderr);
  assert.equal(code, 0, err.text());
  return JSON.parse(out.text());
}

const withoutTimings = (r: Record<string, unknown>) => {
  const { kernelMs: _k, loadMs: _l, barsPerSecond: _b, ticksPerSecond: _t, ...rest } = r;
  return rest;
};

describe('ensemble backtest', { skip: existsSync(BTC_2024) ? false : `no data at ${BTC_2024}` }, () => {
  test('trains on the days before the test period only, is deterministic, and uses no later data', async () => {
    const a = await run(FROM + 2 * DAY);
    assert.ok(a.training.to < FROM, `last training bar ${new Date(a.training.to).toISOString()} is before the test period`);
    assert.ok(a.training.from >= FROM - 5 * DAY);
    assert.ok(a.training.rows > 5000);
    assert.equal(a.bars, 2 * 1440);
    assert.ok((a.closedTrades as number) > 0, 'the ensemble traded');
    assert.deepEqual((a.strategy as { models: unknown[] }).models, [{ name: 'model-1', weight: 1 }, { name: 'model-2', weight: 1 }]);
    const b = await run(FROM + 2 * DAY);
    assert.deepEqual(withoutTimings(b), withoutTimings(a));
    // Cut the data after the first day: every trade closed in it is the same trade.
    const c = await run(FROM + DAY);
    const firstDay = (r: typeof a) => r.trades.filter((t) => t.closedAt < FROM + DAY - 60_000);
    assert.ok(firstDay(a).length > 0);
    assert.deepEqual(firstDay(c), firstDay(a));
  });
});
