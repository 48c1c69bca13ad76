// Shared helpers for the benchmarks: the server under test, statistics and machine facts.
import { readFileSync, rmSync } from 'node:fs';
import { cpus, platform, release, totalmem, arch } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer, type ServerHandle } from '../test/helpers/server.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wall-clock milliseconds with sub-millisecond resolution. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** True when `moduleUrl` is the script node was started with. */
export const isMain = (moduleUrl: string): boolean => process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1];

/** A positive number from the environment, or the fallback. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  totalMemoryGiB: number;
  node: string;
  platform: string;
  osRelease: string;
  arch: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    totalMemoryBytes: totalmem(),
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: platform(),
    osRelease: release(),
    arch: arch(),
  };
}

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Nearest-rank percentiles of `values` (sorted in place). */
export function summarize(values: Float64Array): Summary {
  values.sort();
  const n = values.length;
  const at = (p: number): number => (n === 0 ? 0 : (values[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0));
  let sum = 0;
  for (const v of values) sum += v;
  return { count: n, mean: n ? sum / n : 0, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: n ? (values[n - 1] ?? 0) : 0 };
}

/** A growable Float64Array with a hard cap, so a runaway producer cannot exhaust memory. */
export class Samples {
  private data: Float64Array;
  length = 0;
  dropped = 0;

  constructor(private readonly cap: number, initial = 65_536) {
    this.data = new Float64Array(Math.min(initial, cap));
  }

  push(v: number): void {
    if (this.length >= this.cap) {
      this.dropped += 1;
      return;
    }
    if (this.length === this.data.length) {
      const next = new Float64Array(Math.min(this.cap, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** CPU seconds (user + system) a Linux process has used so far; undefined elsewhere. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || platform() !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Measures the CPU share (in % of one core) of the server and of this process over a span. */
export function cpuMeter(serverPid: number | undefined): () => { serverCpuPct: number | null; benchCpuPct: number | null } {
  const t0 = nowMs();
  const s0 = processCpuSeconds(serverPid);
  const b0 = process.cpuUsage();
  return () => {
    const secs = (nowMs() - t0) / 1000;
    const s1 = processCpuSeconds(serverPid);
    const b1 = process.cpuUsage(b0);
    return {
      serverCpuPct: s0 !== undefined && s1 !== undefined && secs > 0 ? Math.round(((s1 - s0) / secs) * 100) : null,
      benchCpuPct: secs > 0 ? Math.round(((b1.user + b1.system) / 1e6 / secs) * 100) : null,
    };
  };
}

/**
 * Starts the real server (`bin/tradewind.js start`) as its own process with the embedded
 * defaults (demo bot on, simulated market) and a fresh temporary data dir. Environment that
 * could change the configuration is cleared. BENCH_SERVER_NODE_OPTIONS is handed to the server
 * as NODE_OPTIONS; with BENCH_PROFILE_DIR set the server writes a CPU profile there on exit.
 */
export async function startBenchServer(options: { dataDir?: string; config?: string } = {}): Promise<ServerHandle> {
  const env: Record<string, string> = {
    TRADEWIND_CONFIG: '',
    TRADEWIND_SEED: '',
    TRADEWIND_DEMO_BOT: '',
    TRADEWIND_API_TOKENS: '',
    NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? '',
    // The server's log level: BENCH_LOG_LEVEL, else warn (no per-request lines; the published
    // figures). BENCH_LOG_LEVEL=info measures the default level's access line too.
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
  const profileDir = process.env.BENCH_PROFILE_DIR;
  if (profileDir) {
    const hook = fileURLToPath(new URL('./cpu-profile.js', import.meta.url));
    env.NODE_OPTIONS = `${env.NODE_OPTIONS} --import=${pathToFileURL(hook).href}`.trim();
    env.BENCH_PROFILE_DIR = resolve(profileDir);
  }
  const server = await startServer({ env, ...options });
  const { hostname } = new URL(server.url);
  if (hostname !== '127.0.0.1') {
    await server.stop();
    throw new Error(`benchmarks only target 127.0.0.1, but the server listens on ${server.url}`);
  }
  return server;
}

/** Stops the server, forcefully if it does not exit within `ms`. */
/** Deletes a benchmark's data directory once it is done (some hold hundreds of MB); BENCH_KEEP_DIRS=1 keeps them to look at. */
export function removeBenchDir(dir: string): void {
  if (process.env.BENCH_KEEP_DIRS === '1') return;
  rmSync(dir, { recursive: true, force: true });
}

export async function stopServer(server: ServerHandle, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([server.stop(), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') await server.kill9();
}

export interface StateShape {
  positions: unknown[];
  recent_trades: unknown[];
  events: unknown[];
}

export async function fetchText(url: string): Promise<string> {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing to fetch ${url}: only 127.0.0.1 is allowed`);
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.text();
}

/**
 * Lets the demo bot trade: waits at least `minS`, then until /api/state holds an open position
 * and a trade (polled once a second), at most `maxS` in all.
 */
export async function waitForTrading(server: ServerHandle, minS: number, maxS: number): Promise<{ seconds: number; state: StateShape; json: string }> {
  const started = nowMs();
  await sleep(minS * 1000);
  for (;;) {
    const json = await fetchText(`${server.url}/api/state`);
    const state = JSON.parse(json) as StateShape;
    const elapsed = (nowMs() - started) / 1000;
    if ((state.positions.length > 0 && state.recent_trades.length > 0) || elapsed >= maxS) return { seconds: round(elapsed, 1), state, json };
    await sleep(1_000);
  }
}

export const round = (v: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
