import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle, waitForPrice } from '../helpers/server.js';

type Obj = Record<string, unknown>;
const SECRET = 'bridge-secret-0123456789abcdef';
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const T = '/api/v1/trading';

interface Stamped {
  cached: boolean;
  timestamp: number;
  count: number;
}

describe('seed 002 trading API over real HTTP (paper, bridge, Renko desk and demo accounts)', () => {
  let server: ServerHandle;
  const get = <B = Obj>(path: string) => getJson<B>(`${server.url}${path}`);

  before(async () => {
    const dir = tempDir();
    // The demo bot trades its own paper account (demo); the bridge account is silent 3 s after a heartbeat.
    server = await startServer({
      dataDir: dir,
      config: fastConfig(dir, { bridge: { enabled: true, allowTestOrders: true, heartbeatTimeoutSeconds: 3, contracts: { ES: { contract: 'MESM6', exchange: 'CME' } } } }),
      env: { BRIDGE_HEARTBEAT_SECRET: SECRET },
    });
  });
  after(async () => {
    await server?.stop();
  });

  it('GET /api/health/ answers the seed body', async () => {
    for (const path of ['/api/health/', '/api/health', '/api/v1/health/']) {
      const r = await get<{ status: string; timestamp: string }>(path);
      assert.equal(r.status, 200, path);
      assert.deepEqual(Object.keys(r.body), ['status', 'timestamp']);
      assert.equal(r.body.status, 'healthy');
      assert.match(r.body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    }
  });

  it('lists the four accounts; account_name narrows; unknown names are 404; bad parameters are 422 naming the field', async () => {
    const r = await get<{ accounts: Obj[] } & Stamped>(`${T}/accounts?use_cache=false`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.accounts.map((a) => [a.id, a.name, a.type]),
      [
        ['paper', 'paper', 'paper'],
        ['bridge', 'bridge', 'bridge'],
        ['renko', 'renko', 'paper'],
        ['demo', 'demo', 'paper'],
      ],
    );
    assert.equal(r.body.count, 4);
    assert.equal(r.body.cached, false);
    const one = await get<{ accounts: Obj[] }>(`${T}/accounts?account_name=renko`);
    assert.deepEqual(one.body.accounts.map((a) => a.id), ['renko']);
    const unknown = await get<{ detail: string; status_code: number }>(`${T}/accounts?account_name=PAAPEX2666680000001`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.detail, /Unknown account_name 'PAAPEX2666680000001'/);
    assert.equal(unknown.body.status_code, 404);
    for (const [path, field] of [
      [`${T}/positions?use_cache=perhaps`, 'use_cache'],
      [`${T}/balances?account_ids=`, 'account_ids'],
      [`${T}/orders/pending?account_ids=paper%3Bx`, 'account_ids'],
      [`${T}/batch/snapshot?include_orders=2`, 'include_orders'],
      [`${T}/positions/ids?use_cahce=true`, 'use_cahce'],
      [`${T}/accounts?account_name=`, 'account_name'],
    ] as const) {
      const bad = await get<{ detail: { loc: string[]; msg: string }[]; status_code: number }>(path);
      assert.equal(bad.status, 422, `${path}: ${JSON.stringify(bad.body)}`);
      assert.ok(Array.isArray(bad.body.detail), path);
      assert.ok(bad.body.detail.some((d) => d.loc.includes(field)), `${path} names ${field}: ${JSON.stringify(bad.body.detail)}`);
    }
    const ghost = await get<{ detail: string }>(`${T}/positions?account_ids=paper,D17158695`);
    assert.equal(ghost.status, 404);
    assert.match(ghost.body.detail, /Unknown account id D17158695: configured accounts are paper, bridge, renko, demo/);
    for (const path of ['/orders/pending/ids', '/balances', '/batch/snapshot']) assert.equal((await get(`${T}${path}?account_ids=nobody`)).status, 404, path);
  });

  it('positions, position ids, balances and the snapshot agree with the paper account the demo bot trades', async () => {
    const positions = await waitFor('a position of the demo bot', async () => {
      const r = await get<{ positions: Obj[] } & Stamped>(`${T}/positions?account_ids=demo`);
      return r.body.count > 0 ? r.body : null;
    });
    const p = positions.positions[0] as Obj;
    for (const k of ['id', 'account_id', 'instrument', 'quantity', 'side', 'avg_price', 'unrealized_pnl']) assert.ok(k in p, k);
    assert.equal(p.account_id, 'demo');
    assert.ok(p.side === 'long' || p.side === 'short');
    assert.equal(typeof p.avg_price, 'number');
    // The same position as the seed 001 view of the paper account (it may close meanwhile: wait for a read where both agree).
    await waitFor('positions/ids and /api/positions to agree', async () => {
      const ids = (await get<{ position_ids: string[] }>(`${T}/positions/ids?account_ids=demo`)).body.position_ids;
      const seed001 = (await get<{ id: string }[]>('/api/positions?account=demo')).body.map((x) => x.id);
      return JSON.stringify([...ids].sort()) === JSON.stringify([...seed001].sort());
    });
    const b = await get<{ balances: Obj[]; total_balance: number } & Stamped>(`${T}/balances?use_cache=false`);
    assert.equal(b.body.count, 4);
    const sum = b.body.balances.reduce((s, x) => s + (x.net_liquidating_value as number), 0);
    assert.ok(Math.abs(b.body.total_balance - sum) < 0.011, `${b.body.total_balance} vs ${sum}`);
    assert.deepEqual(Object.keys(b.body.balances[0] as Obj).slice(0, 7), ['account_id', 'account_name', 'balance', 'net_liquidating_value', 'cash_balance', 'open_pl', 'realized_pl']);

    const s = await get<Obj>(`${T}/batch/snapshot`);
    assert.equal(s.status, 200);
    assert.deepEqual(Object.keys(s.body), ['accounts', 'positions', 'orders', 'balances', 'metadata']);
    const meta = s.body.metadata as Obj;
    assert.equal(typeof meta.response_time_ms, 'number');
    assert.equal(typeof meta.timestamp, 'number');
    assert.match(String(meta.datetime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const part = await get<Obj>(`${T}/batch/snapshot?include_accounts=false&include_orders=false&account_ids=renko`);
    assert.deepEqual(Object.keys(part.body), ['positions', 'balances', 'metadata']);
    assert.deepEqual(((part.body.balances as { balances: Obj[] }).balances).map((x) => x.account_id), ['renko']);
  });

  it('cache: accounts stays cached (300 s); positions flip cached true, then false after their 1 s TTL; use_cache=false never answers from the cache', async () => {
    const first = await get<Stamped>(`${T}/accounts`);
    const second = await get<Stamped>(`${T}/accounts`);
    assert.equal(second.body.cached, true, 'use_cache defaults to true on /accounts');
    assert.equal(second.body.timestamp, first.body.timestamp, 'the same entry (an earlier test may have written it)');
    assert.equal((await get<Stamped>(`${T}/accounts?use_cache=false`)).body.cached, false);
    assert.equal((await get<Stamped>(`${T}/positions`)).body.cached, false, 'use_cache defaults to false on /positions');
    assert.equal((await get<Stamped>(`${T}/orders/pending`)).body.cached, false, 'and on /orders/pending');
    // Balances default to the cache: a read right after a fresh one is cached (waited for: the machine may be slow).
    await waitFor('a cached balances answer', async () => {
      await get(`${T}/balances?use_cache=false`);
      return (await get<Stamped>(`${T}/balances`)).body.cached;
    });
    // Positions: a fresh read, then a cached read of the same entry (same timestamp) ...
    const hit = await waitFor('a cached positions answer', async () => {
      const fresh = (await get<Stamped>(`${T}/positions?use_cache=false`)).body;
      const again = (await get<Stamped>(`${T}/positions?use_cache=true`)).body;
      return again.cached && again.timestamp === fresh.timestamp ? again : null;
    });
    // ... which expires: a later cached read is fresh again, with a timestamp at least 1 s later.
    const expired = await waitFor('the positions entry to expire', async () => {
      const r = (await get<Stamped>(`${T}/positions?use_cache=true`)).body;
      return r.cached ? null : r;
    });
    assert.ok(expired.timestamp - hit.timestamp >= 1, `${expired.timestamp} - ${hit.timestamp}`);
  });

  it('bridge orders show as Queued market orders; the health turns unhealthy (503) when the bridge goes silent', async () => {
    // A heartbeat, then a test order while the bridge counts as connected (retried if the machine was too slow for the 3 s window).
    await waitForPrice(server, 'ES'); // an entry's exposure check needs a market price
    const order = await waitFor('a bridge test order', async () => {
      await getJson(`${server.url}/api/bridge/heartbeat`, post({ secret: SECRET, tsConnected: true }));
      const r = await getJson<{ ok: boolean; order: { id: string } }>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side: 'BUY', qty: 1 }));
      return r.status === 200 ? r.body.order : null;
    });
    const pending = await get<{ orders: Obj[] } & Stamped>(`${T}/orders/pending?account_ids=bridge`);
    assert.deepEqual(pending.body.orders.map((o) => [o.order_id, o.account_id, o.instrument, o.side, o.quantity, o.price, o.status, o.order_type]), [[order.id, 'bridge', 'ES', 'Buy', 1, null, 'Queued', 'Market']]);
    const ids = await get<{ order_ids: string[] } & Stamped>(`${T}/orders/pending/ids?account_ids=bridge,renko`);
    assert.deepEqual(ids.body.order_ids, [order.id]);
    assert.equal(ids.body.count, 1);

    const down = await waitFor('the health to report the silent bridge', async () => {
      const r = await get<{ status: string; checks: { broker: string; redis: string; accounts: Record<string, { status: string; reason: string | null }> }; response_time_ms: number }>(`${T}/health`);
      return r.status === 503 ? r.body : null;
    });
    assert.equal(down.status, 'unhealthy');
    assert.equal(down.checks.broker, 'unhealthy');
    assert.equal(down.checks.redis, 'not_configured');
    assert.equal(down.checks.accounts.bridge?.status, 'unhealthy');
    assert.match(down.checks.accounts.bridge?.reason ?? '', /bridge offline: last heartbeat \d+ s ago/);
    assert.equal(down.checks.accounts.paper?.status, 'healthy');
    assert.equal(typeof down.response_time_ms, 'number');
    const acc = await get<{ accounts: Obj[] }>(`${T}/accounts?use_cache=false&account_name=bridge`);
    assert.deepEqual([acc.body.accounts[0]?.active, acc.body.accounts[0]?.connection], [false, 'disconnected']);

    const up = await waitFor('the health to recover after a heartbeat', async () => {
      await getJson(`${server.url}/api/bridge/heartbeat`, post({ secret: SECRET, tsConnected: true }));
      const r = await get<{ status: string }>(`${T}/health`);
      return r.status === 200 ? r.body : null;
    });
    assert.equal(up.status, 'healthy');
  });
});
