// Parameter sweep scaling: the same grid over the 527,040 bars of 2024 on one worker thread and
// on two (both sharing one SharedArrayBuffer of the columns), alternated so that other load on
// the machine hits both alike; best wall time of each, and the speed-up (target: two threads
// at least 1.8x one). The results of both must be identical.
//
//   npm run bench:sweep
//
// Environment: BENCH_SWEEP_GRID ("fast=5..8,slow=20..22"), BENCH_SWEEP_ROUNDS (2), BENCH_BARS_FILE.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ColumnarCache } from '../src/adapters/columnar-cache/cache.js';
import { gridCombinations, parseGrid } from '../src/backtest/grid.js';
import { sweep, type SweepResult } from '../src/backtest/sweep.js';
import type { BacktestConfig } from '../src/backtest/backtester.js';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { defaultBarsFile } from './backtest-bars.js';
import { envNumber, isMain, machineInfo, removeBenchDir, round } from './common.js';

export interface SweepBenchResult {
  grid: string;
  combinations: number;
  bars: number;
  wallS: Record<'1' | '2', number[]>;
  /** CPU seconds of the process (all threads) per wall second, per run: the cores it actually got. */
  coresUsed: Record<'1' | '2', number[]>;
  cpuSeconds: Record<'1' | '2', number>;
  best: Record<'1' | '2', number>;
  speedup: number;
  identical: boolean;
  target: { minSpeedup: number };
}

export async function runSweepBench(log: (s: string) => void = console.log): Promise<SweepBenchResult> {
  const grid = process.env.BENCH_SWEEP_GRID ?? 'fast=5..8,slow=20..22';
  const rounds = Math.max(1, Math.floor(envNumber('BENCH_SWEEP_ROUNDS', 2)));
  const file = process.env.BENCH_BARS_FILE ?? defaultBarsFile();
  const cacheDir = tempDir('tw-bench-sweep-');
  const { table } = await new ColumnarCache(join(cacheDir, 'cache')).load(file, 'bars');
  removeBenchDir(cacheDir); // the table is in memory now
  const base: BacktestConfig = { instrument: 'BTC/USDT', strategy: { name: 'sma-cross', fast: 10, slow: 30, size: 1, longOnly: true }, cash: 1_000_000, feeRate: 0, slippageTicks: 0 };
  const { specs } = gridCombinations({ name: 'sma-cross', fast: 10, slow: 30, size: 1, longOnly: true }, parseGrid(grid));
  const configs = specs.map((strategy) => ({ ...base, strategy }));
  log(`sweep: ${configs.length} combinations (${grid}) over ${table.rows} bars, ${rounds} rounds of 1 then 2 threads`);
  const wallS: Record<'1' | '2', number[]> = { '1': [], '2': [] };
  const coresUsed: Record<'1' | '2', number[]> = { '1': [], '2': [] };
  const strip = (rs: SweepResult[]) => JSON.stringify(rs.map(({ kernelMs: _k, ...r }) => r));
  let reference: string | null = null;
  let identical = true;
  for (let round_ = 0; round_ < rounds; round_++) {
    for (const threads of [1, 2] as const) {
      const cpu0 = process.cpuUsage();
      const out = await sweep(table, configs, { threads });
      const cpu = process.cpuUsage(cpu0);
      const s = out.wallMs / 1000;
      const cores = (cpu.user + cpu.system) / 1e6 / s;
      wallS[String(threads) as '1' | '2'].push(round(s, 2));
      coresUsed[String(threads) as '1' | '2'].push(round(cores, 2));
      const key = strip(out.results);
      reference ??= key;
      identical &&= key === reference;
      log(`  ${threads} thread${threads === 1 ? ' ' : 's'}: ${s.toFixed(2)} s (${Math.round((configs.length * table.rows) / s).toLocaleString('en-US')} bars/s over all combinations), ${cores.toFixed(2)} cores used`);
    }
  }
  const best = { '1': Math.min(...wallS['1']), '2': Math.min(...wallS['2']) };
  const speedup = round(best['1'] / best['2'], 2);
  log(`  best: 1 thread ${best['1']} s, 2 threads ${best['2']} s: ${speedup}x; results identical: ${identical}`);
  // On a shared machine the threads get what the scheduler gives: the CPU time of a whole sweep
  // (wall x cores used) shows the pool's own cost, whatever the other load.
  const cpuS = (k: '1' | '2') => Math.min(...wallS[k].map((w, i) => w * (coresUsed[k][i] ?? 0)));
  const cpuSeconds = { '1': round(cpuS('1'), 2), '2': round(cpuS('2'), 2) };
  log(`  CPU seconds per sweep (least): 1 thread ${cpuSeconds['1']}, 2 threads ${cpuSeconds['2']} (two threads cost ${round((cpuSeconds['2'] / cpuSeconds['1'] - 1) * 100, 1)}% more CPU)`);
  return { grid, combinations: configs.length, bars: table.rows, wallS, coresUsed, cpuSeconds, best, speedup, identical, target: { minSpeedup: 1.8 } };
}

if (isMain(import.meta.url)) {
  const machine = machineInfo();
  const result = await runSweepBench();
  console.log(`\n${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ machine, loadavg: loadavg(), at: new Date().toISOString(), sweep: result }, null, 2));
}
