// Helpers of the model server tests and benchmark: a real `tradewind model-server` process,
// free ports, promtool, and seed 004 requests built from real candles.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
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
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<import('node:net').Server>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
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
