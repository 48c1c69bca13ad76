import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BridgeBroker } from '../../src/adapters/broker-bridge.js';
import { SqliteBridgeQueue } from '../../src/adapters/store-sqlite/bridge-queue.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { BridgeDesk } from '../../src/app/bridge-desk.js';
import type { BridgeAlert } from '../../src/core/bridge.js';
import { SimClock } from '../../src/core/clock.js';
import type { KernelEvent } from '../../src/core/events.js';
import type { OrderSide } from '../../src/core/orders.js';
import { Kernel } from '../../src/engine/kernel.js';
import { signedPositions } from '../../src/cli/bridge-account.js';
import { registry, tempDir, OPEN_LIMITS, referencePrice } from './support.js';

const LEASE_MS = 10_000;
const GRACE_MS = 5_000;
const T0 = Date.UTC(2026, 0, 5, 14, 30);
const SECRET = 'bridge-safety-secret';

/** A bridge account as the server wires it (bridge-account.ts): money checks, stale grace, server positions, alerts on the bus. */
function harness(file: string, clock = new SimClock(T0), lastPrice = 6000) {
  const store = new SqliteStore({ file });
  const queue = new SqliteBridgeQueue(store.db);
  const instruments = registry();
  let kernel: Kernel | null = null;
  const broker = new BridgeBroker({
    clock,
    queue,
    accountId: 'bridge',
    contracts: { ES: { contract: 'MESM6', exchange: 'CME' } },
    env: 'DEMO',
    leaseMs: LEASE_MS,
    heartbeatTimeoutMs: 600_000,
    lastPrice: () => lastPrice,
    atomically: (fn) => store.atomically(fn),
    instrument: (s) => instruments.find(s),
    limits: { fillPriceBandPct: 10, maxFeePct: 1 },
    staleGraceMs: GRACE_MS,
    serverPositions: () => signedPositions(kernel),
  });
  broker.heartbeat({ tsConnected: true });
  const errors: string[] = [];
  kernel = new Kernel({
    clock,
    store,
    broker,
    instruments,
    account: { id: 'bridge', currency: 'USD', startingBalance: 50_000, leverage: 10 },
    risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
    // Bridge and fill mechanics, not limits: sizes beyond the live limits.
    limits: OPEN_LIMITS,
    lastPrice: referencePrice,
    idPrefix: 'bridge-',
    onError: (error, context) => errors.push(`${context}: ${(error as Error).message}`),
  });
  const k = kernel;
  const alerts: BridgeAlert[] = [];
  const events: KernelEvent[] = [];
  broker.onAlert((a) => {
    alerts.push(a);
    k.bus.publish({ type: 'bridge-alert', alert: a });
  });
  k.bus.onAny((e) => {
    if (e.type !== 'tick' && e.type !== 'account' && e.type !== 'position') events.push(e);
  });
  const desk = new BridgeDesk({ secret: SECRET, bridge: { broker, kernel: k }, allowTestOrders: true });
  return {
    clock,
    store,
    queue,
    broker,
    kernel: k,
    desk,
    alerts,
    events,
    errors,
    place: (side: OrderSide = 'buy', qty = 1) => k.placeOrder('test', { accountId: 'bridge', botId: 'test', symbol: 'ES', side, type: 'market', purpose: 'entry', qty }).id,
    order: (id: string) => store.getOrder(id),
    close: () => store.close(),
  };
}
type H = ReturnType<typeof harness>;

const filled = (owner: string, price = 6001.25, extra: Record<string, unknown> = {}) => ({ status: 'FILLED', owner, fill_price: price, symbol: 'MESM6', side: 'BUY', qty: 1, ...extra });
const snapshot = (h: H, position: number) => h.desk.pnlSnapshot({ secret: SECRET, realized: 0, unrealized: 0, accountBalance: 0, symbols: [{ symbol: 'MESM6', position, openPnl: 0 }] });

function withHarness(fn: (h: H) => void, lastPrice?: number): void {
  const dir = tempDir();
  const h = harness(dir.file('t.db'), new SimClock(T0), lastPrice);
  try {
    fn(h);
  } finally {
    h.close();
    dir.cleanup();
  }
}

describe('bridge: reports only from the owner of the claim', () => {
  it('a FILLED for a never-claimed order is refused (409), whoever sends it, and changes nothing', () =>
    withHarness((h) => {
      const id = h.place();
      for (const owner of ['A', 'bridge', 'mallory']) {
        const r = h.broker.report(id, filled(owner));
        assert.equal(r.status, 409, owner);
        assert.match(String((r.body as { error: string }).error), /never claimed/);
      }
      assert.equal(h.queue.get(id)?.status, 'PENDING');
      assert.equal(h.order(id)?.status, 'pending_submit');
      assert.equal(h.kernel.portfolio.openPositions().length, 0);
      assert.deepEqual(h.queue.history(id).map((r) => r.outcome), ['conflict', 'conflict', 'conflict']);
    }));

  it("after the owner's lease lapses another bridge's FILLED is refused and the real owner's fill wins", () =>
    withHarness((h) => {
      const id = h.place();
      h.broker.claim('A', 10);
      assert.equal(h.broker.report(id, { status: 'WORKING', owner: 'A' }).status, 200);
      h.clock.advance(LEASE_MS * 3);
      h.broker.heartbeat({ tsConnected: true });
      assert.deepEqual(h.broker.claim('B', 10), [], 'a WORKING order is never handed on');
      const intruder = h.broker.report(id, filled('B', 6010));
      assert.equal(intruder.status, 409);
      assert.match(String((intruder.body as { error: string }).error), /owned by bridge A/);
      assert.equal(h.broker.report(id, filled('A', 6001.25)).status, 200);
      assert.equal(h.order(id)?.status, 'filled');
      assert.equal(h.kernel.portfolio.position('ES')?.avgPrice, 6001.25);
    }));

  it('a claim that lapsed before WORKING belongs to whoever claims it next; the first claimant is refused', () =>
    withHarness((h) => {
      const id = h.place();
      h.broker.claim('A', 10);
      h.clock.advance(LEASE_MS + 1);
      assert.deepEqual(h.broker.claim('B', 10).map((o) => o.id), [id]);
      assert.equal(h.broker.report(id, filled('A')).status, 409);
      assert.equal(h.broker.report(id, { status: 'WORKING', owner: 'B' }).status, 200);
      assert.equal(h.broker.report(id, filled('B')).status, 200);
      assert.equal(h.order(id)?.status, 'filled');
    }));
});

describe('bridge: lease renewal and stale WORKING orders', () => {
  it('WORKING renewals keep an order from going stale; a silent owner is flagged once, with its resolution hint', () =>
    withHarness((h) => {
      const id = h.place();
      h.broker.claim('A', 10);
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      // The owner renews every third of the lease for a long execution: never stale.
      for (let i = 0; i < 12; i++) {
        h.clock.advance(LEASE_MS / 3);
        const r = h.broker.report(id, { status: 'WORKING', owner: 'A' });
        assert.equal(r.status, 200);
        assert.deepEqual(h.broker.checkStale(), []);
      }
      assert.equal(h.alerts.length, 0);
      // Then it goes silent: stale once the lease plus the grace ran out.
      h.clock.advance(LEASE_MS + GRACE_MS - 1);
      assert.deepEqual(h.broker.checkStale(), []);
      h.clock.advance(1);
      const stale = h.broker.checkStale();
      assert.deepEqual(stale.map((s) => [s.order_id, s.owner, s.resolution]), [[id, 'A', null]]);
      h.clock.advance(1_000);
      h.broker.checkStale();
      assert.deepEqual(h.alerts.map((a) => a.kind), ['stale-working'], 'flagged once');
      assert.match(h.alerts[0]?.message ?? '', /silent/);
      assert.ok(h.events.some((e) => e.type === 'bridge-alert' && e.alert.kind === 'stale-working'), 'a typed event on the bus');
      const status = h.desk.status();
      assert.equal(status.ok && (status.body.stale_orders as unknown[]).length, 1, 'visible in the bridge status');
      // A renewal ends the staleness; resolving is refused then.
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      assert.deepEqual(h.broker.checkStale(), []);
      assert.equal(h.desk.resolve(id, {}).ok, false);
    }));

  it('resolved as FILLED from the bridge position report: applied at ref_price, the owner is then ignored', () =>
    withHarness((h) => {
      const id = h.place('buy', 2);
      h.broker.claim('A', 10);
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      h.clock.advance(LEASE_MS + GRACE_MS);
      h.broker.checkStale();
      const early = h.desk.resolve(id, {});
      assert.deepEqual(early.ok ? null : [early.status, /pnl snapshot/.test(early.error)], [409, true], 'no position report since the lease ran out');
      snapshot(h, 2); // the bridge holds the 2 contracts the server does not
      const hint = h.broker.staleOrders()[0];
      assert.equal(hint?.resolution, 'FILLED');
      const r = h.desk.resolve(id, {});
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.body.outcome, 'FILLED');
      assert.equal(h.order(id)?.status, 'filled');
      assert.equal(h.order(id)?.avgFillPrice, 6000, 'the order ref_price');
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 2);
      assert.ok(h.alerts.some((a) => a.kind === 'stale-resolved'));
      assert.equal(h.queue.history(id).at(-1)?.owner, 'server');
      // The owner's own report arrives later: acknowledged, nothing doubled.
      const late = h.broker.report(id, filled('A', 6000.5, { qty: 2 }));
      assert.equal(late.status, 200);
      assert.equal((late.body as { ignored?: boolean }).ignored, true);
      assert.equal(h.store.recentFills(10, 'bridge').length, 1);
      assert.deepEqual(h.errors, []);
    }));

  it('resolved as not executed (CANCELLED); a fill the owner reports afterwards is still applied (late fill)', () =>
    withHarness((h) => {
      const id = h.place();
      h.broker.claim('A', 10);
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      h.clock.advance(LEASE_MS + GRACE_MS);
      snapshot(h, 0);
      const r = h.desk.resolve(id, {});
      assert.ok(r.ok && r.body.outcome === 'CANCELLED', JSON.stringify(r));
      assert.equal(h.order(id)?.status, 'cancelled');
      // It did execute after all: the broker's book is the truth.
      h.clock.advance(1_000);
      assert.equal(h.broker.report(id, filled('A', 6002.5)).status, 200);
      assert.equal(h.order(id)?.status, 'filled');
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 1);
      assert.ok(h.alerts.some((a) => a.kind === 'late-fill'));
      const orderEvents = h.events.filter((e) => e.type === 'order' && e.order.id === id).map((e) => (e.type === 'order' ? `${e.previous}->${e.order.status}` : ''));
      assert.equal(orderEvents.at(-1), 'cancelled->filled');
      assert.equal(h.broker.report(id, filled('B', 6002.5)).status, 409, 'only its owner');
    }));
});

describe('bridge: a fill after a cancel, and position reconciliation', () => {
  it('the owner answers CANCELLED, then FILLED: the fill is applied with a late-fill alert, once', () =>
    withHarness((h) => {
      const id = h.place();
      h.broker.claim('A', 10);
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      assert.ok(h.kernel.execution.cancel(id, 'operator').ok);
      h.broker.report(id, { status: 'CANCELLED', owner: 'A' });
      assert.equal(h.order(id)?.status, 'cancelled');
      const r = h.broker.report(id, filled('A', 6003));
      assert.equal(r.status, 200);
      assert.equal(h.queue.get(id)?.status, 'FILLED');
      assert.match(h.queue.get(id)?.reason ?? '', /after it was cancelled/);
      assert.equal(h.order(id)?.status, 'filled');
      assert.equal(h.order(id)?.avgFillPrice, 6003);
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 1);
      const late = h.alerts.filter((a) => a.kind === 'late-fill');
      assert.equal(late.length, 1);
      assert.match(late[0]?.message ?? '', /broker's book is the truth/);
      assert.equal((h.broker.report(id, filled('A', 6003)).body as { ignored?: boolean }).ignored, true);
      assert.equal(h.store.recentFills(10, 'bridge').length, 1);
      assert.deepEqual(h.queue.history(id).map((x) => x.outcome), ['claimed', 'applied', 'requested', 'applied', 'late-fill', 'ignored']);
    }));

  it('each snapshot is compared with the server positions: a difference is an event, once; in-flight orders explain one', () =>
    withHarness((h) => {
      snapshot(h, 0);
      assert.equal(h.alerts.length, 0, 'flat and flat');
      snapshot(h, 3);
      assert.deepEqual(h.alerts.map((a) => a.kind), ['position-mismatch']);
      const m = h.alerts[0];
      assert.ok(m?.kind === 'position-mismatch');
      assert.deepEqual(m.diffs.map((d) => [d.symbol, d.contract, d.server, d.bridge]), [['ES', 'MESM6', 0, 3]]);
      assert.match(m.message, /ES \(MESM6\): bridge 3, server 0/);
      snapshot(h, 3);
      assert.equal(h.alerts.length, 1, 'the same difference is not repeated');
      assert.equal(h.broker.positionMismatch().length, 1);
      snapshot(h, 0);
      assert.deepEqual(h.alerts.map((a) => a.kind), ['position-mismatch', 'positions-match']);
      // An order executed at the broker whose fill report is still on its way: explained, no alert.
      const id = h.place('buy', 2);
      h.broker.claim('A', 10);
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      snapshot(h, 2);
      assert.equal(h.alerts.length, 2);
      h.broker.report(id, filled('A', 6001, { qty: 2 }));
      snapshot(h, 2);
      assert.equal(h.alerts.length, 2);
      // The server holds 2 (long); the bridge says short 1: unexplained.
      snapshot(h, -1);
      assert.equal(h.alerts.at(-1)?.kind, 'position-mismatch');
      // A snapshot without positions is not compared.
      h.desk.pnlSnapshot({ secret: SECRET, realized: 5 });
      assert.equal(h.alerts.length, 3);
    }));
});

describe('bridge: money-safe fills', () => {
  it('a fill at 1e308, a fee of 1e308, off the tick, out of the band or NaN is refused (422, alert); the account stays intact across a restart', () => {
    const dir = tempDir();
    const file = dir.file('t.db');
    const clock = new SimClock(T0);
    let h = harness(file, clock);
    const id = h.place();
    h.broker.claim('A', 10);
    h.broker.report(id, { status: 'WORKING', owner: 'A' });
    const before = h.kernel.portfolio.view();
    const cases: [ReturnType<typeof filled>, RegExp][] = [
      [filled('A', 1e308), /price 1e\+308 is out of range/],
      [filled('A', 6001.25, { fee: 1e308 }), /fee 1e\+308 is more than 1% of the fill's value/],
      [filled('A', 6001.1), /not a multiple of ES's tick size 0.25/],
      [filled('A', 7000), /16\.67% away from the last price 6000; the band is 10% \(risk\.fillPriceBandPct\)/],
      [filled('A', 6001.25, { qty: 0.5 }), /lot size 1/],
      [{ ...filled('A'), fill_price: Number.NaN }, /FILLED needs extra.fill_price/],
    ];
    for (const [report, reason] of cases) {
      const r = h.broker.report(id, report);
      assert.ok(r.status === 422, JSON.stringify(r));
      assert.match(String((r.body as { error: string }).error), reason);
    }
    assert.deepEqual(h.alerts.filter((a) => a.kind === 'fill-refused').map((a) => (a.kind === 'fill-refused' ? a.code : '')), ['too_large', 'fee_too_large', 'off_tick', 'out_of_band', 'off_step']);
    assert.equal(h.queue.get(id)?.status, 'WORKING', 'nothing applied');
    assert.deepEqual(h.kernel.portfolio.view(), before);
    assert.equal(h.store.recentFills(10, 'bridge').length, 0);
    h.close();

    h = harness(file, clock);
    try {
      const after = h.kernel.portfolio.view();
      assert.deepEqual([after.balance, after.equity, after.fees, after.realizedPnl], [50_000, 50_000, 0, 0], 'restored intact');
      // The owner's real fill is still accepted.
      assert.equal(h.broker.report(id, filled('A', 6001.25, { fee: 1.25 })).status, 200);
      assert.equal(h.kernel.portfolio.view().balance, 50_000 - 1.25);
      // A test order of 1e308 contracts never enters.
      const t = h.desk.testOrder({ symbol: 'ES', side: 'BUY', qty: 1e308 });
      assert.ok(!t.ok && t.status === 400 && /above ES's maximum 2000/.test(t.error), JSON.stringify(t));
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('resolving a stale order at an absurd price is refused like any fill', () =>
    withHarness((h) => {
      const id = h.place();
      h.broker.claim('A', 10);
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      h.clock.advance(LEASE_MS + GRACE_MS);
      snapshot(h, 1);
      const r = h.desk.resolve(id, { fill_price: 1e12 });
      assert.ok(!r.ok && r.status === 422 && /out of range/.test(r.error), JSON.stringify(r));
      assert.equal(h.order(id)?.status, 'accepted');
      const bad = h.desk.resolve(id, { fill_price: 'x' });
      assert.ok(!bad.ok && bad.status === 400);
    }));
});
