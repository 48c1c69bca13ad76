// The order round trip through Tradewind to the loopback fake Binance USD-M venue (no injected
// latency): submit → fill, with the product's ccxt settings (its rate limiter on).
//
//   npm run bench:roundtrip      (builds, then runs this)
//
// The fake runs in its own process (test/fake-binance/cli.js, its server-side weight limits off)
// so it does not share an event loop with what is measured. Rows:
//   (a) in process: the `accounts` wiring (createVenueAccounts: Kernel, CcxtBroker, reconciler)
//       on a SQLite journal; kernel.submit(intent, 'manual') → the kernel bus's `fill` event;
//   (b) over HTTP: a real `tradewind start` with a ccxt account; POST /api/accounts/:id/orders →
//       the order leaves the account's open orders (GET /api/accounts/:id/orders polled back to
//       back). Every order is checked filled at the end.
// Market orders of 0.002 BTC alternate buy (entry) and sell (exit), so the position stays small.
// ccxt's limiter runs as the accounts configure it: its rolling window (60 s, 1,200 ccxt cost
// units on binanceusdm; a market order costs 4, so 300 orders a minute). Rows: paced
// (ROUNDTRIP_GAP_MS between submits, default 250: an operator's pace, 960 units a minute) and a
// back-to-back burst within the budget, started after the window emptied (the bench waits one
// window first); a back-to-back row with the limiter switched off on the client instance shows
// the path without it. Bursts over the budget are spaced (test/integration/ccxt-rate-limiter).
//
// Environment: ROUNDTRIP_ORDERS (a, 500), ROUNDTRIP_HTTP_ORDERS (b, 300), ROUNDTRIP_BURST_ORDERS
// (back-to-back rows with the limiter on, 100), ROUNDTRIP_GAP_MS (250).
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Exchange } from 'ccxt';
import pino from 'pino';
import { TimerScheduler, WallClock } from '../src/adapters/clock-wall.js';
import { SqliteStore } from '../src/adapters/store-sqlite/sqlite-store.js';
import type { CcxtBroker } from '../src/adapters/broker-ccxt.js';
import { loadConfig } from '../src/cli/config.js';
import { createVenueAccounts, type VenueAccount } from '../src/cli/venue-accounts.js';
import { BUILTIN_INSTRUMENTS, InstrumentRegistry } from '../src/core/instruments.js';
import { binanceusdmUrls } from '../test/fake-binance/ccxt-options.js';
import { startServer, tempDir, type ServerHandle } from '../test/helpers/server.js';
import { envNumber, isMain, machineInfo, nowMs, sleep, stopServer, summarize, type Summary } from './common.js';

export const KEY = 'BenchKey0123456789abcdef0123456789abcdef0123456789abcdef01234567';
export const SECRET = 'BenchSecretfedcba9876543210fedcba9876543210fedcba9876543210fedcb';
export const SYMBOL = 'BTC/USDT';
export const QTY = 0.002;
const WARMUP = 10;

export interface Fake {
  url: string;
  wsUrl: string;
  proc: ChildProcess;
}

export interface RoundTripRow {
  name: string;
  latencyMs: Summary;
  /** How the fills reached the kernel: user-data stream vs REST (reconciler) — in-process rows only. */
  viaStream: number | null;
  viaRest: number | null;
  /** REST queries the venue saw during the row besides the orders (reconciliation). */
  restQueries: number;
  /** How long ccxt's rate limiter held each order placement (ms; in-process rows with the limiter on). */
  limiterHoldMs: Summary | null;
  load: { start: number[]; end: number[] };
}

/** The fake in its own process; `env` is added to its environment (e.g. a CPU profile hook). */
export async function startFakeProcess(env: Record<string, string> = {}): Promise<Fake> {
  const cli = fileURLToPath(new URL('../test/fake-binance/cli.js', import.meta.url));
  const proc = spawn(process.execPath, [cli, '--api-key', KEY, '--secret', SECRET, '--balance', '1000000', '--no-rate-limits'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    proc.once('exit', (code) => reject(new Error(`fake exited with ${code}`)));
  });
  const { url, wsUrl } = JSON.parse(line) as { url: string; wsUrl: string };
  // Not left running if this process dies on an uncaught error.
  process.once('exit', () => proc.kill('SIGTERM'));
  return { url, wsUrl, proc };
}

export async function stopFake(fake: Fake): Promise<void> {
  const exited = new Promise((r) => fake.proc.once('exit', r));
  fake.proc.kill('SIGTERM');
  await exited;
}

export async function fakePrice(fake: Fake): Promise<number> {
  const r = (await (await fetch(`${fake.url}/fapi/v1/ticker/price?symbol=BTCUSDT`)).json()) as { price: string };
  return Number(r.price);
}

/** REST requests the fake received other than order placements since the last clear (then cleared). */
async function takeQueries(fake: Fake): Promise<number> {
  const list = (await (await fetch(`${fake.url}/__control/requests`)).json()) as { method: string; path: string }[];
  await fetch(`${fake.url}/__control/requests`, { method: 'DELETE' });
  return list.filter((r) => !(r.method === 'POST' && r.path === '/fapi/v1/order') && !r.path.startsWith('/fapi/v1/listenKey')).length;
}

export function accountEntry(fake: Fake): Record<string, unknown> {
  // The product's defaults otherwise (rate limiter on, user stream on, reconciliation every 30 s).
  return {
    id: 'binance',
    kind: 'ccxt',
    exchange: 'binanceusdm',
    environment: 'testnet',
    apiKeyEnv: 'TW_BENCH_BINANCE_KEY',
    secretEnv: 'TW_BENCH_BINANCE_SECRET',
    startingBalance: 1_000_000,
    instruments: { [SYMBOL]: { leverage: 5, marginType: 'isolated' } },
    urls: binanceusdmUrls(fake),
  };
}

// Hundreds of orders a minute is the point here; the default (120 a minute) would refuse them.
export const BENCH_RISK = { accounts: { binance: { maxOrdersPerMinute: null } } };
export const ENV = { TW_BENCH_BINANCE_KEY: KEY, TW_BENCH_BINANCE_SECRET: SECRET };

export async function until<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const t0 = nowMs();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (nowMs() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The ccxt client inside the broker (private there): the bench switches its limiter and watches its stream. */
export const exchangeOf = (broker: CcxtBroker): Exchange => (broker as unknown as { deps: { venue: { exchange: Exchange } } }).deps.venue.exchange;

/** Runs n orders (plus warm-up) through `place`, each awaited to its fill, paced `gapMs` submit to submit. */
async function series(n: number, gapMs: number, place: (i: number) => Promise<number>): Promise<Float64Array> {
  const out = new Float64Array(n);
  for (let i = -WARMUP; i < n; i++) {
    const t0 = nowMs();
    const ms = await place(i);
    if (i >= 0) out[i] = ms;
    const rest = gapMs - (nowMs() - t0);
    if (rest > 0) await sleep(rest);
  }
  return out;
}

export const sideOf = (i: number) => (i % 2 === 0 ? { side: 'buy' as const, purpose: 'entry' as const } : { side: 'sell' as const, purpose: 'exit' as const });

/** The limiter's window: a burst row starts after one, so the window holds nothing of the row before. */
const WINDOW_MS = 60_000;

async function inProcess(fake: Fake, rows: { name: string; n: number; gapMs: number; limiter: boolean; idleFirst?: boolean }[]): Promise<RoundTripRow[]> {
  const dir = tempDir('tw-bench-roundtrip-');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ risk: BENCH_RISK, accounts: [accountEntry(fake)] }));
  const config = loadConfig({ file });
  const store = new SqliteStore({ file: join(dir, 'tradewind.db') });
  const accounts: VenueAccount[] = await createVenueAccounts({ config, store, clock: new WallClock(), scheduler: new TimerScheduler(), instruments: new InstrumentRegistry(BUILTIN_INSTRUMENTS), log: pino({ level: 'warn' }), env: ENV });
  const account = accounts[0];
  if (!account?.broker) throw new Error('no ccxt account');
  const broker = account.broker;
  const ex = exchangeOf(broker);
  // Trade ids the user-data stream brought (wrapped before the broker starts its stream loop).
  const streamTrades = new Set<string>();
  // Time each order placement spends in ccxt's throttle (the limiter's own share of the round trip).
  let holds: number[] = [];
  const throttle = ex.throttle.bind(ex);
  ex.throttle = async (cost?: number) => {
    const t0 = nowMs();
    await throttle(cost);
    if (cost !== undefined && cost >= 4) holds.push(nowMs() - t0);
  };
  const watch = ex.watchMyTrades.bind(ex);
  ex.watchMyTrades = async (...args: Parameters<Exchange['watchMyTrades']>) => {
    const trades = await watch(...args);
    for (const t of trades) streamTrades.add(String(t.id));
    return trades;
  };
  const out: RoundTripRow[] = [];
  try {
    // (userStreamUp turns true with the stream's first message: the warm-up orders bring it.)
    await until('the account connected', () => broker.connection === 'connected');
    await sleep(1_000);
    const price = await fakePrice(fake);
    const waiting = new Map<string, { filled: (tradeId: string) => void; failed: (e: Error) => void }>();
    account.kernel.bus.on('fill', ({ fill }) => waiting.get(fill.orderId)?.filled(fill.id.slice(fill.id.lastIndexOf(':') + 1)));
    account.kernel.bus.on('order', ({ order }) => {
      if (order.status === 'rejected' || order.status === 'cancelled') waiting.get(order.id)?.failed(new Error(`order ${order.id} ${order.status}: ${order.reason}`));
    });
    for (const row of rows) {
      if (row.idleFirst) await sleep(WINDOW_MS);
      ex.enableRateLimit = row.limiter;
      await takeQueries(fake);
      holds = [];
      const load = { start: loadavg(), end: [] as number[] };
      let viaStream = 0;
      let viaRest = 0;
      const samples = await series(row.n, row.gapMs, async (i) => {
        const t0 = nowMs();
        let orderId = '';
        const filled = new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no fill within 10 s (order ${orderId})`)), 10_000);
          const r = account.kernel.submit({ symbol: SYMBOL, type: 'market', qty: QTY, refPrice: price, botId: 'operator', ...sideOf(i) }, 'manual');
          if (!r.ok) throw new Error(`refused: ${r.code} ${r.message}`);
          orderId = r.order.id;
          waiting.set(orderId, { filled: (t) => { clearTimeout(timer); resolve(t); }, failed: (e) => { clearTimeout(timer); reject(e); } });
        });
        const tradeId = await filled;
        const ms = nowMs() - t0;
        waiting.delete(orderId);
        if (i >= 0) {
          if (streamTrades.has(tradeId)) viaStream += 1;
          else viaRest += 1;
        }
        return ms;
      });
      load.end = loadavg();
      const held = row.limiter && holds.length > 0 ? summarize(Float64Array.from(holds.slice(-row.n))) : null;
      out.push({ name: row.name, latencyMs: summarize(samples), viaStream, viaRest, restQueries: await takeQueries(fake), limiterHoldMs: held, load });
    }
  } finally {
    ex.enableRateLimit = true;
    await account.stop();
    // The broker's last check of a filled order (a second after it) must not find the journal closed.
    await sleep(1_500);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function overHttp(fake: Fake, rows: { name: string; n: number; gapMs: number; idleFirst?: boolean }[]): Promise<RoundTripRow[]> {
  const dir = tempDir('tw-bench-roundtrip-http-');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ demoBot: { enabled: false }, risk: BENCH_RISK, accounts: [accountEntry(fake)] }));
  const server: ServerHandle = await startServer({ dataDir: dir, config: file, env: { ...ENV, LOG_LEVEL: 'warn' } });
  const out: RoundTripRow[] = [];
  try {
    const api = `${server.url}/api/accounts/binance`;
    await until('the account connected', async () => {
      const body = (await (await fetch(`${server.url}/api/accounts`)).json()) as { accounts: { id: string; state: string }[] };
      return body.accounts.find((a) => a.id === 'binance')?.state === 'connected';
    });
    const price = await fakePrice(fake);
    const ids: string[] = [];
    for (const row of rows) {
      if (row.idleFirst) await sleep(WINDOW_MS);
      await takeQueries(fake);
      const load = { start: loadavg(), end: [] as number[] };
      const samples = await series(row.n, row.gapMs, async (i) => {
        const t0 = nowMs();
        const res = await fetch(`${api}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ symbol: SYMBOL, type: 'market', qty: QTY, refPrice: price, ...sideOf(i) }) });
        const body = (await res.json()) as { order?: { id: string } };
        if (res.status !== 201 || !body.order) throw new Error(`POST answered ${res.status}: ${JSON.stringify(body)}`);
        const id = body.order.id;
        ids.push(id);
        for (;;) {
          if (nowMs() - t0 > 10_000) throw new Error(`order ${id} still open after 10 s`);
          const open = (await (await fetch(`${api}/orders`)).json()) as { orders: { id: string }[] };
          if (!open.orders.some((o) => o.id === id)) return nowMs() - t0;
        }
      });
      load.end = loadavg();
      out.push({ name: row.name, latencyMs: summarize(samples), viaStream: null, viaRest: null, restQueries: await takeQueries(fake), limiterHoldMs: null, load });
    }
    // Every order left the open list because it filled (not rejected or cancelled).
    const snap = (await (await fetch(api)).json()) as { orders: { id: string; status: string }[] };
    const statusOf = new Map(snap.orders.map((o) => [o.id, o.status]));
    const unfilled = ids.filter((id) => statusOf.has(id) && statusOf.get(id) !== 'filled');
    if (unfilled.length > 0) throw new Error(`${unfilled.length} orders not filled, e.g. ${unfilled[0]}: ${statusOf.get(unfilled[0] ?? '')}`);
  } finally {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function runOrderRoundTrip(log: (s: string) => void = (s) => console.log(s)): Promise<RoundTripRow[]> {
  const n = Math.floor(envNumber('ROUNDTRIP_ORDERS', 500));
  const nHttp = Math.floor(envNumber('ROUNDTRIP_HTTP_ORDERS', 300));
  const burst = Math.floor(envNumber('ROUNDTRIP_BURST_ORDERS', 100));
  const gap = envNumber('ROUNDTRIP_GAP_MS', 250);
  const fake = await startFakeProcess();
  log(`fake Binance USD-M at ${fake.url} (pid ${fake.proc.pid})`);
  try {
    const a = await inProcess(fake, [
      { name: `(a) kernel.submit → fill event, limiter on, ${gap} ms apart`, n, gapMs: gap, limiter: true },
      { name: '(a) kernel.submit → fill event, limiter on, back to back (within the budget)', n: burst, gapMs: 0, limiter: true, idleFirst: true },
      { name: '(a) kernel.submit → fill event, limiter off (bench only), back to back', n, gapMs: 0, limiter: false },
    ]);
    for (const r of a) log(line(r));
    const b = await overHttp(fake, [
      { name: `(b) POST /api/accounts/:id/orders → filled, limiter on, ${gap} ms apart`, n: nHttp, gapMs: gap },
      { name: '(b) POST /api/accounts/:id/orders → filled, limiter on, back to back (within the budget)', n: burst, gapMs: 0, idleFirst: true },
    ]);
    for (const r of b) log(line(r));
    return [...a, ...b];
  } finally {
    await stopFake(fake);
  }
}

const f = (v: number) => v.toFixed(2);
const la = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');

function line(r: RoundTripRow): string {
  const s = r.latencyMs;
  const path = r.viaStream === null ? '' : `; fills via user stream ${r.viaStream}, via REST ${r.viaRest}`;
  const hold = r.limiterHoldMs ? `; held by the limiter p50 ${f(r.limiterHoldMs.p50)} p99 ${f(r.limiterHoldMs.p99)} max ${f(r.limiterHoldMs.max)} ms` : '';
  return `${r.name}: count ${s.count} p50 ${f(s.p50)} p90 ${f(s.p90)} p99 ${f(s.p99)} max ${f(s.max)} ms${path}${hold}; other REST queries ${r.restQueries}; load ${la(r.load.start)} → ${la(r.load.end)}`;
}

if (isMain(import.meta.url)) {
  const m = machineInfo();
  console.log(`machine: ${m.cpuModel}, ${m.cores} cores (${cpus().length} logical), Node ${m.node}; load average at start ${la(loadavg())}`);
  const rows = await runOrderRoundTrip();
  console.log('\n| row | count | p50 ms | p90 ms | p99 ms | max ms | fill path | load avg start → end |\n|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const s = r.latencyMs;
    const path = r.viaStream === null ? 'open orders polled' : `stream ${r.viaStream} / REST ${r.viaRest}`;
    console.log(`| ${r.name} | ${s.count} | ${f(s.p50)} | ${f(s.p90)} | ${f(s.p99)} | ${f(s.max)} | ${path} | ${la(r.load.start)} → ${la(r.load.end)} |`);
  }
  console.log(`load average at end ${la(loadavg())}`);
  // ccxt.pro's listen-key renewal timer is not unref'd: it would keep the process alive.
  process.exit(0);
}
