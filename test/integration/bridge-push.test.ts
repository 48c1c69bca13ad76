import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { fastConfig, getJson, startServer, tempDir, waitFor, waitForPrice, type ServerHandle } from '../helpers/server.js';
import { post, queueRow, type Obj } from '../helpers/bridge.js';

const SECRET = 'bridge-push-secret-0123456789';

/** The bridge account on, ES routed to MESM6, test orders allowed; leverage limits wide enough for a handful of lots. */
const pushConfig = (dir: string) =>
  fastConfig(dir, {
    demoBot: { enabled: false },
    // Push mechanics, not limits: a handful of working ES lots on 50 000 is beyond the default leverage.
    risk: { accounts: { bridge: { maxGrossLeverage: 125, maxNetLeverage: 125, marginCheck: false } } },
    bridge: { enabled: true, secret: SECRET, allowTestOrders: true, leaseSeconds: 30, heartbeatTimeoutSeconds: 3_600, contracts: { ES: { contract: 'MESM6', exchange: 'CME' } } },
  });

type Pushed = { id: string; side: string; qty: number; cancel: boolean; lease_expires_at: string | null };

/** A real WebSocket bridge client on the push channel, recording every message. */
async function connect(server: ServerHandle, query: string): Promise<{ ws: WebSocket; messages: Obj[]; orders: () => Pushed[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/orders/stream?${query}`);
  const messages: Obj[] = [];
  ws.on('message', (raw: Buffer) => messages.push(JSON.parse(raw.toString()) as Obj));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`refused with ${res.statusCode}`));
    });
  });
  const orders = () => messages.filter((m) => m.type === 'orders').flatMap((m) => m.orders as Pushed[]);
  return { ws, messages, orders, closed };
}

async function refusal(server: ServerHandle, query: string): Promise<number> {
  return connect(server, query).then(
    (c) => {
      c.ws.close();
      return 101;
    },
    (e: Error) => Number(/refused with (\d+)/.exec(e.message)?.[1] ?? 0),
  );
}

async function testOrder(server: ServerHandle, side: 'BUY' | 'SELL', qty = 1): Promise<{ status: number; body: Obj }> {
  return getJson<Obj>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side, qty }));
}

async function placed(server: ServerHandle, side: 'BUY' | 'SELL'): Promise<string> {
  const r = await testOrder(server, side);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.order as { id: string }).id;
}

const report = (server: ServerHandle, id: string, owner: string, status: string, extra: Obj = {}) =>
  getJson<Obj>(`${server.url}/api/orders/${id}/execution-report`, post({ secret: SECRET, owner, status, extra: { symbol: 'MESM6', qty: 1, ...extra } }));

describe('bridge push channel (GET /api/orders/stream, WebSocket) against the real server', () => {
  it('refuses a wrong or missing secret and a bad owner before the upgrade; pushes each order once, leased like a poll claim; reports on the connection as its owner', async () => {
    const dataDir = tempDir('tw-bridge-push-');
    const server = await startServer({ dataDir, config: pushConfig(dataDir) });
    const clients: WebSocket[] = [];
    try {
      assert.equal(await refusal(server, 'owner=A'), 401, 'no secret');
      assert.equal(await refusal(server, `secret=${SECRET}x&owner=A`), 401, 'wrong secret');
      assert.equal(await refusal(server, `secret=${SECRET}&owner=${encodeURIComponent('no spaces')}`), 400, 'bad owner');
      assert.equal(await refusal(server, `secret=${SECRET}&owner=A&limit=0`), 400, 'bad limit');

      const hb = await getJson<Obj>(`${server.url}/api/bridge/heartbeat`, post({ secret: SECRET, tsConnected: true, owner: 'A' }));
      assert.equal(hb.status, 200);
      await waitForPrice(server, 'ES');

      // Two bridges on the push channel: every order goes to exactly one of them.
      const a = await connect(server, `secret=${SECRET}&owner=A`);
      const b = await connect(server, `secret=${SECRET}&owner=B`);
      clients.push(a.ws, b.ws);
      await waitFor('both hellos', async () => a.messages.length > 0 && b.messages.length > 0, 10_000, 20);
      assert.deepEqual(a.messages[0], { type: 'hello', owner: 'A', limit: 20, lease_seconds: 30 });

      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1) ids.push(await placed(server, i % 2 === 0 ? 'BUY' : 'SELL'));
      await waitFor('every order pushed', async () => a.orders().length + b.orders().length >= ids.length, 10_000, 20);
      const got = [...a.orders().map((o) => ({ ...o, owner: 'A' })), ...b.orders().map((o) => ({ ...o, owner: 'B' }))];
      assert.deepEqual(got.map((o) => o.id).sort(), [...ids].sort(), 'each order pushed exactly once');
      for (const o of got) {
        assert.equal(o.cancel, false);
        assert.ok(o.lease_expires_at, 'pushed with its lease');
        const row = await queueRow(server, o.id);
        assert.deepEqual([row?.status, row?.leaseOwner], ['CLAIMED', o.owner], 'claimed for the connection that got it');
      }
      // The lease holds against polls as against any claim.
      const poll = await getJson<Obj>(`${server.url}/api/orders/pending?secret=${SECRET}&owner=C`);
      assert.deepEqual(poll.body.orders, []);
      // The owner executes with the usual reports; another bridge may not report on it.
      const first = got[0] as Pushed & { owner: string };
      const other = first.owner === 'A' ? 'B' : 'A';
      assert.equal((await report(server, first.id, other, 'WORKING', { side: first.side })).status, 409);
      assert.equal((await report(server, first.id, first.owner, 'WORKING', { side: first.side })).status, 200);
      const fill = await report(server, first.id, first.owner, 'FILLED', { side: first.side, fill_price: 6_000 });
      assert.equal(fill.status, 200, JSON.stringify(fill.body));
      assert.equal((await queueRow(server, first.id))?.status, 'FILLED');

      // Reports may come back on the connection, always as its owner.
      const third = got[2] as Pushed & { owner: string };
      const mine = third.owner === 'A' ? a : b;
      const theirs = third.owner === 'A' ? b : a;
      const answers = (c: typeof a, ref: string) => waitFor(`answer ${ref}`, async () => c.messages.find((m) => m.ref === ref), 10_000, 20);
      theirs.ws.send(JSON.stringify({ type: 'report', ref: 'r1', order_id: third.id, status: 'WORKING', extra: { symbol: 'MESM6', side: third.side, qty: 1 } }));
      const foreign = await answers(theirs, 'r1');
      assert.equal(foreign.status_code, 409, JSON.stringify(foreign));
      mine.ws.send(JSON.stringify({ type: 'report', ref: 'r2', order_id: third.id, status: 'WORKING', extra: { symbol: 'MESM6', side: third.side, qty: 1 } }));
      assert.equal((await answers(mine, 'r2')).status_code, 200);
      mine.ws.send(JSON.stringify({ type: 'report', ref: 'r3', order_id: third.id, status: 'FILLED', extra: { symbol: 'MESM6', side: third.side, qty: 1, fill_price: 'NaN' } }));
      assert.ok([400, 422].includes(Number((await answers(mine, 'r3')).status_code)), 'a fill without a sane price is refused as over HTTP');
      mine.ws.send(JSON.stringify({ type: 'report', ref: 'r4', order_id: third.id, status: 'FILLED', extra: { symbol: 'MESM6', side: third.side, qty: 1, fill_price: 6_000 } }));
      assert.deepEqual([(await answers(mine, 'r4')).status_code, (await queueRow(server, third.id))?.status], [200, 'FILLED']);
      mine.ws.send('not json');
      await waitFor('an error message', async () => mine.messages.some((m) => m.type === 'error'), 10_000, 20);

      // A cancel request reaches the owner once, on its connection.
      const second = got[1] as Pushed & { owner: string };
      const cancel = await getJson<Obj>(`${server.url}/api/bridge/orders/${second.id}/cancel`, post({}));
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      const owner = second.owner === 'A' ? a : b;
      await waitFor('the cancel request pushed', async () => owner.orders().some((o) => o.id === second.id && o.cancel), 10_000, 20);
      await placed(server, 'BUY'); // another wake-up: the cancel request is not pushed again
      await waitFor('the next order pushed', async () => a.orders().length + b.orders().length >= ids.length + 2, 10_000, 20);
      assert.equal(owner.orders().filter((o) => o.id === second.id && o.cancel).length, 1);
    } finally {
      for (const ws of clients) ws.terminate();
      await server.stop();
    }
  });

  it('orders queued while the bridge is away are pushed when it reconnects; orders the risk engine refuses never reach it; a flooding connection is cut off', async () => {
    const dataDir = tempDir('tw-bridge-push-');
    const server = await startServer({ dataDir, config: pushConfig(dataDir) });
    const clients: WebSocket[] = [];
    try {
      assert.equal((await getJson(`${server.url}/api/bridge/heartbeat`, post({ secret: SECRET, tsConnected: true }))).status, 200);
      await waitForPrice(server, 'ES');
      const first = await connect(server, `secret=${SECRET}&owner=vps1`);
      clients.push(first.ws);
      const early = await placed(server, 'BUY');
      await waitFor('the first order pushed', async () => first.orders().some((o) => o.id === early), 10_000, 20);
      first.ws.close();
      await first.closed;

      // Away: these wait in the queue (PENDING, nobody's).
      const away = [await placed(server, 'BUY'), await placed(server, 'SELL')];
      for (const id of away) assert.equal((await queueRow(server, id))?.status, 'PENDING');
      // Through the risk engine like every order: far beyond the account's exposure limit, refused.
      const huge = await testOrder(server, 'BUY', 1_500);
      assert.equal(huge.status, 409, JSON.stringify(huge.body));
      assert.match(String(huge.body.error), /exposure|leverage|margin|qty|quantity/i);

      const again = await connect(server, `secret=${SECRET}&owner=vps1`);
      clients.push(again.ws);
      await waitFor('the queued orders pushed on reconnect', async () => again.orders().length >= away.length, 10_000, 20);
      assert.deepEqual(
        again.orders().map((o) => o.id),
        away,
        'exactly the orders queued while away, in order; the early one stays leased to its first delivery, the refused one never existed',
      );
      const queue = ((await getJson<Obj>(`${server.url}/api/bridge/status?limit=500`)).body.queue as { id: string }[]).map((q) => q.id);
      assert.equal(queue.length, 3, 'the refused order was never queued');

      // A connection that floods the server with messages is cut off (1008), the others go on.
      const flood = await connect(server, `secret=${SECRET}&owner=flood`);
      clients.push(flood.ws);
      for (let i = 0; i < 20_000; i += 1) flood.ws.send('{}');
      assert.equal(await flood.closed, 1008);
      assert.equal(again.ws.readyState, WebSocket.OPEN);
    } finally {
      for (const ws of clients) ws.terminate();
      await server.stop();
    }
  });
});
