import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveStream } from '../../src/app/live-stream.js';
import { joinStreams } from '../../src/app/stream-fanout.js';
import type { RelayedEvent, StreamRelay } from '../../src/core/stream-relay.js';
import { loadConfig } from '../../src/cli/config.js';

/** A relay the test drives: it records what is published and delivers what the test hands it. */
class ScriptedRelay implements StreamRelay {
  readonly instanceId = 'me';
  readonly published: string[] = [];
  get sequence(): number {
    return this.published.length;
  }
  deliver: ((e: RelayedEvent) => void) | null = null;
  publish(json: string): void {
    this.published.push(json);
  }
  start(onEvent: (e: RelayedEvent) => void) {
    this.deliver = onEvent;
    return () => {
      this.deliver = null;
    };
  }
  async close(): Promise<void> {}
}

describe('stream fan-out between instances', () => {
  it("publishes the instance's own events and hands the others' to its clients, tagged, without publishing them again", () => {
    const stream = new LiveStream();
    const relay = new ScriptedRelay();
    const leave = joinStreams(stream, relay);
    const got: [Record<string, unknown>, boolean][] = [];
    stream.subscribe((json, _e, remote) => got.push([JSON.parse(json) as Record<string, unknown>, remote]));

    const local = { type: 'ACCOUNT_UPDATE', timestamp: '2026-01-05T14:30:00.000Z', data: { equity: 1 } };
    stream.emit(local);
    assert.deepEqual(relay.published.map((j) => JSON.parse(j) as unknown), [local]);

    const remote = { type: 'TRADE_EXECUTION', timestamp: '2026-01-05T14:30:01.000Z', data: { id: 'f1' } };
    relay.deliver?.({ json: JSON.stringify(remote), origin: 'other', id: '1-0' });
    relay.deliver?.({ json: 'not json', origin: 'other', id: '2-0' });
    relay.deliver?.({ json: '{"no":"type"}', origin: 'other', id: '3-0' });
    assert.deepEqual(got, [
      [local, false],
      [{ ...remote, origin: 'other', stream_id: '1-0' }, true],
    ]);
    assert.equal(relay.published.length, 1, 'a remote event is not published again');

    leave();
    assert.equal(relay.deliver, null);
    stream.emit(local);
    assert.equal(relay.published.length, 1, 'nothing published after leaving');
  });

  it('REDIS_URL, TRADEWIND_REDIS_PREFIX and TRADEWIND_INSTANCE_ID set redis.*; no Redis by default', () => {
    assert.equal(loadConfig({ env: {} }).redis.url, '');
    const c = loadConfig({ env: { REDIS_URL: 'redis://127.0.0.1:6379', TRADEWIND_REDIS_PREFIX: 'desk1:', TRADEWIND_INSTANCE_ID: 'api-1' } });
    assert.deepEqual(c.redis, { url: 'redis://127.0.0.1:6379', keyPrefix: 'desk1:', instanceId: 'api-1', streamMaxLen: 10_000 });
    assert.throws(() => loadConfig({ env: { TRADEWIND_INSTANCE_ID: 'has space' } }), /instanceId/);
  });
});
