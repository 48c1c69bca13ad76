// Webhook arrival to order visible to a polling bridge (seed 003's target: p99 < 2 ms at 500
// webhooks/s), against the real server with the Renko desk on the bridge.
//
//   node dist/bench/webhook-bridge.js        (BENCH_WEBHOOK_RATE, _SECONDS, _WARMUP_S, _WAIT_MS)
//
// Two ways of polling: back-to-back plain polls (BENCH_WEBHOOK_WAIT_MS=0, the default), or long
// polls (BENCH_WEBHOOK_WAIT_MS=N: GET /api/orders/pending?wait_ms=N, answered as soon as an order
// is claimable, re-issued at once). A third way, `push: true` (`npm run bench:bridge-push`,
// bench/bridge-push.ts): no polls; the bridge is a WebSocket client of GET /api/orders/stream and
// the server pushes each order, already leased to it, as soon as it is committed.
//
// What is measured. The desk's gates allow one entry per asset per 5-minute candle (and each
// needs a fresh 6-point bar), so entries cannot come 500 times a second by design. The webhook
// that can create an order at that rate is /tv_level_exit: while a position is open and no exit
// is pending, each one makes the desk place a market exit, queued for the bridge. So:
//   1. setup: ES and NQ each get a pre-order (POST /api/orders) that the next /tv_renko_main
//      bar fires; the bench's bridge fills both entries (these two webhooks are measured too);
//   2. load: /tv_level_exit at a fixed rate (open loop, alternating ES and NQ) for N seconds;
//      the bench's bridge polls GET /api/orders/pending back to back and answers each exit
//      REJECTED, so the position stays open and the next level exit of that asset makes a new
//      order (a level exit that arrives while the asset's last exit is still pending makes none:
//      counted apart). The level-exit answer names the order it placed, so every order is matched
//      to its webhook exactly.
// Latency = when the poll response that first lists the order arrived - when the webhook was
// sent, both on this process's clock (client side, so it includes both HTTP round trips and the
// wait for the next poll; one poll is in flight at a time). The webhook's own round trip is
// reported too: the order is in the queue before that answer is sent (the desk places it
// synchronously), so it bounds the server's part from above without the polling.
// Server side, on the server's own clock: each pending order of a measured webhook carries
// received_at_us (the webhook's arrival, Fastify onRequest), queued_at_us (its order and queue row
// committed, i.e. durable and claimable) and claimed_at_us (the poll that claimed it); reported as
// arrival -> committed and arrival -> claimed.
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Samples, cpuMeter, envNumber, isMain, machineInfo, nowMs, removeBenchDir, round, sleep, startBenchServer, stopServer, summarize, type Summary } from './common.js';
import { tempDir } from '../test/helpers/server.js';

export interface WebhookBridgeResult {
  rateTarget: number;
  durationS: number;
  warmupS: number;
  assets: string[];
  /** Measured window only. */
  webhooksSent: number;
  webhooksAnswered: number;
  webhookErrors: number;
  achievedRate: number;
  /** Actual send time minus its slot in the fixed schedule. */
  sendLagMs: Summary;
  /** Level exits that placed an order / found the asset's previous exit still pending. */
  ordersPlaced: number;
  webhooksWithoutOrder: number;
  ordersSeen: number;
  ordersNotSeen: number;
  /** Exit orders the bridge saw that no measured webhook placed (e.g. a price rule). */
  otherOrders: number;
  /** Webhook sent -> its order in a poll response: the figure the target is about. */
  webhookToVisibleMs: Summary;
  /** Webhook sent -> its HTTP answer (the order is already queued then). */
  webhookAckMs: Summary;
  /** One GET /api/orders/pending round trip (the sampling granularity of the poller; a long poll's includes its wait). */
  pollRttMs: Summary;
  /** 0: back-to-back plain polls; N: long polls with wait_ms=N. */
  pollWaitMs: number;
  /** 'push': the bridge is a WebSocket client of GET /api/orders/stream (no polls); 'poll' otherwise. */
  transport: 'poll' | 'push';
  /** Server clock: webhook arrival -> its order's queue row committed (claimable). */
  serverArrivalToQueuedMs: Summary;
  /** Server clock: webhook arrival -> claimed by a poll (the moment the bridge's answer is built). */
  serverArrivalToClaimedMs: Summary;
  /** Webhook sent (bench clock) -> its arrival (server clock); both epoch-based, so comparable on one machine. */
  sentToServerArrivalMs: Summary;
  /** Claimed (server clock) -> seen by the bridge (bench clock): the answer or push on its way. */
  claimedToSeenMs: Summary;
  polls: number;
  /** The two entries of the setup: pre-order fired by a /tv_renko_main webhook -> visible. */
  entryWebhookToVisibleMs: number[];
  serverCpuPct: number | null;
  benchCpuPct: number | null;
  target: { rate: number; maxP99Ms: number };
  pass: boolean;
  /** Server-side arrival -> committed p99 < 2 ms at 500/s. */
  passServer: boolean;
}

const TV_SECRET = 'bench-tv-secret-0123456789';
const BRIDGE_SECRET = 'bench-bridge-secret-0123456789';
const ASSETS = ['ES', 'NQ'] as const;

interface Resp {
  status: number;
  body: Record<string, unknown>;
  at: number;
}

function call(agent: Agent, base: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 5_000): Promise<Resp> {
  const url = new URL(path, base);
  if (url.hostname !== '127.0.0.1') return Promise.reject(new Error(`refusing ${url.href}: only 127.0.0.1 is allowed`));
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const at = nowMs();
          const text = Buffer.concat(chunks).toString();
          let parsed: Record<string, unknown>;
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = { error: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, at });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function runWebhookBridge(log: (s: string) => void = (s) => console.log(s), opts: { waitMs?: number; push?: boolean } = {}): Promise<WebhookBridgeResult> {
  const push = opts.push ?? false;
  const rate = envNumber('BENCH_WEBHOOK_RATE', 500);
  const waitMs = opts.waitMs ?? envNumber('BENCH_WEBHOOK_WAIT_MS', 0);
  if (!(waitMs >= 0 && waitMs <= 25_000)) throw new Error('BENCH_WEBHOOK_WAIT_MS must be 0..25000');
  const durationS = envNumber('BENCH_WEBHOOK_SECONDS', 10);
  const warmupS = envNumber('BENCH_WEBHOOK_WARMUP_S', 2);
  if (rate > 5_000) throw new Error('BENCH_WEBHOOK_RATE is capped at 5000');
  if (durationS + warmupS > 120) throw new Error('BENCH_WEBHOOK_SECONDS + BENCH_WEBHOOK_WARMUP_S is capped at 120');

  const dir = tempDir('tw-bench-webhook-');
  const config = join(dir, 'webhook-bridge.json');
  writeFileSync(
    config,
    JSON.stringify({
      demoBot: { enabled: false, symbols: ['ES'] },
      // A quiet ES/NQ feed: prices for the desk's positions, but no price exits of their own.
      feed: {
        instruments: [
          { symbol: 'ES', startPrice: 6_000, annualVol: 0.001, meanSize: 4, meanTrades: 3 },
          { symbol: 'NQ', startPrice: 21_500, annualVol: 0.001, meanSize: 2, meanTrades: 2 },
        ],
      },
      tradingView: { secret: TV_SECRET },
      bridge: { enabled: true, secret: BRIDGE_SECRET, heartbeatTimeoutSeconds: 3_600 },
      renkoDesk: { broker: 'bridge' },
    }),
  );
  const server = await startBenchServer({ dataDir: dir, config });
  log(`webhook-bridge: server ${server.url} (pid ${server.proc.pid}), desk on the bridge, rate limits off, ${push ? 'push channel (WebSocket /api/orders/stream)' : waitMs > 0 ? `long polls (wait_ms=${waitMs})` : 'plain polls back to back'}; ${rate} webhooks/s for ${durationS} s after ${warmupS} s of warm-up`);
  const base = server.url;
  const hooks = new Agent({ keepAlive: true, maxSockets: 64 });
  const poll = new Agent({ keepAlive: true, maxSockets: 1 });
  const reports = new Agent({ keepAlive: true, maxSockets: 8 });
  const tv = (path: string, body: Record<string, unknown>) => call(hooks, base, 'POST', path, { secret: TV_SECRET, ...body });
  // On the push channel the reports go back over the same WebSocket (BENCH_PUSH_REPORTS=http: over HTTP).
  let stream: WebSocket | null = null;
  const reportsOnStream = push && process.env.BENCH_PUSH_REPORTS !== 'http';
  const answers = new Map<number, (r: Resp) => void>();
  let refs = 0;
  const report = (id: string, status: string, extra: Record<string, unknown> = {}): Promise<Resp> => {
    const ws = stream;
    if (reportsOnStream && ws) {
      return new Promise<Resp>((resolve) => {
        refs += 1;
        answers.set(refs, resolve);
        ws.send(JSON.stringify({ type: 'report', ref: refs, order_id: id, status, extra }));
      });
    }
    return call(reports, base, 'POST', `/api/orders/${encodeURIComponent(id)}/execution-report`, { secret: BRIDGE_SECRET, owner: 'bench', status, extra });
  };

  // The bench's bridge: polls back to back, fills entries, rejects exits.
  const seenAt = new Map<string, number>();
  /** Server-side probes of the first poll that listed each order. */
  const probes = new Map<string, { received: number; queued: number; claimed: number | null }>();
  const pollPath = `/api/orders/pending?secret=${BRIDGE_SECRET}&owner=bench&limit=100${waitMs > 0 ? `&wait_ms=${waitMs}` : ''}`;
  const rttAll = new Samples(2_000_000);
  let measuring = false;
  let polls = 0;
  let polling = true;
  let pollError: Error | null = null as Error | null;
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  type Pending = { id: string; kind: string; side: string; qty: number; asset: string; ref_price: number | null; cancel: boolean; received_at_us?: number; queued_at_us?: number; claimed_at_us?: number };
  /** One batch of orders as the bridge got it (a poll answer or a pushed message) at `at`. */
  const receive = (orders: Pending[], at: number) => {
    for (const o of orders) {
      if (o.cancel) continue;
      if (!seenAt.has(o.id)) {
        seenAt.set(o.id, at);
        if (o.received_at_us !== undefined && o.queued_at_us !== undefined) probes.set(o.id, { received: o.received_at_us, queued: o.queued_at_us, claimed: o.claimed_at_us ?? null });
      }
      const extra = { symbol: o.asset, side: o.side, qty: o.qty };
      if (o.kind === 'ENTRY') {
        track(report(o.id, 'WORKING', extra).then(() => report(o.id, 'FILLED', { ...extra, fill_price: o.ref_price ?? 1 })));
      } else {
        track(report(o.id, 'REJECTED', { ...extra, reason: 'bench: exit refused so the position stays open' }));
      }
    }
  };
  // The push channel: a WebSocket that the server pushes leased orders on (no polling at all).
  if (push) {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/orders/stream?secret=${BRIDGE_SECRET}&owner=bench&limit=100`);
    ws.on('message', (raw: Buffer) => {
      const at = nowMs();
      const msg = JSON.parse(raw.toString()) as { type: string; orders?: Pending[]; ref?: number; status_code?: number; body?: Record<string, unknown> };
      if (msg.type === 'orders') receive(msg.orders ?? [], at);
      const answered = msg.type === 'report' && msg.ref !== undefined ? answers.get(msg.ref) : undefined;
      if (answered) {
        answers.delete(msg.ref as number);
        answered({ status: msg.status_code ?? 0, body: msg.body ?? {}, at });
      }
    });
    ws.on('close', () => {
      // Reports still unanswered never will be.
      for (const done of answers.values()) done({ status: 0, body: { error: 'push channel closed' }, at: nowMs() });
      answers.clear();
      if (polling) pollError ??= new Error('the push channel closed during the bench');
    });
    ws.on('error', (e: Error) => {
      pollError ??= e;
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    stream = ws;
  }
  const poller = (async () => {
    while (polling && !push) {
      const t0 = nowMs();
      const r = await call(poll, base, 'GET', pollPath, undefined, waitMs + 5_000);
      if (r.status !== 200) throw new Error(`poll: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      if (measuring) {
        rttAll.push(r.at - t0);
        polls += 1;
      }
      receive((r.body.orders ?? []) as Pending[], r.at);
    }
  })().catch((e: unknown) => {
    pollError = e as Error;
  });

  try {
    const hb = await call(reports, base, 'POST', '/api/bridge/heartbeat', { secret: BRIDGE_SECRET, tsConnected: true, mdConnected: true, repoOk: true, account: 'BENCH', tradeRoute: 'PAPER', owner: 'bench' });
    if (hb.status !== 200) throw new Error(`heartbeat: HTTP ${hb.status} ${JSON.stringify(hb.body)}`);
    const deskState = async () => (await call(reports, base, 'GET', '/api/desk/state')).body as { assets: Record<string, Record<string, unknown>> };
    // TradingView is the desk's bar source (a webhook secret is set): its heartbeats make check 6 pass.
    for (const asset of ASSETS) {
      const beat = await tv('/tv_heartbeat', { symbol: asset, price: asset === 'ES' ? 6_000 : 21_500, timestamp: Math.floor(Date.now() / 1000) });
      if (beat.status !== 200) throw new Error(`/tv_heartbeat: HTTP ${beat.status} ${JSON.stringify(beat.body)}`);
    }
    for (let i = 0; ; i += 1) {
      const s = await deskState();
      if (ASSETS.every((a) => (s.assets[a]?.heartbeat as { fresh?: boolean } | undefined)?.fresh)) break;
      if (i > 200) throw new Error('no ES/NQ heartbeat');
      await sleep(100);
    }

    // Setup: a pre-order per asset, fired by a /tv_renko_main webhook, filled by the poller.
    const entryWebhookToVisibleMs: number[] = [];
    const entryIds = new Set<string>();
    for (const asset of ASSETS) {
      for (const [path, id] of [['/tv_renko_high', 'h'], ['/tv_renko_macro', 'm']] as const) {
        const r = await tv(path, { asset, color: 'green', bar_id: `${id}-bench-1` });
        if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      }
      const pre = await call(reports, base, 'POST', '/api/orders', { asset, trade_mode: 'RUNNER', order_type: 'preorder', entry_size_mode: '6pt' });
      if (pre.status !== 200) throw new Error(`pre-order ${asset}: HTTP ${pre.status} ${JSON.stringify(pre.body)}`);
      const sent = nowMs();
      const bar = await tv('/tv_renko_main', { asset, color: 'green', bar_id: `k-bench-1` });
      if (bar.status !== 200) throw new Error(`/tv_renko_main: HTTP ${bar.status} ${JSON.stringify(bar.body)}`);
      let filled: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !filled; i += 1) {
        const a = (await deskState()).assets[asset] as Record<string, unknown>;
        if (a.position && a.pending_order === null) filled = a;
        else await sleep(50);
      }
      if (!filled) throw new Error(`the ${asset} entry was not filled: ${JSON.stringify((await deskState()).assets[asset])}`);
      const entryId = String(filled.preorder_last).replace(/^fired: order /, '');
      entryIds.add(entryId);
      const seen = seenAt.get(entryId);
      if (seen !== undefined) entryWebhookToVisibleMs.push(round(seen - sent, 3));
    }
    log(`setup: ES and NQ positions open on the bridge account; entry webhook -> visible ${entryWebhookToVisibleMs.map((v) => `${v} ms`).join(', ')}`);

    // Load: level exits at a fixed rate, open loop.
    const visible = new Samples(1_000_000);
    const acks = new Samples(1_000_000);
    const lags = new Samples(1_000_000);
    const placedBy = new Map<string, number>();
    const warmupPlaced = new Set<string>();
    const waiting: Promise<unknown>[] = [];
    let sent = 0;
    let answered = 0;
    let errors = 0;
    let withoutOrder = 0;
    const interval = 1_000 / rate;
    const warmupCount = Math.round(warmupS * rate);
    const total = warmupCount + Math.round(durationS * rate);
    let measureStart = 0;
    let lastSend = 0;
    let cpu: ReturnType<typeof cpuMeter> | null = null;
    const start = nowMs() + 20;
    await new Promise<void>((done) => {
      let i = 0;
      const tick = () => {
        const now = nowMs();
        while (i < total && start + i * interval <= now) {
          const n = i;
          const slot = start + n * interval;
          i += 1;
          const asset = ASSETS[n % ASSETS.length] as string;
          const measured = n >= warmupCount;
          if (n === warmupCount) {
            measuring = true;
            measureStart = slot;
            cpu = cpuMeter(server.proc.pid);
          }
          const t0 = nowMs();
          if (measured) {
            sent += 1;
            lags.push(t0 - slot);
            lastSend = t0;
          }
          waiting.push(
            tv('/tv_level_exit', { asset }).then(
              (r) => {
                if (!measured) {
                  for (const id of (r.body.orders ?? []) as string[]) warmupPlaced.add(id);
                  return;
                }
                if (r.status !== 200) {
                  errors += 1;
                  return;
                }
                answered += 1;
                acks.push(r.at - t0);
                const orders = (r.body.orders ?? []) as string[];
                if (orders.length === 0) withoutOrder += 1;
                for (const id of orders) placedBy.set(id, t0);
              },
              () => {
                if (measured) errors += 1;
              },
            ),
          );
        }
        if (i < total) setTimeout(tick, Math.max(0, start + i * interval - nowMs() - 0.2));
        else done();
      };
      tick();
    });
    await Promise.allSettled(waiting);
    // Let the poller see the last orders (bounded).
    const deadline = nowMs() + 5_000;
    while ([...placedBy.keys()].some((id) => !seenAt.has(id)) && nowMs() < deadline) await sleep(20);
    measuring = false;
    const usage = (cpu as ReturnType<typeof cpuMeter> | null)?.() ?? { serverCpuPct: null, benchCpuPct: null };
    let notSeen = 0;
    const serverQueued = new Samples(1_000_000);
    const serverClaimed = new Samples(1_000_000);
    // Across the two processes' clocks (both epoch-based, performance.timeOrigin): the hops around the server's part.
    const sentToArrival = new Samples(1_000_000);
    const claimedToSeen = new Samples(1_000_000);
    for (const [id, t0] of placedBy) {
      const seen = seenAt.get(id);
      if (seen === undefined) notSeen += 1;
      else visible.push(seen - t0);
      const p = probes.get(id);
      if (p) {
        serverQueued.push((p.queued - p.received) / 1000);
        sentToArrival.push(p.received / 1000 - t0);
        if (p.claimed !== null) serverClaimed.push((p.claimed - p.received) / 1000);
        if (p.claimed !== null && seen !== undefined) claimedToSeen.push(seen - p.claimed / 1000);
      }
    }
    const otherOrders = [...seenAt.keys()].filter((id) => !placedBy.has(id) && !warmupPlaced.has(id) && !entryIds.has(id)).length;
    if (pollError) throw pollError;

    const sum = (s: Samples): Summary => {
      const r = summarize(s.values());
      return { count: r.count, mean: round(r.mean, 3), p50: round(r.p50, 3), p90: round(r.p90, 3), p99: round(r.p99, 3), p999: round(r.p999, 3), max: round(r.max, 3) };
    };
    const webhookToVisibleMs = sum(visible);
    // Seed 003's 2 ms for a poll's server side; issue 15's 5 ms end to end for the push channel.
    const targetMs = push ? 5 : 2;
    const serverArrivalToQueuedMs = sum(serverQueued);
    const achievedRate = sent > 1 ? round((sent - 1) / ((lastSend - measureStart) / 1000), 1) : 0;
    const result: WebhookBridgeResult = {
      rateTarget: rate,
      durationS,
      warmupS,
      assets: [...ASSETS],
      webhooksSent: sent,
      webhooksAnswered: answered,
      webhookErrors: errors,
      achievedRate,
      sendLagMs: sum(lags),
      ordersPlaced: placedBy.size,
      webhooksWithoutOrder: withoutOrder,
      ordersSeen: visible.length,
      ordersNotSeen: notSeen,
      otherOrders,
      webhookToVisibleMs,
      webhookAckMs: sum(acks),
      pollRttMs: sum(rttAll),
      polls,
      pollWaitMs: waitMs,
      transport: push ? 'push' : 'poll',
      serverArrivalToQueuedMs,
      serverArrivalToClaimedMs: sum(serverClaimed),
      sentToServerArrivalMs: sum(sentToArrival),
      claimedToSeenMs: sum(claimedToSeen),
      entryWebhookToVisibleMs,
      serverCpuPct: usage.serverCpuPct,
      benchCpuPct: usage.benchCpuPct,
      target: { rate: 500, maxP99Ms: targetMs },
      pass: rate >= 500 && achievedRate >= 0.98 * 500 && errors === 0 && notSeen === 0 && webhookToVisibleMs.count > 0 && webhookToVisibleMs.p99 < targetMs,
      passServer: rate >= 500 && achievedRate >= 0.98 * 500 && errors === 0 && serverArrivalToQueuedMs.count === placedBy.size && serverArrivalToQueuedMs.p99 < 2,
    };
    log(
      `webhook-bridge: ${sent} level exits at ${achievedRate}/s -> ${placedBy.size} orders (${withoutOrder} found an exit still pending), ${visible.length} seen by the poller; ` +
        `webhook -> visible p50 ${webhookToVisibleMs.p50} ms, p99 ${webhookToVisibleMs.p99} ms, max ${webhookToVisibleMs.max} ms; ack p99 ${result.webhookAckMs.p99} ms; poll RTT p50 ${result.pollRttMs.p50} ms; ` +
        `server: arrival -> committed p50 ${serverArrivalToQueuedMs.p50} ms, p99 ${serverArrivalToQueuedMs.p99} ms; arrival -> claimed p50 ${result.serverArrivalToClaimedMs.p50} ms, p99 ${result.serverArrivalToClaimedMs.p99} ms`,
    );
    return result;
  } finally {
    polling = false;
    stream?.close();
    await poller;
    await Promise.allSettled([...inFlight]);
    hooks.destroy();
    poll.destroy();
    reports.destroy();
    await stopServer(server);
    removeBenchDir(dir);
  }
}

if (isMain(import.meta.url)) {
  const result = await runWebhookBridge();
  console.log(JSON.stringify({ machine: machineInfo(), webhookBridge: result }, null, 2));
}
