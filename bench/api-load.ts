// HTTP load on GET /api/state and GET /api/positions of the real server, from this process.
//
//   node dist/bench/api-load.js
//
// Environment: BENCH_WARMUP_MIN_S (20), BENCH_WARMUP_MAX_S (60), BENCH_DURATION_S (10),
// BENCH_CONNECTIONS ("10,25,50"), BENCH_MAX_REQUESTS (per run, 1,000,000), BENCH_SKIP_FULL=1
// (skip the full-window /api/state scenario).
import autocannon from 'autocannon';
import { fastConfig, tempDir, type ServerHandle } from '../test/helpers/server.js';
import { MAX_EVENTS, MAX_RECENT_TRADES } from '../src/app/stream-state.js';
import { Samples, cpuMeter, envNumber, fetchText, isMain, machineInfo, nowMs, round, sleep, startBenchServer, stopServer, summarize, waitForTrading, type StateShape } from './common.js';

export interface ApiLoadRow {
  /** `fresh`: a new server after its warm-up; `full`: restarted with full rolling windows. */
  scenario: 'fresh' | 'full' | 'full-gzip';
  endpoint: string;
  connections: number;
  durationS: number;
  requests: number;
  reqPerSec: number;
  /** Latency in ms, measured per response with sub-millisecond resolution. */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** autocannon's own histogram (whole milliseconds). */
  autocannonLatencyMs: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  bytesPerSec: number;
  serverCpuPct: number | null;
  benchCpuPct: number | null;
}

export interface ApiLoadResult {
  warmupS: number;
  stateBytesAfterWarmup: number;
  stateBytesAfterRuns: number;
  positionsBytesAfterWarmup: number;
  stateContents: { positions: number; recentTrades: number; events: number };
  /** The state after a long session: 50 recent trades and 200 events (unless skipped). */
  full: { stateBytes: number; recentTrades: number; events: number; prefillS: number } | null;
  rows: ApiLoadRow[];
  target: { endpoint: string; minReqPerSec: number; maxP99Ms: number };
}

const ENDPOINTS = ['/api/state', '/api/positions'];

async function load(scenario: ApiLoadRow['scenario'], server: ServerHandle, endpoint: string, connections: number, durationS: number, maxRequests: number, headers: Record<string, string> = {}): Promise<ApiLoadRow> {
  const url = `${server.url}${endpoint}`;
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing to load ${url}: only 127.0.0.1 is allowed`);
  // A short unmeasured run so both processes are JIT-warm and the sockets are open.
  await run(url, connections, 2, Math.min(maxRequests, 100_000), null, headers);
  const latencies = new Samples(maxRequests);
  const meter = cpuMeter(server.proc.pid);
  const result = await run(url, connections, durationS, maxRequests, latencies, headers);
  const cpu = meter();
  const lat = summarize(latencies.values());
  return {
    scenario,
    endpoint,
    connections,
    durationS: result.duration,
    requests: result.requests.total,
    reqPerSec: Math.round(result.requests.total / result.duration),
    latencyMs: { mean: round(lat.mean, 3), p50: round(lat.p50, 3), p90: round(lat.p90, 3), p99: round(lat.p99, 3), p999: round(lat.p999, 3), max: round(lat.max, 3) },
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    bytesPerSec: Math.round(result.throughput.average),
    ...cpu,
  };
}

/** One autocannon run, bounded by time and by request count, with a hard stop as a backstop. */
async function run(url: string, connections: number, durationS: number, maxRequests: number, latencies: Samples | null, headers: Record<string, string>): Promise<autocannon.Result> {
  const instance = autocannon({ url, connections, duration: durationS, maxOverallRequests: maxRequests, timeout: 5, pipelining: 1, headers });
  if (latencies) instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  const backstop = setTimeout(() => instance.stop(), (durationS + 15) * 1000);
  try {
    return await instance;
  } finally {
    clearTimeout(backstop);
  }
}

export async function runApiLoad(log: (s: string) => void = (s) => console.log(s)): Promise<ApiLoadResult> {
  const warmupMinS = envNumber('BENCH_WARMUP_MIN_S', 20);
  const warmupMaxS = Math.max(warmupMinS, envNumber('BENCH_WARMUP_MAX_S', 60));
  const durationS = envNumber('BENCH_DURATION_S', 10);
  const maxRequests = Math.floor(envNumber('BENCH_MAX_REQUESTS', 1_000_000));
  const connectionList = (process.env.BENCH_CONNECTIONS ?? '10,25,50').split(',').map((s) => Math.floor(Number(s.trim())));
  if (connectionList.some((c) => !Number.isInteger(c) || c < 1 || c > 1000)) throw new Error('BENCH_CONNECTIONS must list integers 1-1000');

  const server = await startBenchServer();
  log(`api-load: server ${server.url} (pid ${server.proc.pid}, data dir ${server.dataDir})`);
  try {
    log(`warming up: the server runs at least ${warmupMinS} s (until it holds a position and a trade, at most ${warmupMaxS} s)`);
    const warm = await waitForTrading(server, warmupMinS, warmupMaxS);
    const positionsJson = await fetchText(`${server.url}/api/positions`);
    const stateBytes = Buffer.byteLength(warm.json);
    log(
      `warm after ${warm.seconds} s: /api/state ${stateBytes} bytes (${warm.state.positions.length} positions, ${warm.state.recent_trades.length} trades, ${warm.state.events.length} events); /api/positions ${Buffer.byteLength(positionsJson)} bytes`,
    );
    const rows: ApiLoadRow[] = [];
    for (const endpoint of ENDPOINTS) {
      for (const connections of connectionList) {
        log(`loading GET ${endpoint} with ${connections} connections for ${durationS} s`);
        const row = await load('fresh', server, endpoint, connections, durationS, maxRequests);
        log(
          `  ${row.reqPerSec} req/s, p50 ${row.latencyMs.p50} ms, p99 ${row.latencyMs.p99} ms, errors ${row.errors}, non-2xx ${row.non2xx}, server CPU ${row.serverCpuPct}%, bench CPU ${row.benchCpuPct}%`,
        );
        rows.push(row);
      }
    }
    const after = await fetchText(`${server.url}/api/state`);
    if (server.proc.exitCode !== null) throw new Error(`server exited during the benchmark:\n${server.output()}`);
    await stopServer(server);
    const full = process.env.BENCH_SKIP_FULL === '1' ? null : await fullWindows(connectionList, durationS, maxRequests, rows, log);
    return {
      warmupS: warm.seconds,
      stateBytesAfterWarmup: stateBytes,
      stateBytesAfterRuns: Buffer.byteLength(after),
      positionsBytesAfterWarmup: Buffer.byteLength(positionsJson),
      stateContents: { positions: warm.state.positions.length, recentTrades: warm.state.recent_trades.length, events: warm.state.events.length },
      full,
      rows,
      target: { endpoint: '/api/state', minReqPerSec: 15_000, maxP99Ms: 5 },
    };
  } finally {
    await stopServer(server);
  }
}

/**
 * A long-running server's /api/state holds full rolling windows (50 trades, 200 events). To get
 * there in seconds, a fast-trading configuration fills a data dir; then the server restarts on
 * it with the default configuration and hydrates the windows from the store.
 */
async function fullWindows(connectionList: number[], durationS: number, maxRequests: number, rows: ApiLoadRow[], log: (s: string) => void): Promise<ApiLoadResult['full']> {
  const dataDir = tempDir('tw-bench-');
  const prefill = await startBenchServer({ dataDir, config: fastConfig(dataDir) });
  const t0 = nowMs();
  log(`full windows: filling ${dataDir} with a fast-trading configuration (at most 90 s)`);
  try {
    for (;;) {
      const state = JSON.parse(await fetchText(`${prefill.url}/api/state`)) as StateShape;
      if (state.recent_trades.length >= MAX_RECENT_TRADES && state.events.length >= MAX_EVENTS) break;
      if (nowMs() - t0 > 90_000) {
        log(`  windows not full after 90 s (${state.recent_trades.length} trades, ${state.events.length} events); using them as they are`);
        break;
      }
      await sleep(1_000);
    }
  } finally {
    await stopServer(prefill);
  }
  const prefillS = round((nowMs() - t0) / 1000, 1);
  const server = await startBenchServer({ dataDir });
  try {
    await sleep(3_000);
    const json = await fetchText(`${server.url}/api/state`);
    const state = JSON.parse(json) as StateShape;
    const stateBytes = Buffer.byteLength(json);
    log(`  restarted with the default configuration: /api/state ${stateBytes} bytes (${state.recent_trades.length} trades, ${state.events.length} events)`);
    for (const connections of connectionList) {
      log(`loading GET /api/state (full windows) with ${connections} connections for ${durationS} s`);
      const row = await load('full', server, '/api/state', connections, durationS, maxRequests);
      log(
        `  ${row.reqPerSec} req/s, p50 ${row.latencyMs.p50} ms, p99 ${row.latencyMs.p99} ms, errors ${row.errors}, non-2xx ${row.non2xx}, server CPU ${row.serverCpuPct}%, bench CPU ${row.benchCpuPct}%`,
      );
      rows.push(row);
    }
    // Browsers and most HTTP clients accept gzip; the compressed copy is cached per version.
    for (const connections of connectionList) {
      log(`loading GET /api/state (full windows, Accept-Encoding: gzip) with ${connections} connections for ${durationS} s`);
      const row = await load('full-gzip', server, '/api/state', connections, durationS, maxRequests, { 'accept-encoding': 'gzip' });
      log(`  ${row.reqPerSec} req/s, p50 ${row.latencyMs.p50} ms, p99 ${row.latencyMs.p99} ms, non-2xx ${row.non2xx}`);
      rows.push(row);
    }
    if (server.proc.exitCode !== null) throw new Error(`server exited during the benchmark:\n${server.output()}`);
    return { stateBytes, recentTrades: state.recent_trades.length, events: state.events.length, prefillS };
  } finally {
    await stopServer(server);
  }
}

if (isMain(import.meta.url)) {
  const result = await runApiLoad();
  console.log(JSON.stringify({ machine: machineInfo(), apiLoad: result }, null, 2));
}
