import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashFile } from '../../src/adapters/columnar-cache/build.js';
import { SweepRequestError, SweepService, type SweepView } from '../../src/app/sweep-service.js';
import { LocalSweepQueue } from '../../src/backtest/local-sweep-queue.js';
import { SweepRunner } from '../../src/backtest/sweep-runner.js';
import type { SmaCrossSpec } from '../../src/backtest/strategies.js';
import { BUILTIN_INSTRUMENTS } from '../../src/core/instruments.js';
import { repoRoot, tempDir, waitFor } from '../helpers/server.js';
import { closedPort } from '../helpers/redis.js';
import { BullSweepQueue } from '../../src/adapters/bullmq/bull-sweep-queue.js';
import type { BacktestConfig } from '../../src/backtest/backtester.js';
import type { SweepResult } from '../../src/backtest/sweep.js';

// The sweep service on the local queue (no Redis): validation, progress, ranking, cancel.
const sample = join(repoRoot, 'samples', 'BTCUSDT-1m-2025-01-01_07.csv.gz');

describe('SweepService on the local worker-thread queue', () => {
  const queue = new LocalSweepQueue(new SweepRunner({ threads: 1, cacheDir: join(tempDir('tw-sweep-svc-'), 'cache') }), () => Date.now());
  const service = new SweepService({ queue, fingerprint: hashFile, dataDir: null, instruments: BUILTIN_INSTRUMENTS });
  after(() => queue.close());

  it('refuses bad requests with the field named, and unknown sweeps with 404', async () => {
    const refused = async (req: Parameters<SweepService['start']>[0], status: number, message: RegExp) => {
      await assert.rejects(service.start(req), (e: unknown) => e instanceof SweepRequestError && e.status === status && message.test(e.message));
    };
    await refused({ grid: 'fast=5..x', data: { file: sample } }, 422, /^grid: fast/);
    await refused({ grid: 'fast=30,slow=20', data: { file: sample } }, 422, /no combination with fast < slow/);
    await refused({ grid: 'fast=5', data: { file: sample }, strategy: 'max' }, 422, /^strategy/);
    await refused({ grid: 'fast=5', data: { file: sample }, rank: 'luck' }, 422, /^rank/);
    await refused({ grid: 'fast=5', data: { file: join(repoRoot, 'no-such.csv') } }, 422, /not found/);
    await refused({ grid: 'fast=5', data: { file: sample, from: 2, to: 1 } }, 422, /data.from/);
    await assert.rejects(service.view('sw-000000000000'), (e: unknown) => e instanceof SweepRequestError && e.status === 404);
  });

  it('runs every point once, counts progress up to the total and ranks the results', { timeout: 300_000 }, async () => {
    const started = await service.start({ grid: 'fast=5..6,slow=20..21', data: { file: sample }, rank: 'returnPct' });
    assert.equal(started.where, 'local');
    assert.equal(started.progress.total, 4);
    const seen: number[] = [];
    const done = await waitFor('the sweep done', async () => {
      const v = await service.view(started.sweep_id, 0);
      seen.push(v.progress.done);
      return v.state === 'done' ? v : null;
    }, 280_000, 20);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'progress only grows');
    assert.deepEqual(done.progress, { done: 4, failed: 0, total: 4, fraction: 1 });
    assert.ok(done.finished_at);
    const key = (r: SweepView['results'][number]) => `${(r.strategy as SmaCrossSpec).fast}/${(r.strategy as SmaCrossSpec).slow}`;
    assert.deepEqual(done.results.map(key).sort(), ['5/20', '5/21', '6/20', '6/21']);
    assert.deepEqual(done.results.map((r) => r.rank), [1, 2, 3, 4]);
    for (let i = 1; i < 4; i++) assert.ok((done.results[i - 1]?.returnPct ?? 0) >= (done.results[i]?.returnPct ?? 0));
    assert.equal((await service.view(started.sweep_id, 1)).results.length, 1);
    await assert.rejects(service.cancel(started.sweep_id), (e: unknown) => e instanceof SweepRequestError && e.status === 409);
  });

  it('cancel: the sweep stops taking points and records nothing more', { timeout: 300_000 }, async () => {
    const started = await service.start({ grid: 'fast=5..9,slow=20..29', data: { file: sample } });
    assert.equal(started.progress.total, 50);
    const cancelled = await service.cancel(started.sweep_id);
    assert.equal(cancelled.state, 'cancelled');
    // A sweep started after it runs to the end: the cancelled sweep's points were skipped, not run.
    const next = await service.start({ grid: 'fast=5,slow=20', data: { file: sample } });
    await waitFor('the next sweep done', async () => (await service.view(next.sweep_id)).state === 'done', 280_000, 20);
    const afterwards = await service.view(started.sweep_id, 0);
    assert.equal(afterwards.state, 'cancelled');
    assert.equal(afterwards.progress.done, cancelled.progress.done, 'nothing recorded after the cancel');
    assert.ok(afterwards.progress.done <= 1, 'at most the point already running when it was cancelled');
  });
});

describe('SweepService on Redis that does not answer', () => {
  it('refuses with 503 within seconds instead of waiting for Redis', { timeout: 60_000 }, async () => {
    const queue = new BullSweepQueue<BacktestConfig, SweepResult>({ url: `redis://127.0.0.1:${await closedPort()}`, keyPrefix: 'tw_unreachable:', now: () => Date.now() });
    const service = new SweepService({ queue, fingerprint: hashFile, dataDir: null, instruments: BUILTIN_INSTRUMENTS });
    try {
      const t0 = Date.now();
      await assert.rejects(service.start({ grid: 'fast=5,slow=20', data: { file: sample } }), (e: unknown) => e instanceof SweepRequestError && e.status === 503 && /Redis does not answer/.test(e.message));
      await assert.rejects(service.view('sw-000000000000'), (e: unknown) => e instanceof SweepRequestError && e.status === 503);
      assert.ok(Date.now() - t0 < 30_000, 'answered in seconds');
    } finally {
      await queue.close();
    }
  });
});
