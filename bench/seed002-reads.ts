// Seed 002 trading API reads under load: positions, pending orders, balances and the batch
// snapshot, each cached (use_cache=true) and fresh (use_cache=false), against the real server.
//
//   npm run bench:seed002        (installs if needed, builds, then runs this)
//
// Environment: BENCH_DURATION_S (5 per row), BENCH_CONNECTIONS (10), BENCH_MAX_REQUESTS (per
// row, 1,000,000). Rate limiting is off (one address at thousands of requests a second would
// measure 429s); the server logs at warn (BENCH_LOG_LEVEL).
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fastConfig, repoRoot, tempDir } from '../test/helpers/server.js';
import { Samples, cpuMeter, envNumber, fetchText, isMain, machineInfo, nowMs, round, sleep, startBenchServer, stopServer, summarize } from './common.js';

export interface Seed002Row {
  endpoint: string;
  mode: 'cached' | 'fresh';
  connections: number;
  requests: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  non2xx: number;
  bytes: number;
  serverCpuPct: number | null;
  benchCpuPct: number | null;
}

export interface Seed002Result {
  rows: Seed002Row[];
  positions: number;
  pendingOrders: number;
  accounts: number;
  target: { cachedMaxP99Ms: number; seedCachedMaxMs: number; seedFreshMaxMs: number };
}

const ENDPOINTS = ['/positions', '/orders/pending', '/balances', '/batch/snapshot'];
const BASE = '/api/v1/trading';

async function run(url: string, connections: number, durationS: number, maxRequests: number, latencies: Samples | null): Promise<autocannon.Result> {
  const instance = autocannon({ url, connections, duration: durationS, maxOverallRequests: maxRequests, timeout: 5, pipelining: 1 });
  if (latencies) instance.on('response', (_c: unknown, _s: number, _b: number, ms: number) => latencies.push(ms));
  const backstop = setTimeout(() => instance.stop(), (durationS + 15) * 1000);
  try {
    return await instance;
  } finally {
    clearTimeout(backstop);
  }
}

export async function runSeed002Reads(log: (s: string) => void = (s) => console.log(s)): Promise<Seed002Result> {
  const durationS = envNumber('BENCH_DURATION_S', 5);
  const connections = Math.floor(envNumber('BENCH_CONNECTIONS', 10));
  const maxRequests = Math.floor(envNumber('BENCH_MAX_REQUESTS', 1_000_000));
  const dir = tempDir('tw-bench-seed002-');
  // The fast demo configuration: the paper account holds positions and working orders within seconds.
  const server = await startBenchServer({ dataDir: dir, config: fastConfig(dir) });
  log(`seed002-reads: server ${server.url} (pid ${server.proc.pid})`);
  try {
    const t0 = nowMs();
    let positions = 0;
    while (nowMs() - t0 < 60_000) {
      positions = (JSON.parse(await fetchText(`${server.url}${BASE}/positions`)) as { count: number }).count;
      if (positions > 0) break;
      await sleep(500);
    }
    const pendingOrders = (JSON.parse(await fetchText(`${server.url}${BASE}/orders/pending`)) as { count: number }).count;
    const accounts = (JSON.parse(await fetchText(`${server.url}${BASE}/accounts`)) as { count: number }).count;
    log(`  ${accounts} accounts, ${positions} open positions, ${pendingOrders} pending orders after ${round((nowMs() - t0) / 1000, 1)} s`);
    const rows: Seed002Row[] = [];
    for (const endpoint of ENDPOINTS) {
      for (const mode of ['cached', 'fresh'] as const) {
        const url = `${server.url}${BASE}${endpoint}?use_cache=${mode === 'cached'}`;
        const bytes = Buffer.byteLength(await fetchText(url));
        await run(url, connections, 2, Math.min(maxRequests, 100_000), null);
        const latencies = new Samples(maxRequests);
        const meter = cpuMeter(server.proc.pid);
        const r = await run(url, connections, durationS, maxRequests, latencies);
        const cpu = meter();
        const lat = summarize(latencies.values());
        const row: Seed002Row = {
          endpoint: `${BASE}${endpoint}`,
          mode,
          connections,
          requests: r.requests.total,
          reqPerSec: Math.round(r.requests.total / r.duration),
          latencyMs: { p50: round(lat.p50, 3), p90: round(lat.p90, 3), p99: round(lat.p99, 3), max: round(lat.max, 3) },
          errors: r.errors + r.timeouts,
          non2xx: r.non2xx,
          bytes,
          ...cpu,
        };
        log(`  ${row.endpoint} ${mode}: ${row.reqPerSec} req/s, p50 ${row.latencyMs.p50} ms, p99 ${row.latencyMs.p99} ms, ${bytes} bytes, errors ${row.errors}, non-2xx ${row.non2xx}, server CPU ${row.serverCpuPct}%`);
        rows.push(row);
      }
    }
    if (server.proc.exitCode !== null) throw new Error(`server exited during the benchmark:\n${server.output()}`);
    return { rows, positions, pendingOrders, accounts, target: { cachedMaxP99Ms: 5, seedCachedMaxMs: 50, seedFreshMaxMs: 1000 } };
  } finally {
    await stopServer(server);
  }
}

function table(result: Seed002Result): string {
  const head = ['endpoint', 'mode', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'server CPU', 'target'];
  const rows = result.rows.map((r) => [
    r.endpoint,
    r.mode,
    String(r.reqPerSec),
    r.latencyMs.p50.toFixed(2),
    r.latencyMs.p99.toFixed(2),
    r.latencyMs.max.toFixed(1),
    String(r.errors),
    String(r.non2xx),
    r.serverCpuPct === null ? '-' : `${r.serverCpuPct}%`,
    r.mode === 'cached' ? (r.latencyMs.p99 < result.target.cachedMaxP99Ms && r.errors + r.non2xx === 0 ? 'PASS' : 'FAIL') : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

if (isMain(import.meta.url)) {
  const machine = machineInfo();
  console.log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, node ${machine.node}, ${machine.platform} ${machine.osRelease}`);
  const result = await runSeed002Reads();
  console.log('');
  console.log(`Seed 002 reads (autocannon, ${result.rows[0]?.connections ?? '?'} connections, pipelining 1; target cached p99 < ${result.target.cachedMaxP99Ms} ms, the seed promises < ${result.target.seedCachedMaxMs} ms cached)`);
  console.log(table(result));
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'seed002-reads.json');
  writeFileSync(file, `${JSON.stringify({ finishedAt: new Date().toISOString(), machine, seed002Reads: result }, null, 2)}\n`);
  console.log(`results written to ${file}`);
}
