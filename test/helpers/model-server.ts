// Helpers of the model server tests and benchmark: a real `tradewind model-server` process,
// free ports, promtool, and seed 004 requests built from real candles.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCandleFile } from '../../src/cli/model-data.js';
import type { Candles } from '../../src/ml/candles.js';
import { MODEL_SERVER_NODE_FLAGS } from '../../src/cli/model-servers.js';
import { repoRoot, tempDir } from './server.js';

export const SHIPPED_MODEL = join(repoRoot, 'models', 'model-1.txt');

export interface ModelServerHandle {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export async function startModelServer(o: { name?: string; model?: string; dataDir?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<ModelServerHandle> {
  const dataDir = o.dataDir ?? tempDir('tw-ms-');
  // Started the way the supervisor starts one (its V8 flags included).
  const args = [...MODEL_SERVER_NODE_FLAGS, join(repoRoot, 'bin', 'tradewind.js'), 'model-server', '--name', o.name ?? 'model-1', '--port', '0', '--model', o.model ?? SHIPPED_MODEL, '--data-dir', dataDir, ...(o.args ?? [])];
  const proc = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`model server did not start in 30 s:\n${out}`)), 30_000);
    proc.stdout?.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`model server exited with ${code}:\n${out}`));
    });
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    url,
    dataDir,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Ports free right now (bound to 0 and released): for servers whose port is configured. */
/** The first port of the kernel's ephemeral range (listen(0) and outgoing connections take ports from there). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 12_000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** Where this process's next port search starts (each test file is a process: they start apart). */
const portSearch = { next: 0 };

/**
 * `n` ports free now, for servers a test starts with fixed ports. Picked below the ephemeral range:
 * a port that listen(0) hands out is one any outgoing connection on the machine may take as its
 * local port before the server under test binds it (it happened: EADDRINUSE in a CI run while
 * benchmarks ran beside it). Each process searches from its own offset (its pid), so test files
 * running in parallel rarely try the same port, and a taken one is skipped.
 */
export async function freePorts(n: number): Promise<number[]> {
  const low = 10_000;
  const span = ephemeralStart() - low;
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries >= span) throw new Error(`no ${n} free ports between ${low} and ${low + span}`);
    const port = low + ((process.pid * 7_919 + portSearch.next++) % span);
    if (await portFree(port)) ports.push(port);
  }
  return ports;
}

/** null when Debian's promtool can run, else why not. */
export function promtoolMissing(): string | null {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'promtool is not installed (apt-get install prometheus; npm test does it as root)';
}

/** `promtool check metrics` on a scrape: its exit code and complaints. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Seed 004 candles (timestamp in seconds) of bars [from, to) of `c`. */
export function seedCandles(c: Candles, from: number, to: number) {
  const out = [];
  for (let t = from; t < to; t++) out.push({ open: c.open[t] as number, high: c.high[t] as number, low: c.low[t] as number, close: c.close[t] as number, volume: c.volume[t] as number, timestamp: (c.time[t] as number) / 1000 });
  return out;
}

export const readCandles = readCandleFile;
