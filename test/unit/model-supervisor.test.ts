// The model-server HTTP client against a real loopback server (offline detection, timeouts,
// keep-alive, the bearer token), and the supervisor's restarts with backoff, with fake child
// processes, a SimClock and a scheduler driven by the test.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ModelSupervisor, type ChildHandle } from '../../src/app/model-supervisor.js';
import { nextVersion } from '../../src/app/model-service.js';
import { SimClock } from '../../src/core/clock.js';
import type { Cancel, Scheduler } from '../../src/core/ports.js';
import { HttpModelServerClient } from '../../src/adapters/model-server-client.js';
import { ModelServerError, type PredictRequest } from '../../src/core/model-server.js';

class ManualScheduler implements Scheduler {
  timers: { at: number; fn: () => void; every: number | null; live: boolean }[] = [];
  constructor(private readonly clock: SimClock) {}
  every(ms: number, fn: () => void): Cancel {
    const t = { at: this.clock.now() + ms, fn, every: ms, live: true };
    this.timers.push(t);
    return () => void (t.live = false);
  }
  after(ms: number, fn: () => void): Cancel {
    const t = { at: this.clock.now() + ms, fn, every: null, live: true };
    this.timers.push(t);
    return () => void (t.live = false);
  }
  /** Runs what is due up to now + ms, in time order. */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.clock.set(Math.max(this.clock.now(), due.at));
      if (due.every === null) due.live = false;
      else due.at += due.every;
      due.fn();
    }
    this.clock.set(end);
  }
}

const health = { status: 'healthy', uptime_seconds: 1, memory_usage_mb: 100, cpu_percent: 1, model_loaded: true, model_type: 'lightgbm', model_version: '3', training_samples: 10, continuous_learning: false, training: false, data_collector_active: true, feedback_samples: 4 };
const prediction = { model_name: 'm', action: 'long', confidence: 0.7, probability: 0.7, expected_return: 0.001, stop_loss: 1, take_profit: 3, raw_score: 0.8, latency_ms: 0.2 };
const request: PredictRequest = { symbol: 'BTCUSDT', timeframe: '1m', candles: [{ open: 1, high: 2, low: 1, close: 2, volume: 1, timestamp: 60 }], indicators: {}, meta: {} };

type Mode = 'ok' | 'bad' | 'error' | 'silent' | 'garbage';

/** A real HTTP server on loopback standing in for a model server; `mode` decides its answers. */
async function fakeModelServer() {
  const state = { mode: 'ok' as Mode, connections: 0, requests: [] as { method: string; url: string; authorization: string | undefined; body: string }[], hanging: [] as ServerResponse[] };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const send = (code: number, payload: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      if (state.mode === 'silent') return void state.hanging.push(res);
      if (state.mode === 'bad') return send(422, { detail: [{ loc: ['body', 'candles'], msg: 'bad' }] });
      if (state.mode === 'error') return send(503, { detail: 'down' });
      if (state.mode === 'garbage') return send(200, req.url === '/predict' ? { hello: 'world' } : 'not json');
      send(200, req.url === '/health' ? health : prediction);
    });
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    state,
    url,
    /** Cuts every open connection (a restarting server, or its idle keep-alive timeout). */
    drop: () => server.closeAllConnections(),
    async close() {
      for (const r of state.hanging) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('HttpModelServerClient (a real loopback server)', () => {
  it('goes offline after offlineAfter failures, online on the next success; a 4xx keeps it online', async () => {
    const fake = await fakeModelServer();
    const clock = new SimClock(1_700_000_000_000);
    let t = 0;
    const c = new HttpModelServerClient({ name: 'm', url: fake.url, clock, offlineAfter: 2, timer: () => (t += 5) });
    try {
      assert.equal(c.seedView().status, 'offline', 'offline until first contact');
      await c.health();
      const p = await c.predict(request);
      assert.equal(p.action, 'long');
      const v = c.seedView();
      assert.equal(v.status, 'online');
      assert.equal(v.version, '3');
      assert.equal(v.samples_trained, 10);
      assert.equal(v.training_samples, 4);
      assert.equal(v.confidence, 0.7);
      assert.equal(v.latency_ms, 5);
      assert.equal(v.last_prediction, new Date(clock.now()).toISOString());
      assert.deepEqual(JSON.parse(fake.state.requests[1]?.body ?? ''), request);
      fake.state.mode = 'bad';
      await assert.rejects(c.predict(request), (e: ModelServerError) => e.status === 422 && /422/.test(e.message));
      assert.equal(c.isOnline, true);
      fake.state.mode = 'error';
      await assert.rejects(c.health(), (e: ModelServerError) => e.status === 503);
      assert.equal(c.isOnline, true, 'one failure of two');
      await assert.rejects(c.health());
      assert.equal(c.isOnline, false);
      assert.equal(c.seedView().status, 'offline');
      assert.equal(c.status().last_error, 'answered 503');
      fake.state.mode = 'ok';
      await c.health();
      assert.equal(c.isOnline, true);
      // Every call went over one kept-alive connection.
      assert.equal(fake.state.connections, 1);
    } finally {
      c.close();
      await fake.close();
    }
  });

  it('a refused connection, a timeout and an answer that is not a prediction each turn the server offline', async () => {
    const fake = await fakeModelServer();
    const clock = new SimClock(0);
    const c = new HttpModelServerClient({ name: 'm', url: fake.url, clock, timeoutMs: 300 });
    try {
      await c.health();
      fake.state.mode = 'garbage';
      await assert.rejects(c.predict(request), (e: ModelServerError) => e.status === null && /not a prediction/.test(e.message));
      assert.equal(c.isOnline, false);
      fake.state.mode = 'ok';
      await c.health();
      fake.state.mode = 'silent';
      await assert.rejects(c.predict(request), (e: ModelServerError) => e.status === null && /no answer within 300 ms/.test(e.message));
      assert.equal(c.isOnline, false);
      fake.state.mode = 'ok';
      await c.health();
      assert.equal(c.isOnline, true, 'a timed-out connection is not reused');
    } finally {
      c.close();
      await fake.close();
    }
    await assert.rejects(c.health(), (e: ModelServerError) => e.status === null && /unreachable \(ECONNREFUSED\)/.test(e.message));
    assert.equal(c.isOnline, false);
  });

  it('sends the bearer token on every call and survives the server dropping its idle connections', async () => {
    const fake = await fakeModelServer();
    const c = new HttpModelServerClient({ name: 'm', url: fake.url, clock: new SimClock(0), token: 'tok-123' });
    try {
      await c.health();
      await c.predict(request);
      await c.feedback({ trade_id: 1 });
      assert.deepEqual(fake.state.requests.map((r) => r.authorization), ['Bearer tok-123', 'Bearer tok-123', 'Bearer tok-123']);
      assert.equal(c.seedView().training_samples, 4, 'the server\'s count when it reports one');
      for (let i = 0; i < 5; i++) {
        // The server closes the kept-alive socket; the next call still answers (a new connection).
        fake.drop();
        await c.predict(request);
      }
      assert.ok(fake.state.connections >= 2, `${fake.state.connections} connections`);
      assert.equal(c.isOnline, true);
    } finally {
      c.close();
      await fake.close();
    }
  });
});

describe('ModelSupervisor', () => {
  it('reports a dead child offline at once and restarts it after a doubling backoff', async (t) => {
    const clock = new SimClock(0);
    const scheduler = new ManualScheduler(clock);
    const children: { spec: string; exit: (code: number | null, signal: string | null) => void; killed: string[] }[] = [];
    let pid = 100;
    const launch = (spec: { name: string }): ChildHandle => {
      let listener: (code: number | null, signal: string | null) => void = () => undefined;
      const rec = { spec: spec.name, exit: (c: number | null, s: string | null) => listener(c, s), killed: [] as string[] };
      children.push(rec);
      const p = pid++;
      return { pid: p, onExit: (l) => void (listener = l), kill: (s) => void rec.killed.push(s) };
    };
    const fake = await fakeModelServer();
    t.after(() => fake.close());
    const sup = new ModelSupervisor({
      specs: [{ name: 'a', port: 1, model: 'm' }],
      launch,
      client: (s) => new HttpModelServerClient({ name: s.name, url: fake.url, clock }),
      clock,
      scheduler,
      healthEveryMs: 100,
      restartMinMs: 500,
      restartMaxMs: 1500,
      resetAfterMs: 10_000,
      log: () => undefined,
    });
    sup.start();
    await sup.poll();
    assert.equal(sup.models()[0]?.status, 'online');
    assert.equal(sup.models()[0]?.process, 'running');
    const delays: number[] = [];
    for (let death = 0; death < 4; death++) {
      (children.at(-1) as (typeof children)[number]).exit(null, 'SIGKILL');
      const m = sup.models()[0];
      assert.equal(m?.status, 'offline');
      assert.equal(m?.process, 'restarting');
      const before = children.length;
      let waited = 0;
      while (children.length === before) {
        scheduler.advance(50);
        waited += 50;
      }
      delays.push(waited);
      await sup.poll();
      assert.equal(sup.models()[0]?.status, 'online');
      assert.equal(sup.models()[0]?.restarts, death + 1);
    }
    assert.deepEqual(delays, [500, 1000, 1500, 1500]);
    // A run longer than resetAfterMs starts the backoff over.
    scheduler.advance(10_000);
    (children.at(-1) as (typeof children)[number]).exit(1, null);
    const before = children.length;
    scheduler.advance(500);
    assert.equal(children.length, before + 1);
    // stop(): SIGTERM, and no restart after the exit.
    const stopping = sup.stop();
    const last = children.at(-1) as (typeof children)[number];
    assert.deepEqual(last.killed, ['SIGTERM']);
    last.exit(0, null);
    await stopping;
    scheduler.advance(5_000);
    assert.equal(children.length, before + 1);
    assert.equal(sup.models()[0]?.process, 'stopped');
  });

  it('nextVersion counts model versions', () => {
    assert.equal(nextVersion('1'), '2');
    assert.equal(nextVersion('1.0'), '2.0');
    assert.equal(nextVersion('9'), '10');
    assert.equal(nextVersion('v-abc'), '2');
  });
});
