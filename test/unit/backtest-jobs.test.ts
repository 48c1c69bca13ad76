import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JobCancelledError, JobRunner } from '../../src/backtest/job-runner.js';
import { runBacktestJob, type BacktestJobSpec } from '../../src/backtest/job.js';
import { repoRoot } from '../helpers/server.js';

const FILE = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2024.csv.gz');
const FILE_2025 = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2025-01.csv.gz');

const spec = (path: string, limit?: number): BacktestJobSpec => ({
  config: { instrument: 'BTC/USDT', strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 1 }, cash: 1_000_000, feeRate: 0.0004 },
  data: { kind: 'file', path, limit },
  batchSize: 4096,
});

/** The report without its timings (they differ between runs). */
const stable = (r: Record<string, unknown>) => {
  const { kernelMs: _k, loadMs: _l, barsPerSecond: _b, ticksPerSecond: _t, ...rest } = r;
  return rest;
};

describe('JobRunner: backtests in worker threads', { skip: !existsSync(FILE) && `no ${FILE}` }, () => {
  const runner = new JobRunner({ now: () => Date.now() });
  after(() => runner.close());

  it('reports increasing progress and a result equal to the in-thread run', async () => {
    const id = runner.start(spec(FILE_2025));
    const seen: number[] = [];
    runner.onProgress(id, (p) => seen.push(p.bars));
    const report = await runner.result(id);
    const inThread = await runBacktestJob(spec(FILE_2025));
    assert.deepEqual(stable({ ...report }), stable({ ...inThread }));
    assert.ok(seen.length >= 3, `${seen.length} progress messages`);
    for (let i = 1; i < seen.length; i += 1) assert.ok((seen[i] as number) > (seen[i - 1] as number), 'progress increases');
    const view = runner.get(id);
    assert.equal(view?.status, 'done');
    assert.equal(view?.progress.fraction, 1);
  });

  it('cancel stops the thread: no result, status cancelled, and the main loop stays responsive meanwhile', async () => {
    const id = runner.start(spec(FILE));
    let progressed = 0;
    runner.onProgress(id, (p) => (progressed = p.bars));
    // The main event loop keeps ticking while the worker runs.
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    while (progressed < 20_000) await new Promise((r) => setTimeout(r, 10));
    clearInterval(timer);
    assert.ok(ticks >= 2, `main loop ran ${ticks} timer callbacks during the job`);
    assert.equal(await runner.cancel(id), true);
    await assert.rejects(runner.result(id), JobCancelledError);
    const at = runner.get(id)?.progress.bars ?? 0;
    assert.ok(at < 527_040, 'stopped before the end');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(runner.get(id)?.progress.bars, at, 'no progress after cancel');
    assert.equal(runner.get(id)?.status, 'cancelled');
    assert.equal(await runner.cancel(id), false);
  });

  it('reports a failing job', async () => {
    const id = runner.start(spec('/nonexistent/file.csv'));
    await assert.rejects(runner.result(id), /ENOENT|no such file/);
    assert.equal(runner.get(id)?.status, 'failed');
  });

  it('in-thread: a cancel flag checked between batches ends the run early', async () => {
    let calls = 0;
    const r = await runBacktestJob(spec(FILE_2025), { onProgress: () => (calls += 1), shouldStop: () => calls >= 2 });
    assert.equal(r.cancelled, true);
    assert.ok(r.bars > 0 && r.bars < 44_640);
  });
});
