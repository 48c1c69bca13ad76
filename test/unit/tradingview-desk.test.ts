import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { TradingViewDesk } from '../../src/app/tradingview-desk.js';
import { SimClock } from '../../src/core/clock.js';
import type { RenkoBar } from '../../src/core/renko.js';
import { tempDir } from './support.js';

describe('TradingViewDesk (seed 003 webhooks)', () => {
  const dir = tempDir();
  after(() => dir.cleanup());
  const make = (file: string, secret: string | null = 'tv-secret') => {
    const store = new SqliteStore({ file: dir.file(file) });
    const bars: RenkoBar[] = [];
    const exits: string[] = [];
    const clock = new SimClock(1_000_000);
    const desk = new TradingViewDesk({ clock, store, secret, assets: ['ES', 'NQ'], onBar: (b) => bars.push(b), onLevelExit: (a) => (exits.push(a), { queued: true }) });
    return { store, desk, bars, exits, clock };
  };

  it('refuses a wrong or missing secret, and everything when no secret is configured', () => {
    const { desk, store } = make('a.db');
    assert.deepEqual(desk.heartbeat({ symbol: 'ES', price: 5000 }), { ok: false, status: 401, error: 'invalid or missing webhook secret' });
    assert.equal(desk.renko('/tv_renko', { secret: 'tv-secreT', asset: 'ES', color: 'green', bar_id: '1' }).ok, false);
    store.close();
    const off = make('b.db', null);
    const r = off.desk.heartbeat({ secret: 'anything', symbol: 'ES', price: 1 });
    assert.ok(!r.ok && r.status === 403);
    off.store.close();
  });

  it('heartbeats update last price and time; routes map to brick sizes; bar_id deduplicates across restarts', () => {
    const { desk, store, bars, clock } = make('c.db');
    const hb = desk.heartbeat({ secret: 'tv-secret', symbol: 'CME_MINI:ES1!', price: 5250.25, timestamp: 1705329120 });
    assert.ok(hb.ok);
    assert.deepEqual(hb.ok && hb.body, { ok: true, asset: 'ES', last_price: 5250.25, last_heartbeat_ts: 1_000_000 });
    const sizes: Record<string, number> = { '/tv_renko_small': 1, '/tv_renko_one': 1, '/tv_renko_two_half': 2.5, '/tv_renko': 4, '/tv_renko_main': 6, '/tv_renko_high': 8, '/tv_renko_macro': 12 };
    for (const [path, size] of Object.entries(sizes)) {
      clock.advance(1);
      const r = desk.renko(path, { secret: 'tv-secret', asset: 'ES', color: 'green', bar_id: `${path}-1` });
      assert.ok(r.ok && r.body.size === size && r.body.duplicate === false, path);
    }
    const dup = desk.renko('/tv_renko_main', { secret: 'tv-secret', asset: 'ES', color: 'red', bar_id: '/tv_renko_main-1' });
    assert.ok(dup.ok && dup.body.duplicate === true);
    assert.equal(bars.length, 7, 'a duplicate is not passed on');
    assert.equal((desk.snapshot().ES as { renko: Record<string, { color: string }> }).renko['6']?.color, 'green', 'the duplicate did not change the last bar');
    store.close();
    // A new desk on the same database still knows the bar.
    const again = make('c.db');
    const r = again.desk.renko('/tv_renko_main', { secret: 'tv-secret', asset: 'ES', color: 'green', bar_id: '/tv_renko_main-1' });
    assert.ok(r.ok && r.body.duplicate === true);
    assert.equal(again.store.recentRenkoBars('ES', 6, 10).length, 1);
    again.store.close();
  });

  it('validates asset, colour, bar_id and price with clear errors; level exit is passed on', () => {
    const { desk, store, exits } = make('d.db');
    const bad = (r: ReturnType<TradingViewDesk['renko']>) => (r.ok ? '' : r.error);
    assert.match(bad(desk.renko('/tv_renko', { secret: 'tv-secret', asset: 'CL', color: 'green', bar_id: '1' })), /unknown asset CL/);
    assert.match(bad(desk.renko('/tv_renko', { secret: 'tv-secret', asset: 'ES', color: 'blue', bar_id: '1' })), /color/);
    assert.match(bad(desk.renko('/tv_renko', { secret: 'tv-secret', asset: 'ES', color: 'red' })), /bar_id/);
    const hb = desk.heartbeat({ secret: 'tv-secret', symbol: 'NQ', price: 'x' });
    assert.ok(!hb.ok && /price/.test(hb.error));
    const exit = desk.levelExit({ secret: 'tv-secret', asset: 'nq' });
    assert.ok(exit.ok && exit.body.asset === 'NQ' && exit.body.queued === true);
    assert.deepEqual(exits, ['NQ']);
    store.close();
  });
});
