// The issue's example command timed as whole processes with hyperfine: the SMA 10/30 crossover,
// long-only, size 1, no fees, over the 527,040 one-minute bars of 2024 —
//   cold:     the first run on the raw .csv.gz (the columnar cache emptied before each run)
//   warm:     the cache built (the usual case: the same data run again)
//   no cache: --no-cache, the streaming parse of every run (the previous behaviour)
//   warm with --limit 1 (all but the kernel's work) and `node -e 0` (Node's own start-up)
// and a check that all three report the same trades (10,616 closed, closed PnL -10,393.09).
//
//   npm run bench:backtest-e2e      (installs hyperfine with apt-get when missing and run as root)
//
// Environment: BENCH_BARS_FILE (another kline file), BENCH_RUNS (5).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { defaultBarsFile } from './backtest-bars.js';
import { envNumber, isMain, machineInfo, round } from './common.js';

export interface E2eRow {
  mode: 'cold' | 'warm' | 'no cache' | 'warm, 1 bar (--limit 1)' | 'node -e 0';
  runs: number;
  meanS: number;
  stddevS: number;
  minS: number;
  /** CPU time of the process (user + system), mean: less sensitive to other load than wall time. */
  cpuS: number;
  targetS: number | null;
}

export interface E2eResult {
  command: string;
  rows: E2eRow[];
  sameTrades: boolean;
  closedTrades: number;
  closedPnl: number;
}

interface HyperfineJson {
  results: { mean: number; stddev: number | null; min: number; user: number; system: number; times: number[] }[];
}

export function runBacktestE2e(log: (s: string) => void = console.log): E2eResult {
  if (spawnSync('sh', ['-c', 'command -v hyperfine'], { stdio: 'ignore' }).status !== 0) throw new Error('hyperfine is not installed (node scripts/ensure-deps.mjs --bench, or apt-get install hyperfine)');
  const file = process.env.BENCH_BARS_FILE ?? defaultBarsFile();
  const runs = Math.max(2, Math.floor(envNumber('BENCH_RUNS', 5)));
  const dataDir = tempDir('tw-bench-e2e-');
  const bin = join(repoRoot, 'bin', 'tradewind.js');
  const args = ['backtest', '--data', file, '--fast', '10', '--slow', '30', '--size', '1', '--long-only', '--cash', '1000000', '--fee', '0', '-d', dataDir];
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = (extra: string[] = []) => [process.execPath, bin, ...args, ...extra].map(quote).join(' ');
  const cache = join(dataDir, 'cache');

  // Same trades in all three modes (JSON reports), before timing anything.
  const report = (extra: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, ...extra, '--json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`backtest failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { closedTrades: number; closedPnl: number; trades: unknown[]; cache?: { status: string } };
  };
  rmSync(cache, { recursive: true, force: true });
  const cold = report([]);
  const warm = report([]);
  const plain = report(['--no-cache']);
  const sameTrades = JSON.stringify(cold.trades) === JSON.stringify(plain.trades) && JSON.stringify(warm.trades) === JSON.stringify(plain.trades) && cold.closedPnl === plain.closedPnl && warm.closedPnl === plain.closedPnl;
  log(`same trades cold/warm/no cache: ${sameTrades} (${plain.closedTrades} closed, closed PnL ${plain.closedPnl}; cache ${cold.cache?.status} then ${warm.cache?.status})`);

  const hyperfine = (name: E2eRow['mode'], command: string, options: string[], targetS: number | null): E2eRow => {
    const out = join(dataDir, `hyperfine-${name.replace(/\W+/g, '-')}.json`);
    log(`hyperfine ${name}: ${runs} runs`);
    const r = spawnSync('hyperfine', ['--style', 'none', '--runs', String(runs), ...options, '--export-json', out, '--command-name', name, command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
    const res = (JSON.parse(readFileSync(out, 'utf8')) as HyperfineJson).results[0];
    if (!res) throw new Error('hyperfine gave no result');
    const row: E2eRow = { mode: name, runs, meanS: round(res.mean, 3), stddevS: round(res.stddev ?? 0, 3), minS: round(res.min, 3), cpuS: round(res.user + res.system, 3), targetS };
    log(`  mean ${row.meanS} s ± ${row.stddevS}, min ${row.minS} s, CPU ${row.cpuS} s${targetS ? ` (target < ${targetS} s)` : ''}`);
    return row;
  };
  const rows = [
    hyperfine('cold', cmd(), ['--prepare', `rm -rf ${quote(cache)}`], 1.0),
    hyperfine('warm', cmd(), ['--warmup', '1'], 0.3),
    hyperfine('no cache', cmd(['--no-cache']), [], null),
    // Everything but the kernel: start-up, cache lookup and checks, the columns mapped; one bar run.
    hyperfine('warm, 1 bar (--limit 1)', cmd(['--limit', '1']), ['--warmup', '1'], null),
    hyperfine('node -e 0', `${quote(process.execPath)} -e 0`, ['--warmup', '1'], null),
  ];
  rmSync(dataDir, { recursive: true, force: true });
  return { command: `tradewind ${args.slice(0, -2).join(' ')}`, rows, sameTrades, closedTrades: plain.closedTrades, closedPnl: plain.closedPnl };
}

if (isMain(import.meta.url)) {
  const machine = machineInfo();
  const result = runBacktestE2e();
  console.log(`\n${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  console.log('| run | mean s | min s | CPU s | target |\n|---|---|---|---|---|');
  for (const r of result.rows) console.log(`| ${r.mode} | ${r.meanS} ± ${r.stddevS} | ${r.minS} | ${r.cpuS} | ${r.targetS === null ? '' : `< ${r.targetS} s: ${r.meanS < r.targetS ? 'met' : 'not met'}`} |`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'backtest-e2e.json'), JSON.stringify({ machine, loadavg: loadavg(), at: new Date().toISOString(), backtestE2e: result }, null, 2));
}
