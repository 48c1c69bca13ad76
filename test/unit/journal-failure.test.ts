// Commit before apply: the journal write of an order transition or a fill comes first; when it
// throws, the account halts with an `account-halted` event and its memory stays exactly what the
// journal holds (checked against the SQLite file, and again after a restart on that file).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { SimClock } from '../../src/core/clock.js';
import type { Order, OrderRequest } from '../../src/core/orders.js';
import type { TradingStore } from '../../src/core/ports.js';
import type { KernelEvent } from '../../src/core/events.js';
import { AccountHaltedError, JournalWriteError } from '../../src/engine/execution-engine.js';
import { Kernel } from '../../src/engine/kernel.js';
import { buildHarness, tempDir, type Harness, paperRequest, registry, ScriptedBroker, OPEN_LIMITS, referencePrice } from './support.js';

const dirs = tempDir('tw-journal-');
after(() => dirs.cleanup());

type Method = 'saveOrder' | 'recordFill' | 'saveAccount' | 'savePosition' | 'saveManagedStop';

/** The real SqliteStore, whose chosen writes throw once armed (after `skip` successful calls). */
class FailingStore implements TradingStore {
  private armed: { method: Method; skip: number } | null = null;
  failures = 0;

  constructor(readonly inner: SqliteStore) {}

  failOn(method: Method, skip = 0): void {
    this.armed = { method, skip };
  }

  heal(): void {
    this.armed = null;
  }

  private guard(method: Method): void {
    if (this.armed?.method !== method) return;
    if (this.armed.skip > 0) {
      this.armed.skip -= 1;
      return;
    }
    this.failures += 1;
    throw new Error('disk I/O error (injected)');
  }

  saveAccount: TradingStore['saveAccount'] = (a) => (this.guard('saveAccount'), this.inner.saveAccount(a));
  saveOrder: TradingStore['saveOrder'] = (o) => (this.guard('saveOrder'), this.inner.saveOrder(o));
  recordFill: TradingStore['recordFill'] = (r) => (this.guard('recordFill'), this.inner.recordFill(r));
  hasFill: TradingStore['hasFill'] = (id) => this.inner.hasFill(id);
  savePosition: TradingStore['savePosition'] = (p) => (this.guard('savePosition'), this.inner.savePosition(p));
  saveManagedStop: TradingStore['saveManagedStop'] = (s) => (this.guard('saveManagedStop'), this.inner.saveManagedStop(s));
  managedStops: TradingStore['managedStops'] = (id) => this.inner.managedStops(id);
  appendEvents: TradingStore['appendEvents'] = (e) => this.inner.appendEvents(e);
  restore: TradingStore['restore'] = (id) => this.inner.restore(id);
  listOrders: TradingStore['listOrders'] = (q) => this.inner.listOrders(q);
  getOrder: TradingStore['getOrder'] = (id) => this.inner.getOrder(id);
  recentFills: TradingStore['recentFills'] = (l, a) => this.inner.recentFills(l, a);
  recentTrades: TradingStore['recentTrades'] = (l, a) => this.inner.recentTrades(l, a);
  recentEvents: TradingStore['recentEvents'] = (l) => this.inner.recentEvents(l);
  atomically<T>(fn: () => T): T {
    return this.inner.atomically(fn);
  }
  close(): void {
    this.inner.close();
  }
}

const request = (over: Partial<OrderRequest> = {}): OrderRequest => paperRequest({ qty: 0.5, ...over });

const byId = (a: Order, b: Order) => a.id.localeCompare(b.id);
const durable = (p: object) => ({ ...p, markPrice: 0, unrealizedPnl: 0 });

/** What the kernel holds in memory, as the journal would restore it. */
const memoryOf = (h: Harness | Kernel) => {
  const k = h instanceof Kernel ? h : h.kernel;
  return {
    account: k.portfolio.accountState(),
    positions: k.portfolio.openPositions().map(durable),
    openOrders: k.execution.openOrders().sort(byId),
    managedStops: k.execution.managedStops(),
  };
};

/** What the SQLite file holds, read through a fresh restore. */
const diskOf = (store: SqliteStore, accountId = 'paper') => {
  const r = store.restore(accountId);
  return { account: r.account, positions: r.positions.map(durable), openOrders: r.openOrders.sort(byId), managedStops: store.managedStops(accountId) };
};

const counts = (store: SqliteStore) => {
  const n = (sql: string) => (store.db.prepare(sql).get() as { n: number }).n;
  return { fills: n('SELECT COUNT(*) AS n FROM fills'), trades: n('SELECT COUNT(*) AS n FROM closed_trades'), orders: n('SELECT COUNT(*) AS n FROM orders') };
};

describe('commit before apply: a failed journal write halts the account, memory = disk', () => {
  it('a venue fill whose write fails: listeners of the halt see the order as the journal holds it', () => {
    const file = dirs.file('fill-fails-listener.db');
    let failing: FailingStore | null = null;
    const h = buildHarness({ file, wrapStore: (s) => (failing = new FailingStore(s)) });
    const f = failing as unknown as FailingStore;
    h.tick('BTC/USDT', 50_000, 1_000);
    const order = h.kernel.placeOrder('test', request({ type: 'limit', price: 40_000 }));
    const before = memoryOf(h);
    assert.equal(before.openOrders.length, 1);
    f.failOn('recordFill');
    // Halt events are published at once when the report comes from outside a bus dispatch (a
    // venue's stream), so what a listener reads then is what memory holds mid-fill.
    let seenAtHalt: ReturnType<typeof memoryOf> | null = null;
    h.kernel.bus.onAny((e) => {
      if (e.type === 'account-halted') seenAtHalt = structuredClone(memoryOf(h)); // openOrders() holds the live orders
    });
    h.replay({ kind: 'filled', orderId: order.id, fill: { id: `${order.id}-V1`, orderId: order.id, accountId: 'paper', symbol: 'BTC/USDT', side: 'buy', qty: 0.5, price: 40_000, fee: 0, ts: 1_500 } });
    assert.equal(f.failures, 1);
    assert.ok(h.kernel.execution.halted(), 'halted');
    assert.deepEqual(seenAtHalt, before, 'memory as the halt is published');
    assert.deepEqual(memoryOf(h), before);
    (f.inner as SqliteStore).close();
  });

  it('a fill whose write fails changes nothing in memory; the account halts; a restart resumes from the journal', () => {
    const file = dirs.file('fill-fails.db');
    let failing: FailingStore | null = null;
    const h = buildHarness({ file, wrapStore: (s) => (failing = new FailingStore(s)) });
    const store = (failing as unknown as FailingStore).inner;
    const f = failing as unknown as FailingStore;

    h.kernel.placeOrder('test', request({ stopLoss: 49_000 }));
    h.tick('BTC/USDT', 50_000, 1_000);
    const exit = h.kernel.placeOrder('test', request({ side: 'sell', purpose: 'exit' }));
    assert.equal(exit.status, 'accepted');
    const before = memoryOf(h);
    const rowsBefore = counts(store);
    assert.deepEqual(diskOf(store), before);

    f.failOn('recordFill');
    h.tick('BTC/USDT', 50_500, 2_000); // the paper broker fills the exit; its journal write throws
    assert.equal(f.failures, 1);
    const halted = h.events.filter((e) => e.type === 'account-halted');
    assert.equal(halted.length, 1);
    assert.deepEqual(halted[0], { type: 'account-halted', accountId: 'paper', context: `fill ${exit.id}-F1 of order ${exit.id}`, reason: 'disk I/O error (injected)', ts: 2_000 });
    assert.deepEqual(h.kernel.execution.halted(), { context: `fill ${exit.id}-F1 of order ${exit.id}`, reason: 'disk I/O error (injected)', ts: 2_000 });
    assert.ok(h.errors.some((e) => e.error instanceof JournalWriteError), 'reported through onError');
    // Nothing of the fill was applied: memory is what it was, and what the file holds.
    assert.deepEqual(memoryOf(h), before);
    assert.deepEqual(diskOf(store), before);
    assert.deepEqual(counts(store), rowsBefore);
    assert.equal(h.events.filter((e) => e.type === 'fill').length, 1, 'only the entry fill was published');

    // Halted: orders are refused, cancels too, and reports are left to the broker.
    f.heal();
    assert.throws(() => h.kernel.placeOrder('test', request()), AccountHaltedError);
    const c = h.kernel.execution.cancel(exit.id);
    assert.ok(!c.ok && /halted/.test(c.message));
    h.tick('BTC/USDT', 48_000, 3_000); // would trigger the stop at the paper broker
    assert.deepEqual(memoryOf(h), before);
    assert.deepEqual(diskOf(store), before);
    assert.deepEqual(counts(store), rowsBefore);
    store.close();

    // A restart reads the journal: the same state, and trading resumes.
    const b = buildHarness({ file, clock: new SimClock(4_000) });
    assert.deepEqual(memoryOf(b), before);
    assert.equal(b.kernel.execution.halted(), null);
    b.tick('BTC/USDT', 50_200, 5_000);
    assert.equal(b.kernel.portfolio.position('BTC/USDT'), undefined, 'the exit filled after the restart');
    assert.equal(b.store.recentTrades(10).length, 1);
    assert.deepEqual(b.kernel.execution.openOrders(), [], 'the stop was cancelled with the position');
    assert.deepEqual(diskOf(b.store), memoryOf(b));
    b.store.close();
  });

  it('an order transition whose write fails leaves the order as stored; after a restart it is settled, never resent', () => {
    const file = dirs.file('transition-fails.db');
    let failing: FailingStore | null = null;
    const h = buildHarness({ file, wrapStore: (s) => (failing = new FailingStore(s)) });
    const f = failing as unknown as FailingStore;
    f.failOn('saveOrder', 1); // the new order's row is written; its acceptance is not
    const o = h.kernel.placeOrder('test', request());
    assert.equal(f.failures, 1);
    assert.equal(o.status, 'pending_submit', 'memory keeps the stored state');
    assert.equal(f.inner.getOrder(o.id)?.status, 'pending_submit');
    assert.deepEqual(memoryOf(h), diskOf(f.inner));
    assert.equal(h.events.filter((e) => e.type === 'account-halted').length, 1);
    assert.deepEqual(h.events.filter((e) => e.type === 'order').map((e) => e.type === 'order' && e.order.status), ['pending_submit']);
    h.tick('BTC/USDT', 50_000, 1_000); // the broker fills it: the halted account leaves the report to the broker
    assert.deepEqual(memoryOf(h), diskOf(f.inner));
    assert.equal(h.kernel.portfolio.position('BTC/USDT'), undefined);
    f.inner.close();

    const b = buildHarness({ file, clock: new SimClock(2_000) });
    // Never acknowledged before the restart: the paper broker reports it rejected rather than resending it.
    assert.equal(b.store.getOrder(o.id)?.status, 'rejected');
    assert.deepEqual(b.kernel.execution.openOrders(), []);
    assert.deepEqual(memoryOf(b), diskOf(b.store));
    b.store.close();
  });

  it('a real SQLite write failure (read-only connection) halts the account the same way', () => {
    const h = buildHarness({ file: dirs.file('readonly.db') });
    h.kernel.placeOrder('test', request());
    h.tick('BTC/USDT', 50_000, 1_000);
    const exit = h.kernel.placeOrder('test', request({ side: 'sell', purpose: 'exit' }));
    const before = memoryOf(h);
    h.store.db.pragma('query_only = ON');
    h.tick('BTC/USDT', 51_000, 2_000);
    const halted = h.events.find((e) => e.type === 'account-halted');
    assert.ok(halted && halted.type === 'account-halted' && /readonly/i.test(halted.reason), JSON.stringify(halted));
    assert.deepEqual(memoryOf(h), before);
    h.store.db.pragma('query_only = OFF');
    assert.deepEqual(diskOf(h.store), before);
    assert.equal(h.store.getOrder(exit.id)?.status, 'accepted');
    assert.throws(() => h.kernel.placeOrder('test', request()), AccountHaltedError);
    h.store.close();
  });

  it('a server-managed stop whose write fails halts the account; a restart arms it from the position', () => {
    const file = dirs.file('managed-fails.db');
    const inner = new SqliteStore({ file });
    const store = new FailingStore(inner);
    const broker = new ScriptedBroker();
    const events: KernelEvent[] = [];
    const build = (s: TradingStore, b: ScriptedBroker) => {
      const k = new Kernel({
        clock: new SimClock(1_000),
        store: s,
        broker: b,
        instruments: registry(),
        account: { id: 'b', currency: 'USD', startingBalance: 50_000, leverage: 10 },
        risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
        // Bridge and fill mechanics, not limits: sizes beyond the live limits.
        limits: OPEN_LIMITS,
        lastPrice: referencePrice,
        idPrefix: 'b-',
      });
      k.bus.onAny((e) => events.push(e));
      return k;
    };
    const k = build(store, broker);
    const o = k.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 2, stopLoss: 5_990 });
    store.failOn('saveManagedStop');
    broker.report({ kind: 'filled', orderId: o.id, fill: { id: 'T1', orderId: o.id, accountId: 'b', symbol: 'ES', side: 'buy', qty: 2, price: 6_000, fee: 0, ts: 1_500 } });
    // The fill was committed before; the stop that should follow it was not: the account halts.
    assert.equal(k.portfolio.position('ES')?.qty, 2);
    assert.deepEqual(k.execution.managedStops(), []);
    assert.deepEqual(inner.managedStops('b'), []);
    assert.equal(events.filter((e) => e.type === 'account-halted').length, 1);
    assert.deepEqual(memoryOf(k), diskOf(inner, 'b'));
    k.onTick({ symbol: 'ES', ts: 2_000, price: 5_900, size: 1, trades: 1 });
    assert.equal(broker.submitted.length, 1, 'nothing armed, nothing sent');
    inner.close();

    const again = new SqliteStore({ file });
    const restarted = build(again, new ScriptedBroker());
    assert.deepEqual(restarted.execution.managedStops().map((s) => [s.purpose, s.status, s.triggerPrice, s.qty]), [['stop_loss', 'active', 5_990, 2]]);
    assert.deepEqual(again.managedStops('b').map((s) => s.id), ['b:ES:stop_loss']);
    assert.deepEqual(memoryOf(restarted), diskOf(again, 'b'));
    again.close();
  });

  it('a duplicate fill id changes nothing, also in the middle of a partially filled order', () => {
    const h = buildHarness({ file: dirs.file('dup.db'), maxVolumeShare: 0.5 });
    const o = h.kernel.placeOrder('test', request({ qty: 1 }));
    h.tick('BTC/USDT', 50_000, 1_000, 1); // 0.5 of 1
    const report = h.reports.find((r) => r.kind === 'filled');
    assert.ok(report && report.kind === 'filled');
    const before = { memory: memoryOf(h), rows: counts(h.store), events: h.events.length };
    h.replay(report);
    h.replay({ ...report, fill: { ...report.fill, price: 1, qty: 0.5, ts: 9_999 } });
    assert.deepEqual(memoryOf(h), before.memory);
    assert.deepEqual(counts(h.store), before.rows);
    assert.deepEqual(h.events.slice(before.events), []);
    assert.equal(h.store.getOrder(o.id)?.filledQty, 0.5);
    assert.deepEqual(h.errors, []);
    h.store.close();
  });
});
