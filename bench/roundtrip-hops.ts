// Where an order's round trip goes, hop by hop, on both processes: the in-process account of
// bench/order-roundtrip (kernel, CcxtBroker, SQLite journal, ccxt with its limiter on) against the
// fake Binance USD-M venue in its own process, each order timestamped at every hop:
//
//   kernel.submit → order row committed (fsync) → venue.place called → ccxt's limiter passed →
//   request signed and sent (ccxt fetch) → [fake: request seen → body read → handled (matching,
//   user-stream events sent) → answered] → answer's headers in (undici) → createOrder returned
//   → 'accepted' applied (journal) ; the TRADE event's WebSocket frame in (ws) → ccxt.pro
//   dispatched it → watchMyTrades resolved → broker delivered the fill → fill journaled → `fill`.
//
// Then the same machine's floor: a plain node:http + ws echo venue (bench/echo-venue), POST →
// answer and POST → stream message. Cross-process hops use performance.timeOrigin + now() in
// both processes (one clock). HOPS_PROFILE=DIR also writes a V8 CPU profile of each process
// and prints their heaviest functions.
//
//   npx tsc -p . && node dist/bench/roundtrip-hops.js
//   HOPS_ORDERS (200), HOPS_GAP_MS (250), HOPS_LIMITER (1; 0 = ccxt's limiter off), HOPS_PROFILE,
//   HOPS_JOURNAL_DIR (where the SQLite journal goes; default the temp dir)
import { spawn } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Exchange } from 'ccxt';
import pino from 'pino';
import WebSocket from 'ws';
import { TimerScheduler, WallClock } from '../src/adapters/clock-wall.js';
import type { CcxtVenue } from '../src/adapters/ccxt/venue.js';
import { SqliteStore } from '../src/adapters/store-sqlite/sqlite-store.js';
import { loadConfig } from '../src/cli/config.js';
import { createVenueAccounts } from '../src/cli/venue-accounts.js';
import { BUILTIN_INSTRUMENTS, InstrumentRegistry } from '../src/core/instruments.js';
import type { ExecutionReport } from '../src/core/ports.js';
import type { RequestLogEntry } from '../test/fake-binance/rest.js';
import { tempDir } from '../test/helpers/server.js';
import { envNumber, isMain, nowMs, sleep, summarize } from './common.js';
import { accountEntry, BENCH_RISK, ENV, exchangeOf, fakePrice, QTY, sideOf, startFakeProcess, stopFake, SYMBOL, until, type Fake } from './order-roundtrip.js';

type Marks = Record<string, number>;

/** The hops reported, as [label, from mark, to mark]; a missing mark leaves the order out of that row. */
const HOPS: [string, string, string][] = [
  ['kernel: submit → order row committed (journal, fsync)', 'submit', 'committed'],
  ['kernel: committed → venue.place called', 'committed', 'place'],
  ['ccxt: rate limiter hold', 'throttleIn', 'throttleOut'],
  ['ccxt: place → request on its way (limiter, signing, headers)', 'place', 'fetchIn'],
  ['wire: request sent → fake saw it', 'fetchIn', 'fakeArrived'],
  ['fake: body read', 'fakeArrived', 'fakeRead'],
  ['fake: auth, matching, user events sent', 'fakeRead', 'fakeHandled'],
  ['fake: answer written', 'fakeHandled', 'fakeAnswered'],
  ['wire: answer written → headers in (undici)', 'fakeAnswered', 'answerIn'],
  ['ccxt: headers in → createOrder returned (body, parse)', 'answerIn', 'placed'],
  ['kernel: accepted report applied (journal)', 'acceptedIn', 'acceptedOut'],
  ['wire: fake handled → TRADE frame in (ws)', 'fakeHandled', 'wsFrame'],
  ['ccxt.pro: frame in → dispatched (stream, JSON, handler)', 'wsFrame', 'wsDispatched'],
  ['ccxt.pro: dispatched → watchMyTrades resolved', 'wsDispatched', 'watchResolved'],
  ['broker: resolved → fill delivered', 'watchResolved', 'fillIn'],
  ['kernel: fill applied (journal, unsynced) → fill event', 'fillIn', 'fillEvent'],
  ['total: submit → fill event', 'submit', 'fillEvent'],
];

/** Journal calls timed per order (ms spent inside each). */
const JOURNAL_CALLS = ['atomically', 'saveOrder', 'recordFill', 'hasFill', 'appendEvents'] as const;

async function hopsRun(fake: Fake, n: number, gapMs: number, limiter: boolean, profileDir: string | null): Promise<{ orders: Marks[]; journal: Record<string, number[]> }> {
  const dir = tempDir('tw-bench-hops-');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ risk: BENCH_RISK, accounts: [accountEntry(fake)] }));
  // HOPS_JOURNAL_DIR=/dev/shm: the journal on tmpfs (fsync is free there), to see the disk's share.
  const journalDir = process.env.HOPS_JOURNAL_DIR ? mkdtempSync(join(process.env.HOPS_JOURNAL_DIR, 'tw-hops-journal-')) : dir;
  const store = new SqliteStore({ file: join(journalDir, 'tradewind.db') });
  const journal: Record<string, number[]> = Object.fromEntries(JOURNAL_CALLS.map((k) => [k, []]));
  let cur: Marks = {};
  // Journal calls, timed on the store object the kernel holds.
  const timed = store as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of JOURNAL_CALLS) {
    const original = timed[name]?.bind(store);
    if (!original) continue;
    timed[name] = (...a: unknown[]) => {
      const t = nowMs();
      const r = original(...a);
      const ms = nowMs() - t;
      journal[name]?.push(ms);
      if (name === 'atomically' && cur.committed === undefined) cur.committed = nowMs();
      return r;
    };
  }
  const accounts = await createVenueAccounts({ config: loadConfig({ file }), store, clock: new WallClock(), scheduler: new TimerScheduler(), instruments: new InstrumentRegistry(BUILTIN_INSTRUMENTS), log: pino({ level: 'warn' }), env: ENV });
  const account = accounts[0];
  if (!account?.broker) throw new Error('no ccxt account');
  const broker = account.broker;
  const ex = exchangeOf(broker);
  ex.enableRateLimit = limiter;
  const venue = (broker as unknown as { deps: { venue: CcxtVenue } }).deps.venue;
  const mark = (k: string) => {
    if (cur[k] === undefined) cur[k] = nowMs();
  };
  const place = venue.place.bind(venue);
  venue.place = async (o) => {
    mark('place');
    const r = await place(o);
    mark('placed');
    return r;
  };
  const throttle = ex.throttle.bind(ex);
  ex.throttle = async (cost?: number) => {
    const order = cost !== undefined && cost >= 4;
    if (order) mark('throttleIn');
    await throttle(cost);
    if (order) mark('throttleOut');
  };
  const fetch = ex.fetch.bind(ex);
  ex.fetch = async (url: string, method?: string, headers?: unknown, body?: unknown) => {
    const order = method === 'POST' && url.includes('/fapi/v1/order');
    if (order) mark('fetchIn');
    return fetch(url, method, headers, body);
  };
  const exAny = ex as unknown as { undiciRequest?: (url: string, p: unknown) => Promise<unknown> };
  const undici = exAny.undiciRequest?.bind(ex);
  if (undici) {
    exAny.undiciRequest = async (url: string, p: unknown) => {
      const r = await undici(url, p);
      if ((p as { method?: string }).method === 'POST' && url.includes('/fapi/v1/order')) mark('answerIn');
      return r;
    };
  }
  const watch = ex.watchMyTrades.bind(ex);
  ex.watchMyTrades = async (...args: Parameters<Exchange['watchMyTrades']>) => {
    const trades = await watch(...args);
    mark('watchResolved');
    return trades;
  };
  const deliver = broker.deliver.bind(broker);
  broker.deliver = (r: ExecutionReport) => {
    const k = r.kind === 'accepted' ? 'accepted' : r.kind === 'filled' ? 'fill' : null;
    if (k) mark(`${k}In`);
    deliver(r);
    if (k) mark(`${k}Out`);
  };
  await until('the account connected', () => broker.connection === 'connected');
  const orders: Marks[] = [];
  const clientIds: string[] = [];
  const ids = (broker as unknown as { deps: { ids: { toVenue(id: string): string } } }).deps.ids;
  let session: Session | null = null;
  try {
    const price = await fakePrice(fake);
    let filled: (() => void) | null = null;
    account.kernel.bus.on('fill', () => {
      mark('fillEvent');
      filled?.();
    });
    const hooked = new Set<unknown>();
    const hookStreams = () => {
      for (const client of Object.values((ex as unknown as { clients?: Record<string, { connection?: WebSocket; onMessageCallback: (c: unknown, m: unknown) => void }> }).clients ?? {})) {
        if (hooked.has(client) || !client.connection) continue;
        hooked.add(client);
        // The frame as the ws library hands it over (before ccxt's stream and JSON parse).
        client.connection.prependListener('message', (data: Buffer) => {
          if (data.includes('"x":"TRADE"')) mark('wsFrame');
        });
        const callback = client.onMessageCallback;
        client.onMessageCallback = (c: unknown, m: unknown) => {
          callback(c, m);
          const e = m as { e?: string; o?: { x?: string } };
          if (e.e === 'ORDER_TRADE_UPDATE' && e.o?.x === 'TRADE') mark('wsDispatched');
        };
      }
    };
    const WARMUP = 10;
    for (let i = -WARMUP; i < n; i++) {
      if (i === 0 && profileDir) {
        session = new Session();
        session.connect();
        session.post('Profiler.enable');
        session.post('Profiler.setSamplingInterval', { interval: 100 });
        session.post('Profiler.start');
      }
      hookStreams();
      const t0 = nowMs();
      cur = { submit: t0 };
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no fill within 10 s')), 10_000);
        filled = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const r = account.kernel.submit({ symbol: SYMBOL, type: 'market', qty: QTY, refPrice: price, botId: 'operator', ...sideOf(i) }, 'manual');
      if (!r.ok) throw new Error(`refused: ${r.code} ${r.message}`);
      const orderId = r.order.id;
      await done;
      // The answer may come after the fill: the order's marks are complete once both are in.
      await until('the answer', () => cur.acceptedOut !== undefined, 5_000);
      if (i >= 0) {
        orders.push(cur);
        clientIds.push(ids.toVenue(orderId));
      }
      const rest = gapMs - (nowMs() - t0);
      if (rest > 0) await sleep(rest);
    }
    if (session) {
      const s = session;
      const profile = await new Promise<unknown>((resolve, reject) => s.post('Profiler.stop', (err, res) => (err ? reject(err) : resolve(res.profile))));
      mkdirSync(profileDir as string, { recursive: true });
      writeFileSync(join(profileDir as string, `client-${process.pid}.cpuprofile`), JSON.stringify(profile));
    }
  } finally {
    session?.disconnect();
    await account.stop();
    await sleep(1_500);
    store.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(journalDir, { recursive: true, force: true });
  }
  // The fake's side of each order placement, by client order id.
  const log = (await (await globalThis.fetch(`${fake.url}/__control/requests`)).json()) as RequestLogEntry[];
  const byCid = new Map(log.filter((e) => e.method === 'POST' && e.path === '/fapi/v1/order' && e.clientId && e.hops).map((e) => [e.clientId as string, e.hops as NonNullable<RequestLogEntry['hops']>]));
  orders.forEach((o, i) => {
    const h = byCid.get(clientIds[i] ?? '');
    if (!h) return;
    o.fakeArrived = h.arrived;
    o.fakeRead = h.read;
    o.fakeHandled = h.handled;
    o.fakeAnswered = h.answered;
  });
  return { orders, journal };
}

/** The floor: POST → answer and POST → stream message against bench/echo-venue in its own process. */
async function echoBaseline(n: number, gapMs: number): Promise<{ answer: Float64Array; stream: Float64Array; both: Float64Array }> {
  const script = fileURLToPath(new URL('./echo-venue.js', import.meta.url));
  const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
  });
  const { url, wsUrl } = JSON.parse(line) as { url: string; wsUrl: string };
  const ws = new WebSocket(`${wsUrl}/ws`);
  await new Promise((r) => ws.once('open', r));
  const agent = new Agent({ keepAlive: true });
  const answer = new Float64Array(n);
  const stream = new Float64Array(n);
  const both = new Float64Array(n);
  try {
    for (let i = -10; i < n; i++) {
      const id = `echo-${i}`;
      const t0 = nowMs();
      const gotStream = new Promise<number>((resolve) => {
        const on = (data: Buffer) => {
          if (!data.includes(id)) return;
          ws.off('message', on);
          resolve(nowMs());
        };
        ws.on('message', on);
      });
      const gotAnswer = new Promise<number>((resolve, reject) => {
        const body = `id=${id}`;
        const req = httpRequest(`${url}/order`, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            resolve(nowMs());
          });
        });
        req.on('error', reject);
        req.end(body);
      });
      const [a, s] = await Promise.all([gotAnswer, gotStream]);
      if (i >= 0) {
        answer[i] = a - t0;
        stream[i] = s - t0;
        both[i] = Math.max(a, s) - t0;
      }
      const rest = gapMs - (nowMs() - t0);
      if (rest > 0) await sleep(rest);
    }
  } finally {
    ws.close();
    agent.destroy();
    proc.kill('SIGTERM');
  }
  return { answer, stream, both };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The heaviest functions of a V8 CPU profile by self time (ms and share of the sampled time). */
export function topSelf(file: string, limit = 14): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((nd) => [nd.id, nd]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const nd = byId.get(id);
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    if (!nd) return;
    total += dt;
    const fr = nd.callFrame;
    const where = fr.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '') || '(native)';
    const key = `${fr.functionName || '(anonymous)'} ${where}:${fr.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const busy = [...self].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)')).reduce((s, [, v]) => s + v, 0);
  return [
    `sampled ${total.toFixed(0)} ms, of which not idle ${busy.toFixed(0)} ms`,
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, v]) => `  ${v.toFixed(1).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`),
  ];
}

const f2 = (v: number) => v.toFixed(2).padStart(7);

export async function runHops(log: (s: string) => void = (s) => console.log(s)): Promise<void> {
  const n = Math.floor(envNumber('HOPS_ORDERS', 200));
  const gap = envNumber('HOPS_GAP_MS', 250);
  const limiter = process.env.HOPS_LIMITER !== '0';
  const profileDir = process.env.HOPS_PROFILE || null;
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  const hook = fileURLToPath(new URL('./cpu-profile.js', import.meta.url));
  const fake = await startFakeProcess(profileDir ? { NODE_OPTIONS: `--import=${hook}`, BENCH_PROFILE_DIR: profileDir } : {});
  const load0 = loadavg();
  let result: Awaited<ReturnType<typeof hopsRun>>;
  try {
    result = await hopsRun(fake, n, gap, limiter, profileDir);
  } finally {
    await stopFake(fake);
  }
  const load1 = loadavg();
  log(`${n} orders ${gap} ms apart, ccxt limiter ${limiter ? 'on' : 'off'}; load ${load0.map((v) => v.toFixed(2)).join(' ')} → ${load1.map((v) => v.toFixed(2)).join(' ')}`);
  log(`${'hop'.padEnd(62)} ${'n'.padStart(4)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)} ms`);
  for (const [label, from, to] of HOPS) {
    const xs = result.orders.filter((o) => o[from] !== undefined && o[to] !== undefined).map((o) => (o[to] as number) - (o[from] as number));
    if (xs.length === 0) continue;
    const s = summarize(Float64Array.from(xs));
    log(`${label.padEnd(62)} ${String(s.count).padStart(4)} ${f2(s.p50)} ${f2(s.p90)} ${f2(s.p99)} ${f2(s.max)}`);
  }
  const wsFirst = result.orders.filter((o) => o.wsFrame !== undefined && o.answerIn !== undefined && (o.wsFrame as number) < (o.answerIn as number)).length;
  const fillBeforeAccept = result.orders.filter((o) => (o.fillIn ?? Infinity) < (o.acceptedIn ?? Infinity)).length;
  log(`TRADE frame in before the answer's headers: ${wsFirst} of ${result.orders.length}; fill delivered before 'accepted': ${fillBeforeAccept}`);
  for (const [name, xs] of Object.entries(result.journal)) {
    if (xs.length === 0) continue;
    const s = summarize(Float64Array.from(xs));
    log(`journal ${name.padEnd(14)} calls ${String(s.count).padStart(5)} (${(s.count / (n + 10)).toFixed(2)} an order) p50 ${f2(s.p50)} p90 ${f2(s.p90)} p99 ${f2(s.p99)} max ${f2(s.max)} ms`);
  }
  const echo = await echoBaseline(n, gap);
  for (const [name, xs] of Object.entries(echo)) {
    const s = summarize(xs);
    log(`floor (node:http + ws echo, own process) POST → ${name.padEnd(6)}: p50 ${f2(s.p50)} p90 ${f2(s.p90)} p99 ${f2(s.p99)} max ${f2(s.max)} ms`);
  }
  if (profileDir) {
    for (const file of readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile'))) {
      log(`\nCPU profile ${file} (heaviest self time):`);
      for (const l of topSelf(join(profileDir, file))) log(l);
    }
  }
  log(`load average at end ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
}

if (isMain(import.meta.url)) {
  await runHops();
  // ccxt.pro's listen-key renewal timer is not unref'd: it would keep the process alive.
  process.exit(0);
}
