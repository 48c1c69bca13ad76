import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BullSweepQueue } from '../../src/adapters/bullmq/bull-sweep-queue.js';
import { hashFile } from '../../src/adapters/columnar-cache/build.js';
import { SweepService, type SweepView } from '../../src/app/sweep-service.js';
import type { BacktestConfig } from '../../src/backtest/backtester.js';
import type { SmaCrossSpec } from '../../src/backtest/strategies.js';
import type { SweepResult } from '../../src/backtest/sweep.js';
import { BUILTIN_INSTRUMENTS } from '../../src/core/instruments.js';
import { adminRedis, dropKeys, redisSkip, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { startWorker, type WorkerHandle } from '../helpers/worker.js';

// Distributed parameter sweeps: real `tradewind worker` processes on the real Redis
// (127.0.0.1:6379 or TEST_REDIS_URL) under this run's own key prefix; skipped with the reason
// when Redis is unreachable outside CI, a failure under CI=true.
const skip = await redisSkip();
const prefix = uniquePrefix();
const sample = join(repoRoot, 'samples', 'BTCUSDT-1m-2025-01-01_07.csv.gz');
const bin = join(repoRoot, 'bin', 'tradewind.js');
// Short locks so that a killed worker's point is back in the queue within seconds.
const fastRetry = ['--concurrency', '1', '--health-port', '0', '--lock-ms', '3000', '--stalled-ms', '500'];

/** Runs `tradewind sweep` to its end; its JSON result, exit code and progress lines. */
async function runSweepCli(args: string[], env: Record<string, string>, onStart?: () => void): Promise<{ code: number | null; view: SweepView & { wall_s: number }; stderr: string }> {
  const proc = spawn(process.execPath, [bin, 'sweep', '--json', '--poll-ms', '100', ...args], { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  onStart?.();
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  assert.ok(stdout.trim(), `tradewind sweep printed no result (exit ${code}):\n${stderr}`);
  return { code, view: JSON.parse(stdout) as SweepView & { wall_s: number }, stderr };
}

const key = (s: SweepResult) => `${(s.strategy as SmaCrossSpec).fast}/${(s.strategy as SmaCrossSpec).slow}`;
const figures = (rs: SweepResult[]) => rs.map(({ kernelMs: _k, ...r }) => r).sort((a, b) => a.index - b.index);

describe('distributed sweeps: tradewind worker processes on Redis (BullMQ)', { skip }, () => {
  const dataDir = tempDir('tw-dist-sweep-');
  const env = { REDIS_URL: testRedisUrl(), TRADEWIND_REDIS_PREFIX: prefix, DATA_DIR: dataDir };
  const workers: WorkerHandle[] = [];
  const servers: ServerHandle[] = [];
  let queue: Queue;
  let redis: Redis;
  let distributed: SweepResult[] = [];

  before(() => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    queue = new Queue('sweeps', { connection: redis, prefix: `${prefix}bull` });
  });
  after(async () => {
    for (const w of workers) await w.kill9();
    for (const s of servers) await s.stop();
    await queue.close();
    redis.disconnect();
    const admin = adminRedis();
    await dropKeys(admin, prefix);
    admin.disconnect();
  });

  it('a sweep over two workers, one SIGKILLed mid-point, finishes with every grid point exactly once, ranked', { timeout: 400_000 }, async () => {
    const [a, b] = await Promise.all([startWorker({ args: [...fastRetry, '--name', `A-${process.pid}`], env }), startWorker({ args: [...fastRetry, '--name', `B-${process.pid}`], env })]);
    workers.push(a, b);
    let killedJob = '';
    let killedWhileActive: string[] = [];
    const run = runSweepCli(['--grid', 'fast=5..7,slow=20..23', '--data', sample], env, () => {
      // As soon as A runs a point while others wait: SIGKILL it. A point takes milliseconds on a quiet machine, so A is
      // first frozen (SIGSTOP) and its active point read while it cannot finish it; if it was between two points, it
      // is thawed and watched again.
      void waitFor(
        'worker A frozen while running a point with more waiting',
        async () => {
          const [active, waiting] = await Promise.all([queue.getJobs(['active']), queue.getJobCountByTypes('wait')]);
          if (!active.some((j) => j.processedBy === a.name) || waiting === 0) return null;
          a.proc.kill('SIGSTOP');
          const mine = (await queue.getJobs(['active'])).filter((j) => j.processedBy === a.name).map((j) => String(j.id));
          if (mine.length > 0) return mine;
          a.proc.kill('SIGCONT');
          return null;
        },
        300_000,
        20,
      ).then(async (ids) => {
        killedJob = ids.join(',');
        await a.kill9();
        // Its point is still active in Redis, locked by a dead worker: only a stall check frees it.
        killedWhileActive = (await queue.getJobs(['active'])).filter((j) => j.processedBy === a.name).map((j) => String(j.id));
      });
    });
    const { code, view, stderr } = await run;
    assert.ok(killedJob, 'worker A was killed mid-sweep');
    assert.ok(killedWhileActive.length > 0, `a point was left active by the killed worker (killed while on ${killedJob})`);
    assert.equal(code, 0, stderr);
    assert.equal(view.state, 'done');
    assert.equal(view.where, 'redis');
    assert.deepEqual(view.progress, { done: 12, failed: 0, total: 12, fraction: 1 });
    assert.equal(view.results.length, 12, 'every point once');
    assert.deepEqual(view.results.map((r) => r.index).sort((x, y) => x - y), [...Array(12).keys()], 'each index exactly once');
    const expected = [5, 6, 7].flatMap((f) => [20, 21, 22, 23].map((s) => `${f}/${s}`));
    assert.deepEqual(view.results.map(key).sort(), expected.sort(), 'each grid point exactly once');
    assert.deepEqual(view.results.map((r) => r.rank), [...Array(12).keys()].map((i) => i + 1));
    for (let i = 1; i < view.results.length; i++) assert.ok((view.results[i - 1] as SweepResult).closedPnl >= (view.results[i] as SweepResult).closedPnl, 'ranked by closed PnL, best first');
    // B put the dead worker's point back (BullMQ's stall check) and ran it.
    for (const id of killedWhileActive) {
      // B's log is written asynchronously: the line can come after the sweep's result.
      const stalled = new RegExp(`"job":"${id}".*goes back to the queue`);
      await waitFor(`B's log line for ${id} stalled`, async () => stalled.test(b.output()), 15_000).catch(() => assert.fail(`B saw ${id} stalled:\n${b.output()}`));
      assert.ok(view.results.some((r) => `${view.sweep_id}-${r.index}` === id), `${id} has its result`);
    }
    // Progress lines, one per change, up to the whole grid.
    const counts = [...stderr.matchAll(/^\[(\d+)\/12\]/gm)].map((m) => Number(m[1]));
    assert.ok(counts.length > 0, stderr);
    assert.deepEqual(counts, [...counts].sort((x, y) => x - y), 'progress only grows');
    assert.equal(counts.at(-1), 12);
    distributed = view.results;
  });

  it('without Redis, the same sweep runs on local threads with the same results', { timeout: 400_000 }, async (t) => {
    if (distributed.length === 0) return t.skip('the distributed sweep did not finish');
    const { code, view } = await runSweepCli(['--grid', 'fast=5..7,slow=20..23', '--data', sample, '--threads', '2'], { ...env, REDIS_URL: '' });
    assert.equal(code, 0);
    assert.equal(view.where, 'local');
    assert.deepEqual(figures(view.results), figures(distributed), 'workers compute what local threads compute');
  });

  it('cancel: points not yet taken leave the queue, nothing is recorded after the cancel, progress counts up to it', { timeout: 400_000 }, async () => {
    const worker = workers.find((w) => w.proc.exitCode === null && w.proc.signalCode === null) ?? (await startWorker({ args: fastRetry, env }));
    if (!workers.includes(worker)) workers.push(worker);
    const coordinator = new BullSweepQueue<BacktestConfig, SweepResult>({ url: testRedisUrl(), keyPrefix: prefix, now: () => Date.now() });
    const service = new SweepService({ queue: coordinator, fingerprint: hashFile, dataDir: null, instruments: BUILTIN_INSTRUMENTS });
    try {
      const started = await service.start({ grid: 'fast=5..14,slow=20..29', data: { file: sample } });
      assert.equal(started.progress.total, 100);
      const seen: number[] = [];
      await waitFor('two finished points', async () => {
        const v = await service.view(started.sweep_id);
        seen.push(v.progress.done);
        assert.equal(v.progress.fraction, Math.round((v.progress.done / 100) * 10_000) / 10_000);
        return v.progress.done >= 2;
      }, 300_000, 50);
      assert.deepEqual(seen, [...seen].sort((x, y) => x - y), 'progress only grows');
      const cancelled = await service.cancel(started.sweep_id);
      assert.equal(cancelled.state, 'cancelled');
      const waiting = (await queue.getJobs(['wait', 'prioritized', 'delayed'])).filter((j) => String(j.id).startsWith(started.sweep_id));
      assert.deepEqual(waiting.map((j) => j.id), [], 'no point of the sweep left to take');
      // The point being run when it was cancelled finishes and is dropped.
      await waitFor('the worker idle', async () => ((await getJson<{ active: number }>(worker.health)).body.active === 0 ? true : null), 120_000, 50);
      const afterwards = await service.view(started.sweep_id, 0);
      assert.equal(afterwards.state, 'cancelled');
      assert.equal(afterwards.progress.done, cancelled.progress.done, 'no result recorded after the cancel');
      assert.ok(afterwards.progress.done < 100);
      await assert.rejects(service.cancel(started.sweep_id), /already finished \(cancelled\)/);
    } finally {
      await coordinator.close();
    }
  });

  it('the HTTP API: POST starts a sweep on the workers, GET shows progress and ranked results, DELETE and POST .../cancel cancel', { timeout: 400_000 }, async () => {
    const importDir = join(dataDir, 'imports');
    mkdirSync(importDir, { recursive: true });
    copyFileSync(sample, join(importDir, 'btc.csv.gz'));
    const server = await startServer({ dataDir: tempDir('tw-dist-sweep-server-'), env: { REDIS_URL: testRedisUrl(), TRADEWIND_REDIS_PREFIX: prefix, TRADEWIND_IMPORT_DIR: importDir }, startTimeoutMs: 120_000 });
    servers.push(server);
    const api = `${server.url}/api/sweeps`;
    const post = (body: unknown, url = api) => getJson<SweepView & { url: string; detail?: string }>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    assert.equal((await post({ grid: 'fast=5..x', data: { file: 'btc.csv.gz' } })).status, 422);
    assert.equal((await post({ grid: 'fast=5..6', data: { file: '../../etc/passwd' } })).status, 403);
    assert.equal((await post({ grid: 'fast=5..6', data: { file: 'btc.csv.gz' }, rank: 'luck' })).status, 422);
    assert.equal((await getJson(`${api}/sw-000000000000`)).status, 404);

    if (!workers.some((w) => w.proc.exitCode === null && w.proc.signalCode === null)) workers.push(await startWorker({ args: fastRetry, env }));
    const started = await post({ grid: 'fast=5..6,slow=20..21', data: { file: 'btc.csv.gz' }, rank: 'returnPct' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.where, 'redis');
    assert.equal(started.body.progress.total, 4);
    const sweepUrl = `${server.url}${started.body.url}`;
    assert.equal(started.body.url, `/api/sweeps/${started.body.sweep_id}`);
    const done = await waitFor('the sweep done', async () => {
      const r = await getJson<SweepView>(`${sweepUrl}?top=0`);
      assert.equal(r.status, 200);
      return r.body.state === 'done' ? r.body : null;
    }, 300_000, 100);
    assert.deepEqual(done.progress, { done: 4, failed: 0, total: 4, fraction: 1 });
    assert.equal(done.rank_by, 'returnPct');
    assert.deepEqual(done.results.map(key).sort(), ['5/20', '5/21', '6/20', '6/21']);
    for (let i = 1; i < done.results.length; i++) assert.ok((done.results[i - 1] as SweepResult).returnPct >= (done.results[i] as SweepResult).returnPct, 'ranked best first');
    const top1 = await getJson<SweepView>(`${sweepUrl}?top=1`);
    assert.deepEqual(top1.body.results.map(key), [key(done.results[0] as SweepResult)]);
    assert.equal((await getJson(sweepUrl, { method: 'DELETE' })).status, 409, 'a finished sweep cannot be cancelled');

    // With no worker connected a sweep stays queued: DELETE cancels it and empties its queue.
    for (const w of workers) await w.stop();
    for (const viaPost of [false, true]) {
      const queued = await post({ grid: 'fast=5..9,slow=20..24', data: { file: 'btc.csv.gz' } });
      assert.equal(queued.status, 202);
      const queuedUrl = `${server.url}${queued.body.url}`;
      const cancelled = viaPost ? await post({}, `${queuedUrl}/cancel`) : await getJson<SweepView>(queuedUrl, { method: 'DELETE' });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.state, 'cancelled');
      assert.equal(cancelled.body.progress.done, 0);
      const left = (await queue.getJobs(['wait', 'prioritized', 'delayed'])).filter((j) => String(j.id).startsWith(queued.body.sweep_id));
      assert.equal(left.length, 0);
      assert.equal((await getJson<SweepView>(queuedUrl)).body.state, 'cancelled');
    }
  });
});
