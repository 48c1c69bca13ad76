// GET /api/state with full rolling windows (50 trades, 200 events: the ~108 KB body), loaded by
// wrk (C, one thread: the generator is not the bottleneck) and by autocannon (in Node), with the
// server logging at warn and at the default info (one access line per request).
//
//   npm run bench:state        (installs wrk with apt-get when missing and run as root)
//
// Environment: BENCH_DURATION_S (10), BENCH_CONNECTIONS ("25,50"), BENCH_LOG_LEVELS ("warn,info").
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { MAX_EVENTS, MAX_RECENT_TRADES } from '../src/app/stream-state.js';
import { fastConfig, repoRoot, tempDir, type ServerHandle } from '../test/helpers/server.js';
import { cpuMeter, envNumber, fetchText, isMain, machineInfo, nowMs, removeBenchDir, round, sleep, startBenchServer, stopServer, type StateShape } from './common.js';

export interface StateRow {
  generator: 'wrk' | 'autocannon' | 'wrk, gzip';
  logLevel: string;
  connections: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  serverCpuPct: number | null;
  /** Requests served per CPU second of the server: what one core would serve, whatever else runs. */
  reqPerServerCpuS: number | null;
}

export interface StateBenchResult {
  stateBytes: number;
  recentTrades: number;
  events: number;
  rows: StateRow[];
  target: { minReqPerSec: number; maxP99Ms: number };
}

const TARGET = { minReqPerSec: 15_000, maxP99Ms: 5 };

/** wrk's latency figures ("1.23ms", "850.00us", "1.02s") in ms. */
export function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

function runWrk(url: string, connections: number, durationS: number, gzip = false): { reqPerSec: number; p50Ms: number; p99Ms: number; errors: number } {
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', ...(gzip ? ['-H', 'Accept-Encoding: gzip'] : []), url], { encoding: 'utf8', timeout: (durationS + 30) * 1000 });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  const out = r.stdout;
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (!rps || !p50 || !p99) throw new Error(`cannot read wrk's output:\n${out}`);
  const errors = (errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { reqPerSec: Math.round(Number(rps[1])), p50Ms: round(wrkMs(p50[1] as string), 3), p99Ms: round(wrkMs(p99[1] as string), 3), errors };
}

async function runAutocannon(url: string, connections: number, durationS: number) {
  const result = await autocannon({ url, connections, duration: durationS, pipelining: 1, timeout: 5 });
  return { reqPerSec: Math.round(result.requests.total / result.duration), p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.timeouts + result.non2xx };
}

/** Fills a data dir with full rolling windows using a fast-trading configuration (at most 90 s). */
async function prefill(dataDir: string, log: (s: string) => void): Promise<void> {
  const server = await startBenchServer({ dataDir, config: fastConfig(dataDir) });
  const t0 = nowMs();
  try {
    for (;;) {
      const state = JSON.parse(await fetchText(`${server.url}/api/state`)) as StateShape;
      if (state.recent_trades.length >= MAX_RECENT_TRADES && state.events.length >= MAX_EVENTS) return;
      if (nowMs() - t0 > 90_000) return log(`  windows not full after 90 s (${state.recent_trades.length} trades, ${state.events.length} events)`);
      await sleep(1_000);
    }
  } finally {
    await stopServer(server);
  }
}

export async function runStateBench(log: (s: string) => void = (s) => console.log(s)): Promise<StateBenchResult> {
  if (spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status !== 0) throw new Error('wrk is not installed (node scripts/ensure-deps.mjs --bench, or apt-get install wrk)');
  const durationS = envNumber('BENCH_DURATION_S', 10);
  const connectionList = (process.env.BENCH_CONNECTIONS ?? '25,50').split(',').map((s) => Math.floor(Number(s)));
  const levels = (process.env.BENCH_LOG_LEVELS ?? 'warn,info').split(',').map((s) => s.trim());
  const dataDir = tempDir('tw-bench-state-');
  try {
    return await measureState(dataDir, durationS, connectionList, levels, log);
  } finally {
    removeBenchDir(dataDir);
  }
}

async function measureState(dataDir: string, durationS: number, connectionList: number[], levels: string[], log: (s: string) => void): Promise<StateBenchResult> {
  log(`state: filling ${dataDir} with full rolling windows (fast-trading configuration)`);
  await prefill(dataDir, log);
  const rows: StateRow[] = [];
  let shape = { stateBytes: 0, recentTrades: 0, events: 0 };
  const previous = process.env.BENCH_LOG_LEVEL;
  for (const level of levels) {
    process.env.BENCH_LOG_LEVEL = level;
    let server: ServerHandle | null = null;
    try {
      server = await startBenchServer({ dataDir });
      await sleep(3_000);
      const url = `${server.url}/api/state`;
      const json = await fetchText(url);
      const state = JSON.parse(json) as StateShape;
      shape = { stateBytes: Buffer.byteLength(json), recentTrades: state.recent_trades.length, events: state.events.length };
      log(`  LOG_LEVEL=${level}: /api/state ${shape.stateBytes} bytes (${shape.recentTrades} trades, ${shape.events} events)`);
      for (const connections of connectionList) {
        // `wrk, gzip`: a client that accepts gzip gets the cached compressed copy (about a sixth).
        for (const generator of ['wrk', 'autocannon', 'wrk, gzip'] as const) {
          // Two unmeasured seconds first: both sides JIT-warm, sockets open.
          if (generator === 'autocannon') await runAutocannon(url, connections, 2);
          else runWrk(url, connections, 2, generator === 'wrk, gzip');
          const meter = cpuMeter(server.proc.pid);
          const r = generator === 'autocannon' ? await runAutocannon(url, connections, durationS) : runWrk(url, connections, durationS, generator === 'wrk, gzip');
          const { serverCpuPct } = meter();
          const reqPerServerCpuS = serverCpuPct ? Math.round(r.reqPerSec / (serverCpuPct / 100)) : null;
          const row: StateRow = { generator, logLevel: level, connections, ...r, serverCpuPct, reqPerServerCpuS };
          log(`    ${generator.padEnd(10)} c=${connections}: ${row.reqPerSec} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}, server CPU ${serverCpuPct}% (${reqPerServerCpuS} req per server CPU second)`);
          rows.push(row);
        }
      }
    } finally {
      if (server) await stopServer(server);
    }
  }
  if (previous === undefined) delete process.env.BENCH_LOG_LEVEL;
  else process.env.BENCH_LOG_LEVEL = previous;
  return { ...shape, rows, target: TARGET };
}

if (isMain(import.meta.url)) {
  const machine = machineInfo();
  const result = await runStateBench();
  const table = [
    '| generator | LOG_LEVEL | conns | req/s | p50 ms | p99 ms | errors | server CPU | req per server CPU s | target (≥ 15,000 req/s, p99 < 5 ms) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...result.rows.map((r) => `| ${r.generator} | ${r.logLevel} | ${r.connections} | ${r.reqPerSec.toLocaleString('en-US')} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${r.serverCpuPct ?? '-'}% | ${r.reqPerServerCpuS?.toLocaleString('en-US') ?? '-'} | ${r.reqPerSec >= TARGET.minReqPerSec && r.p99Ms < TARGET.maxP99Ms && r.errors === 0 ? 'met' : 'not met'} |`),
  ].join('\n');
  console.log(`\n${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}; /api/state ${result.stateBytes} bytes\n${table}`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ machine, at: new Date().toISOString(), state: result }, null, 2));
}
