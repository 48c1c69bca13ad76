// WebSocket fan-out delay of the real server: 200 clients on /ws, delay = receive - send time.
//
//   node dist/bench/ws-fanout.js
//
// The send time is the envelope's `timestamp` (ISO, whole milliseconds, set when the server
// created the message), so each delay reads 0-1 ms high. Both processes share the wall clock, and
// the receive time is read from it too (Date.now()): a time built from this process's
// performance.timeOrigin does not follow a step of the system clock after the process started
// (a CI run saw delays of -100 to -150 ms when the VM's clock was corrected).
// Environment: BENCH_WS_CLIENTS (200, at most 5,000), BENCH_WS_SETTLE_MIN_S (15), BENCH_WS_SETTLE_MAX_S (60), BENCH_WS_COLLECT_S (20).
import WebSocket from 'ws';
import type { ServerHandle } from '../test/helpers/server.js';
import { Samples, cpuMeter, envNumber, isMain, machineInfo, nowMs, round, sleep, startBenchServer, stopServer, summarize, waitForTrading } from './common.js';

export interface WsFanoutResult {
  clients: number;
  connected: number;
  connectMs: number;
  settleS: number;
  collectS: number;
  snapshotFirst: number;
  snapshotBytes: number;
  /** Distinct broadcasts created in the window, by type. */
  broadcasts: number;
  broadcastsByType: Record<string, number>;
  /** Broadcast messages received over all clients (ideally broadcasts x clients). */
  deliveries: number;
  expectedDeliveries: number;
  clientsWithAllBroadcasts: number;
  delayMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** Per broadcast, the delay of the first and of the last client to receive it. */
  firstDeliveryMs: { p50: number; p99: number; max: number };
  lastDeliveryMs: { p50: number; p99: number; max: number };
  closedEarly: number;
  serverCpuPct: number | null;
  benchCpuPct: number | null;
  target: { maxP99Ms: number };
}

interface Envelope {
  type?: unknown;
  timestamp?: unknown;
}

const HEAD = /^\{"type":"([^"]+)","timestamp":"([^"]+)"/;

interface ClientState {
  ws: WebSocket;
  first: string | undefined;
  firstBytes: number;
  counted: number;
  closed: boolean;
}

const MAX_DELIVERIES = 5_000_000;

function connect(url: string, timeoutMs: number, onMessage: (c: ClientState, raw: WebSocket.RawData, at: number) => void): Promise<ClientState> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const client: ClientState = { ws, first: undefined, firstBytes: 0, counted: 0, closed: false };
  ws.on('message', (raw) => onMessage(client, raw, Date.now()));
  ws.on('close', () => (client.closed = true));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`websocket did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(client);
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function runWsFanout(log: (s: string) => void = (s) => console.log(s)): Promise<WsFanoutResult> {
  const clientCount = Math.floor(envNumber('BENCH_WS_CLIENTS', 200));
  const settleMinS = envNumber('BENCH_WS_SETTLE_MIN_S', 15);
  const settleMaxS = Math.max(settleMinS, envNumber('BENCH_WS_SETTLE_MAX_S', 60));
  const collectS = envNumber('BENCH_WS_COLLECT_S', 20);
  if (clientCount > MAX_CLIENTS) throw new Error(`BENCH_WS_CLIENTS is capped at ${MAX_CLIENTS}`);

  const server = await startBenchServer();
  log(`ws-fanout: server ${server.url} (pid ${server.proc.pid}); letting it run at least ${settleMinS} s (until it holds a position, at most ${settleMaxS} s)`);
  try {
    // With an open position the server sends account/position refreshes every second.
    const warm = await waitForTrading(server, settleMinS, settleMaxS);
    log(`settled after ${warm.seconds} s: ${warm.state.positions.length} positions, ${warm.state.recent_trades.length} trades, ${warm.state.events.length} events`);
    return await measureWsFanout(server, { clients: clientCount, collectS, settleS: warm.seconds }, log);
  } finally {
    await stopServer(server);
  }
}

/** Clients on one process are capped: the bench's own receive loop would become what it measures. */
export const MAX_CLIENTS = 5_000;
/** Clients connect in groups of this many, so a large count does not time out its own handshakes. */
const CONNECT_BATCH = 250;

/**
 * Connects `clients` WebSocket clients to a running (settled) server, counts the broadcasts of
 * `collectS` seconds and their delays, then disconnects them. The server is left running.
 */
export async function measureWsFanout(server: ServerHandle, options: { clients: number; collectS: number; settleS: number }, log: (s: string) => void = (s) => console.log(s)): Promise<WsFanoutResult> {
  const { clients: clientCount, collectS, settleS } = options;
  if (clientCount > MAX_CLIENTS) throw new Error(`at most ${MAX_CLIENTS} clients`);
  const url = server.wsUrl;
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing to connect to ${url}: only 127.0.0.1 is allowed`);

  let windowStart = Infinity;
  let windowEnd = Infinity;
  const delays = new Samples(MAX_DELIVERIES);
  // Per distinct broadcast (type, timestamp, size): first and last arrival over all clients.
  const perBroadcast = new Map<string, { type: string; first: number; last: number; n: number }>();
  let unparsable = 0;
  const onMessage = (client: ClientState, raw: WebSocket.RawData, at: number) => {
    const text = raw.toString();
    // The envelope starts {"type":…,"timestamp":…; read those two without parsing the whole
    // message, so the 200 clients in this one process add as little delay as possible.
    let type: string | undefined;
    let timestamp: string | undefined;
    const head = HEAD.exec(text.slice(0, 200));
    if (head) {
      type = head[1];
      timestamp = head[2];
    } else {
      try {
        const msg = JSON.parse(text) as Envelope;
        type = typeof msg.type === 'string' ? msg.type : '?';
        timestamp = typeof msg.timestamp === 'string' ? msg.timestamp : undefined;
      } catch {
        unparsable += 1;
        return;
      }
    }
    if (client.first === undefined) {
      client.first = type;
      client.firstBytes = Buffer.byteLength(text);
    }
    if (type === 'STATE_SNAPSHOT' || type === 'PONG' || timestamp === undefined) return;
    const sent = Date.parse(timestamp);
    if (!(sent >= windowStart && sent < windowEnd)) return;
    const delay = at - sent;
    delays.push(delay);
    client.counted += 1;
    const key = `${type}|${timestamp}|${text.length}`;
    const b = perBroadcast.get(key);
    if (b) {
      b.first = Math.min(b.first, delay);
      b.last = Math.max(b.last, delay);
      b.n += 1;
    } else perBroadcast.set(key, { type: type ?? '?', first: delay, last: delay, n: 1 });
  };

  const t0 = nowMs();
  const settled: PromiseSettledResult<ClientState>[] = [];
  for (let done = 0; done < clientCount; done += CONNECT_BATCH) {
    const n = Math.min(CONNECT_BATCH, clientCount - done);
    settled.push(...(await Promise.allSettled(Array.from({ length: n }, () => connect(url, 30_000, onMessage)))));
  }
  const clients = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const connectMs = round(nowMs() - t0, 1);
  const failures = settled.filter((s) => s.status === 'rejected').length;
  log(`connected ${clients.length}/${clientCount} clients in ${connectMs} ms${failures ? ` (${failures} failed)` : ''}; collecting ${collectS} s`);

  // Count broadcasts created from now for collectS; wait 2 s more for the last deliveries.
  const meter = cpuMeter(server.proc.pid);
  windowStart = Date.now() + 1;
  windowEnd = windowStart + collectS * 1000;
  await sleep(collectS * 1000 + 2_000);
  const cpu = meter();
  const snapshotFirst = clients.filter((c) => c.first === 'STATE_SNAPSHOT').length;
  const snapshotBytes = Math.max(0, ...clients.map((c) => (c.first === 'STATE_SNAPSHOT' ? c.firstBytes : 0)));
  const closedEarly = clients.filter((c) => c.closed).length;
  for (const c of clients) c.ws.terminate();

  const broadcastsByType: Record<string, number> = {};
  const firsts = new Float64Array(perBroadcast.size);
  const lasts = new Float64Array(perBroadcast.size);
  let i = 0;
  for (const b of perBroadcast.values()) {
    broadcastsByType[b.type] = (broadcastsByType[b.type] ?? 0) + 1;
    firsts[i] = b.first;
    lasts[i] = b.last;
    i += 1;
  }
  const broadcasts = perBroadcast.size;
  const first = summarize(firsts);
  const last = summarize(lasts);
  const delay = summarize(delays.values());
  if (unparsable > 0) log(`warning: ${unparsable} messages were not JSON`);
  if (server.proc.exitCode !== null) throw new Error(`server exited during the benchmark:\n${server.output()}`);
  const result: WsFanoutResult = {
    clients: clientCount,
    connected: clients.length,
    connectMs,
    settleS,
    collectS,
    snapshotFirst,
    snapshotBytes,
    broadcasts,
    broadcastsByType,
    deliveries: delays.length,
    expectedDeliveries: broadcasts * clients.length,
    clientsWithAllBroadcasts: clients.filter((c) => c.counted === broadcasts).length,
    delayMs: { mean: round(delay.mean, 3), p50: round(delay.p50, 3), p90: round(delay.p90, 3), p99: round(delay.p99, 3), p999: round(delay.p999, 3), max: round(delay.max, 3) },
    firstDeliveryMs: { p50: round(first.p50, 3), p99: round(first.p99, 3), max: round(first.max, 3) },
    lastDeliveryMs: { p50: round(last.p50, 3), p99: round(last.p99, 3), max: round(last.max, 3) },
    closedEarly,
    ...cpu,
    target: { maxP99Ms: 50 },
  };
  log(
    `  ${result.broadcasts} broadcasts, ${result.deliveries}/${result.expectedDeliveries} deliveries, delay p50 ${result.delayMs.p50} ms, p99 ${result.delayMs.p99} ms, max ${result.delayMs.max} ms; STATE_SNAPSHOT first on ${snapshotFirst}/${clients.length}`,
  );
  return result;
}

if (isMain(import.meta.url)) {
  const result = await runWsFanout();
  console.log(JSON.stringify({ machine: machineInfo(), wsFanout: result }, null, 2));
}
