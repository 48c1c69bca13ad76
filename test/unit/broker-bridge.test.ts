import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BridgeBroker } from '../../src/adapters/broker-bridge.js';
import { SqliteBridgeQueue } from '../../src/adapters/store-sqlite/bridge-queue.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { BridgeDesk } from '../../src/app/bridge-desk.js';
import { bridgeFillId, decideReport, type BridgeOrder } from '../../src/core/bridge.js';
import { SimClock } from '../../src/core/clock.js';
import type { OrderSide } from '../../src/core/orders.js';
import type { ExecutionReport } from '../../src/core/ports.js';
import { Kernel } from '../../src/engine/kernel.js';
import { registry, tempDir, OPEN_LIMITS, referencePrice } from './support.js';

const LEASE_MS = 30_000;
const T0 = Date.UTC(2026, 0, 5, 14, 30);

interface BridgeHarness {
  clock: SimClock;
  store: SqliteStore;
  queue: SqliteBridgeQueue;
  broker: BridgeBroker;
  kernel: Kernel;
  reports: ExecutionReport[];
  errors: string[];
  place(side?: OrderSide, qty?: number, symbol?: string): string;
  close(): void;
}

function harness(file: string, clock = new SimClock(T0), heartbeat = true): BridgeHarness {
  const store = new SqliteStore({ file });
  const queue = new SqliteBridgeQueue(store.db);
  const broker = new BridgeBroker({
    clock,
    queue,
    accountId: 'bridge',
    contracts: { ES: { contract: 'MESM6', exchange: 'CME' } },
    env: 'DEMO',
    leaseMs: LEASE_MS,
    heartbeatTimeoutMs: 60_000,
    lastPrice: () => 6000,
  });
  const reports: ExecutionReport[] = [];
  broker.onReport((r) => reports.push(r));
  if (heartbeat) broker.heartbeat({ tsConnected: true });
  const errors: string[] = [];
  const kernel = new Kernel({
    clock,
    store,
    broker,
    instruments: registry(),
    account: { id: 'bridge', currency: 'USD', startingBalance: 50_000, leverage: 10 },
    risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
    // Bridge and fill mechanics, not limits: sizes beyond the live limits.
    limits: OPEN_LIMITS,
    lastPrice: referencePrice,
    idPrefix: 'bridge-',
    onError: (error, context) => errors.push(`${context}: ${(error as Error).message}`),
  });
  return {
    clock,
    store,
    queue,
    broker,
    kernel,
    reports,
    errors,
    place: (side = 'buy', qty = 1, symbol = 'ES') =>
      kernel.placeOrder('test', { accountId: 'bridge', botId: 'test', symbol, side, type: 'market', purpose: 'entry', qty }).id,
    close: () => store.close(),
  };
}

const fill = (price = 6001.25) => ({ status: 'FILLED', fill_price: price, symbol: 'MESM6', side: 'BUY', qty: 1 });
const orderOf = (h: BridgeHarness, id: string) => h.store.getOrder(id);

describe('bridge broker: claims and leases', () => {
  it('leases a pending order to one claimant, hands it on only after the lease expired, and WORKING renews the lease', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place();
      assert.match(id, /^bridge-O-\d{8}$/);
      assert.equal(orderOf(h, id)?.status, 'pending_submit', 'not accepted before a bridge confirms');
      const [claimed, ...more] = h.broker.claim('A', 10);
      assert.equal(more.length, 0);
      assert.deepEqual(
        { id: claimed?.id, asset: claimed?.asset, exchange: claimed?.exchange, side: claimed?.side, qty: claimed?.qty, kind: claimed?.kind, env: claimed?.env, cancel: claimed?.cancel },
        { id, asset: 'MESM6', exchange: 'CME', side: 'BUY', qty: 1, kind: 'ENTRY', env: 'DEMO', cancel: false },
      );
      assert.deepEqual(h.broker.claim('B', 10), [], 'nobody else gets a leased order');
      assert.deepEqual(h.broker.claim('A', 10), [], 'the claimant is not sent it twice');

      h.clock.advance(LEASE_MS + 1);
      assert.deepEqual(h.broker.claim('B', 10).map((o) => o.id), [id], 'an expired claim is claimable again');
      const stale = h.broker.report(id, { status: 'WORKING', owner: 'A' });
      assert.equal(stale.status, 409, 'the previous claimant is refused while B holds the lease');

      assert.equal(h.broker.report(id, { status: 'WORKING', owner: 'B' }).status, 200);
      assert.equal(orderOf(h, id)?.status, 'accepted');
      assert.equal(h.reports.filter((r) => r.kind === 'accepted').length, 1);

      h.clock.advance(25_000);
      const renewed = h.broker.report(id, { status: 'WORKING', owner: 'B' });
      assert.deepEqual(renewed.body, {
        ok: true,
        order_id: id,
        status: 'WORKING',
        duplicate: true,
        lease_expires_at: new Date(h.clock.now() + LEASE_MS).toISOString(),
        lease_seconds: LEASE_MS / 1000,
      });
      assert.equal(h.queue.get(id)?.leaseExpiresAt, h.clock.now() + LEASE_MS, 'WORKING renews the lease');
      assert.equal(h.reports.filter((r) => r.kind === 'accepted').length, 1, 'a repeated WORKING is not reported twice');

      h.clock.advance(LEASE_MS + 1);
      h.broker.heartbeat({ tsConnected: true });
      assert.deepEqual(h.broker.claim('A', 10), [], 'a WORKING order is never handed to another bridge');
      assert.equal(h.broker.report(id, { status: 'WORKING', owner: 'A' }).status, 409, 'nor confirmed by one');
      assert.equal(h.broker.report(id, { owner: 'B', ...fill() }).status, 200);
      assert.equal(orderOf(h, id)?.status, 'filled');
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('interleaved claims of two bridges never share an order', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const ids = Array.from({ length: 25 }, () => h.place());
      const gotA: string[] = [];
      const gotB: string[] = [];
      for (let i = 0; gotA.length + gotB.length < ids.length && i < 100; i += 1) {
        if (i % 2 === 0) gotA.push(...h.broker.claim('A', 3).map((o) => o.id));
        else gotB.push(...h.broker.claim('B', 3).map((o) => o.id));
      }
      const all = [...gotA, ...gotB];
      assert.equal(new Set(all).size, all.length, 'no order claimed twice');
      assert.deepEqual([...all].sort(), [...ids].sort());
      assert.ok(gotA.length > 0 && gotB.length > 0);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('two store connections racing on one file (two threads) never claim the same order', async () => {
    const dir = tempDir();
    const file = dir.file('race.db');
    const h = harness(file);
    const N = 200;
    try {
      for (let i = 0; i < N; i += 1) h.place(i % 2 === 0 ? 'buy' : 'sell');
      const storeUrl = new URL('../../src/adapters/store-sqlite/sqlite-store.js', import.meta.url).href;
      const queueUrl = new URL('../../src/adapters/store-sqlite/bridge-queue.js', import.meta.url).href;
      const gate = new Int32Array(new SharedArrayBuffer(4));
      // attempts[i]: claims thread i has tried so far (DONE once it stopped). A thread that is two
      // attempts ahead waits for the other, so both really race for the same rows all along
      // instead of one draining the queue before the other thread is scheduled on a busy machine.
      const attempts = new Int32Array(new SharedArrayBuffer(8));
      const code = `
        const { parentPort, workerData } = require('node:worker_threads');
        (async () => {
          const { SqliteStore } = await import(workerData.storeUrl);
          const { SqliteBridgeQueue } = await import(workerData.queueUrl);
          const store = new SqliteStore({ file: workerData.file });
          const queue = new SqliteBridgeQueue(store.db);
          const { attempts, self } = workerData;
          const other = 1 - self;
          const DONE = 0x7fffffff;
          parentPort.postMessage({ ready: true });
          Atomics.wait(workerData.gate, 0, 0);
          const ids = [];
          try {
            for (let empty = 0; empty < 3; ) {
              const r = queue.claim('bridge', workerData.owner, 1, workerData.now, 30000);
              if (r.claimed.length === 0) empty += 1;
              for (const o of r.claimed) ids.push(o.id);
              const mine = Atomics.add(attempts, self, 1) + 1;
              Atomics.notify(attempts, self);
              for (let seen = Atomics.load(attempts, other); seen < mine - 1; seen = Atomics.load(attempts, other)) {
                Atomics.wait(attempts, other, seen, 1000);
              }
            }
          } finally {
            Atomics.store(attempts, self, DONE);
            Atomics.notify(attempts, self);
          }
          store.close();
          parentPort.postMessage({ ids });
        })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
      `;
      const run = (owner: string, self: number) => {
        const w = new Worker(code, {
          eval: true,
          workerData: { storeUrl, queueUrl, file, owner, self, now: h.clock.now(), gate, attempts },
        });
        const ready = new Promise<void>((resolve) => w.once('message', () => resolve()));
        const done = new Promise<string[]>((resolve, reject) => {
          w.on('message', (m: { ids?: string[]; error?: string }) => (m.error ? reject(new Error(m.error)) : m.ids && resolve(m.ids)));
          w.once('error', reject);
        });
        return { ready, done };
      };
      const a = run('A', 0);
      const b = run('B', 1);
      await Promise.all([a.ready, b.ready]);
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      const [idsA, idsB] = await Promise.all([a.done, b.done]);
      const all = [...idsA, ...idsB];
      assert.equal(all.length, N, `every order claimed once (A ${idsA.length}, B ${idsB.length})`);
      assert.equal(new Set(all).size, N, 'no order claimed by both');
      assert.ok(idsA.length > 0 && idsB.length > 0, 'both threads won some claims');
      for (const id of idsA) assert.equal(h.queue.get(id)?.leaseOwner, 'A');
    } finally {
      h.close();
      dir.cleanup();
    }
  });
});

describe('bridge broker: execution reports', () => {
  it('a repeated FILLED changes nothing; a WORKING after FILLED is acknowledged and ignored', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place();
      h.broker.claim('A', 10);
      // FILLED straight from CLAIMED (the bridge skipped WORKING): accepted.
      const first = h.broker.report(id, { owner: 'A', ...fill() });
      assert.deepEqual(first.body, { ok: true, order_id: id, status: 'FILLED' });
      const again = h.broker.report(id, { owner: 'A', ...fill() });
      assert.equal(again.status, 200);
      assert.equal((again.body as { ignored?: boolean }).ignored, true);
      const late = h.broker.report(id, { status: 'WORKING', owner: 'A' });
      assert.equal(late.status, 200);
      assert.equal((late.body as { ignored?: boolean }).ignored, true);
      const otherLate = h.broker.report(id, { status: 'CANCELLED', owner: 'B' });
      assert.equal(otherLate.status, 409, 'a report from another bridge is refused, even after a terminal state');

      const fills = h.store.recentFills(10, 'bridge');
      assert.equal(fills.length, 1);
      assert.equal(fills[0]?.id, bridgeFillId(id));
      assert.equal(fills[0]?.price, 6001.25);
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 1);
      assert.equal(h.reports.filter((r) => r.kind === 'filled').length, 1);
      // Even if the kernel heard the fill twice, the derived fill id keeps it once.
      const replay = h.reports.find((r) => r.kind === 'filled');
      assert.ok(replay);
      (h.broker as unknown as { emit(r: ExecutionReport): void }).emit(replay);
      assert.equal(h.store.recentFills(10, 'bridge').length, 1);
      assert.equal(h.queue.history(id).map((r) => r.outcome).join(','), 'claimed,applied,ignored,ignored,conflict');
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('refuses reports that contradict the order and unknown orders', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place();
      h.broker.claim('A', 10);
      assert.equal(h.broker.report(id, { status: 'FILLED', owner: 'A' }).status, 422, 'FILLED needs a fill price');
      assert.equal(h.broker.report(id, { owner: 'A', ...fill(), side: 'SELL' }).status, 422, 'side mismatch');
      assert.equal(h.broker.report(id, { owner: 'A', ...fill(), symbol: 'NQM6' }).status, 422, 'symbol mismatch');
      assert.equal(h.broker.report(id, { owner: 'A', ...fill(), qty: 2 }).status, 422, 'more than ordered');
      assert.equal(h.broker.report(id, { status: 'DONE', owner: 'A' }).status, 400);
      assert.equal(h.broker.report('nope', { status: 'WORKING', owner: 'A' }).status, 404);
      assert.equal(h.queue.get(id)?.status, 'CLAIMED', 'nothing changed');
      assert.equal(h.broker.report(id, { owner: 'A', ...fill(), symbol: 'ES' }).status, 200, 'the kernel symbol is accepted too');
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('a rejection before WORKING rejects the order; after WORKING it ends cancelled (the kernel table has no accepted->rejected)', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const a = h.place();
      const b = h.place();
      h.broker.claim('A', 10);
      h.broker.report(a, { status: 'REJECTED', owner: 'A', reason: 'margin' });
      assert.equal(orderOf(h, a)?.status, 'rejected');
      assert.equal(orderOf(h, a)?.reason, 'margin');
      h.broker.report(b, { status: 'WORKING', owner: 'A' });
      h.broker.report(b, { status: 'REJECTED', owner: 'A', reason: 'exchange closed' });
      assert.equal(orderOf(h, b)?.status, 'cancelled');
      assert.match(orderOf(h, b)?.reason ?? '', /exchange closed/);
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('decideReport is pure: the same state and report give the same answer', () => {
    const o: BridgeOrder = {
      id: 'x', accountId: 'bridge', symbol: 'ES', contract: 'MESM6', exchange: 'CME', side: 'BUY', qty: 1, kind: 'ENTRY', mode: 'A', env: 'DEMO', refPrice: null,
      status: 'CLAIMED', cancelRequested: false, leaseOwner: 'A', leaseExpiresAt: 100, fillPrice: null, fillQty: null, fillFee: null, fillTs: null, brokerOrderId: null, reason: null, createdAt: 0, updatedAt: 0,
    };
    assert.equal(decideReport(o, { status: 'WORKING', owner: 'B' }, 50).kind, 'conflict');
    assert.equal(decideReport(o, { status: 'WORKING', owner: 'B' }, 100).kind, 'conflict', 'after expiry only a new claim makes B the owner');
    assert.equal(decideReport(o, { status: 'WORKING', owner: 'A' }, 100).kind, 'apply', 'the owner may still confirm while nobody re-claimed it');
    assert.equal(decideReport({ ...o, status: 'FILLED' }, { status: 'WORKING', owner: 'A' }, 50).kind, 'ignored');
  });
});

describe('bridge broker: PARTIAL reports (cumulative quantity, average price and fee)', () => {
  const partial = (qty: number, price: number, fee?: number) => ({ status: 'PARTIAL', owner: 'A', fill_price: price, qty, symbol: 'MESM6', side: 'BUY', ...(fee === undefined ? {} : { fee }) });

  it('three executions reach the kernel as three fills; a repeated PARTIAL changes nothing; VWAP and fees reconcile', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place('buy', 3);
      h.broker.claim('A', 10);
      h.clock.advance(20_000);
      const first = h.broker.report(id, partial(1, 6001, 0.5));
      assert.equal(first.status, 200);
      assert.equal((first.body as { status: string }).status, 'WORKING');
      assert.ok((first.body as { lease_expires_at?: string }).lease_expires_at, 'a PARTIAL renews the owner\'s lease');
      assert.equal(h.queue.get(id)?.leaseExpiresAt, h.clock.now() + LEASE_MS);
      assert.equal(orderOf(h, id)?.status, 'partially_filled');
      assert.equal(orderOf(h, id)?.filledQty, 1);

      const repeated = h.broker.report(id, partial(1, 6001, 0.5));
      assert.equal((repeated.body as { ignored?: boolean }).ignored, true, 'a repeated cumulative quantity is ignored');
      h.broker.report(id, partial(2, 6001.5, 1));
      const done = h.broker.report(id, { owner: 'A', status: 'FILLED', fill_price: 6002, qty: 3, fee: 1.5, symbol: 'MESM6', side: 'BUY' });
      assert.equal((done.body as { status: string }).status, 'FILLED');

      const order = orderOf(h, id);
      assert.equal(order?.status, 'filled');
      assert.equal(order?.filledQty, 3);
      assert.equal(order?.avgFillPrice, 6002);
      assert.ok(Math.abs((order?.fees ?? 0) - 1.5) < 1e-9);
      const fills = h.store.recentFills(10, 'bridge').sort((a, b) => a.price - b.price);
      assert.deepEqual(fills.map((f) => [f.qty, f.price, f.fee]), [[1, 6001, 0.5], [1, 6002, 0.5], [1, 6003, 0.5]]);
      assert.equal(new Set(fills.map((f) => f.id)).size, 3);
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 3);
      assert.equal(h.kernel.portfolio.position('ES')?.avgPrice, 6002);
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('FILLED at the quantity already reported ends the order: the remainder is cancelled, the filled part held', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place('buy', 3);
      h.broker.claim('A', 10);
      h.broker.report(id, partial(1, 6001));
      h.broker.report(id, { owner: 'A', status: 'FILLED', fill_price: 6001, qty: 1, symbol: 'MESM6', side: 'BUY' });
      const order = orderOf(h, id);
      assert.equal(order?.status, 'cancelled');
      assert.equal(order?.filledQty, 1);
      assert.equal(h.store.recentFills(10, 'bridge').length, 1);
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 1);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  // Found by the bridge queue property test (test/unit/property-bridge-queue.test.ts): the queue
  // took the FILLED's fee (1) and price while the kernel booked nothing new, so they disagreed.
  it('FILLED at the quantity already reported with another fee or average: the queue keeps what the ledger booked', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place('buy', 3);
      h.broker.claim('A', 10);
      assert.equal(h.broker.report(id, partial(2, 6000, 0)).status, 200);
      assert.equal(h.broker.report(id, { owner: 'A', status: 'FILLED', fill_price: 6000.5, qty: 2, fee: 1, symbol: 'MESM6', side: 'BUY' }).status, 200);
      const q = h.queue.get(id);
      assert.deepEqual([q?.status, q?.fillQty, q?.fillPrice, q?.fillFee], ['FILLED', 2, 6000, 0]);
      const order = orderOf(h, id);
      assert.deepEqual([order?.status, order?.filledQty, order?.avgFillPrice, order?.fees], ['cancelled', 2, 6000, 0]);
      assert.equal(h.queue.history(id).at(-1)?.status, 'FILLED', 'the report itself stays in the history');
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('refuses a PARTIAL without a quantity, at or above the order quantity, below what was filled, or out of the price band', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place('buy', 3);
      h.broker.claim('A', 10);
      const noQty = h.broker.report(id, { status: 'PARTIAL', owner: 'A', fill_price: 6001 });
      assert.equal(noQty.status, 422);
      assert.match(String((noQty.body as { error: string }).error), /cumulative/);
      assert.equal(h.broker.report(id, partial(3, 6001)).status, 422, 'a complete fill is FILLED');
      const wild = h.broker.report(id, partial(1, 9000));
      assert.equal(wild.status, 422, 'outside the band around the last price');
      assert.equal(h.store.recentFills(10, 'bridge').length, 0);
      h.broker.report(id, partial(2, 6001));
      const shrink = h.broker.report(id, { owner: 'A', status: 'FILLED', fill_price: 6001, qty: 1, symbol: 'MESM6', side: 'BUY' });
      assert.equal(shrink.status, 422, 'FILLED below the cumulative quantity already reported');
      assert.equal(orderOf(h, id)?.filledQty, 2);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('a PARTIAL taken while the kernel was down is applied once on restart, then cancelled remainder stays cancelled', () => {
    const dir = tempDir();
    const file = dir.file('t.db');
    const clock = new SimClock(T0);
    let h = harness(file, clock);
    const id = h.place('buy', 3);
    h.broker.claim('A', 10);
    h.broker.report(id, { status: 'WORKING', owner: 'A' });
    h.close();
    const other = new SqliteStore({ file });
    const r = new SqliteBridgeQueue(other.db).report(id, { status: 'PARTIAL', owner: 'A', fillPrice: 6002, qty: 2, side: 'BUY' }, clock.now(), LEASE_MS);
    assert.equal(r.outcome, 'applied');
    other.close();
    h = harness(file, clock, false);
    try {
      assert.equal(orderOf(h, id)?.status, 'partially_filled');
      assert.equal(orderOf(h, id)?.filledQty, 2);
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 2);
    } finally {
      h.close();
    }
    h = harness(file, clock, false);
    try {
      assert.equal(h.store.recentFills(10, 'bridge').length, 1, 'a second restart replays nothing');
      h.broker.report(id, { status: 'CANCELLED', owner: 'A', reason: 'rest not filled' });
      assert.equal(orderOf(h, id)?.status, 'cancelled');
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 2);
    } finally {
      h.close();
      dir.cleanup();
    }
  });
});

describe('bridge broker: cancel', () => {
  it('cancels a pending order at once and asks the bridge to cancel a claimed one', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const pending = h.place();
      assert.equal(h.broker.cancel(pending), 'cancelled');
      assert.equal(orderOf(h, pending)?.status, 'cancelled');
      assert.deepEqual(h.broker.claim('A', 10), [], 'a cancelled order is never handed out');

      const claimed = h.place();
      h.broker.claim('A', 10);
      assert.equal(h.broker.cancel(claimed), 'requested');
      assert.equal(orderOf(h, claimed)?.status, 'pending_submit', 'still open until the bridge answers');
      assert.deepEqual(h.broker.claim('B', 10), [], 'another bridge neither claims it nor sees the request');
      const seen = h.broker.claim('A', 10);
      assert.deepEqual(seen.map((o) => [o.id, o.cancel]), [[claimed, true]]);
      assert.deepEqual(h.broker.claim('A', 10).map((o) => o.id), [claimed], 'repeated until answered');
      h.broker.report(claimed, { status: 'CANCELLED', owner: 'A' });
      assert.equal(orderOf(h, claimed)?.status, 'cancelled');
      assert.deepEqual(h.broker.claim('A', 10), []);
      assert.equal(h.broker.cancel(claimed), 'not_cancellable');
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('a working order cancelled through the kernel: a fill that raced the request wins', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place();
      h.broker.claim('A', 10);
      h.broker.report(id, { status: 'WORKING', owner: 'A' });
      const r = h.kernel.execution.cancel(id, 'operator');
      assert.ok(r.ok);
      assert.equal(orderOf(h, id)?.status, 'cancel_pending');
      assert.equal(h.broker.claim('A', 10)[0]?.cancel, true);
      h.broker.report(id, { owner: 'A', ...fill() });
      assert.equal(orderOf(h, id)?.status, 'filled');
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 1);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('a claimed order with a cancel request whose lease expired unconfirmed is cancelled, not handed on', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const id = h.place();
      h.broker.claim('A', 10);
      h.broker.cancel(id);
      h.clock.advance(LEASE_MS + 1);
      assert.deepEqual(h.broker.claim('B', 10), []);
      assert.equal(orderOf(h, id)?.status, 'cancelled');
      assert.equal(h.queue.get(id)?.status, 'CANCELLED');
    } finally {
      h.close();
      dir.cleanup();
    }
  });
});

describe('bridge broker: restart', () => {
  it('nothing is resent; claims survive; a fill recorded while the kernel was down is applied exactly once', () => {
    const dir = tempDir();
    const file = dir.file('t.db');
    const clock = new SimClock(T0);
    let h = harness(file, clock);
    const [filledWhileDown, claimed, pending] = [h.place(), h.place(), h.place()];
    h.broker.claim('A', 2);
    h.broker.report(filledWhileDown, { status: 'WORKING', owner: 'A' });
    assert.equal(orderOf(h, filledWhileDown)?.status, 'accepted');
    h.close(); // the kernel dies

    // While it is down, another process on the same database takes the bridge's FILLED report.
    clock.advance(5_000);
    const other = new SqliteStore({ file });
    const otherQueue = new SqliteBridgeQueue(other.db);
    const r = otherQueue.report(filledWhileDown, { status: 'FILLED', owner: 'A', fillPrice: 6002.5, qty: 1, side: 'BUY' }, clock.now(), LEASE_MS);
    assert.equal(r.outcome, 'applied');
    other.close();

    clock.advance(1_000);
    h = harness(file, clock, false);
    try {
      assert.equal(orderOf(h, filledWhileDown)?.status, 'filled', 'the fill was replayed on restart');
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 1);
      assert.equal(h.kernel.portfolio.position('ES')?.avgPrice, 6002.5);
      assert.equal(h.store.recentFills(10, 'bridge').length, 1);
      assert.equal(orderOf(h, claimed)?.status, 'pending_submit', 'a claimed order stays open, not resent');
      assert.equal(orderOf(h, pending)?.status, 'pending_submit');
      assert.equal(h.queue.get(claimed)?.status, 'CLAIMED');
      assert.equal(h.queue.get(pending)?.status, 'PENDING');
      assert.deepEqual(h.reports.map((x) => x.kind), ['filled'], 'only the recorded outcome was replayed');
      assert.deepEqual(h.broker.claim('B', 10).map((o) => o.id), [pending], 'the claim survived the restart through its lease');
      assert.equal(h.broker.report(claimed, { status: 'WORKING', owner: 'A' }).status, 200, 'its claimant confirms it after the restart');
      assert.equal(orderOf(h, claimed)?.status, 'accepted');
    } finally {
      h.close();
    }

    h = harness(file, clock, false);
    try {
      assert.deepEqual(h.reports.map((x) => x.kind), [], 'a second restart replays nothing');
      assert.equal(h.store.recentFills(10, 'bridge').length, 1);
      assert.equal(h.kernel.portfolio.position('ES')?.qty, 1);
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('an order stored but never queued (crash between the two writes) is reported rejected, not resent', () => {
    const dir = tempDir();
    const file = dir.file('t.db');
    const h1 = harness(file);
    const id = h1.place();
    h1.store.db.prepare(`DELETE FROM bridge_orders WHERE id = ?`).run(id);
    h1.close();
    const h2 = harness(file, h1.clock);
    try {
      assert.equal(orderOf(h2, id)?.status, 'rejected');
      assert.deepEqual(h2.broker.claim('A', 10), []);
    } finally {
      h2.close();
      dir.cleanup();
    }
  });
});

describe('bridge broker: availability, routing and ids', () => {
  it('refuses orders while the bridge is offline (no heartbeat, stale heartbeat, trading server down)', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'), new SimClock(T0), false);
    try {
      assert.equal(h.broker.isAvailable(), false);
      const a = h.place();
      assert.equal(orderOf(h, a)?.status, 'rejected');
      assert.match(orderOf(h, a)?.reason ?? '', /bridge offline/);
      h.broker.heartbeat({ tsConnected: true });
      assert.equal(h.broker.isAvailable(), true);
      h.clock.advance(60_001);
      assert.equal(h.broker.isAvailable(), false);
      h.broker.heartbeat({ tsConnected: false });
      assert.equal(h.broker.isAvailable(), false);
      h.broker.heartbeat({ tsConnected: true });
      const b = h.place();
      assert.equal(orderOf(h, b)?.status, 'pending_submit');
      const nq = h.place('buy', 1, 'NQ');
      assert.match(orderOf(h, nq)?.reason ?? '', /no bridge contract for NQ/);
      const limit = h.kernel.placeOrder('test', { accountId: 'bridge', botId: 't', symbol: 'ES', side: 'buy', type: 'limit', price: 5000, purpose: 'entry', qty: 1 });
      assert.equal(orderOf(h, limit.id)?.status, 'rejected');
      assert.match(orderOf(h, limit.id)?.reason ?? '', /market orders only/);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('two kernels sharing one store never collide on order, position or trade ids', () => {
    const dir = tempDir();
    const file = dir.file('t.db');
    const h = harness(file);
    const paper = new Kernel({
      clock: h.clock,
      store: h.store,
      broker: { name: 'null', submit: () => {}, cancel: () => {}, onReport: () => {}, reconcile: () => {}, isAvailable: () => true },
      instruments: registry(),
      account: { id: 'paper', currency: 'USD', startingBalance: 100_000, leverage: 10 },
      risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
      // Bridge and fill mechanics, not limits: sizes beyond the live limits.
      limits: OPEN_LIMITS,
      lastPrice: referencePrice,
    });
    try {
      const b = h.place();
      const p = paper.placeOrder('test', { accountId: 'paper', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1 });
      assert.match(p.id, /^O-\d{8}$/);
      assert.notEqual(p.id, b);
      assert.equal(h.store.getOrder(b)?.accountId, 'bridge');
      assert.equal(h.store.getOrder(p.id)?.accountId, 'paper');
      h.broker.claim('A', 1);
      h.broker.report(b, { owner: 'A', ...fill() });
      assert.match(h.kernel.portfolio.position('ES')?.id ?? '', /^bridge-P-/);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('the desk checks the bridge secret: disabled without one, 401 when wrong', () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const off = new BridgeDesk({ secret: '', bridge: { broker: h.broker, kernel: h.kernel }, allowTestOrders: false });
      assert.deepEqual(off.authorize('anything'), { ok: false, status: 403, error: 'Bridge routes are disabled: set BRIDGE_HEARTBEAT_SECRET (bridge.secret) to enable them' });
      const desk = new BridgeDesk({ secret: 's3cret-value', bridge: { broker: h.broker, kernel: h.kernel }, allowTestOrders: false });
      assert.equal(desk.authorize(undefined)?.ok, false);
      assert.equal((desk.authorize('s3cret-valuX') as { status: number }).status, 401);
      assert.equal(desk.authorize('s3cret-value'), null);
      const hb = desk.heartbeat({ secret: 's3cret-value', tsConnected: true, account: 'U1' });
      assert.ok(hb.ok);
      assert.equal(h.queue.lastHeartbeat('bridge')?.data.secret, undefined, 'the secret is not stored');
      assert.equal((desk.testOrder({ symbol: 'ES', side: 'BUY', qty: 1 }) as { status: number }).status, 403);
    } finally {
      h.close();
      dir.cleanup();
    }
  });
});

describe('bridge broker: one transaction per placement', () => {
  it('the order row and its queue row commit together; a failure after the order insert leaves neither', () => {
    const dir = tempDir();
    const file = dir.file('t.db');
    const h = harness(file);
    try {
      const ok = h.place();
      assert.equal(h.store.db.inTransaction, false);
      // A second connection sees both rows: they are committed.
      const other = new SqliteStore({ file });
      try {
        assert.ok(other.getOrder(ok));
        assert.equal(new SqliteBridgeQueue(other.db).get(ok)?.status, 'PENDING');
      } finally {
        other.close();
      }
      // The queue insert fails after the kernel's order row was written in the same transaction.
      const enqueue = h.queue.enqueue.bind(h.queue);
      h.queue.enqueue = () => {
        throw new Error('disk I/O error');
      };
      assert.throws(() => h.place(), /disk I\/O error/);
      h.queue.enqueue = enqueue;
      const orders = h.store.listOrders({ accountId: 'bridge', limit: 10 });
      assert.deepEqual(orders.map((o) => o.id), [ok], 'the failed order left no row');
      assert.deepEqual(h.queue.list({ accountId: 'bridge', limit: 10 }).map((o) => o.id), [ok]);
      assert.deepEqual(h.kernel.execution.openOrders().map((o) => o.id), [ok], 'nor an open order in memory');
    } finally {
      h.close();
      dir.cleanup();
    }
  });
});

describe('bridge broker: long polling', () => {
  const SECRET = 's3cret-value';
  const deskOf = (h: BridgeHarness) => new BridgeDesk({ secret: SECRET, bridge: { broker: h.broker, kernel: h.kernel }, allowTestOrders: false });
  const ordersOf = (r: Awaited<ReturnType<BridgeDesk['pendingWait']>>) => (r.ok ? (r.body.orders as { id: string; cancel: boolean }[]) : assert.fail(JSON.stringify(r)));

  it('answers as soon as an order is queued, and with nothing after wait_ms', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const desk = deskOf(h);
      const t0 = Date.now();
      const waiting = desk.pendingWait({ secret: SECRET, owner: 'A', wait_ms: '10000' });
      await new Promise((r) => setTimeout(r, 20));
      const id = h.place();
      assert.deepEqual(ordersOf(await waiting).map((o) => o.id), [id]);
      assert.ok(Date.now() - t0 < 2_000, 'woken by the order, not by the timeout');
      const idle = Date.now();
      assert.deepEqual(ordersOf(await desk.pendingWait({ secret: SECRET, owner: 'A', wait_ms: '50' })), []);
      assert.ok(Date.now() - idle >= 45);
      assert.equal((desk.pending({ secret: SECRET, wait_ms: '25001' }) as { status: number }).status, 400);
      assert.equal((await desk.pendingWait({ secret: 'wrong', wait_ms: '10' }) as { status: number }).status, 401);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('never hands out an order before its transaction committed; an aborted wait claims nothing', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const desk = deskOf(h);
      let settled = false;
      const waiting = desk.pendingWait({ secret: SECRET, owner: 'A', wait_ms: '10000' }).then((r) => {
        settled = true;
        return r;
      });
      h.store.db.exec('BEGIN IMMEDIATE');
      const id = h.place(); // joins the open transaction (a savepoint)
      for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
      assert.equal(settled, false, 'still waiting while the row is uncommitted');
      h.store.db.exec('COMMIT');
      assert.deepEqual(ordersOf(await waiting).map((o) => o.id), [id]);

      const gone = new AbortController();
      const aborted = desk.pendingWait({ secret: SECRET, owner: 'B', wait_ms: '10000' }, gone.signal);
      await new Promise((r) => setTimeout(r, 10));
      gone.abort();
      assert.deepEqual(ordersOf(await aborted), []);
      const later = h.place();
      assert.deepEqual(ordersOf(desk.pending({ secret: SECRET, owner: 'C' }) as never).map((o) => o.id), [later], 'the aborted poll claimed nothing');
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('a cancel request wakes the long poll of the bridge holding the order; close() releases waiting polls', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const desk = deskOf(h);
      const id = h.place();
      assert.equal(ordersOf(await desk.pendingWait({ secret: SECRET, owner: 'A', wait_ms: '10' })).length, 1);
      const waiting = desk.pendingWait({ secret: SECRET, owner: 'A', wait_ms: '10000' });
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(h.broker.cancel(id), 'requested');
      assert.deepEqual(ordersOf(await waiting).map((o) => [o.id, o.cancel]), [[id, true]]);
      const t0 = Date.now();
      const idle = desk.pendingWait({ secret: SECRET, owner: 'Z', wait_ms: '10000' });
      await new Promise((r) => setTimeout(r, 10));
      desk.close();
      assert.deepEqual(ordersOf(await idle), []);
      assert.ok(Date.now() - t0 < 2_000);
    } finally {
      h.close();
      dir.cleanup();
    }
  });
});

describe('bridge broker: claims made in the queuing transaction (push channel, long polls)', () => {
  /** Records, for each claim, whether it ran inside an open transaction (no commit of its own). */
  function watchClaims(h: BridgeHarness): boolean[] {
    const inTransaction: boolean[] = [];
    const claim = h.queue.claim.bind(h.queue);
    h.queue.claim = (...args) => {
      inTransaction.push(h.store.db.inTransaction);
      return claim(...args);
    };
    return inTransaction;
  }

  it('claims a new order for the waiting claimant inside the order transaction and hands it over once committed', async () => {
    const dir = tempDir();
    const file = dir.file('t.db');
    const h = harness(file);
    try {
      const claims = watchClaims(h);
      const waiting = h.broker.waitToClaim('A', 10, 10_000);
      const id = h.place();
      const orders = await waiting;
      assert.deepEqual(orders?.map((o) => [o.id, o.cancel]), [[id, false]]);
      assert.deepEqual(claims, [true], 'one claim, made inside the transaction that queued the order');
      // Durable before it was handed over: a second connection sees the lease.
      const other = new SqliteStore({ file });
      try {
        const row = new SqliteBridgeQueue(other.db).get(id);
        assert.equal(row?.status, 'CLAIMED');
        assert.equal(row?.leaseOwner, 'A');
        assert.equal(orders?.[0]?.lease_expires_at, new Date(T0 + LEASE_MS).toISOString());
      } finally {
        other.close();
      }
      // The next claimant gets nothing twice: the order is leased.
      assert.deepEqual(h.broker.claim('B', 10), []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('a claim whose transaction rolls back is never handed out: the claimant claims for itself', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const waiting = h.broker.waitToClaim('A', 10, 10_000);
      let id = '';
      assert.throws(() =>
        h.store.db.transaction(() => {
          id = h.place(); // queued and claimed for A in a savepoint of this transaction
          throw new Error('later write failed');
        })(),
      );
      assert.equal(await waiting, null, 'woken to claim itself');
      assert.equal(h.queue.get(id), null, 'the order and its claim were rolled back together');
      assert.deepEqual(h.broker.claim('A', 10), []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('a claim that fails inside the transaction leaves the order queued and the claimant to claim it', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const claim = h.queue.claim.bind(h.queue);
      h.queue.claim = () => {
        h.queue.claim = claim;
        throw new Error('database is locked');
      };
      const waiting = h.broker.waitToClaim('A', 10, 10_000);
      const id = h.place();
      assert.equal(h.queue.get(id)?.status, 'PENDING', 'the order committed without the claim');
      assert.equal(orderOf(h, id)?.status, 'pending_submit');
      assert.equal(await waiting, null);
      assert.deepEqual(h.broker.claim('A', 10).map((o) => o.id), [id]);
      assert.deepEqual(h.errors, []);
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('claims for the oldest waiting claimant only, never for a closing one, and the others are woken to claim', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const claims = watchClaims(h);
      const closing = h.broker.waitToClaim('gone', 10, 10_000, undefined, () => false);
      const first = h.broker.waitToClaim('A', 10, 10_000);
      const second = h.broker.waitToClaim('B', 10, 10_000);
      const id = h.place();
      assert.deepEqual((await first)?.map((o) => o.id), [id]);
      assert.equal(await second, null);
      assert.equal(await closing, null);
      assert.deepEqual(claims, [true], 'the closing claimant was skipped, B never needed a claim in the transaction');
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('an abandoned claim with a cancel request, cancelled by a claim made in a transaction, is reported to the kernel after the commit', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const abandoned = h.place();
      assert.deepEqual(h.broker.claim('A', 10).map((o) => o.id), [abandoned]);
      assert.equal(h.broker.cancel(abandoned), 'requested');
      h.clock.advance(LEASE_MS + 1); // A never confirmed it and went silent
      h.broker.heartbeat({ tsConnected: true });
      const waiting = h.broker.waitToClaim('B', 10, 10_000);
      const next = h.place();
      assert.equal(h.reports.filter((r) => r.kind === 'cancelled').length, 0, 'nothing reported inside the transaction');
      assert.deepEqual((await waiting)?.map((o) => o.id), [next]);
      assert.deepEqual(h.reports.filter((r) => r.kind === 'cancelled').map((r) => r.orderId), [abandoned]);
      assert.equal(orderOf(h, abandoned)?.status, 'cancelled');
    } finally {
      h.close();
      dir.cleanup();
    }
  });

  it('the push channel and the long poll take the claim made for them', async () => {
    const dir = tempDir();
    const h = harness(dir.file('t.db'));
    try {
      const claims = watchClaims(h);
      const desk = new BridgeDesk({ secret: 'k', bridge: { broker: h.broker, kernel: h.kernel }, allowTestOrders: false });
      const pushed: string[][] = [];
      const gone = new AbortController();
      let arrived: () => void = () => {};
      const stream = desk.stream({ owner: 'S', limit: 5 }, { push: (o) => (pushed.push(o.map((x) => x.id)), arrived()), open: () => true }, gone.signal);
      const a = h.place();
      await new Promise<void>((r) => (arrived = r));
      assert.deepEqual(pushed, [[a]]);
      gone.abort();
      await stream;
      const poll = desk.pendingWait({ secret: 'k', owner: 'P', wait_ms: '10000' });
      const b = h.place();
      const r = await poll;
      assert.deepEqual(r.ok ? (r.body.orders as { id: string }[]).map((o) => o.id) : r, [b]);
      // The stream's and the poll's first claims (nothing queued yet) ran alone; each order's claim in its transaction.
      assert.deepEqual(claims, [false, true, false, true]);
    } finally {
      h.close();
      dir.cleanup();
    }
  });
});
