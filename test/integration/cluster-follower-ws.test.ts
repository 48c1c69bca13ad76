import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { clusterNow as clusterStatus, clusterRig } from '../helpers/cluster.js';
import { adminRedis, redisProxy, testRedisUrl } from '../helpers/redis.js';
import { OPT_IN_TYPES } from '../../src/api/ws-hub.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';

// Three real server processes in cluster mode on one PostgreSQL (a schema of this run's own) and
// one Redis (a key prefix of its own); WebSocket clients on the followers. Skipped with the reason
// when either is unreachable outside CI; a failure under CI=true.
const rig = await clusterRig('fws');
const { skip, prefix } = rig;
const streamKey = `${prefix}stream:events`;
const TOKEN = 'follower-ws-test-token-0123456789';
const PASSWORD = 'correct horse battery staple';

const auth = { authorization: `Bearer ${TOKEN}` };
const clusterNow = (s: ServerHandle) => clusterStatus(s, auth);

/** A client that records every message and how it was closed. */
interface Client {
  ws: WebSocket;
  messages: WsMessage[];
  closed: Promise<{ code: number; reason: string }>;
}
function openClient(wsUrl: string, headers: Record<string, string>): Promise<Client> {
  const ws = new WebSocket(wsUrl, { headers });
  const messages: WsMessage[] = [];
  ws.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as WsMessage));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`websocket refused with ${res.statusCode}`));
    });
  });
}
/** The HTTP status a refused upgrade gets (0: it was accepted). */
function upgradeStatus(wsUrl: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(0);
    });
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      resolve(res.statusCode ?? -1);
    });
    ws.once('error', () => {});
  });
}

/** Every stream entry the test has read, by origin and seq: what the test trims stays checkable. */
const archive = new Map<string, Record<string, unknown>>();
function remember(entries: [string, string[]][]): void {
  for (const [, fields] of entries) {
    const get = (k: string) => fields[fields.indexOf(k) + 1] as string;
    archive.set(`${get('origin')}#${get('seq')}`, JSON.parse(get('event')) as Record<string, unknown>);
  }
}

/** The leader's entries of the Redis Stream with seq in (from, to], as it published them. */
async function published(origin: string, from: number, to: number): Promise<Map<number, Record<string, unknown> | undefined>> {
  const admin = adminRedis();
  try {
    remember(await admin.xrange(streamKey, '-', '+'));
  } finally {
    admin.disconnect();
  }
  const out = new Map<number, Record<string, unknown> | undefined>();
  for (let seq = from + 1; seq <= to; seq += 1) out.set(seq, archive.get(`${origin}#${seq}`));
  return out;
}

/** Deletes the stream's entries older than `id` (kept in the archive), in one step. */
async function trimBefore(id: string): Promise<void> {
  const admin = adminRedis();
  try {
    const replies = (await admin.multi().xrange(streamKey, '-', '+').xtrim(streamKey, 'MINID', id).exec()) ?? [];
    const [err, entries] = replies[0] ?? [];
    if (err) throw err;
    remember(entries as [string, string[]][]);
  } finally {
    admin.disconnect();
  }
}

/** An event as its origin produced it (the relay's tags removed). */
const untagged = (m: WsMessage): Record<string, unknown> => {
  const { origin: _o, stream_id: _s, seq: _q, ...rest } = m;
  return rest;
};

/**
 * What the follower's client got after its snapshot is every event the leader published after
 * the snapshot's position, each once, in order, unchanged; none it published before.
 */
async function assertFollowsTheLeader(messages: WsMessage[], origin: string): Promise<number> {
  const [first, ...events] = messages;
  assert.equal(first?.type, 'STATE_SNAPSHOT', 'the first message is the state snapshot');
  assert.equal(first?.origin, origin);
  const from = Number(first?.seq);
  assert.ok(Number.isInteger(from) && from >= 0, `the snapshot says its position (${String(first?.seq)})`);
  const seqs = events.map((m) => Number(m.seq));
  assert.ok(events.every((m) => m.origin === origin), "every event is the leader's");
  const last = seqs.length > 0 ? (seqs[seqs.length - 1] as number) : from;
  // A client taking every type gets every event but the opt-in ones (DESK_UPDATE): those, and only those, it skips.
  const theirs = [...(await published(origin, from, last))].filter(([, e]) => !e || !OPT_IN_TYPES.has(String(e.type)));
  assert.deepEqual(seqs, theirs.map(([seq]) => seq), 'the events right after the snapshot, in order, none twice, none missing but the opt-in types');
  // The snapshot holds the events up to its position: no fill in it comes again as an event.
  const inSnapshot = new Set(((first?.data as { recent_trades?: { fill_id?: string }[] } | undefined)?.recent_trades ?? []).map((t) => t.fill_id));
  const again = events.filter((m) => m.type === 'TRADE_EXECUTION' && inSnapshot.has(m.fill_id as string));
  assert.deepEqual(again.map((m) => m.fill_id), [], 'no fill both in the snapshot and after it');
  assert.deepEqual(events.map(untagged), theirs.map(([, e]) => e), 'each event as the leader published it');
  return last;
}

/**
 * A market order for p1 through `via`; its id. Refused only while the account's kernel has no price
 * yet (the first seconds after a leader starts), then retried; any other refusal fails the test.
 */
async function order(via: ServerHandle, side: 'buy' | 'sell'): Promise<string> {
  return waitFor(
    `an order acknowledged through ${via.url}`,
    async () => {
      const r = await getJson<{ order?: { id: string }; detail?: string }>(`${via.url}/api/accounts/p1/orders`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'BTC/USDT', side, type: 'market', qty: 0.001 }),
      });
      if (r.status === 422 && /no price known/.test(String(r.body.detail))) return null;
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.order?.id;
    },
    30_000,
    200,
  );
}

describe('cluster: /ws on a follower', { skip }, () => {
  const servers: ServerHandle[] = [];
  const names = new Map<ServerHandle, string>();
  const clients: Client[] = [];
  const proxies: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const c of clients) c.ws.terminate();
    for (const s of servers) await s.stop();
    for (const p of proxies) await p.close();
    await rig.cleanup();
  });

  it("a client on a follower gets the leader's snapshot, then its order and fill events in order, once each; events lost to a follower close its client with 1013; SIGKILL the leader: clients are told to reconnect and do, to the new leader's stream", async () => {
    try {
      await scenario();
    } catch (error) {
      const tail = servers.map((s) => `--- instance ${names.get(s)} ---\n${s.output().slice(-4000)}`).join('\n');
      throw new Error(`${(error as Error).message}\n${tail}`, { cause: error });
    }
  });

  async function scenario(): Promise<void> {
    const env = (id: string) => rig.env(id, { TRADEWIND_API_TOKENS: TOKEN, DASHBOARD_PASSWORD: PASSWORD });
    const extra = {
      demoBot: { enabled: false },
      cluster: { leaseTtlMs: 3_000 },
      accounts: [{ id: 'p1', kind: 'paper', startingBalance: 1_000_000 }],
      risk: { accounts: { p1: { maxGrossLeverage: 100, maxNetLeverage: 100, maxOrdersPerMinute: null, marginCheck: false } } },
    };
    const start = async (id: string, redisUrl = testRedisUrl()): Promise<ServerHandle> => {
      const dir = tempDir(`tw-fws-${id}-`);
      const s = await startServer({ dataDir: dir, config: fastConfig(dir, extra), env: { ...env(id), REDIS_URL: redisUrl } });
      servers.push(s);
      names.set(s, id);
      return s;
    };
    const a = await start('inst-a');
    await waitFor('A leading', async () => {
      const c = await clusterNow(a);
      return c?.role === 'leader' && c.leader?.url !== '';
    }, 60_000);
    // C reaches Redis through a proxy the test can cut.
    const proxy = await redisProxy();
    proxies.push(proxy);
    const [b, c] = [await start('inst-b'), await start('inst-c', proxy.url)];
    assert.deepEqual([(await clusterNow(b))?.role, (await clusterNow(c))?.role], ['follower', 'follower']);

    // The leader's access rules on the follower's upgrade: credentials, and for a session cookie
    // (which a browser sends by itself) the page's origin.
    assert.equal(await upgradeStatus(b.wsUrl, {}), 401, 'no credentials: refused');
    assert.equal(await upgradeStatus(`${b.wsUrl}?token=wrong`, {}), 401, 'a wrong token: refused');
    assert.equal(await upgradeStatus(`${b.wsUrl}?token=${TOKEN}`, {}), 0, 'the API token as ?token=: admitted');
    assert.equal(await upgradeStatus(`${b.wsUrl}?types=nope`, auth), 400, 'a bad ?types=: refused before the upgrade');
    const login = await fetch(`${b.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
    assert.equal(login.status, 200, 'logged in through the follower (forwarded to the leader)');
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.match(cookie, /^tw_session=/);
    for (const s of [a, b]) {
      assert.equal(await upgradeStatus(s.wsUrl, { cookie, origin: 'http://evil.example' }), 403, `${names.get(s)}: a session from a foreign page refused`);
      assert.equal(await upgradeStatus(s.wsUrl, { cookie, origin: s.url }), 0, `${names.get(s)}: a session from its own page admitted`);
    }

    await waitFor('a BTC/USDT price', async () => ((await getJson<{ bars?: unknown[] }>(`${b.url}/api/bars?symbol=BTC%2FUSDT&limit=1`, { headers: auth })).body.bars?.length ?? 0) > 0, 30_000);
    const onB = await openClient(`${b.wsUrl}?token=${TOKEN}`, {});
    clients.push(onB);
    await waitFor('the snapshot on B', async () => onB.messages.length > 0, 30_000);

    // Orders on the leader, directly and through the follower, while the client listens.
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) ids.push(await order(i % 2 === 0 ? a : b, i % 3 === 0 ? 'sell' : 'buy'));
    const filledOn = (messages: WsMessage[]) => new Set(messages.filter((m) => m.type === 'TRADE_EXECUTION').map((m) => String(m.order_id)));
    await waitFor("every order's fill on the follower's client", async () => ids.every((id) => filledOn(onB.messages).has(id)), 30_000);
    const placed = onB.messages.filter((m) => m.type === 'ORDER_PLACED').map((m) => (m.data as { order: { id: string } }).order.id);
    assert.deepEqual(placed, ids, 'ORDER_PLACED for each order, in the order they were placed');
    const seen = await assertFollowsTheLeader(onB.messages, 'inst-a');
    // The desk's state (opt-in) reaches a follower's client that asks for it, relayed like the rest.
    const deskOnB = await openClient(`${b.wsUrl}?token=${TOKEN}&types=DESK_UPDATE`, {});
    clients.push(deskOnB);
    const desk = await waitFor('a DESK_UPDATE on B', async () => deskOnB.messages.find((m) => m.type === 'DESK_UPDATE'), 30_000);
    assert.equal(desk.origin, 'inst-a');
    assert.ok(deskOnB.messages.every((m) => m.type === 'DESK_UPDATE'), 'nothing else, not even the snapshot');
    deskOnB.ws.close();

    // A client on the other follower joins later: its snapshot already holds the trades, and its
    // events continue from there.
    let onC = await openClient(c.wsUrl, { cookie, origin: c.url });
    clients.push(onC);
    await waitFor('the snapshot on C', async () => onC.messages.length > 0, 30_000);
    const lateSnapshot = onC.messages[0] as WsMessage & { data: { recent_trades: { order_id?: string }[] } };
    assert.equal(lateSnapshot.type, 'STATE_SNAPSHOT');
    assert.ok(Number(lateSnapshot.seq) >= seen, 'taken after the events the first client got');
    const snapshotOrders = new Set(lateSnapshot.data.recent_trades.map((t) => t.order_id));
    assert.ok(ids.every((id) => snapshotOrders.has(id)), "the leader's snapshot holds every fill so far");
    await waitFor('a few live events on C', async () => onC.messages.length >= 4, 30_000);
    await assertFollowsTheLeader(onC.messages, 'inst-a');

    // C loses Redis; meanwhile the leader's events of that time are trimmed from the stream once B
    // has relayed them. Back on Redis, C's relay resumes after them: its client learns of the gap.
    proxy.cut();
    const cutAt = onB.messages.length;
    for (let i = 0; i < 3; i += 1) ids.push(await order(a, 'buy'));
    await waitFor("the orders' fills on B", async () => ids.every((id) => filledOn(onB.messages).has(id)), 30_000);
    assert.ok(onB.messages.length > cutAt + 3);
    await trimBefore(String(onB.messages[onB.messages.length - 1]?.stream_id));
    proxy.restore();
    const gap = await Promise.race([onC.closed, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    assert.ok(gap, "C closed its client once it found the gap");
    assert.equal(gap.code, 1013, `close code ${gap.code} (${gap.reason})`);
    assert.match(gap.reason, /^events \d+ to \d+ were lost: reconnect for a fresh snapshot$/);
    await assertFollowsTheLeader(onC.messages, 'inst-a');
    assert.equal(onB.ws.readyState, WebSocket.OPEN, "B's client had every event: still connected");
    // The client reconnects to C (its session checked in Redis again): a snapshot with the trimmed events' fills.
    onC = await waitFor('a reconnect to C', async () => openClient(c.wsUrl, { cookie, origin: c.url }).catch(() => null), 30_000, 200);
    clients.push(onC);
    await waitFor('the snapshot on C', async () => onC.messages.length > 0, 30_000);
    const afterGap = new Set((onC.messages[0] as WsMessage & { data: { recent_trades: { order_id?: string }[] } }).data.recent_trades.map((t) => t.order_id));
    assert.ok(ids.every((id) => afterGap.has(id)), 'the fresh snapshot holds the fills the client missed');
    await waitFor('a few live events on C again', async () => onC.messages.length >= 4, 30_000);
    await assertFollowsTheLeader(onC.messages, 'inst-a');

    // The leader dies. The follower that takes the lease closes its clients as it becomes the
    // leader, the other one when it sees the new lease: both with 1012 and a reason.
    const killedAt = Date.now();
    await a.kill9();
    const within = (p: Promise<{ code: number; reason: string }>) => Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    const [closedB, closedC] = await Promise.all([within(onB.closed), within(onC.closed)]);
    console.log(`# follower clients closed ${Date.now() - killedAt} ms after SIGKILL of the leader`);
    for (const closed of [closedB, closedC]) {
      assert.ok(closed, 'closed within 30 s of the kill');
      assert.equal(closed.code, 1012, `close code ${closed.code} (${closed.reason})`);
      assert.match(closed.reason, /reconnect/);
    }
    await assertFollowsTheLeader(onB.messages, 'inst-a');
    await assertFollowsTheLeader(onC.messages, 'inst-a');

    // Both clients reconnect (retrying while the new leader starts its server).
    const again = async (s: ServerHandle, headers: Record<string, string>, path = '') => {
      const client = await waitFor(`a reconnect to ${names.get(s)}`, async () => openClient(`${s.wsUrl}${path}`, headers).catch(() => null), 60_000, 200);
      clients.push(client);
      await waitFor(`the snapshot on ${names.get(s)}`, async () => (client.messages.length > 0 ? true : null), 30_000);
      return client;
    };
    const [againB, againC] = [await again(b, {}, `?token=${TOKEN}`), await again(c, { cookie, origin: c.url })];
    console.log(`# both clients streaming again ${Date.now() - killedAt} ms after SIGKILL of the leader`);
    const roles = [(await clusterNow(b))?.role, (await clusterNow(c))?.role];
    assert.deepEqual([...roles].sort(), ['follower', 'leader'], `one new leader: ${roles.join(', ')}`);
    const [leader, follower] = roles[0] === 'leader' ? [b, c] : [c, b];
    const [onLeader, onFollower] = leader === b ? [againB, againC] : [againC, againB];
    for (const cl of [onLeader, onFollower]) {
      const snap = cl.messages[0] as WsMessage & { data: { recent_trades: { order_id?: string }[] } };
      assert.equal(snap.type, 'STATE_SNAPSHOT');
      const restored = new Set(snap.data.recent_trades.map((t) => t.order_id));
      assert.ok(ids.every((id) => restored.has(id)), "the new leader's snapshot holds the fills made under the old one");
    }
    const id = await order(follower, 'buy');
    await waitFor("the new leader's fill on both reconnected clients", async () => filledOn(onLeader.messages).has(id) && filledOn(onFollower.messages).has(id), 30_000);
    await assertFollowsTheLeader(onFollower.messages, names.get(leader) as string);
  }
});
