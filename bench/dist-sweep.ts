// Distributed sweep throughput: the same grid on 1 then 2 `tradewind worker` processes (one
// point at a time each, so a worker is one core) taking points from the real Redis through
// BullMQ, coordinated from this process. Each run is timed from the enqueue to the last result
// recorded, after a warm-up sweep so that every worker has the data loaded; points/s for each.
//
//   npm run bench:dist-sweep
//
// Environment: BENCH_DIST_SWEEP_GRID ("fast=5..12,slow=20..29"), BENCH_DIST_SWEEP_FILE (the
// one-week sample in samples/), BENCH_DIST_SWEEP_ROUNDS (1), TEST_REDIS_URL.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BullSweepQueue } from '../src/adapters/bullmq/bull-sweep-queue.js';
import { hashFile } from '../src/adapters/columnar-cache/build.js';
import { SweepService } from '../src/app/sweep-service.js';
import type { BacktestConfig } from '../src/backtest/backtester.js';
import type { SweepResult } from '../src/backtest/sweep.js';
import { BUILTIN_INSTRUMENTS } from '../src/core/instruments.js';
import { dropKeys, testRedisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { startWorker, type WorkerHandle } from '../test/helpers/worker.js';
import { envNumber, isMain, machineInfo, round } from './common.js';

export interface DistSweepBenchResult {
  grid: string;
  file: string;
  points: number;
  /** Per worker count: wall seconds of each round, and the best round's points/s. */
  wallS: Record<'1' | '2', number[]>;
  pointsPerS: Record<'1' | '2', number>;
  /** CPU seconds the workers used per wall second of each round: the cores the machine gave them. */
  coresUsed: Record<'1' | '2', number[]>;
  speedup: number;
}

/** CPU seconds a process (all its threads) has used, from /proc (Linux); null elsewhere. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
  } catch {
    return null;
  }
}

async function timedSweep(service: SweepService, grid: string, file: string): Promise<{ seconds: number; points: number }> {
  const t0 = performance.now();
  const started = await service.start({ grid, data: { file } });
  for (;;) {
    const v = await service.view(started.sweep_id, 1);
    if (v.state !== 'running') {
      if (v.state !== 'done' || v.progress.failed > 0) throw new Error(`sweep ${v.sweep_id} ended ${v.state}: ${JSON.stringify(v.errors.slice(0, 3))}`);
      return { seconds: (performance.now() - t0) / 1000, points: v.progress.done };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function runDistSweepBench(log: (s: string) => void = console.log): Promise<DistSweepBenchResult> {
  const grid = process.env.BENCH_DIST_SWEEP_GRID ?? 'fast=5..12,slow=20..29';
  const file = process.env.BENCH_DIST_SWEEP_FILE ?? join(repoRoot, 'samples', 'BTCUSDT-1m-2025-01-01_07.csv.gz');
  const rounds = Math.max(1, Math.floor(envNumber('BENCH_DIST_SWEEP_ROUNDS', 1)));
  const prefix = uniquePrefix();
  const env = { REDIS_URL: testRedisUrl(), TRADEWIND_REDIS_PREFIX: prefix, DATA_DIR: tempDir('tw-bench-dist-sweep-'), LOG_LEVEL: 'warn' };
  const queue = new BullSweepQueue<BacktestConfig, SweepResult>({ url: testRedisUrl(), keyPrefix: prefix, now: () => Date.now() });
  const service = new SweepService({ queue, fingerprint: hashFile, dataDir: null, instruments: BUILTIN_INSTRUMENTS });
  const workers: WorkerHandle[] = [];
  const wallS: Record<'1' | '2', number[]> = { '1': [], '2': [] };
  const coresUsed: Record<'1' | '2', number[]> = { '1': [], '2': [] };
  const workersCpu = () => workers.reduce((sum, w) => sum + (cpuSeconds(w.proc.pid) ?? Number.NaN), 0);
  let points = 0;
  try {
    for (const n of [1, 2] as const) {
      while (workers.length < n) workers.push(await startWorker({ args: ['--concurrency', '1', '--health-port', '0'], env }));
      // Warm-up: every worker loads the data (through the shared columnar cache) before timing.
      await timedSweep(service, `fast=5,slow=${Array.from({ length: 2 * n }, (_, i) => 20 + i).join('|')}`, file);
      for (let r = 0; r < rounds; r++) {
        const cpu0 = workersCpu();
        const run = await timedSweep(service, grid, file);
        const cores = (workersCpu() - cpu0) / run.seconds;
        points = run.points;
        wallS[String(n) as '1' | '2'].push(round(run.seconds, 2));
        coresUsed[String(n) as '1' | '2'].push(round(cores, 2));
        log(`  ${n} worker${n === 1 ? ' ' : 's'}: ${run.points} points in ${run.seconds.toFixed(2)} s = ${(run.points / run.seconds).toFixed(2)} points/s; the workers got ${cores.toFixed(2)} cores`);
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.close();
    const admin = new Redis(testRedisUrl());
    await dropKeys(admin, prefix);
    admin.disconnect();
  }
  const pointsPerS = { '1': round(points / Math.min(...wallS['1']), 2), '2': round(points / Math.min(...wallS['2']), 2) };
  const speedup = round(pointsPerS['2'] / pointsPerS['1'], 2);
  log(`  best: 1 worker ${pointsPerS['1']} points/s, 2 workers ${pointsPerS['2']} points/s: ${speedup}x`);
  return { grid, file, points, wallS, pointsPerS, coresUsed, speedup };
}

if (isMain(import.meta.url)) {
  const machine = machineInfo();
  console.log(`distributed sweep on Redis ${testRedisUrl()}: 1 then 2 worker processes, one point at a time each`);
  const result = await runDistSweepBench();
  console.log(`\n${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dist-sweep.json'), JSON.stringify({ machine, loadavg: loadavg(), at: new Date().toISOString(), distSweep: result }, null, 2));
}
