// The model-server client's offline detection and the supervisor's restarts with backoff, with a
// fake fetch, fake child processes, a SimClock and a scheduler driven by the test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelSupervisor, type ChildHandle } from '../../src/app/model-supervisor.js';
import { nextVersion } from '../../src/app/model-service.js';
import { SimClock } from '../../src/core/clock.js';
import type { Cancel, Scheduler } from '../../src/core/ports.js';
import { ModelServerClient, ModelServerError } from '../../src/ml/model-client.js';

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

describe('ModelServerClient', () => {
  it('goes offline after offlineAfter failures, online on the next success; a 4xx keeps it online', async () => {
    let mode: 'ok' | 'down' | 'bad' = 'ok';
    const fakeFetch = (async (url: string) => {
      if (mode === 'down') throw Object.assign(new TypeError('fetch failed'), { cause: new Error('connect ECONNREFUSED') });
      if (mode === 'bad') return new Response(JSON.stringify({ detail: [] }), { status: 422 });
      return new Response(JSON.stringify(url.endsWith('/health') ? health : { model_name: 'm', action: 'long', confidence: 0.7, probability: 0.7, expected_return: 0.001, stop_loss: 1, take_profit: 3, raw_score: 0.8, latency_ms: 0.2 }), { status: 200 });
    }) as unknown as typeof fetch;
    const clock = new SimClock(1_700_000_000_000);
    let t = 0;
    const c = new ModelServerClient({ name: 'm', url: 'http://x', clock, fetch: fakeFetch, offlineAfter: 2, timer: () => (t += 5) });
    assert.equal(c.seedView().status, 'offline', 'offline until first contact');
    await c.health();
    await c.predict({});
    const v = c.seedView();
    assert.equal(v.status, 'online');
    assert.equal(v.version, '3');
    assert.equal(v.samples_trained, 10);
    assert.equal(v.training_samples, 4);
    assert.equal(v.confidence, 0.7);
    assert.equal(v.latency_ms, 5);
    assert.equal(v.last_prediction, new Date(clock.now()).toISOString());
    mode = 'bad';
    await assert.rejects(c.predict({}), (e: ModelServerError) => e.status === 422);
    assert.equal(c.isOnline, true);
    mode = 'down';
    await assert.rejects(c.health(), (e: ModelServerError) => e.status === null && /unreachable/.test(e.message));
    assert.equal(c.isOnline, true, 'one failure of two');
    await assert.rejects(c.health());
    assert.equal(c.isOnline, false);
    assert.equal(c.seedView().status, 'offline');
    mode = 'ok';
    await c.health();
    assert.equal(c.isOnline, true);
  });
});

describe('ModelSupervisor', () => {
  it('reports a dead child offline at once and restarts it after a doubling backoff', async () => {
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
    const fakeFetch = (async () => new Response(JSON.stringify(health), { status: 200 })) as unknown as typeof fetch;
    const sup = new ModelSupervisor({
      specs: [{ name: 'a', port: 1, model: 'm' }],
      launch,
      client: (s) => new ModelServerClient({ name: s.name, url: 'http://x', clock, fetch: fakeFetch }),
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
