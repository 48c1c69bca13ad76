import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandsFrom, InvalidTransitionError, nextState, type TransitionTable } from '../../src/core/fsm.js';
import {
  isOrderOpen,
  oppositeSide,
  ORDER_TRANSITIONS,
  orderTransition,
  TERMINAL_ORDER_STATUSES,
  type OrderEvent,
  type OrderStatus,
} from '../../src/core/orders.js';

const STATUSES: OrderStatus[] = ['pending_submit', 'accepted', 'cancel_pending', 'filled', 'cancelled', 'rejected'];
const EVENTS: OrderEvent[] = ['accept', 'fill', 'request_cancel', 'cancel', 'reject', 'late_fill'];

/**
 * The order lifecycle written out independently of the source table: what an order may do in
 * each state. A fill may race a cancel request (the fill wins); terminal states accept nothing
 * but a cancelled order's late fill (the venue filled it after all: its book is the truth).
 */
const EXPECTED: Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>> = {
  pending_submit: { accept: 'accepted', reject: 'rejected', fill: 'filled', cancel: 'cancelled' },
  accepted: { fill: 'filled', request_cancel: 'cancel_pending', cancel: 'cancelled' },
  cancel_pending: { cancel: 'cancelled', fill: 'filled' },
  filled: {},
  cancelled: { late_fill: 'filled' },
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
    const withoutExits = STATUSES.filter((s) => commandsFrom(ORDER_TRANSITIONS, s).filter((c) => c !== 'late_fill').length === 0);
    assert.deepEqual([...TERMINAL_ORDER_STATUSES].sort(), withoutExits.sort());
    assert.deepEqual(withoutExits.sort(), ['cancelled', 'filled', 'rejected']);
    assert.deepEqual(STATUSES.filter((s) => commandsFrom(ORDER_TRANSITIONS, s).includes('late_fill')), ['cancelled'], 'only a cancelled order takes a late fill');
  });

  it('isOrderOpen is false only for terminal statuses', () => {
    for (const status of STATUSES) {
      assert.equal(isOrderOpen({ status }), !['filled', 'cancelled', 'rejected'].includes(status), status);
    }
  });

  it('commandsFrom lists the events allowed in a state', () => {
    assert.deepEqual(commandsFrom(ORDER_TRANSITIONS, 'accepted').sort(), ['cancel', 'fill', 'request_cancel']);
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
