import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JobReportDroppedError, JobRunner } from '../../src/backtest/job-runner.js';
import type { BacktestJobSpec } from '../../src/backtest/job.js';
import { BacktestJobs } from '../../src/app/backtest-jobs.js';
import { repoRoot } from '../helpers/server.js';

// The soak found every finished backtest's report held in memory (~0.3 MB each, 100 jobs kept):
// only the newest reports stay, within a count and a JSON byte budget; older jobs stay listed.
const FILE = join(repoRoot, 'samples', 'BTCUSDT-1m-2025-01-01_07.csv.gz');
const spec = (limit: number): BacktestJobSpec => ({
  config: { instrument: 'BTC/USDT', strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 1 }, cash: 1_000_000, feeRate: 0.0004 },
  data: { kind: 'file', path: FILE, limit },
  batchSize: 4096,
});

/** Runs `n` jobs two at a time; returns their ids in start order. */
async function runJobs(runner: JobRunner, n: number, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 2) {
    const batch = [runner.start(spec(limit)), ...(i + 1 < n ? [runner.start(spec(limit))] : [])];
    ids.push(...batch);
    await Promise.all(batch.map((id) => runner.result(id)));
  }
  return ids;
}

describe('JobRunner: finished reports are bounded', () => {
  const runners: JobRunner[] = [];
  after(() => Promise.all(runners.map((r) => r.close())));

  it('keeps the reports of the newest keepReports done jobs; older jobs stay listed without one', async () => {
    const runner = new JobRunner({ now: () => Date.now(), keepReports: 4, keepReportMs: 0 });
    runners.push(runner);
    const ids = await runJobs(runner, 11, 1500);
    const kept = ids.filter((id) => runner.report(id) !== undefined);
    assert.deepEqual(kept, ids.slice(-4), 'the newest four reports are kept');
    assert.equal(runner.reportsKept().count, 4);
    assert.deepEqual(
      runner.list().map((j) => j.id),
      ids,
      'every job is still listed',
    );
    for (const id of ids) assert.equal(runner.get(id)?.status, 'done');
    await assert.rejects(runner.result(ids[0] as string), JobReportDroppedError);
    const newest = await runner.result(ids.at(-1) as string);
    assert.equal(newest.bars, 1500);
  });

  it('keeps reports within keepReportBytes of JSON, and always the newest one', async () => {
    const probe = new JobRunner({ now: () => Date.now() });
    runners.push(probe);
    const [one] = await runJobs(probe, 1, 1500);
    const bytes = probe.reportsKept().bytes;
    assert.equal(bytes, JSON.stringify(probe.report(one as string)).length, 'a report counts its JSON length');

    const runner = new JobRunner({ now: () => Date.now(), keepReportBytes: Math.floor(bytes * 2.5), keepReportMs: 0 });
    runners.push(runner);
    const ids = await runJobs(runner, 8, 1500);
    assert.deepEqual(
      ids.filter((id) => runner.report(id) !== undefined),
      ids.slice(-2),
      'two reports fit the budget',
    );
    assert.ok(runner.reportsKept().bytes <= bytes * 2.5);

    const tiny = new JobRunner({ now: () => Date.now(), keepReportBytes: 1, keepReportMs: 0 });
    runners.push(tiny);
    const tinyIds = await runJobs(tiny, 3, 1500);
    assert.deepEqual(
      tinyIds.filter((id) => tiny.report(id) !== undefined),
      tinyIds.slice(-1),
      'the newest report is kept even past the budget',
    );
  });

  it('keeps a report younger than keepReportMs past the count, so a poller always gets its job', async () => {
    let t = 1_000_000;
    const runner = new JobRunner({ now: () => t, keepReports: 1, keepReportMs: 60_000 });
    runners.push(runner);
    const young = await runJobs(runner, 3, 1500);
    assert.deepEqual(young.filter((id) => runner.report(id) !== undefined), young, 'all finished within the minute');
    t += 61_000;
    const [latest] = await runJobs(runner, 1, 1500);
    assert.deepEqual(
      [...young, latest].filter((id) => runner.report(id as string) !== undefined),
      [latest],
      'a minute later only the newest is kept',
    );
  });
});

describe('BacktestJobs: a dropped report is said, not hidden', () => {
  it('GET /api/backtests/:id and the list mark a done job without its report as result_dropped', async () => {
    const runner = new JobRunner({ now: () => Date.now(), keepReports: 1, keepReportMs: 0 });
    after(() => runner.close());
    const service = new BacktestJobs({ jobs: runner, importDir: join(repoRoot, 'samples'), marketDb: join(repoRoot, 'no-market.db'), instruments: [] });
    const [old, latest] = await runJobs(runner, 2, 1500);
    const dropped = service.view(old as string);
    assert.equal(dropped.state, 'done');
    assert.equal(dropped.result, null);
    assert.equal((dropped as { result_dropped?: boolean }).result_dropped, true);
    const kept = service.view(latest as string);
    assert.equal(kept.result?.bars, 1500);
    assert.equal('result_dropped' in kept, false);
    assert.deepEqual(
      service.list().map((j) => [j.job_id, 'result_dropped' in j]),
      [
        [latest, false],
        [old, true],
      ],
    );
  });
});
