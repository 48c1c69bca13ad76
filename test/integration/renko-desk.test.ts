import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastConfig, getJson, startServer, tempDir, waitFor } from '../helpers/server.js';

type Obj = Record<string, unknown>;
const SECRET = 'tv-webhook-secret-renko';
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('Renko operator desk over HTTP (seed 003)', () => {
  it('webhook bars -> POST /api/orders -> paper fill -> position -> 6pt flip exit -> exit order filled', async () => {
    const dir = tempDir();
    const server = await startServer({ dataDir: dir, config: fastConfig(dir, { demoBot: { enabled: false } }), env: { TV_WEBHOOK_SECRET: SECRET } });
    try {
      const tv = async (path: string, color: string, id: string) => {
        const r = await getJson<Obj>(`${server.url}${path}`, post({ secret: SECRET, asset: 'ES', color, bar_id: id }));
        assert.equal(r.status, 200, JSON.stringify(r.body));
      };
      const state = async () => (await getJson<Obj & { assets: Record<string, Obj> }>(`${server.url}/api/state`)).body;
      // Seed 000 fields and the desk's in one object.
      const first = await state();
      for (const k of ['account', 'positions', 'scan_summary', 'recent_trades', 'events', 'env', 'daily', 'assets']) assert.ok(k in first, k);
      assert.equal(first.assets.ES?.contract, 'MESM6');

      // With a webhook secret, TradingView is the bar source: its heartbeat counts, the feed's prices do not.
      assert.equal((await state()).assets.ES?.bar_source, 'tradingview');
      const hb = await getJson<Obj>(`${server.url}/tv_heartbeat`, post({ secret: SECRET, symbol: 'ES', price: 6000, timestamp: Math.floor(Date.now() / 1000) }));
      assert.equal(hb.status, 200, JSON.stringify(hb.body));
      assert.equal(((await state()).assets.ES?.heartbeat as Obj).fresh, true);
      await tv('/tv_renko_high', 'green', 'h-1');
      await tv('/tv_renko_macro', 'green', 'm-1');
      await tv('/tv_renko_main', 'green', 'k-1');
      const s1 = await state();
      assert.deepEqual([s1.assets.ES?.zone, s1.assets.ES?.zone_direction, (s1.assets.ES?.tempo as Obj).token], ['NORMAL', 'BUY', 'READY']);

      const entry = await getJson<Obj & { order: Obj }>(`${server.url}/api/orders`, post({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' }));
      assert.equal(entry.status, 200, JSON.stringify(entry.body));
      assert.deepEqual([entry.body.ok, entry.body.order.symbol, entry.body.order.side, entry.body.order.qty], [true, 'MESM6', 'BUY', 5]);
      const entryId = String(entry.body.order.id);

      // Blocked with the seed's message style while the position is open.
      const again = await getJson<Obj>(`${server.url}/api/orders`, post({ asset: 'ES' }));
      assert.equal(again.status, 409);
      assert.match(String(again.body.error), /^5 MIN LOCK ACTIVE — one trade already used this candle \(0\d:\d\d remaining\)$/);

      const opened = await waitFor('the entry filled on the paper account', async () => {
        const s = await state();
        return s.assets.ES?.position ? s : null;
      });
      assert.deepEqual([(opened.assets.ES?.position as Obj).side, (opened.assets.ES?.position as Obj).qty], ['BUY', 5]);
      const orders = (await getJson<Obj[]>(`${server.url}/api/orders?account=renko&limit=20`)).body;
      assert.ok(orders.some((o) => o.id === entryId && o.status === 'filled'), 'GET /api/orders (seed 001) lists the filled entry');

      const lockedExit = await getJson<Obj>(`${server.url}/api/exit`, post({ asset: 'ES' }));
      assert.deepEqual([lockedExit.status, lockedExit.body.ok], [409, false]);
      assert.match(String(lockedExit.body.error), /^EXIT LOCK ACTIVE/);

      const flip = await getJson<Obj & { main_flip_exit: Obj }>(`${server.url}/api/main-flip-exit`, post({ asset: 'ES' }));
      assert.equal(flip.body.main_flip_exit.enabled, true);
      await tv('/tv_renko_main', 'red', 'k-2');
      const closed = await waitFor('the 6pt flip exit closed the position', async () => {
        const s = await state();
        return s.assets.ES?.position === null && s.assets.ES?.pending_order === null ? s : null;
      });
      const lastExit = closed.assets.ES?.last_exit as Obj;
      assert.match(String(lastExit.reason), /^6pt flip exit/);
      const after = (await getJson<Obj[]>(`${server.url}/api/orders?account=renko&limit=20`)).body;
      const exitOrder = after.find((o) => o.id === lastExit.order_id);
      assert.equal(exitOrder?.status, 'filled');
      assert.equal((closed.assets.ES?.locks as { cooldown: Obj }).cooldown.active, true);

      const lock = await getJson<Obj>(`${server.url}/api/two-half-tp-lock`, post({ asset: 'ES' }));
      assert.deepEqual([lock.status, lock.body.ok], [423, false]);
      const live = await getJson<Obj>(`${server.url}/api/env`, post({ env: 'LIVE' }));
      assert.deepEqual([live.status, live.body.ok], [403, false]);
      const v1 = await getJson<Obj>(`${server.url}/api/v1/orders`, post({ asset: 'ES' }));
      assert.match(String(v1.body.error), /^COOLDOWN ACTIVE — post-exit cooldown \(0[23]:\d\d remaining\)$/);
    } finally {
      await server.stop();
    }
  });
});
