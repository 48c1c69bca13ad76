import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { TradingFacade } from '../../src/app/facade.js';
import { LiveStream } from '../../src/app/live-stream.js';
import { StreamProjector } from '../../src/app/stream-projector.js';
import { MAX_EVENTS, MAX_RECENT_TRADES, StreamState, type Envelope } from '../../src/app/stream-state.js';
import { parseTypes, SEED000_TYPES, WsHub } from '../../src/api/ws-hub.js';
import type { Cancel, Scheduler } from '../../src/core/ports.js';
import { buildHarness, tempDir } from './support.js';

const trade = (i: number) => ({
  type: 'TRADE_EXECUTION' as const,
  symbol: 'ES',
  direction: 'BUY',
  price: 6000 + i,
  lot: 1,
  timestamp: new Date(i * 1000).toISOString(),
  order_id: `O-${i}`,
  fill_id: `O-${i}-F1`,
  fee: 2.25,
  purpose: 'entry' as const,
  bot_id: 'b',
});

describe('StreamState (seed 000 _update_state)', () => {
  it('keeps the last 50 trades and the last 200 logged events', () => {
    const s = new StreamState();
    for (let i = 0; i < 260; i += 1) s.apply(trade(i), i * 1000, true);
    const snap = s.snapshot();
    assert.equal(snap.recent_trades.length, MAX_RECENT_TRADES);
    assert.equal(snap.recent_trades[0]?.price, 6000 + 210);
    assert.equal(snap.recent_trades.at(-1)?.price, 6000 + 259);
    assert.equal(snap.events.length, MAX_EVENTS);
    assert.equal((snap.events[0] as { price: number }).price, 6000 + 60);
  });

  it('merges account updates, replaces positions, stores the scan; unlogged refreshes stay out of the log', () => {
    const s = new StreamState();
    const account = { balance: 1, equity: 2, profit: 1, currency: 'USD', leverage: 10, day_pl: 0 } as never;
    s.apply({ type: 'ACCOUNT_UPDATE', account }, 1000, false);
    s.apply({ type: 'SCAN_SUMMARY', symbols: { ES: 'ok' }, timestamp: 'x', count: 1 }, 2000, true);
    assert.equal(s.snapshot().account?.equity, 2);
    assert.deepEqual(s.snapshot().scan_summary, { symbols: { ES: 'ok' }, timestamp: 'x', count: 1 });
    assert.deepEqual(s.snapshot().events.map((e) => e.type), ['SCAN_SUMMARY']);
  });

  it('wraps events in the envelope: type, timestamp, top-level fields and data', () => {
    const s = new StreamState();
    const env: Envelope = s.apply(trade(1), 5000, true);
    assert.equal(env.type, 'TRADE_EXECUTION');
    assert.equal(env.timestamp, new Date(5000).toISOString());
    assert.equal(env.symbol, 'ES');
    assert.deepEqual((env.data as { price: number }).price, 6001);
  });

  it('serialises /api/state once per change', () => {
    const s = new StreamState();
    const a = s.json();
    assert.equal(s.json(), a, 'same string while nothing changed');
    s.apply(trade(1), 1, true);
    const b = s.json();
    assert.notEqual(b, a);
    assert.equal((JSON.parse(b) as { recent_trades: unknown[] }).recent_trades.length, 1);
  });
});

class ManualScheduler implements Scheduler {
  readonly tasks: (() => void)[] = [];
  every(_ms: number, fn: () => void): Cancel {
    this.tasks.push(fn);
    return () => {};
  }
  after(_ms: number, fn: () => void): Cancel {
    this.tasks.push(fn);
    return () => {};
  }
  runAll(): void {
    for (const t of this.tasks) t();
  }
}

describe('StreamProjector and facade over a real kernel', () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  it('sends fills at once, coalesces mark-to-market, logs to the store, and falls back to the last state when the broker is down', () => {
    const h = buildHarness({ file: dir.file('p.db') });
    const state = new StreamState();
    const stream = new LiveStream();
    const scheduler = new ManualScheduler();
    const seen: Envelope[] = [];
    stream.subscribe((_json, env) => seen.push(env));
    const projector = new StreamProjector({ kernel: h.kernel, state, stream, store: h.store, clock: h.clock, scheduler, mode: 'paper', refreshMs: 1000 });
    projector.start();
    const facade = new TradingFacade({ kernel: h.kernel, state, stream, store: h.store, clock: h.clock, version: 't', mode: 'paper', startedAt: 0 });

    h.tick('ES', 6000, 1000);
    // 1 ES at 6000 is 300 000, 3x the equity (the risk engine's gross limit is 5x).
    h.kernel.placeOrder('test', { accountId: 'paper', botId: 'b', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1 });
    h.tick('ES', 6001, 2000); // fills at 6001 + 1 tick slippage
    const types = seen.map((e) => e.type);
    assert.ok(types.includes('TRADE_EXECUTION'));
    assert.ok(types.includes('POSITION_UPDATE'));
    assert.ok(types.includes('ACCOUNT_UPDATE'));
    const before = seen.length;
    for (let i = 0; i < 20; i += 1) h.tick('ES', 6002 + i * 0.25, 3000 + i);
    assert.equal(seen.length, before, 'marks are not sent per tick');
    scheduler.runAll();
    const refreshed = seen.slice(before).map((e) => e.type).sort();
    assert.deepEqual(refreshed, ['ACCOUNT_UPDATE', 'POSITION_UPDATE'], 'one coalesced refresh');
    assert.deepEqual(
      h.store.recentEvents(10).map((e) => e.type),
      state.snapshot().events.map((e) => e.type),
      'logged events are in the store',
    );

    const live = facade.positions() ?? [];
    assert.equal(live[0]?.price_current, 6006.75);
    h.broker.setAvailable(false);
    h.tick('ES', 6100, 5000);
    assert.equal(facade.positions()?.[0]?.price_current, 6006.75, 'last known state while the broker is unavailable');
    assert.equal(facade.health().broker_available, false);
    h.broker.setAvailable(true);
    assert.equal(facade.positions()?.[0]?.price_current, 6100);
    projector.stop();
    h.store.close();
  });
});

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  terminated = false;
  pings = 0;
  send(data: string, cb?: (err?: Error) => void): void {
    this.sent.push(data);
    cb?.();
  }
  ping(): void {
    this.pings += 1;
  }
  closedWith: number | null = null;
  close(code: number): void {
    this.closedWith = code;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

describe('WsHub', () => {
  const facade = (stream: LiveStream) => ({ subscribe: stream.subscribe.bind(stream), snapshotJson: () => '{"type":"STATE_SNAPSHOT"}' }) as unknown as TradingFacade;
  const log = pino({ level: 'silent' });

  it('sends the snapshot first, skips a backed-up client and drops it past ten times the limit', () => {
    const stream = new LiveStream();
    const hub = new WsHub(facade(stream), { maxBufferedBytes: 100, pingIntervalMs: 60_000, maxMessagesPerSecond: 20 }, log);
    const fast = new FakeSocket();
    const slow = new FakeSocket();
    hub.add(fast as unknown as WebSocket);
    hub.add(slow as unknown as WebSocket);
    assert.equal(JSON.parse(fast.sent[0] as string).type, 'STATE_SNAPSHOT');
    slow.bufferedAmount = 500;
    stream.emit({ type: 'ACCOUNT_UPDATE', timestamp: 't', data: {} });
    assert.equal(fast.sent.length, 2);
    assert.equal(slow.sent.length, 1, 'slow client skipped');
    assert.equal(hub.skippedMessages, 1);
    slow.bufferedAmount = 5_000;
    stream.emit({ type: 'ACCOUNT_UPDATE', timestamp: 't', data: {} });
    assert.ok(slow.terminated, 'hopelessly slow client dropped');
    assert.equal(hub.size, 1);
    assert.equal(fast.sent.length, 3);
    hub.close();
  });

  it('removes dead connections: closed sockets and clients that miss a pong', async () => {
    const stream = new LiveStream();
    const hub = new WsHub(facade(stream), { maxBufferedBytes: 1000, pingIntervalMs: 20, maxMessagesPerSecond: 20 }, log);
    const alive = new FakeSocket();
    const silent = new FakeSocket();
    const closed = new FakeSocket();
    alive.ping = () => {
      alive.pings += 1;
      setImmediate(() => alive.emit('pong'));
    };
    for (const s of [alive, silent, closed]) hub.add(s as unknown as WebSocket);
    closed.readyState = 3;
    stream.emit({ type: 'X', timestamp: 't', data: {} });
    assert.equal(hub.size, 2, 'closed socket removed on broadcast');
    // Two ping rounds at least: wait for the outcome, not for a fixed time (a busy machine delays timers).
    for (const deadline = Date.now() + 10_000; !silent.terminated && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    assert.ok(silent.terminated, 'no pong: terminated');
    assert.ok(!alive.terminated);
    assert.equal(hub.size, 1);
    hub.close();
  });
});

describe('WsHub: bounded input and event filters', () => {
  const facade = (stream: LiveStream) => ({ subscribe: stream.subscribe.bind(stream), snapshotJson: () => '{"type":"STATE_SNAPSHOT"}' }) as unknown as TradingFacade;
  const log = pino({ level: 'silent' });

  it('ping replies respect the buffer limit like broadcasts; past ten times it the client is dropped', () => {
    const hub = new WsHub(facade(new LiveStream()), { maxBufferedBytes: 100, pingIntervalMs: 60_000, maxMessagesPerSecond: 1_000 }, log);
    const s = new FakeSocket();
    hub.add(s as unknown as WebSocket);
    s.emit('message', Buffer.from('{"type":"ping"}'));
    assert.equal(s.sent.length, 2, 'snapshot + pong');
    s.bufferedAmount = 500;
    for (let i = 0; i < 50; i += 1) s.emit('message', Buffer.from('{"type":"ping"}'));
    assert.equal(s.sent.length, 2, 'no reply queued while the client does not read');
    assert.equal(hub.skippedMessages, 50);
    s.bufferedAmount = 5_000;
    s.emit('message', Buffer.from('{"type":"ping"}'));
    assert.ok(s.terminated);
    assert.equal(hub.size, 0);
    hub.close();
  });

  it('a client sending faster than allowed is cut off (1008)', () => {
    const hub = new WsHub(facade(new LiveStream()), { maxBufferedBytes: 1_000_000, pingIntervalMs: 60_000, maxMessagesPerSecond: 10 }, log);
    const s = new FakeSocket();
    hub.add(s as unknown as WebSocket);
    for (let i = 0; i < 20; i += 1) s.emit('message', Buffer.from('keep-alive'));
    assert.equal(s.closedWith, null, 'a burst of twice the rate is allowed');
    for (let i = 0; i < 5; i += 1) s.emit('message', Buffer.from('keep-alive'));
    assert.equal(s.closedWith, 1008);
    assert.equal(hub.size, 0);
    assert.equal(hub.flooded, 1);
    hub.close();
  });

  it('types: the seed000 preset, a list, a subscribe message; bad names refused', () => {
    assert.equal(parseTypes(undefined), null);
    assert.deepEqual([...(parseTypes('seed000') ?? [])].sort(), [...SEED000_TYPES].sort());
    assert.deepEqual([...(parseTypes('HEARTBEAT,seed000') ?? [])].length, SEED000_TYPES.length + 1);
    assert.throws(() => parseTypes('heartbeat!'), /unknown event type/);
    const stream = new LiveStream();
    const hub = new WsHub(facade(stream), { maxBufferedBytes: 1_000_000, pingIntervalMs: 60_000, maxMessagesPerSecond: 100 }, log);
    const seed = new FakeSocket();
    const picky = new FakeSocket();
    hub.add(seed as unknown as WebSocket, parseTypes('seed000'));
    hub.add(picky as unknown as WebSocket);
    picky.emit('message', Buffer.from(JSON.stringify({ type: 'subscribe', types: ['HEARTBEAT'] })));
    for (const type of ['ACCOUNT_UPDATE', 'HEARTBEAT', 'ORDER_UPDATE', 'TRADE_EXECUTION']) stream.emit({ type, timestamp: 't', data: {} });
    const types = (s: FakeSocket) => s.sent.map((j) => (JSON.parse(j) as { type: string }).type);
    assert.deepEqual(types(seed), ['STATE_SNAPSHOT', 'ACCOUNT_UPDATE', 'TRADE_EXECUTION']);
    assert.deepEqual(types(picky), ['STATE_SNAPSHOT', 'SUBSCRIBED', 'HEARTBEAT']);
    hub.close();
  });
});
