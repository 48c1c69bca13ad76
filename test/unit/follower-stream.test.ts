import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { FollowerStream, type LeaderStreamSnapshot } from '../../src/api/follower-stream.js';
import type { RelayedEvent, StreamRelay } from '../../src/core/stream-relay.js';

/** A relay the test drives: it delivers what the test hands it. */
class ScriptedRelay implements StreamRelay {
  readonly instanceId = 'follower';
  readonly sequence = 0;
  private deliver: ((e: RelayedEvent) => void) | null = null;
  private n = 0;
  publish(): void {}
  start(onEvent: (e: RelayedEvent) => void) {
    this.deliver = onEvent;
    return () => {
      this.deliver = null;
    };
  }
  async close(): Promise<void> {}
  /** The leader `origin` published event number `seq`. */
  event(origin: string, seq: number, type = 'ORDER_PLACED'): void {
    this.n += 1;
    this.deliver?.({ json: JSON.stringify({ type, timestamp: 't', data: { n: seq } }), origin, id: `${this.n}-0`, seq });
  }
}

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: { code: number; reason: string } | null = null;
  send(data: string, cb?: (err?: Error) => void): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
    cb?.();
  }
  ping(): void {}
  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
    if (this.readyState !== 1) return;
    this.readyState = 2;
    this.emit('close');
  }
  terminate(): void {
    this.readyState = 3;
  }
  /** The seq of every event sent after the snapshot. */
  seqs(): number[] {
    return this.sent.slice(1).map((m) => Number(m.seq));
  }
}

const snapshotAt = (seq: number, token = 7, origin = 'leader'): LeaderStreamSnapshot => ({ origin, token, seq, snapshot: { type: 'STATE_SNAPSHOT', timestamp: 't', data: { at: seq } } });

function setup() {
  const relay = new ScriptedRelay();
  const stream = new FollowerStream({ relay, ws: { maxBufferedBytes: 1_000_000, pingIntervalMs: 60_000, maxMessagesPerSecond: 100 }, log: pino({ level: 'silent' }) });
  return { relay, stream };
}

/** A snapshot the test answers when it wants (the fetch from the leader in flight meanwhile). */
function pendingSnapshot() {
  let answer!: (s: LeaderStreamSnapshot) => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<LeaderStreamSnapshot>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  return { fetch: () => promise, answer, fail };
}

describe("FollowerStream: the leader's events after its snapshot", () => {
  it('sends the snapshot, then the events after its position, in order, once each, including those relayed while it was fetched', async () => {
    const { relay, stream } = setup();
    const socket = new FakeSocket();
    const snap = pendingSnapshot();
    const added = stream.add(socket as unknown as WebSocket, null, snap.fetch);
    // Relayed while the snapshot was fetched: 4 and 5 are in it, 6 and 7 came after it.
    for (const seq of [4, 5, 6, 7]) relay.event('leader', seq);
    assert.equal(socket.sent.length, 0, 'nothing before the snapshot');
    snap.answer(snapshotAt(5));
    await added;
    assert.equal(socket.sent[0]?.type, 'STATE_SNAPSHOT');
    assert.deepEqual([socket.sent[0]?.origin, socket.sent[0]?.seq, socket.sent[0]?.data], ['leader', 5, { at: 5 }]);
    assert.deepEqual(socket.seqs(), [6, 7]);
    // The relay lagging behind the snapshot: an event it already holds is not sent again.
    relay.event('leader', 7);
    relay.event('leader', 8);
    relay.event('leader', 9);
    assert.deepEqual(socket.seqs(), [6, 7, 8, 9]);
    assert.deepEqual(socket.sent.slice(1).map((m) => [m.origin, m.stream_id !== undefined, (m.data as { n: number }).n]), [6, 7, 8, 9].map((n) => ['leader', true, n]));
    assert.equal(socket.closedWith, null);
    stream.close(1001, 'bye');
  });

  it("skips another instance's events; the type filter does not hide a gap", async () => {
    const { relay, stream } = setup();
    const socket = new FakeSocket();
    await stream.add(socket as unknown as WebSocket, new Set(['ORDER_FILLED']), async () => snapshotAt(10));
    assert.equal(socket.sent.length, 0, 'STATE_SNAPSHOT not asked for');
    relay.event('old-leader', 11, 'ORDER_FILLED');
    relay.event('leader', 11, 'HEARTBEAT');
    relay.event('leader', 12, 'ORDER_FILLED');
    assert.deepEqual(socket.sent.map((m) => [m.origin, m.seq]), [['leader', 12]]);
    relay.event('leader', 14, 'HEARTBEAT');
    assert.equal(socket.closedWith?.code, 1013, 'event 13 was lost: reconnect for a snapshot that has it');
    assert.match(socket.closedWith?.reason ?? '', /13 to 13 were lost/);
    relay.event('leader', 15, 'ORDER_FILLED');
    assert.equal(socket.sent.length, 1, 'nothing after the close');
    stream.close(1001, 'bye');
  });

  it('no snapshot: 1013 with the reason; a new leader: 1012; closing: every client, pending ones too', async () => {
    const { relay, stream } = setup();
    const refused = new FakeSocket();
    await stream.add(refused as unknown as WebSocket, null, async () => {
      throw new Error('the leader answered 503');
    });
    assert.deepEqual(refused.closedWith, { code: 1013, reason: 'no snapshot from the leader: the leader answered 503' });

    const fromOld = new FakeSocket();
    const fromNew = new FakeSocket();
    await stream.add(fromOld as unknown as WebSocket, null, async () => snapshotAt(3, 7));
    await stream.add(fromNew as unknown as WebSocket, null, async () => snapshotAt(0, 8, 'leader-2'));
    stream.leaderIs(8);
    assert.equal(fromOld.closedWith?.code, 1012);
    assert.equal(fromNew.closedWith, null, 'served by the current leader: kept');
    relay.event('leader-2', 1);
    assert.deepEqual(fromNew.seqs(), [1]);

    const waiting = new FakeSocket();
    const snap = pendingSnapshot();
    const added = stream.add(waiting as unknown as WebSocket, null, snap.fetch);
    assert.equal(stream.size, 2);
    stream.close(1012, 'this instance is becoming the leader: reconnect');
    assert.deepEqual([(fromNew.closedWith as { code: number } | null)?.code, waiting.closedWith?.code], [1012, 1012]);
    snap.answer(snapshotAt(1, 8, 'leader-2'));
    await added;
    assert.equal(waiting.sent.length, 0, 'a snapshot that comes after the close is not sent');
  });
});
