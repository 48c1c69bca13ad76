import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimClock } from '../../src/core/clock.js';
import { LIFECYCLE, SYSTEM_COMMANDS, TRADING_STATES, type SystemCommand, type TradingState } from '../../src/core/lifecycle.js';
import { LifecycleMachine } from '../../src/engine/lifecycle-machine.js';

/**
 * The expected answer to every (state, command) pair, written from seed 001's semantics:
 * IDLE starts; running states pause, stop or emergency-stop; PAUSED resumes; EMERGENCY only
 * stops or resets; STOPPED resets or starts again. '=' is an idempotent success (no change),
 * '-' an invalid transition (400).
 */
const EXPECTED: Record<TradingState, Record<SystemCommand, string>> = {
  //               START           STOP       PAUSE     RESUME      EMERGENCY_STOP RELOAD
  IDLE:           { START: 'INITIALIZING', STOP: '=', PAUSE: '-', RESUME: '-', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '=' },
  INITIALIZING:   { START: '-', STOP: 'STOPPED', PAUSE: 'PAUSED', RESUME: '-', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  SCANNING:       { START: '-', STOP: 'STOPPED', PAUSE: 'PAUSED', RESUME: '=', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  LEVEL_BUILDING: { START: '-', STOP: 'STOPPED', PAUSE: 'PAUSED', RESUME: '=', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  SIGNAL_WAIT:    { START: '-', STOP: 'STOPPED', PAUSE: 'PAUSED', RESUME: '=', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  SIZING:         { START: '-', STOP: 'STOPPED', PAUSE: 'PAUSED', RESUME: '=', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  EXECUTION:      { START: '-', STOP: 'STOPPED', PAUSE: 'PAUSED', RESUME: '=', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  MANAGING:       { START: '-', STOP: 'STOPPED', PAUSE: 'PAUSED', RESUME: '=', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  PAUSED:         { START: '-', STOP: 'STOPPED', PAUSE: '=', RESUME: 'SCANNING', EMERGENCY_STOP: 'EMERGENCY', RELOAD: '-' },
  ERROR:          { START: 'INITIALIZING', STOP: 'STOPPED', PAUSE: '-', RESUME: '-', EMERGENCY_STOP: 'EMERGENCY', RELOAD: 'IDLE' },
  EMERGENCY:      { START: '-', STOP: 'STOPPED', PAUSE: '-', RESUME: '-', EMERGENCY_STOP: '=', RELOAD: 'IDLE' },
  STOPPED:        { START: 'INITIALIZING', STOP: '=', PAUSE: '-', RESUME: '-', EMERGENCY_STOP: 'EMERGENCY', RELOAD: 'IDLE' },
};

/** Puts a machine into `state` through valid moves only. */
function machineIn(state: TradingState): LifecycleMachine {
  const m = new LifecycleMachine(new SimClock(1_000));
  const path: Record<TradingState, string[]> = {
    IDLE: [],
    INITIALIZING: ['START'],
    SCANNING: ['START', 'INITIALIZED'],
    LEVEL_BUILDING: ['START', 'INITIALIZED', 'PHASE_LEVEL_BUILDING'],
    SIGNAL_WAIT: ['START', 'INITIALIZED', 'PHASE_SIGNAL_WAIT'],
    SIZING: ['START', 'INITIALIZED', 'PHASE_SIZING'],
    EXECUTION: ['START', 'INITIALIZED', 'PHASE_EXECUTION'],
    MANAGING: ['START', 'INITIALIZED', 'PHASE_MANAGING'],
    PAUSED: ['START', 'INITIALIZED', 'PAUSE'],
    ERROR: ['START', 'FAIL'],
    EMERGENCY: ['EMERGENCY_STOP'],
    STOPPED: ['START', 'INITIALIZED', 'STOP'],
  };
  for (const e of path[state]) assert.ok(m.fire(e as never, 'setup').ok, `setup ${e}`);
  assert.equal(m.state, state);
  return m;
}

describe('lifecycle transition table (seed 001), every state and command', () => {
  it('has all 12 states and 6 commands', () => {
    assert.equal(TRADING_STATES.length, 12);
    assert.deepEqual([...SYSTEM_COMMANDS], ['START', 'STOP', 'PAUSE', 'RESUME', 'EMERGENCY_STOP', 'RELOAD']);
    assert.deepEqual(Object.keys(LIFECYCLE).sort(), [...TRADING_STATES].sort());
  });

  for (const state of TRADING_STATES) {
    for (const command of SYSTEM_COMMANDS) {
      const expected = EXPECTED[state][command];
      it(`${state} + ${command} -> ${expected === '=' ? 'idempotent' : expected === '-' ? 'invalid' : expected}`, () => {
        const m = machineIn(state);
        const before = m.history().length;
        const r = m.fire(command, 'test', { by: 'test' });
        if (expected === '-') {
          assert.equal(r.ok, false);
          assert.match(!r.ok ? r.reason : '', new RegExp(`cannot ${command} when ${state}`));
          assert.equal(m.state, state);
          assert.equal(m.history().length, before, 'no history for a refused command');
        } else if (expected === '=') {
          assert.ok(r.ok && !r.changed);
          assert.equal(m.state, state);
          assert.equal(m.history().length, before, 'idempotent: no side effects');
        } else {
          assert.ok(r.ok && r.changed);
          assert.equal(m.state, expected);
          const last = m.history().at(-1);
          assert.deepEqual(last, { from: state, to: expected, event: command, reason: 'test', timestamp: 1_000, metadata: { by: 'test' } });
          assert.equal(m.previousState, state);
        }
        // Available commands list exactly the commands that change the state.
        const changing = SYSTEM_COMMANDS.filter((c) => !['-', '='].includes(EXPECTED[state][c]));
        assert.deepEqual(machineIn(state).availableCommands().sort(), [...changing].sort());
      });
    }
  }

  it('working phases move freely among themselves while running, never from IDLE or PAUSED', () => {
    const m = machineIn('SCANNING');
    for (const p of ['LEVEL_BUILDING', 'SIGNAL_WAIT', 'SIZING', 'EXECUTION', 'MANAGING', 'SCANNING'] as const) {
      assert.ok(m.fire(`PHASE_${p}`, 'phase').ok);
      assert.equal(m.state, p);
    }
    assert.equal(machineIn('IDLE').fire('PHASE_SCANNING', 'x').ok, false);
    assert.equal(machineIn('PAUSED').fire('PHASE_MANAGING', 'x').ok, false);
    assert.equal(machineIn('EMERGENCY').fire('PHASE_SCANNING', 'x').ok, false);
  });

  it('reports every change to its listener and bounds the history', () => {
    const seen: string[] = [];
    const m = new LifecycleMachine(new SimClock(0), (t) => seen.push(`${t.from}>${t.to}`), 3);
    m.fire('START', 'a');
    m.fire('INITIALIZED', 'b');
    m.fire('PAUSE', 'c');
    m.fire('RESUME', 'd');
    assert.deepEqual(seen, ['IDLE>INITIALIZING', 'INITIALIZING>SCANNING', 'SCANNING>PAUSED', 'PAUSED>SCANNING']);
    assert.equal(m.history().length, 3);
    assert.equal(m.history()[0]?.reason, 'b');
  });
});
