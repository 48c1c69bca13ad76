import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fastConfig, getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle, waitForPrice } from '../helpers/server.js';

type Obj = Record<string, unknown>;
const SECRET = 'bridge-secret-0123456789abcdef';
const bin = join(repoRoot, 'bin', 'tradewind.js');
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A server config with the bridge account on, ES routed to MESM6, and test orders allowed. */
const bridgeConfig = (dir: string, bridge: Obj = {}) =>
  fastConfig(dir, {
    demoBot: { enabled: false },
    // Bridge mechanics, not limits: a dozen ES lots on 50 000 is beyond the live leverage limits.
    risk: { accounts: { bridge: { maxGrossLeverage: 125, maxNetLeverage: 125, marginCheck: false } } },
    bridge: { enabled: true, allowTestOrders: true, leaseSeconds: 30, contracts: { ES: { contract: 'MESM6', exchange: 'CME' } }, ...bridge },
  });

interface BridgeProc {
  proc: ChildProcess;
  output: () => string;
  executed: () => string[];
  stop(): Promise<number | null>;
}

function startBridge(url: string, owner: string, extra: string[] = []): BridgeProc {
  // Its own journal directory (the default, DATA_DIR/bridge/<owner>, would be shared by test runs).
  const stateDir = tempDir(`tw-bridge-${owner}-`);
  const proc = spawn(process.execPath, [bin, 'bridge', '--url', url, '--secret', SECRET, '--owner', owner, '--state-dir', stateDir, '--poll-ms', '100', '--heartbeat-ms', '300', '--limit', '1', ...extra], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    executed: () => [...out.matchAll(/EXECUTED (\S+)/g)].map((m) => m[1] as string),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

async function status(server: ServerHandle): Promise<Obj> {
  return (await getJson<Obj>(`${server.url}/api/bridge/status?limit=500`)).body;
}

async function testOrder(server: ServerHandle, side: 'BUY' | 'SELL', qty = 1): Promise<string> {
  await waitForPrice(server, 'ES'); // an entry's exposure check needs a market price
  const r = await getJson<{ ok: boolean; order: { id: string; status: string } }>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side, qty }));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.order.status, 'pending_submit', JSON.stringify(r.body));
  return r.body.order.id;
}

function readBridgeDb(dataDir: string) {
  const db = new Database(join(dataDir, 'tradewind.db'), { readonly: true });
  try {
    return {
      orders: (db.prepare(`SELECT data FROM orders WHERE account_id = 'bridge'`).all() as { data: string }[]).map((r) => JSON.parse(r.data) as Obj),
      fills: (db.prepare(`SELECT id, order_id FROM fills WHERE account_id = 'bridge'`).all() as { id: string; order_id: string }[]),
      queue: db.prepare(`SELECT id, status, lease_owner FROM bridge_orders`).all() as { id: string; status: string; lease_owner: string }[],
      positions: (db.prepare(`SELECT data FROM positions WHERE account_id = 'bridge' AND open = 1`).all() as { data: string }[]).map((r) => JSON.parse(r.data) as Obj),
    };
  } finally {
    db.close();
  }
}

describe('execution bridge (seed 003) against the real server', () => {
  it('bridge routes need the bridge secret, not the operator session; without a secret they are disabled', async () => {
    const dir = tempDir('tw-bridge-');
    const off = await startServer({ dataDir: dir, config: bridgeConfig(dir) });
    try {
      const r = await getJson<Obj>(`${off.url}/api/orders/pending?secret=anything`);
      assert.equal(r.status, 403);
      assert.equal(r.body.ok, false);
      assert.match(String(r.body.error), /BRIDGE_HEARTBEAT_SECRET/);
    } finally {
      await off.stop();
    }

    const dataDir = tempDir('tw-bridge-');
    const server = await startServer({ dataDir, config: bridgeConfig(dataDir), env: { BRIDGE_HEARTBEAT_SECRET: SECRET, DASHBOARD_PASSWORD: 'operator password 1', LOG_LEVEL: 'debug' } });
    try {
      assert.equal((await getJson(`${server.url}/api/orders/pending`)).status, 401, 'missing secret');
      const wrong = await getJson<Obj>(`${server.url}/api/orders/pending?secret=wrong`);
      assert.equal(wrong.status, 401, 'wrong secret');
      assert.deepEqual([wrong.body.ok, wrong.body.error], [false, 'invalid or missing bridge secret']);
      for (const p of ['/api/bridge/heartbeat', '/api/rithmic/pnl-snapshot', '/api/orders/bridge-O-00000001/execution-report']) {
        assert.equal((await getJson(`${server.url}${p}`, post({ status: 'WORKING' }))).status, 401, `${p} without a secret`);
        assert.equal((await getJson(`${server.url}${p}`, post({ secret: `${SECRET}x`, status: 'WORKING' }))).status, 401, `${p} with a wrong secret`);
      }
      // Right secret: no operator session needed.
      const ok = await getJson<Obj>(`${server.url}/api/orders/pending?secret=${SECRET}&owner=A`);
      assert.deepEqual([ok.status, ok.body], [200, { ok: true, orders: [] }]);
      const v1 = await getJson<Obj>(`${server.url}/api/v1/orders/pending?secret=${SECRET}`);
      assert.equal(v1.status, 200);
      const hb = await getJson<Obj>(
        `${server.url}/api/bridge/heartbeat`,
        post({ secret: SECRET, tsConnected: true, mdConnected: true, repoOk: true, account: 'U12345', tradeRoute: 'PAPER', lastRapiEventUtc: '2026-01-15T14:32:00Z' }),
      );
      assert.deepEqual([hb.status, hb.body], [200, { ok: true, available: true }]);
      const pnl = await getJson<Obj>(
        `${server.url}/api/rithmic/pnl-snapshot`,
        post({ secret: SECRET, realized: 250, unrealized: -125, accountBalance: 50125, symbols: [{ symbol: 'MESM6', position: 5, openPnl: -125 }] }),
      );
      assert.equal(pnl.status, 200);
      assert.equal((await getJson<Obj>(`${server.url}/api/orders/nope/execution-report?secret=${SECRET}`, post({ status: 'FILLED' }))).status, 404);
      // The operator's bridge views stay behind the operator guard.
      assert.equal((await getJson(`${server.url}/api/bridge/status`)).status, 401);
      assert.equal((await getJson(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side: 'BUY', qty: 1 }))).status, 401);
      assert.equal((await getJson(`${server.url}/api/orders`)).status, 401, 'GET /api/orders is not a bridge route');
      assert.ok(!server.output().includes(SECRET), 'the bridge secret is never logged');
    } finally {
      await server.stop();
    }
  });

  it('two bridge processes compete for the orders: each order is executed exactly once and the position is right', async () => {
    const dataDir = tempDir('tw-bridge-');
    const server = await startServer({ dataDir, config: bridgeConfig(dataDir), env: { BRIDGE_HEARTBEAT_SECRET: SECRET } });
    const a = startBridge(server.url, 'alpha');
    const b = startBridge(server.url, 'beta');
    let codes: (number | null)[];
    try {
      await waitFor('a bridge heartbeat', async () => (await status(server)).available === true, 20_000);
      const sides: ('BUY' | 'SELL')[] = ['BUY', 'BUY', 'SELL', 'BUY', 'BUY', 'SELL', 'BUY', 'BUY', 'SELL', 'BUY', 'BUY', 'BUY'];
      const ids: string[] = [];
      for (const side of sides) ids.push(await testOrder(server, side));
      const done = await waitFor(
        'every bridge order filled',
        async () => {
          const s = await status(server);
          const queue = s.queue as { id: string; status: string }[];
          return queue.length === ids.length && queue.every((q) => q.status === 'FILLED') && (s.open_orders as unknown[]).length === 0 ? s : null;
        },
        30_000,
      );
      const positions = done.positions as { symbol: string; side: string; qty: number }[];
      assert.deepEqual(positions.map((p) => [p.symbol, p.side, p.qty]), [['ES', 'long', 6]]);

      const executed = [...a.executed(), ...b.executed()];
      assert.equal(executed.length, ids.length, `each order executed once:\nalpha:\n${a.output()}\nbeta:\n${b.output()}`);
      assert.deepEqual([...executed].sort(), [...ids].sort());
      const orders = (await getJson<{ id: string; status: string }[]>(`${server.url}/api/orders?account=bridge&limit=100`)).body.filter((o) => ids.includes(o.id));
      assert.ok(orders.every((o) => o.status === 'filled'), JSON.stringify(orders));
    } finally {
      codes = [await a.stop(), await b.stop()];
      await server.stop();
    }
    assert.deepEqual(codes, [0, 0], 'the bridges exit cleanly on SIGTERM');
    assert.match(a.output(), /bridge alpha stopped/);
    const db = readBridgeDb(dataDir);
    assert.equal(db.fills.length, 12);
    assert.equal(new Set(db.fills.map((f) => f.id)).size, 12);
    assert.ok(db.fills.every((f) => f.id === `${f.order_id}-B1`));
    assert.deepEqual(db.positions.map((p) => p.qty), [6]);
  });

  it('SIGKILL of the server between claim and report: after the restart the order is neither lost nor executed twice', async () => {
    const dataDir = tempDir('tw-bridge-');
    const config = bridgeConfig(dataDir);
    const env = { BRIDGE_HEARTBEAT_SECRET: SECRET };
    let server = await startServer({ dataDir, config, env });
    const port = new URL(server.url).port;
    // alpha takes 2.5 s to execute: the server dies after alpha confirmed the order, before its fill report.
    const a = startBridge(server.url, 'alpha', ['--exec-delay-ms', '2500', '--limit', '5']);
    let b: BridgeProc | undefined;
    try {
      await waitFor('a bridge heartbeat', async () => (await status(server)).available === true, 20_000);
      const id = await testOrder(server, 'BUY', 2);
      await waitFor(
        'alpha to confirm the order',
        async () => ((await status(server)).queue as { id: string; status: string; leaseOwner: string }[]).some((q) => q.id === id && q.status === 'WORKING' && q.leaseOwner === 'alpha'),
        10_000,
        20,
      );
      await server.kill9();
      assert.equal(readBridgeDb(dataDir).orders.find((o) => o.id === id)?.status, 'accepted', 'confirmed, not filled, when the server died');
      // A second bridge is around while the server comes back: it must not get the order.
      await waitFor('alpha to execute while the server is down', async () => a.executed().includes(id), 10_000);

      server = await startServer({ dataDir, config, env, args: ['--port', port] });
      b = startBridge(server.url, 'beta');
      const filled = await waitFor(
        'the fill reported after the restart',
        async () => {
          const s = await status(server);
          return (s.queue as { id: string; status: string }[]).find((q) => q.id === id && q.status === 'FILLED') ? s : null;
        },
        30_000,
      );
      assert.deepEqual((filled.positions as { qty: number }[]).map((p) => p.qty), [2]);
      await new Promise((r) => setTimeout(r, 1_000)); // time for any double execution to show
      assert.deepEqual(a.executed(), [id], `alpha executed it once:\n${a.output()}`);
      assert.deepEqual(b.executed(), [], `beta never got it:\n${b.output()}`);
      assert.match(a.output(), /server unreachable/);
      assert.match(a.output(), new RegExp(`REPORTED FILLED ${id}`));
    } finally {
      await a.stop();
      await b?.stop();
      await server.stop();
    }
    const db = readBridgeDb(dataDir);
    assert.deepEqual(db.fills.map((f) => f.id), [`${db.orders[0]?.id as string}-B1`]);
    assert.equal(db.orders[0]?.status, 'filled');
    assert.deepEqual(db.positions.map((p) => p.qty), [2]);
  });
});
