// Where the time of the example command goes: runs it with --cpu-prof (cold: cache
// emptied; warm: cache built) and sums the profile's self time by part of the program.
//
//   npm run build && node dist/bench/profile-backtest.js      (BENCH_BARS_FILE for another file)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { defaultBarsFile } from './backtest-bars.js';
import { isMain } from './common.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The part of the program a frame's file belongs to (the kernel by subsystem); null: look at its caller. */
export function partOf(url: string): string | null {
  if (/node:internal\/modules|cjs-module-lexer/.test(url)) return 'start-up: loading modules';
  if (/columnar-cache\/(kline-bytes|growing-table|build)|node:zlib/.test(url)) return 'data: gunzip, hash, parse (cold)';
  if (/columnar-cache\/(table-file|cache)/.test(url)) return 'data: cache lookup, read, CRC check';
  if (/backtest\/table-batches/.test(url)) return 'data: Bar objects from the columns';
  if (/strategies\//.test(url)) return 'kernel: strategy (SMA crossover)';
  if (/engine\/risk-engine|core\/money-checks/.test(url)) return 'kernel: risk gates and money checks';
  if (/engine\/(execution-engine|lifecycle)|core\/(fsm|orders)/.test(url)) return 'kernel: execution engine (order lifecycle)';
  if (/engine\/portfolio/.test(url)) return 'kernel: portfolio';
  if (/engine\/(message-bus|bot)/.test(url)) return 'kernel: message bus and bot context';
  if (/engine\/(data-engine|market-stats|bar-history|bar-builder)/.test(url)) return 'kernel: data engine, market stats';
  if (/sim\/|broker-paper/.test(url)) return 'kernel: paper broker and matching';
  if (/backtest\/(memory-store|order-rows|string-set|metrics)/.test(url)) return 'backtest: in-memory journal, equity stats';
  if (/engine\/kernel|backtest\/backtester/.test(url)) return 'kernel: kernel and backtester loop';
  if (/dist\/src\/|commander/.test(url)) return 'CLI and the rest of the program';
  return null;
}

const SPECIAL: Record<string, string> = { '(garbage collector)': 'garbage collection', '(idle)': 'idle (waiting for zlib or I/O)', '(program)': 'V8 (compiler, runtime)' };

/** Self time summed by part; a native or Node-internal frame counts for its nearest known caller. */
export function profileParts(profile: CpuProfile): { totalMs: number; parts: { part: string; ms: number; pct: number }[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partCache = new Map<number, string>();
  const classify = (id: number): string => {
    const cached = partCache.get(id);
    if (cached) return cached;
    let part = 'other (Node internals)';
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f) break;
      const special = SPECIAL[f.functionName] ?? (f.functionName === 'crc32' ? 'data: cache lookup, read, CRC check' : undefined);
      const found = special ?? partOf(f.url);
      if (found) {
        part = found;
        break;
      }
    }
    partCache.set(id, part);
    return part;
  };
  const time = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const part = classify(id);
    time.set(part, (time.get(part) ?? 0) + dt);
  });
  const parts = [...time].map(([part, us]) => ({ part, ms: Math.round(us / 1000), pct: Math.round((us / total) * 1000) / 10 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: Math.round(total / 1000), parts };
}

function profileRun(dataDir: string, dir: string): CpuProfile {
  const file = process.env.BENCH_BARS_FILE ?? defaultBarsFile();
  const args = ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(repoRoot, 'bin', 'tradewind.js'), 'backtest', '--data', file, '--fast', '10', '--slow', '30', '--size', '1', '--long-only', '--cash', '1000000', '--fee', '0', '-d', dataDir];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!name) throw new Error('no profile written');
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile;
}

if (isMain(import.meta.url)) {
  const dataDir = tempDir('tw-profile-');
  for (const mode of ['cold', 'warm'] as const) {
    const dir = tempDir('tw-cpuprof-');
    const { totalMs, parts } = profileParts(profileRun(dataDir, dir));
    rmSync(dir, { recursive: true, force: true });
    console.log(`\n${mode}: ${totalMs} ms profiled\n| part | ms | share |\n|---|---|---|`);
    for (const p of parts) console.log(`| ${p.part} | ${p.ms} | ${p.pct}% |`);
  }
  rmSync(dataDir, { recursive: true, force: true });
}
