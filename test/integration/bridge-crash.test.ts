import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { bridgeStatus, post, queueRow, readJournal, startBridge, stateAlerts, type BridgeProc, type Obj } from '../helpers/bridge.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, waitForPrice, type ServerHandle } from '../helpers/server.js';

const SECRET = 'bridge-crash-secret-0123456789';
const env = { BRIDGE_HEARTBEAT_SECRET: SECRET };

const config = (dir: string, bridge: Obj = {}) =>
  fastConfig(dir, {
    demoBot: { enabled: false },
    // Bridge mechanics, not limits: a dozen ES lots on 50 000 is beyond the live leverage limits.
    risk: { accounts: { bridge: { maxGrossLeverage: 125, maxNetLeverage: 125, marginCheck: false } } },
    bridge: { enabled: true, allowTestOrders: true, leaseSeconds: 30, contracts: { ES: { contract: 'MESM6', exchange: 'CME' } }, ...bridge },
  });

async function testOrder(server: ServerHandle, side: 'BUY' | 'SELL', qty = 1): Promise<{ id: string; ref: number }> {
  await waitForPrice(server, 'ES');
  const r = await getJson<{ order: { id: string } }>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side, qty }));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const id = r.body.order.id;
  const q = ((await bridgeStatus(server)).queue as { id: string; refPrice: number }[]).find((x) => x.id === id);
  return { id, ref: q?.refPrice as number };
}

function journalDb(dataDir: string) {
  const db = new Database(join(dataDir, 'tradewind.db'), { readonly: true });
  try {
    return {
      fills: (db.prepare(`SELECT data FROM fills WHERE account_id = 'bridge'`).all() as { data: string }[]).map((r) => JSON.parse(r.data) as { id: string; orderId: string; price: number; qty: number }),
      account: JSON.parse((db.prepare(`SELECT data FROM accounts WHERE id = 'bridge'`).get() as { data: string }).data) as Obj,
    };
  } finally {
    db.close();
  }
}

const available = (server: ServerHandle) => waitFor('a bridge heartbeat', async () => (await bridgeStatus(server)).available === true, 20_000);

describe('execution bridge: crashes on both sides', () => {
  it('server and bridge both SIGKILLed while a fill waits to be reported: after both restart the fill arrives exactly once', async () => {
    const dataDir = tempDir('tw-bridge-crash-');
    const cfg = config(dataDir);
    let server = await startServer({ dataDir, config: cfg, env });
    const port = new URL(server.url).port;
    const stateDir = tempDir('tw-bridge-alpha-');
    // alpha takes 2.5 s to execute: the server dies after alpha confirmed the order, before its fill report.
    let alpha: BridgeProc = startBridge({ url: server.url, secret: SECRET, owner: 'alpha', stateDir, args: ['--exec-delay-ms', '2500', '--limit', '5'] });
    const first = alpha;
    try {
      await available(server);
      const { id } = await testOrder(server, 'BUY', 2);
      await waitFor('alpha to confirm the order', async () => (await queueRow(server, id))?.status === 'WORKING', 10_000, 20);
      await server.kill9();
      await waitFor('alpha to execute while the server is down', async () => alpha.executed().includes(id), 15_000);
      // The fill report waits in alpha's outbox; now alpha dies too.
      await alpha.kill9();
      const onDisk = readJournal(stateDir);
      assert.deepEqual(
        onDisk.outbox.map((r) => [r.order_id, (JSON.parse(r.body) as { status: string }).status]),
        [[id, 'FILLED']],
        `the undelivered fill is on disk:\n${first.output()}`,
      );

      server = await startServer({ dataDir, config: cfg, env, args: ['--port', port] });
      alpha = startBridge({ url: server.url, secret: SECRET, owner: 'alpha', stateDir, args: ['--limit', '5'] });
      await waitFor('the fill reported after both restarted', async () => (await queueRow(server, id))?.status === 'FILLED', 30_000);
      await waitFor('alpha to empty its outbox', async () => alpha.output().includes(`REPORTED FILLED ${id}`), 10_000);
      const s = await bridgeStatus(server);
      assert.deepEqual((s.positions as { symbol: string; qty: number }[]).map((p) => [p.symbol, p.qty]), [['ES', 2]]);
      assert.deepEqual((s.open_orders as unknown[]).length, 0);
      assert.match(alpha.output(), /RECOVERED 0 unfinished order\(s\) and 1 undelivered report\(s\)/);
      assert.deepEqual([...first.executed(), ...alpha.executed()], [id], `executed exactly once:\n${first.output()}\n---\n${alpha.output()}`);
    } finally {
      await alpha.stop();
      await server.stop();
    }
    const db = journalDb(dataDir);
    assert.equal(db.fills.length, 1, 'one fill in the journal');
    assert.equal(db.fills[0]?.qty, 2);
    assert.deepEqual(readJournal(stateDir).outbox, [], 'nothing left to deliver');
  });

  it('a long execution renews the lease: the order is never flagged stale nor taken, and the owner fills it', async () => {
    const dataDir = tempDir('tw-bridge-lease-');
    // A 1 s lease; flagged 1 s after it runs out: without renewals a 5 s execution would be stale.
    const server = await startServer({ dataDir, config: config(dataDir, { leaseSeconds: 1, staleGraceSeconds: 1 }), env });
    const alpha = startBridge({ url: server.url, secret: SECRET, owner: 'alpha', args: ['--exec-delay-ms', '5000', '--limit', '1'] });
    let beta: BridgeProc | undefined;
    try {
      await available(server);
      const { id } = await testOrder(server, 'SELL', 1);
      await waitFor('alpha to confirm', async () => (await queueRow(server, id))?.status === 'WORKING', 10_000, 20);
      beta = startBridge({ url: server.url, secret: SECRET, owner: 'beta' });
      await waitFor('the owner fill', async () => (await queueRow(server, id))?.status === 'FILLED', 30_000);
      const row = await queueRow(server, id);
      assert.equal(row?.leaseOwner, 'alpha');
      assert.ok((alpha.output().match(new RegExp(`RENEWED ${id}`, 'g')) ?? []).length >= 5, alpha.output());
      assert.deepEqual(alpha.executed(), [id]);
      assert.deepEqual(beta.executed(), []);
      const stale = (await stateAlerts(server)).filter((a) => a.kind === 'bridge-stale-working');
      assert.deepEqual(stale, [], 'never flagged stale');
    } finally {
      await alpha.stop();
      await beta?.stop();
      await server.stop();
    }
  });

  it('a bridge killed while WORKING: the order is flagged (event, /api/state, status), resolved from the position report, and the restarted bridge never executes it', async () => {
    const dataDir = tempDir('tw-bridge-stale-');
    const server = await startServer({ dataDir, config: config(dataDir, { leaseSeconds: 1, staleGraceSeconds: 0 }), env });
    const stateDir = tempDir('tw-bridge-alpha-');
    let alpha = startBridge({ url: server.url, secret: SECRET, owner: 'alpha', stateDir, args: ['--exec-delay-ms', '60000'] });
    try {
      await available(server);
      const { id } = await testOrder(server, 'BUY', 1);
      await waitFor('alpha to confirm', async () => (await queueRow(server, id))?.status === 'WORKING', 10_000, 20);
      // Killed in the middle of its (60 s) execution, after it renewed the lease once.
      await waitFor('alpha to renew its lease', async () => alpha.output().includes(`RENEWED ${id}`), 10_000, 20);
      await alpha.kill9();
      assert.deepEqual(readJournal(stateDir).orders, [{ id, state: 'confirmed' }]);

      const alert = await waitFor('the stale alert in /api/state', async () => (await stateAlerts(server)).find((a) => a.kind === 'bridge-stale-working' && a.orderId === id), 20_000);
      assert.match(String(alert.message), /silent/);
      // A renewal alpha had sent just before the kill can still reach a busy server and extend the lease once: the
      // status lists the order again as soon as that lease has run out too.
      const flagged = await waitFor(
        'the order in the bridge status stale list',
        async () => ((await bridgeStatus(server)).stale_orders as { order_id: string; owner: string; resolution: string | null }[]).find((o) => o.order_id === id),
        20_000,
      );
      assert.deepEqual([flagged.order_id, flagged.owner, flagged.resolution], [id, 'alpha', null]);
      const early = await getJson<Obj>(`${server.url}/api/bridge/orders/${id}/resolve`, post({}));
      assert.equal(early.status, 409, 'nothing to decide on before a position report');

      // The bridge's own position report: it holds nothing, so the order was never executed.
      const snap = await getJson<Obj>(`${server.url}/api/rithmic/pnl-snapshot`, post({ secret: SECRET, realized: 0, unrealized: 0, accountBalance: 0, symbols: [{ symbol: 'MESM6', position: 0, openPnl: 0 }] }));
      assert.equal(snap.status, 200);
      const resolved = await getJson<Obj>(`${server.url}/api/bridge/orders/${id}/resolve`, post({}));
      assert.deepEqual([resolved.status, resolved.body.outcome], [200, 'CANCELLED'], JSON.stringify(resolved.body));
      const order = (await getJson<{ id: string; status: string }[]>(`${server.url}/api/orders?account=bridge&limit=50`)).body.find((o) => o.id === id);
      assert.equal(order?.status, 'cancelled');
      await waitFor('the resolution in /api/state', async () => (await stateAlerts(server)).some((a) => a.kind === 'bridge-stale-resolved' && a.orderId === id));
      assert.deepEqual((await bridgeStatus(server)).stale_orders, []);

      // alpha comes back with its journal: it asks (WORKING), hears the order is done, and skips it.
      alpha = startBridge({ url: server.url, secret: SECRET, owner: 'alpha', stateDir, args: ['--exec-delay-ms', '100'] });
      await waitFor('alpha to drop the resolved order', async () => alpha.output().includes(`SKIPPED ${id}`), 20_000);
      assert.match(alpha.output(), /RECOVERED 1 unfinished order\(s\)/);
      assert.deepEqual(alpha.executed(), []);
      assert.equal((await queueRow(server, id))?.status, 'CANCELLED');
    } finally {
      await alpha.stop();
      await server.stop();
    }
  });

  it('money-safe fills over HTTP: 1e308, a fee of 1e308 and a price out of the band are refused (422, alerts), the account is intact after a SIGKILL; a snapshot mismatch is an event', async () => {
    const dataDir = tempDir('tw-bridge-money-');
    const cfg = config(dataDir);
    let server = await startServer({ dataDir, config: cfg, env });
    const port = new URL(server.url).port;
    const report = (id: string, body: Obj) => getJson<Obj>(`${server.url}/api/orders/${id}/execution-report`, post({ secret: SECRET, owner: 'A', ...body }));
    let order: { id: string; ref: number } | undefined;
    try {
      assert.equal((await getJson(`${server.url}/api/bridge/heartbeat`, post({ secret: SECRET, tsConnected: true }))).status, 200);
      const qty = await getJson<Obj>(`${server.url}/api/bridge/test-order`, post({ symbol: 'ES', side: 'BUY', qty: 1e308 }));
      assert.equal(qty.status, 400, 'a test order of 1e308 contracts');
      assert.match(String(qty.body.error), /above ES's maximum/);
      order = await testOrder(server, 'BUY', 1);
      const { id, ref } = order;
      assert.ok(ref > 0);
      const claimed = await getJson<{ orders: { id: string }[] }>(`${server.url}/api/orders/pending?secret=${SECRET}&owner=A`);
      assert.deepEqual(claimed.body.orders.map((o) => o.id), [id]);
      assert.equal((await report(id, { status: 'WORKING' })).status, 200);
      const far = Math.round((ref * 1.5) / 0.25) * 0.25;
      for (const [extra, reason] of [
        [{ fill_price: 1e308 }, /out of range/],
        [{ fill_price: ref, fee: 1e308 }, /fee 1e\+308/],
        [{ fill_price: far }, /band is 10% \(risk\.fillPriceBandPct\)/],
      ] as const) {
        const r = await report(id, { status: 'FILLED', extra: { symbol: 'MESM6', side: 'BUY', qty: 1, ...extra } });
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.match(String(r.body.error), reason);
      }
      const refused = (await stateAlerts(server)).filter((a) => a.kind === 'bridge-fill-refused');
      assert.deepEqual(refused.map((a) => a.code), ['too_large', 'fee_too_large', 'out_of_band']);
      // The bridge says it holds 5 contracts; the server holds none and nothing is in flight to explain 5.
      await getJson(`${server.url}/api/rithmic/pnl-snapshot`, post({ secret: SECRET, realized: 0, symbols: [{ symbol: 'MESM6', position: 5, openPnl: 0 }] }));
      const mismatch = (await stateAlerts(server)).find((a) => a.kind === 'bridge-position-mismatch');
      assert.ok(mismatch, 'a mismatch event');
      // ES and MES are both routed to MESM6 by this config (the defaults and the file merged): compared per contract.
      assert.deepEqual((mismatch.diffs as { contract: string; server: number; bridge: number }[]).map((d) => [d.contract, d.server, d.bridge]), [['MESM6', 0, 5]]);
      assert.equal(((await bridgeStatus(server)).position_mismatch as unknown[]).length, 1);
      await server.kill9();

      server = await startServer({ dataDir, config: cfg, env, args: ['--port', port] });
      const account = (await bridgeStatus(server)).account as { balance: number; equity: number; fees: number; realizedPnl: number };
      assert.deepEqual([account.balance, account.equity, account.fees, account.realizedPnl], [50_000, 50_000, 0, 0], 'intact after the restart');
      assert.equal((await report(id, { status: 'FILLED', extra: { fill_price: ref, symbol: 'MESM6', side: 'BUY', qty: 1, fee: 0.5 } })).status, 200);
      const after = await bridgeStatus(server);
      assert.equal((after.account as { balance: number }).balance, 49_999.5);
      assert.deepEqual((after.positions as { qty: number; avgPrice: number }[]).map((p) => [p.qty, p.avgPrice]), [[1, ref]]);
    } finally {
      await server.stop();
    }
    const db = journalDb(dataDir);
    assert.deepEqual(db.fills.map((f) => [f.orderId, f.price]), [[order?.id, order?.ref]]);
    assert.equal(db.account.balance, 49_999.5);
  });
  it('PARTIAL reports over HTTP: cumulative quantity and average price, a cancel ends the rest, and the journal keeps the filled part across a SIGKILL', async () => {
    const dataDir = tempDir('tw-bridge-partial-');
    const cfg = config(dataDir);
    let server = await startServer({ dataDir, config: cfg, env });
    const port = new URL(server.url).port;
    const report = (id: string, body: Obj) => getJson<Obj>(`${server.url}/api/orders/${id}/execution-report`, post({ secret: SECRET, owner: 'A', ...body }));
    // The bridge account's open orders (kernel state); a closed order leaves the list.
    const orderRow = async (id: string) => ((await bridgeStatus(server)).open_orders as { id: string; status: string; filledQty: number }[]).find((o) => o.id === id) ?? { status: 'closed', filledQty: NaN };
    let ref: number;
    try {
      assert.equal((await getJson(`${server.url}/api/bridge/heartbeat`, post({ secret: SECRET, tsConnected: true }))).status, 200);
      const placed = await testOrder(server, 'BUY', 3);
      const id = placed.id;
      ref = placed.ref;
      await getJson(`${server.url}/api/orders/pending?secret=${SECRET}&owner=A`);
      const p1 = await report(id, { status: 'PARTIAL', extra: { symbol: 'MESM6', side: 'BUY', qty: 1, fill_price: ref } });
      assert.deepEqual([p1.status, p1.body.status], [200, 'WORKING'], JSON.stringify(p1.body));
      const p2 = await report(id, { status: 'partial', extra: { symbol: 'MESM6', side: 'BUY', qty: 2, fill_price: ref + 0.125 } });
      assert.equal(p2.status, 200, JSON.stringify(p2.body));
      assert.deepEqual(await orderRow(id), { ...(await orderRow(id)), status: 'partially_filled', filledQty: 2 });
      await server.kill9();

      server = await startServer({ dataDir, config: cfg, env, args: ['--port', port] });
      assert.equal((await orderRow(id))?.status, 'partially_filled', 'still working after the restart');
      const c = await report(id, { status: 'CANCELLED', extra: { reason: 'rest not filled' } });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.equal((await orderRow(id)).status, 'closed');
      const s = await bridgeStatus(server);
      assert.deepEqual((s.positions as { qty: number; avgPrice: number }[]).map((p) => [p.qty, p.avgPrice]), [[2, ref + 0.125]]);
    } finally {
      await server.stop();
    }
    const db = journalDb(dataDir);
    assert.deepEqual(db.fills.map((f) => [f.qty, f.price]).sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0)), [[1, ref], [1, ref + 0.25]]);
  });
});
