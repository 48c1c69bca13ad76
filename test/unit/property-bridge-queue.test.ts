import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { BridgeBroker } from '../../src/adapters/broker-bridge.js';
import { SqliteBridgeQueue } from '../../src/adapters/store-sqlite/bridge-queue.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { SimClock } from '../../src/core/clock.js';
import type { Order, OrderRequest, OrderStatus } from '../../src/core/orders.js';
import { Kernel } from '../../src/engine/kernel.js';
import { registry, tempDir, OPEN_LIMITS, referencePrice } from './support.js';
import { propertyOptions } from './property-support.js';

const LEASE_MS = 30_000;
const T0 = Date.UTC(2026, 0, 5, 14, 30);
const OWNERS = ['A', 'B', 'C'] as const;
const dirs = tempDir('tw-prop-bridge-');
after(() => dirs.cleanup());
let files = 0;

/** The one place an order enters the kernel: Kernel.submit (as a test order), which throws on a refusal. */
function submit(kernel: Kernel, request: OrderRequest): Order {
  return kernel.placeOrder('test', request);
}

type Action =
  | { kind: 'claim'; owner: number; limit: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'report'; order: number; owner: number; status: 'WORKING' | 'PARTIAL' | 'FILLED' | 'REJECTED' | 'CANCELLED'; qty: number | null; ticks: number; fee: number }
  | { kind: 'cancel'; order: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), owner: fc.nat(2), limit: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(1_000, 20_000, LEASE_MS + 1, 2 * LEASE_MS) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      order: fc.nat(2),
      // -1: the bridge holding the order's claim (most reports); else any bridge.
      owner: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(2) }),
      status: fc.constantFrom('WORKING' as const, 'WORKING' as const, 'PARTIAL' as const, 'PARTIAL' as const, 'FILLED' as const, 'REJECTED' as const, 'CANCELLED' as const),
      // Cumulative quantity (null: a FILLED without qty means the whole order).
      qty: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
      // Around the last price (6000): within the fill price band.
      ticks: fc.integer({ min: -8, max: 8 }),
      fee: fc.integer({ min: 0, max: 10 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), order: fc.nat(2) }) },
);

const KERNEL_FOR: Record<string, readonly OrderStatus[]> = {
  PENDING: ['pending_submit', 'cancel_pending'],
  CLAIMED: ['pending_submit', 'cancel_pending'],
  WORKING: ['accepted', 'partially_filled', 'cancel_pending'],
  // FILLED short of the order: the bridge is done, the kernel cancels the remainder.
  FILLED: ['filled', 'cancelled'],
  // The kernel's table has no reject once accepted: a rejection after WORKING ends it cancelled.
  REJECTED: ['rejected', 'cancelled'],
  CANCELLED: ['cancelled'],
};

describe('property: the bridge queue under any interleaving of claims, lease expiries, reports and cancels (real SQLite file)', () => {
  it('no order is handed to two bridges or executed twice; the kernel\'s fills equal the queue\'s cumulative fill', () => {
    // How often the generated runs reach the interesting paths (checked below: the property is not vacuous).
    const seen = { partial: 0, filled: 0, handedOn: 0, conflicts: 0, cancelled: 0 };
    fc.assert(
      fc.property(fc.array(fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), qty: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }), fc.array(action, { minLength: 1, maxLength: 35 }), (specs, actions) => {
        const clock = new SimClock(T0);
        const store = new SqliteStore({ file: dirs.file(`bridge-${(files += 1)}.db`) });
        // A real file and the real transactions; only the fsync at each commit is skipped (durability
        // across a crash is the crash tests' subject, not this property's): minutes become seconds.
        store.db.pragma('synchronous = OFF');
        try {
          const queue = new SqliteBridgeQueue(store.db);
          const broker = new BridgeBroker({
            clock,
            queue,
            accountId: 'bridge',
            contracts: { ES: { contract: 'MESM6', exchange: 'CME' } },
            env: 'DEMO',
            leaseMs: LEASE_MS,
            heartbeatTimeoutMs: 10 * LEASE_MS,
            lastPrice: () => 6000,
          });
          broker.heartbeat({ tsConnected: true });
          const errors: string[] = [];
          const kernel = new Kernel({
            // Mechanics, not limits: sizes beyond the live limits, priced at the reference prices.
            limits: OPEN_LIMITS,
            lastPrice: referencePrice,
            clock,
            store,
            broker,
            instruments: registry(),
            account: { id: 'bridge', currency: 'USD', startingBalance: 5_000_000, leverage: 10 },
            risk: { riskPerTrade: 0.005, maxOpenPositions: 10, maxLeverage: 50 },
            idPrefix: 'bridge-',
            onError: (error, context) => errors.push(`${context}: ${(error as Error).message}`),
          });
          const orders = specs.map((s) => submit(kernel, { accountId: 'bridge', botId: 'prop', symbol: 'ES', side: s.side, type: 'market', purpose: 'entry', qty: s.qty }));
          /** Owners whose WORKING (the commit point: a bridge executes only after it) was acknowledged, per order. */
          const executors = new Map<string, Set<string>>(orders.map((o) => [o.id, new Set()]));

          for (const a of actions) {
            if (a.kind === 'advance') {
              clock.advance(a.ms);
              broker.heartbeat({ tsConnected: true });
            } else if (a.kind === 'cancel') {
              const o = orders[a.order % orders.length] as Order;
              try {
                kernel.execution.cancel(o.id, 'property');
              } catch (error) {
                if (kernel.execution.halted() === null) throw error;
              }
            } else if (a.kind === 'claim') {
              const owner = OWNERS[a.owner] as string;
              const before = new Map(orders.map((o) => [o.id, queue.get(o.id)]));
              const now = clock.now();
              for (const view of broker.claim(owner, a.limit)) {
                if (view.cancel) continue;
                const row = before.get(view.id);
                assert.ok(row, `claimed ${view.id} is queued`);
                // Handed out only when nobody holds it: pending, or claimed with an expired lease and never confirmed.
                assert.ok(row.status === 'PENDING' || (row.status === 'CLAIMED' && (row.leaseExpiresAt ?? 0) <= now), `${view.id} handed to ${owner} while ${row.status} (lease of ${String(row.leaseOwner)} to ${String(row.leaseExpiresAt)}, now ${now})`);
                assert.equal(row.cancelRequested, false, `${view.id} handed out with a cancel request`);
                for (const other of executors.get(view.id) ?? []) assert.equal(other, owner, `${view.id} handed to ${owner} after ${other} confirmed it`);
                if (row.status === 'CLAIMED' && row.leaseOwner !== owner) seen.handedOn++;
              }
            } else {
              const o = orders[a.order % orders.length] as Order;
              const owner = a.owner < 0 ? (queue.get(o.id)?.leaseOwner ?? 'A') : (OWNERS[a.owner] as string);
              const price = 6000 + a.ticks * 0.25;
              const input = { status: a.status, owner, symbol: 'MESM6', side: o.side === 'buy' ? 'BUY' : 'SELL', fill_price: price, fee: a.fee, ...(a.qty !== null ? { qty: a.qty } : {}) };
              const r = broker.report(o.id, a.status === 'WORKING' || a.status === 'REJECTED' || a.status === 'CANCELLED' ? { status: a.status, owner } : input);
              if (a.status === 'WORKING' && r.status === 200 && r.body.status === 'WORKING' && !r.body.ignored) executors.get(o.id)?.add(owner);
              if (r.status === 409) seen.conflicts++;
              if (r.status === 200 && !r.body.ignored && a.status === 'PARTIAL') seen.partial++;
              if (r.status === 200 && !r.body.ignored && a.status === 'FILLED') seen.filled++;
              if (r.status === 200 && !r.body.ignored && a.status === 'CANCELLED') seen.cancelled++;
            }

            for (const o of orders) {
              const q = queue.get(o.id);
              const k = store.getOrder(o.id) as Order;
              assert.ok(q, `${o.id} queued`);
              assert.ok((executors.get(o.id)?.size ?? 0) <= 1, `${o.id} confirmed by ${[...(executors.get(o.id) ?? [])].join(' and ')}`);
              // The kernel follows the queue: same cumulative quantity, average price and the matching state.
              const cum = q.fillQty ?? 0;
              assert.ok(cum <= q.qty + 1e-9, `${o.id}: queue filled ${cum} of ${q.qty}`);
              assert.ok(Math.abs(k.filledQty - cum) < 1e-9, `${o.id}: kernel filled ${k.filledQty}, queue ${cum} (${q.status}, kernel ${k.status})`);
              const fills = (store.db.prepare('SELECT data FROM fills WHERE order_id = ?').all(o.id) as { data: string }[]).map((r) => JSON.parse(r.data) as { qty: number; price: number; fee: number });
              const qty = fills.reduce((s, f) => s + f.qty, 0);
              assert.ok(Math.abs(qty - cum) < 1e-9, `${o.id}: Σ kernel fills ${qty} = queue ${cum}`);
              if (cum > 0) {
                const avg = fills.reduce((s, f) => s + f.qty * f.price, 0) / qty;
                assert.ok(Math.abs(avg - (q.fillPrice as number)) < 1e-6, `${o.id}: kernel average ${avg} = queue ${String(q.fillPrice)}`);
                assert.ok(Math.abs(fills.reduce((s, f) => s + f.fee, 0) - (q.fillFee ?? 0)) < 1e-6, `${o.id}: fees`);
              }
              assert.ok((KERNEL_FOR[q.status] ?? []).includes(k.status), `${o.id}: queue ${q.status} but kernel ${k.status}`);
              if (q.status === 'FILLED') assert.equal(k.status, Math.abs(cum - q.qty) < 1e-9 ? 'filled' : 'cancelled', `${o.id}: FILLED ${cum} of ${q.qty}`);
            }
          }
          assert.equal(kernel.execution.halted(), null, `the kernel never halted: ${errors.join('; ')}`);
        } finally {
          store.close();
        }
      }),
      propertyOptions({ numRuns: 100 }),
    );
    assert.ok(seen.partial >= 5 && seen.filled >= 5 && seen.handedOn >= 2 && seen.conflicts >= 10 && seen.cancelled >= 5, JSON.stringify(seen));
  });
});
