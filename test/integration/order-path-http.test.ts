// The one order path over HTTP: orders from the sources the server exposes refused by the same
// risk engine (counted per source in GET /api/engine/status), and one emergency stop flattening
// positions on three accounts (demo, Renko desk, bridge), with a per-account report, then re-armed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastConfig, getJson, startServer, tempDir, waitFor, waitForPrice, type ServerHandle } from '../helpers/server.js';

type Obj = Record<string, unknown>;
const TV = 'tv-secret-order-path';
const BRIDGE = 'bridge-secret-order-path';
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const env = { TV_WEBHOOK_SECRET: TV, BRIDGE_HEARTBEAT_SECRET: BRIDGE };

const config = (dir: string, extra: Obj = {}) =>
  fastConfig(dir, {
    bridge: { enabled: true, allowTestOrders: true, contracts: { ES: { contract: 'MESM6', exchange: 'CME' } } },
    // Flattening mechanics: a bridge lot of ES on 50 000 is beyond the live leverage limits.
    risk: { accounts: { bridge: { maxGrossLeverage: 125, maxNetLeverage: 125, marginCheck: false } } },
    ...extra,
  });

interface Refusals {
  total: number;
  by_code: Record<string, number>;
  by_source: Record<string, number>;
  by_account: Record<string, number>;
}
const refusals = async (s: ServerHandle) => (await getJson<{ riskRefusals: Refusals }>(`${s.url}/api/engine/status`)).body.riskRefusals;

/** Makes the desk ready to enter ES: a fresh TradingView heartbeat and green 8/12/6-point bricks. */
async function deskReady(s: ServerHandle, id: string): Promise<void> {
  const hb = await getJson<Obj>(`${s.url}/tv_heartbeat`, post({ secret: TV, symbol: 'ES', price: 6000, timestamp: Math.floor(Date.now() / 1000) }));
  assert.equal(hb.status, 200, JSON.stringify(hb.body));
  for (const path of ['/tv_renko_high', '/tv_renko_macro', '/tv_renko_main']) {
    const r = await getJson<Obj>(`${s.url}${path}`, post({ secret: TV, asset: 'ES', color: 'green', bar_id: `${path}-${id}` }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
}

/** Claims the bridge's pending orders as owner A and reports each filled at its reference price. */
async function bridgeFillsPending(s: ServerHandle): Promise<string[]> {
  const claimed = await getJson<{ orders: { id: string; qty: number; side: string; asset: string }[] }>(`${s.url}/api/orders/pending?secret=${BRIDGE}&owner=A`);
  assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
  const status = (await getJson<{ queue: { id: string; refPrice: number }[] }>(`${s.url}/api/bridge/status?limit=100`)).body;
  for (const o of claimed.body.orders) {
    const ref = status.queue.find((q) => q.id === o.id)?.refPrice ?? 6000;
    const report = (body: Obj) => getJson<Obj>(`${s.url}/api/orders/${o.id}/execution-report`, post({ secret: BRIDGE, owner: 'A', ...body }));
    assert.equal((await report({ status: 'WORKING' })).status, 200);
    const filled = await report({ status: 'FILLED', fill_price: ref, qty: o.qty, side: o.side, symbol: o.asset });
    assert.equal(filled.status, 200, JSON.stringify(filled.body));
  }
  return claimed.body.orders.map((o) => o.id);
}

describe('the one order path over HTTP', () => {
  it('orders from the bot, the desk, TradingView and test orders are refused by the same allow-list, coded and counted per source', async () => {
    const dir = tempDir('tw-order-http-');
    // ES, NQ and the desk's MES are off the allow-list: the demo bot trades BTC/ETH only.
    const server = await startServer({ dataDir: dir, config: config(dir, { risk: { allowedInstruments: ['BTC/USDT', 'ETH/USDT'] } }), env });
    try {
      // test: a bridge test order.
      const test = await getJson<Obj>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side: 'BUY', qty: 1 }));
      assert.equal(test.status, 409, JSON.stringify(test.body));
      assert.match(String(test.body.error), /^instrument_not_allowed: ES is not in risk\.allowedInstruments/);

      // desk: the operator's entry, every desk check passed, refused by the risk engine.
      await deskReady(server, '1');
      const desk = await getJson<Obj>(`${server.url}/api/orders`, post({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' }));
      assert.equal(desk.status, 409, JSON.stringify(desk.body));
      assert.match(String(desk.body.error), /^RISK REFUSED — instrument_not_allowed: MES is not in risk\.allowedInstruments/);

      // tradingview: a preorder fired by TradingView's next 6-point brick.
      const pre = await getJson<Obj>(`${server.url}/api/orders`, post({ asset: 'ES', trade_mode: 'SCALP', order_type: 'preorder', entry_size_mode: '6pt', entry_override: true }));
      assert.equal(pre.status, 200, JSON.stringify(pre.body));
      const brick = await getJson<Obj>(`${server.url}/tv_renko_main`, post({ secret: TV, asset: 'ES', color: 'green', bar_id: 'main-2' }));
      assert.equal(brick.status, 200);
      const asset = (await getJson<{ assets: Record<string, Obj> }>(`${server.url}/api/state`)).body.assets.ES as Obj;
      assert.match(String(asset.preorder_last), /^dropped: RISK REFUSED — instrument_not_allowed/);

      // bot: the demo bot's ES and NQ entries.
      const counted = await waitFor('refusals from every source', async () => {
        const r = await refusals(server);
        // Every source refused by the allow-list (the demo bot may first be refused for exposure on its crypto entries).
        const allowList = (r.by_code.instrument_not_allowed ?? 0) >= 4 && (r.by_account.demo ?? 0) > 0 && (r.by_account.renko ?? 0) >= 2 && (r.by_account.bridge ?? 0) >= 1;
        return allowList && ['bot', 'desk', 'tradingview', 'test'].every((s) => (r.by_source[s] ?? 0) > 0) ? r : null;
      }, 60_000);
      assert.ok((counted.by_code.instrument_not_allowed ?? 0) >= 4, JSON.stringify(counted));
      assert.ok((counted.by_account.demo ?? 0) > 0 && (counted.by_account.renko ?? 0) >= 2 && (counted.by_account.bridge ?? 0) >= 1, JSON.stringify(counted));
      const { body: positions } = await getJson<Obj[]>(`${server.url}/api/positions?account=all`);
      assert.ok(positions.every((p) => ['BTC/USDT', 'ETH/USDT'].includes(String(p.symbol))), JSON.stringify(positions));
    } finally {
      await server.stop();
    }
  });

  it('one emergency stop flattens the demo, desk and bridge accounts, reports each, and a reload re-arms it', async () => {
    const dir = tempDir('tw-kill-http-');
    const server = await startServer({ dataDir: dir, config: config(dir), env });
    try {
      assert.equal((await getJson(`${server.url}/api/bridge/heartbeat`, post({ secret: BRIDGE, tsConnected: true }))).status, 200);
      await waitForPrice(server, 'ES');
      // bridge: a test order filled by the bridge.
      const bridgeOrder = await getJson<Obj>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side: 'BUY', qty: 1 }));
      assert.equal(bridgeOrder.status, 200, JSON.stringify(bridgeOrder.body));
      assert.equal((await bridgeFillsPending(server)).length, 1);
      // desk: an entry filled on its paper account.
      await deskReady(server, '1');
      const desk = await getJson<Obj>(`${server.url}/api/orders`, post({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' }));
      assert.equal(desk.status, 200, JSON.stringify(desk.body));
      // demo: the demo bot's positions.
      const open = async (account: string) => (await getJson<Obj[]>(`${server.url}/api/positions?account=${account}`)).body;
      await waitFor('positions on the demo, renko and bridge accounts', async () => (await open('demo')).length > 0 && (await open('renko')).length > 0 && (await open('bridge')).length > 0, 30_000);

      const stop = await getJson<Obj & { accounts: { account: string; role: string; halted_bots: string[]; closing_orders: { order: string }[]; already_closing: string[]; failed: unknown[] }[] }>(
        `${server.url}/api/engine/emergency-stop`,
        post({ reason: 'order path test' }),
      );
      assert.equal(stop.status, 200, JSON.stringify(stop.body));
      assert.equal(stop.body.success, true);
      assert.equal(stop.body.state, 'EMERGENCY');
      const report = new Map(stop.body.accounts.map((a) => [a.account, a]));
      assert.deepEqual([...report.keys()].sort(), ['bridge', 'demo', 'paper', 'renko']);
      for (const id of ['demo', 'renko', 'bridge']) {
        const a = report.get(id);
        assert.ok(a && a.failed.length === 0 && a.closing_orders.length + a.already_closing.length > 0, `${id}: ${JSON.stringify(a)}`);
      }
      assert.deepEqual(report.get('demo')?.halted_bots, ['demo-sma']);

      // The bridge executes its exit; the paper accounts fill theirs on the next ticks.
      await waitFor('the bridge exit', async () => (await bridgeFillsPending(server)).length > 0, 10_000);
      await waitFor('every account flat', async () => (await open('all')).length === 0, 20_000);
      const accounts = (await getJson<{ accounts: { id: string; kill_switch: string | null; working_orders: number }[] }>(`${server.url}/api/accounts`)).body.accounts;
      assert.ok(accounts.every((a) => a.kill_switch === 'order path test' && a.working_orders === 0), JSON.stringify(accounts));

      // Entries are refused everywhere while it is engaged.
      const refused = await getJson<Obj>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side: 'BUY', qty: 1 }));
      assert.equal(refused.status, 409);
      assert.match(String(refused.body.error), /^kill_switch:/);

      const reload = await getJson<Obj>(`${server.url}/api/engine/reload`, post({}));
      assert.equal(reload.status, 200, JSON.stringify(reload.body));
      assert.deepEqual(reload.body.restartedBots, ['demo-sma']);
      const after = (await getJson<{ accounts: { kill_switch: string | null; bots: { running: boolean }[] }[] }>(`${server.url}/api/accounts`)).body.accounts;
      assert.ok(after.every((a) => a.kill_switch === null && a.bots.every((b) => b.running)), JSON.stringify(after));
    } finally {
      await server.stop();
    }
  });

  it('seed 001: GET /api/positions and /api/orders are empty while the engine is not initialized; ?account= shows the demo bot', async () => {
    const dir = tempDir('tw-accounts-http-');
    const server = await startServer({ dataDir: dir, config: fastConfig(dir) });
    try {
      const get = async <T>(path: string) => (await getJson<T>(`${server.url}${path}`)).body;
      await waitFor('the demo bot trading on its account', async () => (await get<Obj[]>('/api/positions?account=demo')).length > 0 && (await get<Obj[]>('/api/orders?account=demo')).length > 0, 30_000);
      assert.equal((await get<{ state: string }>('/api/engine/status')).state, 'IDLE');
      assert.deepEqual(await get('/api/positions'), [], "the engine's account by default");
      assert.deepEqual(await get('/api/orders'), []);
      assert.deepEqual(await get('/api/positions?account=paper'), []);
      const demo = await get<{ id: string }[]>('/api/orders?account=demo&limit=500');
      assert.ok(demo.every((o) => o.id.startsWith('demo-O-')), JSON.stringify(demo.slice(0, 3)));
      const all = await get<{ id: string }[]>('/api/orders?account=all&limit=500');
      assert.ok(all.length >= demo.length && demo.every((o) => all.some((a) => a.id === o.id)));
      // The dashboard's view: the demo positions as the stream sends them.
      await waitFor('a demo position in the dashboard view', async () => (await get<{ id: string }[]>('/api/positions?account=dashboard')).some((p) => p.id.startsWith('demo-P-')), 30_000);
      for (const path of ['/api/positions?account=nope', '/api/orders?account=nope']) {
        const r = await getJson<{ detail: string }>(`${server.url}${path}`);
        assert.equal(r.status, 404, path);
        assert.match(r.body.detail, /Unknown account 'nope': one of paper, demo, renko, all/);
      }
      const bad = await getJson<Obj>(`${server.url}/api/orders?account=${encodeURIComponent('x y')}`);
      assert.ok(bad.status === 400 || bad.status === 422, String(bad.status));
      const accounts = await get<{ default: string; accounts: { id: string; role: string }[] }>('/api/accounts');
      assert.equal(accounts.default, 'paper');
      assert.deepEqual(accounts.accounts.map((a) => [a.id, a.role]), [['paper', 'primary'], ['demo', 'demo'], ['renko', 'desk']]);
    } finally {
      await server.stop();
    }
  });
});
