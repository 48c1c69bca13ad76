import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(repoRoot, 'bin', 'tradewind.js');

export interface ServerHandle {
  url: string;
  wsUrl: string;
  dataDir: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export const tempDir = (prefix = 'tw-test-'): string => mkdtempSync(join(tmpdir(), prefix));

/** A configuration that trades within seconds: 50 ms ticks, 200 ms bars, short averages. */
export function fastConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'fast.json');
  const config = {
    feed: { tickIntervalMs: 50 },
    demoBot: { barIntervalMs: 200, fast: 2, slow: 4, stopAtr: 3 },
    stream: { refreshMs: 200, scanIntervalMs: 400 },
    ...extra,
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/**
 * A server's output, whole up to 2 x OUTPUT_HALF characters (every test stays far below); past
 * that its first half and its latest half, so a benchmark logging every request at info does not
 * grow this process without bound.
 */
const OUTPUT_HALF = 16 * 1024 * 1024;
class OutputBuffer {
  private head = '';
  private tail: string[] = [];
  private tailLength = 0;
  private dropped = 0;

  add(chunk: string): void {
    if (this.head.length < OUTPUT_HALF) {
      this.head += chunk;
      return;
    }
    this.tail.push(chunk);
    this.tailLength += chunk.length;
    while (this.tailLength > OUTPUT_HALF && this.tail.length > 1) {
      const first = this.tail.shift() as string;
      this.tailLength -= first.length;
      this.dropped += first.length;
    }
  }

  text(): string {
    const tail = this.tail.join('');
    return this.dropped > 0 ? `${this.head}\n[... ${this.dropped} characters of output dropped ...]\n${tail}` : this.head + tail;
  }
}

/** Starts the real server process (`tradewind start`) on a free port. */
export async function startServer(options: { dataDir?: string; config?: string; env?: Record<string, string>; args?: string[]; startTimeoutMs?: number } = {}): Promise<ServerHandle> {
  const dataDir = options.dataDir ?? tempDir();
  const args = [bin, 'start', '--port', '0', '--data-dir', dataDir, ...(options.config ? ['--config', options.config] : []), ...(options.args ?? [])];
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    // Rate limiting is off unless a test turns it on: tests poll faster than 100 requests a minute.
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: '', HOST: '', DATA_DIR: '', TRADEWIND_RATE_LIMIT: 'off', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = new OutputBuffer();
  proc.stdout?.on('data', (d: Buffer) => out.add(d.toString()));
  proc.stderr?.on('data', (d: Buffer) => out.add(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    // 60 s by default (TEST_SERVER_START_MS overrides it): on a busy 2-core machine shared with
    // other test runs a start can take 20 s and more. A server that does not start is stopped
    // (SIGTERM, then SIGKILL), so that it, and any model servers it started, does not outlive the test.
    const limit = options.startTimeoutMs ?? Number(process.env.TEST_SERVER_START_MS ?? 60_000);
    const timer = setTimeout(() => {
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 5_000).unref();
      reject(new Error(`server did not start in ${limit / 1000} s:\n${out.text()}`));
    }, limit);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out.text());
      if (m?.[1]) {
        clearTimeout(timer);
        // Found: stop scanning the (growing) output on every chunk.
        proc.stdout?.off('data', check);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out.text()}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // A server that dies on its own (not through stop or kill9) says why on the test's stderr, which the
  // runner prints with the results: otherwise a later request only fails with "fetch failed".
  let stopping = false;
  proc.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`[startServer] the server at ${url} exited by itself (code ${code}, signal ${signal}); the end of its output:\n${out.text().slice(-6_000)}\n`);
  });
  return {
    url,
    wsUrl: `${url.replace('http', 'ws')}/ws`,
    dataDir,
    proc,
    output: () => out.text(),
    async stop() {
      stopping = true;
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      stopping = true;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export async function getJson<T = unknown>(url: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export type WsMessage = Record<string, unknown> & { type: string };

/** A WebSocket client that records every message. */
export async function connectWs(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; messages: WsMessage[]; close(): void }> {
  const ws = new WebSocket(url, { headers });
  const messages: WsMessage[] = [];
  ws.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as WsMessage));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`websocket refused with ${res.statusCode}`));
    });
  });
  return { ws, messages, close: () => ws.close() };
}

/**
 * Waits until the server's feed has priced `symbol` (a closed bar in GET /api/bars): orders that
 * need a market price (exposure checks, a bridge order's reference price) can then be placed,
 * even on a slow machine where the first tick comes late.
 */
export async function waitForPrice(server: ServerHandle, symbol: string, headers: Record<string, string> = {}): Promise<void> {
  await waitFor(
    `a ${symbol} price from the feed`,
    async () => {
      const r = await getJson<{ bars?: unknown[] }>(`${server.url}/api/bars?symbol=${encodeURIComponent(symbol)}&limit=1`, { headers });
      return r.status === 200 && (r.body.bars?.length ?? 0) > 0;
    },
    60_000,
  );
}
