import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandsFrom, InvalidTransitionError, nextState, type TransitionTable } from '../../src/core/fsm.js';
import {
  isCancellable,
  isOrderOpen,
  remainingQty,
  oppositeSide,
  ORDER_TRANSITIONS,
  orderTransition,
  TERMINAL_ORDER_STATUSES,
  type OrderEvent,
  type OrderStatus,
} from '../../src/core/orders.js';

const STATUSES: OrderStatus[] = ['pending_submit', 'accepted', 'partially_filled', 'cancel_pending', 'filled', 'cancelled', 'rejected'];
const EVENTS: OrderEvent[] = ['accept', 'partial_fill', 'fill', 'request_cancel', 'cancel', 'reject', 'late_fill', 'late_partial_fill'];

/**
 * The order lifecycle written out independently of the source table: what an order may do in
 * each state. Partial fills keep an order working until the fill that completes it or a cancel
 * of the remainder; fills may race a cancel request (they are applied, the completing fill
 * wins); a broker's rejection comes only before acceptance; terminal states accept nothing but
 * a cancelled order's late fill (the venue filled it after all: its book is the truth).
 */
const EXPECTED: Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>> = {
  pending_submit: { accept: 'accepted', reject: 'rejected', partial_fill: 'partially_filled', fill: 'filled', cancel: 'cancelled' },
  accepted: { partial_fill: 'partially_filled', fill: 'filled', request_cancel: 'cancel_pending', cancel: 'cancelled' },
  partially_filled: { partial_fill: 'partially_filled', fill: 'filled', request_cancel: 'cancel_pending', cancel: 'cancelled' },
  cancel_pending: { partial_fill: 'cancel_pending', fill: 'filled', cancel: 'cancelled' },
  filled: {},
  cancelled: { late_fill: 'filled', late_partial_fill: 'cancelled' },
  rejected: {},
};

describe('order transition table (core/orders + core/fsm)', () => {
  it('covers exactly the known statuses', () => {
    assert.deepEqual(Object.keys(ORDER_TRANSITIONS).sort(), [...STATUSES].sort());
  });

  it('matches the specified lifecycle', () => {
    for (const s of STATUSES) assert.deepEqual({ ...ORDER_TRANSITIONS[s] }, EXPECTED[s], `transitions from ${s}`);
  });

  describe('every (status, event) pair', () => {
    for (const from of STATUSES) {
      for (const event of EVENTS) {
        const to = EXPECTED[from][event];
        if (to !== undefined) {
          it(`${from} --${event}--> ${to}`, () => {
            assert.equal(orderTransition(from, event), to);
            assert.deepEqual(nextState(ORDER_TRANSITIONS, from, event), { ok: true, from, to });
          });
        } else {
          it(`${from} --${event}--> InvalidTransitionError`, () => {
            assert.throws(
              () => orderTransition(from, event),
              (e: unknown) => {
                assert.ok(e instanceof InvalidTransitionError, `expected InvalidTransitionError, got ${String(e)}`);
                assert.equal(e.from, from);
                assert.equal(e.command, event);
                assert.equal(e.name, 'InvalidTransitionError');
                assert.equal(e.message, `Invalid order transition: cannot ${event} when ${from}`);
                return true;
              },
            );
            const r = nextState(ORDER_TRANSITIONS, from, event);
            assert.equal(r.ok, false);
          });
        }
      }
    }
  });

  it('terminal statuses are exactly those without outgoing transitions but a late fill', () => {
    const withoutExits = STATUSES.filter((s) => commandsFrom(ORDER_TRANSITIONS, s).filter((c) => c !== 'late_fill' && c !== 'late_partial_fill').length === 0);
    assert.deepEqual([...TERMINAL_ORDER_STATUSES].sort(), withoutExits.sort());
    assert.deepEqual(withoutExits.sort(), ['cancelled', 'filled', 'rejected']);
    assert.deepEqual(STATUSES.filter((s) => commandsFrom(ORDER_TRANSITIONS, s).includes('late_fill')), ['cancelled'], 'only a cancelled order takes a late fill');
  });

  it('isOrderOpen is false only for terminal statuses', () => {
    for (const status of STATUSES) {
      assert.equal(isOrderOpen({ status }), !['filled', 'cancelled', 'rejected'].includes(status), status);
    }
  });

  it('a partially filled order reaches filled through more partial fills, or cancelled (the remainder)', () => {
    let s: OrderStatus = 'pending_submit';
    for (const e of ['accept', 'partial_fill', 'partial_fill', 'fill'] as const) s = orderTransition(s, e);
    assert.equal(s, 'filled');
    s = 'partially_filled';
    for (const e of ['request_cancel', 'partial_fill', 'cancel'] as const) s = orderTransition(s, e);
    assert.equal(s, 'cancelled');
    assert.equal(isOrderOpen({ status: 'partially_filled' }), true);
    assert.equal(isCancellable({ status: 'partially_filled' }), true);
    assert.equal(isCancellable({ status: 'cancel_pending' }), false);
    assert.equal(isCancellable({ status: 'pending_submit' }), false);
    assert.equal(remainingQty({ qty: 3, filledQty: 1 }), 2);
    assert.equal(remainingQty({ qty: 3, filledQty: 4 }), 0);
  });

  it('commandsFrom lists the events allowed in a state', () => {
    assert.deepEqual(commandsFrom(ORDER_TRANSITIONS, 'accepted').sort(), ['cancel', 'fill', 'partial_fill', 'request_cancel']);
    assert.deepEqual(commandsFrom(ORDER_TRANSITIONS, 'filled'), []);
  });

  it('nextState works on any table and explains a refusal', () => {
    type S = 'idle' | 'running';
    type C = 'start' | 'stop';
    const table: TransitionTable<S, C> = { idle: { start: 'running' }, running: { stop: 'idle' } };
    assert.deepEqual(nextState(table, 'idle', 'start'), { ok: true, from: 'idle', to: 'running' });
    assert.deepEqual(nextState(table, 'idle', 'stop'), { ok: false, from: 'idle', reason: 'cannot stop when idle' });
  });

  it('oppositeSide swaps buy and sell', () => {
    assert.equal(oppositeSide('buy'), 'sell');
    assert.equal(oppositeSide('sell'), 'buy');
  });
});
