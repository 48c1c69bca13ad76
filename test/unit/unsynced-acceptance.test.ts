// An exchange order's acceptance and fills are journaled without a disk sync of their own (the
// venue can tell them again after a crash: the order by client id, its fills by the order's
// trades; the next synced commit makes them durable), and so is the event log, while the order
// row before sending stays synced, and so does everything of other brokers. Real SQLite files.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { SimClock } from '../../src/core/clock.js';
import type { Order } from '../../src/core/orders.js';
import type { FillRecord } from '../../src/core/ports.js';
import { Kernel } from '../../src/engine/kernel.js';
import { makeOrder, OPEN_LIMITS, referencePrice, registry, ScriptedBroker, tempDir } from './support.js';

const dirs = tempDir('tw-unsynced-');
after(() => dirs.cleanup());

/** The real store, recording which order writes went through which path (in call order). */
class RecordingStore extends SqliteStore {
  readonly writes: string[] = [];
  private insideUnsynced = false;

  override saveOrder(order: Order): void {
    if (!this.insideUnsynced) this.writes.push(`synced ${order.status}`);
    super.saveOrder(order);
  }

  override saveOrderUnsynced(order: Order): void {
    this.writes.push(`unsynced ${order.status}`);
    this.insideUnsynced = true;
    try {
      super.saveOrderUnsynced(order);
    } finally {
      this.insideUnsynced = false;
    }
  }

  override recordFill(record: FillRecord): boolean {
    if (!this.insideUnsynced) this.writes.push(`synced fill ${record.fill.id}`);
    return super.recordFill(record);
  }

  override recordFillUnsynced(record: FillRecord): boolean {
    this.writes.push(`unsynced fill ${record.fill.id}`);
    this.insideUnsynced = true;
    try {
      return super.recordFillUnsynced(record);
    } finally {
      this.insideUnsynced = false;
    }
  }
}

/** A broker whose venue restores acceptances and fills (as CcxtBroker's reconciler does). */
class VenueBroker extends ScriptedBroker {
  readonly venueRestoresAcceptance = true;
  readonly venueRestoresFills = true;
}

function kernelOn(store: SqliteStore, broker: ScriptedBroker): Kernel {
  return new Kernel({
    clock: new SimClock(1_000),
    store,
    broker,
    instruments: registry(),
    account: { id: 'v', currency: 'USD', startingBalance: 50_000, leverage: 10 },
    risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
    limits: OPEN_LIMITS,
    lastPrice: referencePrice,
    idPrefix: 'v-',
  });
}

const entry = { accountId: 'v', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1 } as const;
const fill = (orderId: string) => ({ kind: 'filled' as const, orderId, fill: { id: `v:ES:${orderId}`, orderId, accountId: 'v', symbol: 'ES', side: 'buy' as const, qty: 1, price: 6_000, fee: 0, ts: 1_500 } });

describe('SqliteStore.saveOrderUnsynced', () => {
  it('commits the row (another connection reads it) and leaves the journal synced (FULL) for the next write', () => {
    const file = dirs.file('store.db');
    const store = new SqliteStore({ file });
    const order = makeOrder({ id: 'o-1', symbol: 'ES', side: 'buy', type: 'market', status: 'accepted', brokerOrderId: 'venue-1' });
    store.saveOrderUnsynced(order);
    assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
    const other = new Database(file, { readonly: true });
    const row = other.prepare('SELECT status, data FROM orders WHERE id = ?').get('o-1') as { status: string; data: string };
    other.close();
    assert.equal(row.status, 'accepted');
    assert.equal((JSON.parse(row.data) as Order).brokerOrderId, 'venue-1');
    store.close();
  });

  it('the event log likewise: committed, and the journal synced (FULL) again after it', () => {
    const file = dirs.file('events.db');
    const store = new SqliteStore({ file });
    store.appendEvents([{ type: 'ALERT', ts: 5, payload: { message: 'one' } }, { type: 'ALERT', ts: 6, payload: { message: 'two' } }]);
    assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
    const other = new Database(file, { readonly: true });
    const n = (other.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    other.close();
    assert.equal(n, 2);
    store.close();
  });

  it('inside a transaction it is a write of that transaction (rolled back with it)', () => {
    const store = new SqliteStore({ file: dirs.file('tx.db') });
    assert.throws(() =>
      store.atomically(() => {
        store.saveOrderUnsynced(makeOrder({ id: 'o-2', symbol: 'ES', side: 'buy', type: 'market' }));
        throw new Error('rolled back');
      }),
    );
    assert.equal(store.getOrder('o-2'), null);
    assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
    store.close();
  });
});

describe("the kernel's journal writes of an order's acceptance", () => {
  it('a venue that restores acceptances and fills: placement synced, acceptance and fill unsynced; all in the file', () => {
    const file = dirs.file('venue.db');
    const store = new RecordingStore({ file });
    const broker = new VenueBroker();
    const k = kernelOn(store, broker);
    const o = k.placeOrder('test', entry);
    broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: 'venue-7', ts: 1_200 });
    broker.report(fill(o.id));
    assert.deepEqual(store.writes, ['synced pending_submit', 'unsynced accepted', `unsynced fill v:ES:${o.id}`]);
    assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
    // Another connection sees the fill at once: it is in the file, as a process crash would leave it.
    const other = new Database(file, { readonly: true });
    const fills = (other.prepare('SELECT COUNT(*) AS n FROM fills WHERE order_id = ?').get(o.id) as { n: number }).n;
    other.close();
    assert.equal(fills, 1);
    // The same trade again (the stream and the reconciler both report it) changes nothing.
    broker.report(fill(o.id));
    assert.equal(k.portfolio.position('ES')?.qty, 1);
    store.close();
    const reopened = new SqliteStore({ file });
    const saved = reopened.getOrder(o.id);
    assert.equal(saved?.status, 'filled');
    assert.equal(saved?.brokerOrderId, 'venue-7');
    reopened.close();
  });

  it('the fill first (the user stream outran the answer): the late venue order id is written unsynced', () => {
    const store = new RecordingStore({ file: dirs.file('late.db') });
    const broker = new VenueBroker();
    const k = kernelOn(store, broker);
    const o = k.placeOrder('test', entry);
    broker.report(fill(o.id));
    broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: 'venue-8', ts: 1_600 });
    assert.deepEqual(store.writes, ['synced pending_submit', `unsynced fill v:ES:${o.id}`, 'unsynced filled']);
    assert.equal(store.getOrder(o.id)?.brokerOrderId, 'venue-8');
    store.close();
  });

  it('any other broker (paper, bridge): the acceptance and the fill are synced as before', () => {
    const store = new RecordingStore({ file: dirs.file('plain.db') });
    const broker = new ScriptedBroker();
    const k = kernelOn(store, broker);
    const o = k.placeOrder('test', entry);
    broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: 'b-1', ts: 1_200 });
    broker.report(fill(o.id));
    assert.deepEqual(store.writes, ['synced pending_submit', 'synced accepted', `synced fill v:ES:${o.id}`]);
    assert.equal(store.getOrder(o.id)?.status, 'filled');
    store.close();
  });
});
