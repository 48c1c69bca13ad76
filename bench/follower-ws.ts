// The extra delay of /ws on a cluster follower: a leader and a follower (`tradewind start` in
// cluster mode on the real PostgreSQL and Redis), one WebSocket client on each; market orders are
// placed on the leader at a steady pace, and for every ORDER_PLACED and TRADE_EXECUTION the
// follower's client gets, the delay after the leader's client got the same event (both clients
// in this process, so one clock). Also counts, on the follower's client, events out of sequence
// (a gap or a repeat after the snapshot's `seq`): 0 expected.
//
//   npm run bench:follower-ws
//
// Environment: BENCH_FOLLOWER_WS_ORDERS (200), BENCH_FOLLOWER_WS_GAP_MS (25), TEST_DATABASE_URL,
// TEST_REDIS_URL.
import { loadavg } from 'node:os';
import pg from 'pg';
import WebSocket from 'ws';
import { adminRedis, dropKeys, testRedisUrl, uniquePrefix } from '../test/helpers/redis.js';
import { testDatabaseUrl } from '../test/helpers/store-engines.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../test/helpers/server.js';
import { envNumber, isMain, machineInfo, nowMs, round, sleep, stopServer, summarize } from './common.js';

type Msg = Record<string, unknown> & { type: string };

/** Arrival times by event key (`ORDER_PLACED:<order id>`, `TRADE_EXECUTION:<fill id>`), and every message. */
function listen(url: string): Promise<{ ws: WebSocket; at: Map<string, number>; messages: Msg[]; closed: string | null }> {
  const ws = new WebSocket(url);
  const at = new Map<string, number>();
  const messages: Msg[] = [];
  const out = { ws, at, messages, closed: null as string | null };
  ws.on('close', (code, reason) => {
    out.closed = `${code} ${reason.toString()}`;
  });
  ws.on('message', (raw) => {
    const t = nowMs();
    const m = JSON.parse(raw.toString()) as Msg;
    messages.push(m);
    if (m.type === 'ORDER_PLACED') at.set(`ORDER_PLACED:${(m.data as { order: { id: string } }).order.id}`, t);
    if (m.type === 'TRADE_EXECUTION') at.set(`TRADE_EXECUTION:${String(m.fill_id)}`, t);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(out));
    ws.once('error', reject);
  });
}

export interface FollowerWsBenchResult {
  orders: number;
  gapMs: number;
  events: number;
  /** Follower's arrival minus the leader's, ms. */
  delayMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  outOfSequence: number;
}

export async function runFollowerWsBench(log: (s: string) => void = console.log): Promise<FollowerWsBenchResult> {
  const orders = envNumber('BENCH_FOLLOWER_WS_ORDERS', 200);
  const gapMs = envNumber('BENCH_FOLLOWER_WS_GAP_MS', 25);
  const url = testDatabaseUrl();
  const schema = `tw_bench_fws_${process.pid}_${Date.now().toString(36)}`;
  const prefix = uniquePrefix();
  const env = (id: string) => ({ TRADEWIND_STORAGE: 'postgres', DATABASE_URL: url, TRADEWIND_PG_SCHEMA: schema, REDIS_URL: testRedisUrl(), TRADEWIND_REDIS_PREFIX: prefix, TRADEWIND_INSTANCE_ID: id, TRADEWIND_CLUSTER: 'on' });
  const extra = {
    demoBot: { enabled: false },
    accounts: [{ id: 'p1', kind: 'paper', startingBalance: 1_000_000 }],
    risk: { accounts: { p1: { maxGrossLeverage: 100, maxNetLeverage: 100, maxOrdersPerMinute: null, marginCheck: false } } },
  };
  const servers: ServerHandle[] = [];
  const sockets: WebSocket[] = [];
  try {
    const start = async (id: string) => {
      const dir = tempDir(`tw-bench-fws-${id}-`);
      const s = await startServer({ dataDir: dir, config: fastConfig(dir, extra), env: env(id) });
      servers.push(s);
      return s;
    };
    const leader = await start('bench-a');
    await waitFor('the leader', async () => (await getJson<{ role: string }>(`${leader.url}/api/cluster`).catch(() => null))?.body.role === 'leader', 60_000);
    const follower = await start('bench-b');
    const onLeader = await listen(leader.wsUrl);
    const onFollower = await listen(follower.wsUrl);
    sockets.push(onLeader.ws, onFollower.ws);
    // The follower's snapshot comes a round trip to the leader after the upgrade: events before it are in it.
    await waitFor('both snapshots', async () => onLeader.messages.length > 0 && onFollower.messages.length > 0, 30_000);
    const place = async (side: 'buy' | 'sell') =>
      getJson<{ order?: { id: string }; detail?: string }>(`${leader.url}/api/accounts/p1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'BTC/USDT', side, type: 'market', qty: 0.001 }),
      });
    await waitFor('a price on the leader', async () => (await place('buy')).status === 201, 30_000, 200);
    log(`  ${orders} market orders on the leader, one every ${gapMs} ms`);
    for (let i = 0; i < orders; i += 1) {
      const r = await place(i % 2 === 0 ? 'sell' : 'buy');
      if (r.status !== 201) throw new Error(`order refused: ${r.status} ${JSON.stringify(r.body)}`);
      await sleep(gapMs);
    }
    try {
      await waitFor('every event on the follower', async () => [...onLeader.at.keys()].every((k) => onFollower.at.has(k)), 60_000);
    } catch (error) {
      const missing = [...onLeader.at.keys()].filter((k) => !onFollower.at.has(k));
      throw new Error(`${(error as Error).message}: ${missing.length} of ${onLeader.at.size} missing (first ${missing[0]}); the follower's client ${onFollower.closed ? `was closed: ${onFollower.closed}` : 'is open'}\n${follower.output().slice(-3000)}`, { cause: error });
    }
    const delays = new Float64Array([...onLeader.at].map(([k, t]) => (onFollower.at.get(k) as number) - t));
    const s = summarize(delays);
    const [snapshot, ...events] = onFollower.messages;
    let expected = Number(snapshot?.seq) + 1;
    let outOfSequence = 0;
    for (const m of events) {
      if (m.seq !== expected) outOfSequence += 1;
      expected = Number(m.seq) + 1;
    }
    log(`  ${s.count} events: follower after leader p50 ${round(s.p50, 1)} ms, p90 ${round(s.p90, 1)} ms, p99 ${round(s.p99, 1)} ms, max ${round(s.max, 1)} ms; ${events.length} events after the snapshot, ${outOfSequence} out of sequence`);
    return { orders, gapMs, events: s.count, delayMs: { p50: round(s.p50, 2), p90: round(s.p90, 2), p99: round(s.p99, 2), max: round(s.max, 2), mean: round(s.mean, 2) }, outOfSequence };
  } finally {
    for (const w of sockets) w.terminate();
    for (const s of servers) await stopServer(s);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
    const admin = adminRedis();
    await dropKeys(admin, prefix);
    admin.disconnect();
  }
}

if (isMain(import.meta.url)) {
  const machine = machineInfo();
  console.log(`/ws on a cluster follower vs the leader (PostgreSQL ${testDatabaseUrl().replace(/:[^:@/]*@/, ':***@')}, Redis ${testRedisUrl()})`);
  await runFollowerWsBench();
  console.log(`\n${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
}
