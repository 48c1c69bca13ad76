import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { resolveBarSources, TradingViewDesk, type BarSource } from '../../src/app/tradingview-desk.js';
import { SimClock } from '../../src/core/clock.js';
import type { RenkoBar } from '../../src/core/renko.js';
import { tempDir } from './support.js';

describe('TradingViewDesk (seed 003 webhooks)', () => {
  const dir = tempDir();
  after(() => dir.cleanup());
  const make = (file: string, secret: string | null = 'tv-secret', barSources?: Record<string, BarSource>) => {
    const store = new SqliteStore({ file: dir.file(file) });
    const bars: RenkoBar[] = [];
    const exits: string[] = [];
    const clock = new SimClock(1_000_000);
    const desk = new TradingViewDesk({ clock, store, secret, assets: ['ES', 'NQ'], barSources, fallbackAfterMs: 60_000, onBar: (b) => bars.push(b), onLevelExit: (a) => (exits.push(a), { queued: true }) });
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

  describe('bar source per asset (issue 11 items 2 and 3)', () => {
    const feedBrick = (asset: string, size: 1 | 8, color: 'green' | 'red', id: string, ts: number): RenkoBar => ({ asset, size, color, barId: id, open: 1, close: 2, ts, source: 'ticks' });
    const tvBar = (desk: TradingViewDesk, color: string, id: string, path = '/tv_renko_high') => desk.renko(path, { secret: 'tv-secret', asset: 'ES', color, bar_id: id });
    const last8 = (desk: TradingViewDesk) => (desk.snapshot().ES as { renko: Record<string, { color: string; bar_id: string } | null> }).renko['8'];

    it('resolves auto to tradingview with a secret and feed without; overrides per asset; refuses a TradingView source without a secret', () => {
      assert.deepEqual(resolveBarSources({ assets: ['ES', 'NQ'], secret: 's', barSource: 'auto', byAsset: {} }), { ES: 'tradingview', NQ: 'tradingview' });
      assert.deepEqual(resolveBarSources({ assets: ['ES', 'NQ'], secret: null, barSource: 'auto', byAsset: {} }), { ES: 'feed', NQ: 'feed' });
      assert.deepEqual(resolveBarSources({ assets: ['ES', 'NQ'], secret: 's', barSource: 'auto', byAsset: { NQ: 'both' } }), { ES: 'tradingview', NQ: 'both' });
      assert.match(String(resolveBarSources({ assets: ['ES'], secret: null, barSource: 'tradingview', byAsset: {} })), /^tradingView\.barSource: 'tradingview' needs the webhook secret/);
      assert.match(String(resolveBarSources({ assets: ['ES'], secret: null, barSource: 'feed', byAsset: { ES: 'both' } })), /^tradingView\.barSourceByAsset\.ES: 'both' needs/);
      assert.match(String(resolveBarSources({ assets: ['ES'], secret: 's', barSource: 'auto', byAsset: { CL: 'feed' } })), /barSourceByAsset\.CL: not one of tradingView\.assets/);
    });

    it('tradingview: a webhook 8pt green brick is not replaced by a feed-built red one; feed prices are no heartbeat', () => {
      const { desk, store, bars, clock } = make('src-tv.db', 'tv-secret', { ES: 'tradingview', NQ: 'tradingview' });
      assert.ok(tvBar(desk, 'green', 'tv-8-1').ok);
      clock.advance(500);
      assert.equal(desk.acceptBar(feedBrick('ES', 8, 'red', 'ticks-8-1', clock.now())), false);
      assert.deepEqual([last8(desk)?.color, last8(desk)?.bar_id], ['green', 'tv-8-1']);
      assert.deepEqual(bars.map((b) => b.barId), ['tv-8-1'], 'only the webhook bar reached the desk');
      assert.equal(store.recentRenkoBars('ES', 8, 10).length, 1, 'the feed brick was not stored');
      assert.equal((desk.snapshot().ES as { feed_bricks_ignored: number }).feed_bricks_ignored, 1);
      // The feed ticks on, TradingView says nothing: no heartbeat.
      desk.onTick('ES', 5001, clock.now());
      assert.equal(desk.lastHeartbeat('ES'), null);
      assert.equal((desk.snapshot().ES as { feed_price: number }).feed_price, 5001);
      assert.ok(desk.heartbeat({ secret: 'tv-secret', symbol: 'ES', price: 5000.5 }).ok);
      const beat = clock.now();
      clock.advance(15 * 60_000);
      desk.onTick('ES', 5003, clock.now());
      assert.equal(desk.lastHeartbeat('ES'), beat, 'an outage stays an outage while the feed ticks');
      assert.equal(desk.heartbeatSource('ES'), 'tradingview');
      store.close();
    });

    it('feed: webhook bars are refused with 409; feed bricks and prices drive the desk', () => {
      const { desk, store, bars, clock } = make('src-feed.db', 'tv-secret', { ES: 'feed', NQ: 'tradingview' });
      const r = tvBar(desk, 'green', 'tv-8-1');
      assert.ok(!r.ok && r.status === 409 && /bar source 'feed'/.test(r.error), JSON.stringify(r));
      assert.equal(desk.acceptBar(feedBrick('ES', 8, 'red', 'ticks-8-1', clock.now())), true);
      assert.deepEqual(bars.map((b) => [b.barId, b.source]), [['ticks-8-1', 'ticks']]);
      desk.onTick('ES', 5001, clock.now());
      assert.deepEqual([desk.lastHeartbeat('ES'), desk.heartbeatSource('ES')], [clock.now(), 'ticks']);
      store.close();
    });

    it('both: TradingView is authoritative while live; the feed fills in after fallbackAfterMs of silence', () => {
      const { desk, store, bars, clock } = make('src-both.db', 'tv-secret', { ES: 'both', NQ: 'both' });
      // Before TradingView ever spoke, the feed drives.
      assert.equal(desk.acceptBar(feedBrick('ES', 1, 'green', 'ticks-1-1', clock.now())), true);
      desk.onTick('ES', 5000, clock.now());
      assert.equal(desk.heartbeatSource('ES'), 'ticks');
      // TradingView speaks: its bricks win, feed bricks and prices are ignored.
      assert.ok(tvBar(desk, 'green', 'tv-8-1').ok);
      clock.advance(1_000);
      assert.equal(desk.acceptBar(feedBrick('ES', 8, 'red', 'ticks-8-1', clock.now())), false);
      assert.ok(desk.heartbeat({ secret: 'tv-secret', symbol: 'ES', price: 5000.25 }).ok);
      const beat = clock.now();
      clock.advance(59_000);
      desk.onTick('ES', 5002, clock.now());
      assert.equal(desk.acceptBar(feedBrick('ES', 8, 'red', 'ticks-8-2', clock.now())), false);
      assert.deepEqual([desk.lastHeartbeat('ES'), last8(desk)?.bar_id], [beat, 'tv-8-1']);
      // Silent for the fallback time: the feed fills in.
      clock.advance(1_000);
      desk.onTick('ES', 5003, clock.now());
      assert.deepEqual([desk.lastHeartbeat('ES'), desk.heartbeatSource('ES')], [clock.now(), 'ticks']);
      assert.equal(desk.acceptBar(feedBrick('ES', 8, 'red', 'ticks-8-3', clock.now())), true);
      assert.equal(last8(desk)?.bar_id, 'ticks-8-3');
      // TradingView again: authoritative again.
      assert.ok(tvBar(desk, 'green', 'tv-8-2').ok);
      assert.equal(desk.acceptBar(feedBrick('ES', 8, 'red', 'ticks-8-4', clock.now())), false);
      assert.deepEqual(bars.map((b) => b.barId), ['ticks-1-1', 'tv-8-1', 'ticks-8-3', 'tv-8-2']);
      store.close();
    });
  });
});
