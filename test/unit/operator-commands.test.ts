import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperatorCommands } from '../../src/app/operator-commands.js';
import { SimClock } from '../../src/core/clock.js';
import type { OperatorConsole } from '../../src/core/notifier.js';

function setup() {
  const calls: string[] = [];
  const console: OperatorConsole = {
    status: () => 'status text',
    positions: () => 'positions text',
    pause: () => {
      calls.push('pause');
      return 'paused';
    },
    emergencyStop: (reason) => {
      calls.push(`stop: ${reason}`);
      return 'stopped';
    },
  };
  const clock = new SimClock(1_000_000);
  return { calls, clock, commands: new OperatorCommands(console, clock, 60_000) };
}

describe('operator chat commands', () => {
  it('answers /status and /positions, /pause pauses, bot-addressed commands work', () => {
    const { commands, calls } = setup();
    assert.equal(commands.handle('1', '/status', 'u'), 'status text');
    assert.equal(commands.handle('1', '/positions@tradewind_bot', 'u'), 'positions text');
    assert.equal(commands.handle('1', '/pause', 'u'), 'paused');
    assert.deepEqual(calls, ['pause']);
    assert.match(commands.handle('1', '/nope', 'u'), /Unknown command \/nope/);
  });

  it('/emergency_stop needs /confirm from the same chat within the timeout', () => {
    const { commands, calls, clock } = setup();
    assert.match(commands.handle('1', '/emergency_stop', '@op'), /Send \/confirm within 60 s/);
    assert.deepEqual(calls, [], 'not executed on the request');
    assert.match(commands.handle('2', '/confirm', '@other'), /Nothing to confirm/, 'another chat cannot confirm');
    clock.advance(59_000);
    assert.equal(commands.handle('1', '/confirm', '@op'), 'stopped');
    assert.deepEqual(calls, ['stop: emergency stop from Telegram (@op)']);
    assert.match(commands.handle('1', '/confirm', '@op'), /Nothing to confirm/, 'a confirmation is used once');
  });

  it('a late /confirm, /cancel or any other command drops the request', () => {
    const { commands, calls, clock } = setup();
    commands.handle('1', '/emergency_stop', 'u');
    clock.advance(60_001);
    assert.match(commands.handle('1', '/confirm', 'u'), /expired/);
    commands.handle('1', '/emergency_stop', 'u');
    assert.equal(commands.handle('1', '/cancel', 'u'), 'Emergency stop dropped.');
    assert.match(commands.handle('1', '/confirm', 'u'), /Nothing to confirm/);
    commands.handle('1', '/emergency_stop', 'u');
    commands.handle('1', '/status', 'u');
    assert.match(commands.handle('1', '/confirm', 'u'), /Nothing to confirm/);
    assert.deepEqual(calls, []);
  });
});
