import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { SimClock } from '../../src/core/clock.js';
import { ORDER_TRANSITIONS, type Order, type OrderRequest, type OrderStatus } from '../../src/core/orders.js';
import { Kernel } from '../../src/engine/kernel.js';
import { registry, ScriptedBroker, OPEN_LIMITS, referencePrice } from './support.js';
import { propertyOptions } from './property-support.js';


/** The one place an order enters the kernel: Kernel.submit (as a test order), which throws on a refusal. */
function submit(kernel: Kernel, request: OrderRequest): Order {
  return kernel.placeOrder('test', request);
}

type Event =
  | { kind: 'accepted'; order: number }
  | { kind: 'rejected'; order: number }
  | { kind: 'cancelled'; order: number }
  | { kind: 'request_cancel'; order: number }
  | { kind: 'filled'; order: number; qty: number; tradeId: number; done: boolean; price: number };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('accepted' as const), order: fc.nat(3) }),
  fc.record({ kind: fc.constant('rejected' as const), order: fc.nat(3) }),
  fc.record({ kind: fc.constant('cancelled' as const), order: fc.nat(3) }),
  fc.record({ kind: fc.constant('request_cancel' as const), order: fc.nat(3) }),
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('filled' as const),
      order: fc.nat(3),
      qty: fc.integer({ min: 1, max: 7 }),
      // A small pool of trade ids: the same id again is a replayed report.
      tradeId: fc.nat(5),
      done: fc.boolean(),
      price: fc.integer({ min: 20_000, max: 24_000 }).map((t) => t / 4),
    }),
  },
);

const OPEN: ReadonlySet<OrderStatus> = new Set(['pending_submit', 'accepted', 'partially_filled', 'cancel_pending']);

describe('property: the order state machine under any broker report sequence', () => {
  it('every status change is a transition of the table, cumulative fills never exceed the order, memory = journal = sum of fills', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), qty: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 3 }), fc.array(event, { maxLength: 40 }), (specs, events) => {
        // In memory: the property is the kernel's; a file per run would make it fsync-bound (the
        // bridge queue property runs on a real file).
        const store = new SqliteStore({ file: ':memory:' });
        try {
          const broker = new ScriptedBroker();
          const clock = new SimClock(1_000);
          const errors: string[] = [];
          const kernel = new Kernel({
            // Mechanics, not limits: sizes beyond the live limits, priced at the reference prices.
            limits: OPEN_LIMITS,
            lastPrice: referencePrice,
            clock,
            store,
            broker,
            instruments: registry(),
            account: { id: 'p', currency: 'USD', startingBalance: 10_000_000, leverage: 10 },
            risk: { riskPerTrade: 0.005, maxOpenPositions: 10, maxLeverage: 50 },
            onError: (e, c) => errors.push(`${c}: ${(e as Error).message}`),
          });
          const orders = specs.map((s) => submit(kernel, { accountId: 'p', botId: 'prop', symbol: 'ES', side: s.side, type: 'market', purpose: 'entry', qty: s.qty }));
          const last = new Map<string, OrderStatus>(orders.map((o) => [o.id, store.getOrder(o.id)?.status as OrderStatus]));
          for (const e of events) {
            const o = orders[e.order % orders.length] as Order;
            clock.advance(10);
            const ts = clock.now();
            if (e.kind === 'accepted') broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: `B-${o.id}`, ts });
            else if (e.kind === 'rejected') broker.report({ kind: 'rejected', orderId: o.id, reason: 'venue says no', ts });
            else if (e.kind === 'cancelled') broker.report({ kind: 'cancelled', orderId: o.id, reason: 'venue cancelled', ts });
            else if (e.kind === 'request_cancel') {
              try {
                kernel.execution.cancel(o.id, 'property');
              } catch (error) {
                // A halted account refuses requests (an over-fill halts it): a refusal, not a transition.
                if (kernel.execution.halted() === null) throw error;
              }
            }
            else {
              broker.report({
                kind: 'filled',
                orderId: o.id,
                done: e.done,
                fill: { id: `${o.id}-T${e.tradeId}`, orderId: o.id, accountId: 'p', symbol: 'ES', side: o.side, qty: e.qty, price: e.price, fee: 1, ts },
              });
            }

            let net = 0;
            for (const placed of orders) {
              const stored = store.getOrder(placed.id) as Order;
              const before = last.get(placed.id) as OrderStatus;
              if (stored.status !== before) {
                assert.ok((Object.values(ORDER_TRANSITIONS[before]) as OrderStatus[]).includes(stored.status), `${placed.id}: ${before} -> ${stored.status} is not in the transition table (after ${JSON.stringify(e)})`);
              }
              last.set(placed.id, stored.status);
              const fills = (store.db.prepare('SELECT data FROM fills WHERE order_id = ?').all(placed.id) as { data: string }[]).map((r) => JSON.parse(r.data) as { qty: number; side: string });
              const filled = fills.reduce((s, f) => s + f.qty, 0);
              assert.ok(stored.filledQty <= stored.qty + 1e-9, `${placed.id}: filled ${stored.filledQty} of ${stored.qty}`);
              assert.ok(Math.abs(stored.filledQty - filled) < 1e-9, `${placed.id}: filledQty ${stored.filledQty} = Σ stored fills ${filled}`);
              if (stored.status === 'filled') assert.ok(Math.abs(stored.filledQty - stored.qty) < 1e-9, `${placed.id} filled with ${stored.filledQty} of ${stored.qty}`);
              if (stored.status === 'partially_filled') assert.ok(stored.filledQty > 0 && stored.filledQty < stored.qty);
              if (stored.status === 'pending_submit' || stored.status === 'accepted' || stored.status === 'rejected') assert.equal(stored.filledQty, 0, `${placed.id} ${stored.status} with fills`);
              net += stored.side === 'buy' ? filled : -filled;
            }
            // The kernel's memory is the journal, and the position is the net of the fills.
            const memory = new Map(kernel.execution.openOrders().map((x) => [x.id, x]));
            for (const placed of orders) {
              const stored = store.getOrder(placed.id) as Order;
              if (OPEN.has(stored.status)) assert.deepEqual(memory.get(placed.id), stored, `${placed.id}: memory = journal`);
              else assert.equal(memory.has(placed.id), false, `${placed.id} ${stored.status} is not open in memory`);
            }
            const pos = kernel.portfolio.position('ES');
            const held = pos ? (pos.side === 'long' ? pos.qty : -pos.qty) : 0;
            assert.ok(Math.abs(held - net) < 1e-9, `position ${held} = net fills ${net}`);
          }
          assert.deepEqual(errors.filter((x) => !/Invalid order transition|refused/.test(x)), [], 'only refusals: reports that fit no transition, fills past the order');
        } finally {
          store.close();
        }
      }),
      propertyOptions({ numRuns: 400 }),
    );
  });
});
