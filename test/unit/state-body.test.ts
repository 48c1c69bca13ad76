// GET /api/state is serialised once per change: the cached bytes equal a fresh serialisation of
// the state, the same Buffer is sent until the state changes, and a change gives new bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { streamRoutes } from '../../src/api/routes-stream.js';
import type { TradingFacade } from '../../src/app/facade.js';
import { MAX_EVENTS, MAX_RECENT_TRADES, StreamState } from '../../src/app/stream-state.js';
import type { SeedTrade } from '../../src/app/seed-shapes.js';

const trade = (i: number): SeedTrade => ({ id: `T${i}`, symbol: 'ES', side: 'BUY', qty: 1, price: 6000 + i, timestamp: new Date(i * 1000).toISOString() }) as unknown as SeedTrade;

/** A state with full rolling windows (50 trades, 200 events): the ~100 KB body. */
function fullState(): StreamState {
  const s = new StreamState();
  for (let i = 0; i < MAX_EVENTS + 10; i++) s.apply({ type: 'TRADE_EXECUTION', ...trade(i) }, i * 1000, true);
  return s;
}

describe('GET /api/state body cache', () => {
  it('the cached bytes are a fresh serialisation of the state, reused until it changes', () => {
    const s = fullState();
    const a = s.body();
    assert.equal(s.snapshot().recent_trades.length, MAX_RECENT_TRADES);
    assert.equal(s.snapshot().events.length, MAX_EVENTS);
    assert.ok(a.raw.length > 30_000, `${a.raw.length} bytes`);
    assert.ok(a.raw.equals(Buffer.from(JSON.stringify(s.snapshot()), 'utf8')), 'equals a fresh serialisation');
    assert.equal(s.body(), a, 'the same body object while nothing changed');
    assert.equal(s.body().raw, a.raw, 'the same Buffer');
    assert.ok(gunzipSync(a.gzip()).equals(a.raw));
    assert.equal(a.gzip(), a.gzip(), 'the gzip copy is made once');

    s.apply({ type: 'TRADE_EXECUTION', ...trade(999) }, 999_000, true);
    const b = s.body();
    assert.notEqual(b.raw, a.raw);
    assert.notEqual(b.etag, a.etag);
    assert.ok(!b.raw.equals(a.raw));
    assert.ok(b.raw.equals(Buffer.from(JSON.stringify(s.snapshot()), 'utf8')), 'equals a fresh serialisation after the change');
    assert.ok(gunzipSync(b.gzip()).equals(b.raw), 'the gzip copy follows the change');
  });

  it('over HTTP: JSON content type, the same bytes per request, ETag/304, the desk part spliced in and refreshed when it changes', async () => {
    const s = fullState();
    const desk = { view: { desk: { locked: false } }, revision: 1 };
    const facade = { stateBody: () => s.body() } as unknown as TradingFacade;
    const app = Fastify();
    await app.register(async (scope) => streamRoutes(scope, facade, { view: () => desk.view, revision: () => desk.revision }), { prefix: '/api' });
    await app.ready();
    try {
      const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/api/state', headers });
      const r1 = await get();
      const r2 = await get();
      assert.equal(r1.statusCode, 200);
      assert.match(String(r1.headers['content-type']), /^application\/json/);
      assert.ok(r1.rawPayload.equals(r2.rawPayload));
      assert.ok(r1.rawPayload.equals(Buffer.from(JSON.stringify({ ...s.snapshot(), ...desk.view }))), 'state plus the desk part, as a fresh serialisation');
      assert.equal((await get({ 'if-none-match': String(r1.headers.etag) })).statusCode, 304);
      const gz = await get({ 'accept-encoding': 'gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.ok(gunzipSync(gz.rawPayload).equals(r1.rawPayload));

      desk.view = { desk: { locked: true } };
      desk.revision = 2;
      const r3 = await get();
      assert.notEqual(r3.headers.etag, r1.headers.etag);
      assert.ok(r3.rawPayload.equals(Buffer.from(JSON.stringify({ ...s.snapshot(), ...desk.view }))), 'the desk change is in');

      s.apply({ type: 'TRADE_EXECUTION', ...trade(1234) }, 1_234_000, true);
      const r4 = await get();
      assert.notEqual(r4.headers.etag, r3.headers.etag);
      assert.ok(r4.rawPayload.equals(Buffer.from(JSON.stringify({ ...s.snapshot(), ...desk.view }))), 'the state change is in');
      assert.equal((await get({ 'if-none-match': String(r3.headers.etag) })).statusCode, 200, 'an old ETag no longer matches');
    } finally {
      await app.close();
    }
  });
});
