import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fastConfig, getJson, repoRoot, startServer, tempDir, waitFor } from '../helpers/server.js';

type Obj = Record<string, unknown>;
type DeskState = Obj & { assets: Record<string, Obj> };
const TV = 'tv-webhook-secret-renko-bridge';
const BRIDGE = 'bridge-secret-renko-0123456789';
const PASSWORD = 'operator password renko bridge';
const bin = join(repoRoot, 'bin', 'tradewind.js');

/** The desk on the bridge; a quiet ES/NQ feed so price exits do not trade for us. */
const deskOnBridge = (dir: string, renkoDesk: Obj = {}, bridge: Obj = {}) =>
  fastConfig(dir, {
    demoBot: { enabled: false, symbols: ['ES'] },
    feed: {
      tickIntervalMs: 50,
      instruments: [
        { symbol: 'ES', startPrice: 6_000, annualVol: 0.001, meanSize: 4, meanTrades: 3 },
        { symbol: 'NQ', startPrice: 21_500, annualVol: 0.001, meanSize: 2, meanTrades: 2 },
      ],
    },
    bridge: { enabled: true, ...bridge },
    renkoDesk: { broker: 'bridge', ...renkoDesk },
  });

describe('Renko desk on the execution bridge (seed 003, full loop)', () => {
  it('TradingView bars -> checks -> order -> bridge claim -> fill -> position -> 6pt flip exit -> exit order filled by the bridge', async () => {
    const dir = tempDir('tw-renko-bridge-');
    const server = await startServer({ dataDir: dir, config: deskOnBridge(dir), env: { TV_WEBHOOK_SECRET: TV, BRIDGE_HEARTBEAT_SECRET: BRIDGE, DASHBOARD_PASSWORD: PASSWORD } });
    // The reference bridge, a real `tradewind bridge` process (no operator token: it fills at ref_price).
    const bridge = spawn(process.execPath, [bin, 'bridge', '--url', server.url, '--secret', BRIDGE, '--owner', 'vps1', '--state-dir', tempDir('tw-renko-bridge-state-'), '--poll-ms', '100', '--heartbeat-ms', '300'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    bridge.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    bridge.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const bridgeExited = new Promise<number | null>((resolve) => bridge.once('exit', (code) => resolve(code)));
    try {
      const login = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
      assert.equal(login.status, 200);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const operator = (path: string, body?: unknown) =>
        getJson<Obj>(`${server.url}${path}`, body === undefined ? { headers: { cookie } } : { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const state = async () => (await operator('/api/state')).body as DeskState;
      const es = async () => (await state()).assets.ES as Obj;
      const tv = async (path: string, body: Obj) => {
        const r = await getJson<Obj>(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ secret: TV, ...body }) });
        assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
        return r.body;
      };

      assert.equal((await state()).broker, 'bridge:bridge', 'the desk trades the bridge account');
      await waitFor('the bridge heartbeat', async () => (await operator('/api/bridge/status')).body.available === true, 20_000);
      // TradingView is the bar source (a webhook secret is set): its heartbeat, not the feed, makes check 6 pass.
      await tv('/tv_heartbeat', { symbol: 'ES', price: 6000, timestamp: Math.floor(Date.now() / 1000) });
      const beat = (await es()).heartbeat as Obj;
      assert.deepEqual([beat.fresh, beat.source], [true, 'tradingview']);

      // Zone NORMAL (8 and 12 point bars agree) and tempo READY (a 6 point bar).
      await tv('/tv_renko_high', { asset: 'ES', color: 'green', bar_id: 'h-1' });
      await tv('/tv_renko_macro', { asset: 'ES', color: 'green', bar_id: 'm-1' });
      await tv('/tv_renko_main', { asset: 'ES', color: 'green', bar_id: 'k-1' });
      const ready = await es();
      assert.deepEqual([ready.zone, ready.zone_direction, (ready.tempo as Obj).token, ready.entry_allowed], ['NORMAL', 'BUY', 'READY', true], JSON.stringify(ready));

      // Entry through the eight checks, queued for the bridge.
      const entry = await operator('/api/orders', { asset: 'ES', trade_mode: 'RUNNER', order_type: 'market', entry_size_mode: '6pt' });
      assert.equal(entry.status, 200, JSON.stringify(entry.body));
      const order = entry.body.order as Obj;
      assert.deepEqual([order.symbol, order.instrument, order.side, order.qty, order.status], ['MESM6', 'MES', 'BUY', 5, 'pending_submit']);
      const entryId = String(order.id);
      assert.match(entryId, /^bridge-O-\d{8}$/);
      const blocked = await operator('/api/orders', { asset: 'ES' });
      assert.equal(blocked.status, 409);
      assert.match(String(blocked.body.error), /^5 MIN LOCK ACTIVE/);

      // The bridge claims, confirms and fills it: the desk holds the position.
      const opened = await waitFor('the bridge fill of the entry', async () => {
        const a = await es();
        return a.position && a.pending_order === null ? a : null;
      }, 20_000);
      const position = opened.position as Obj;
      assert.deepEqual([position.side, position.qty], ['BUY', 5]);
      assert.ok(Math.abs(Number(position.avg_price) - 6_000) < 100, `filled near the ES price: ${String(position.avg_price)}`);
      assert.equal((opened.exits as { main_flip_exit: Obj }).main_flip_exit.enabled, true, 'RUNNER arms the 6pt flip exit');
      assert.match(out, new RegExp(`CLAIMED ${entryId} BUY 5 MESM6`));

      // Exit rule: a red 6 point bar flips the RUNNER out; the exit goes through the bridge too.
      await tv('/tv_renko_main', { asset: 'ES', color: 'red', bar_id: 'k-2' });
      const closed = await waitFor('the bridge fill of the exit', async () => {
        const a = await es();
        return a.position === null && a.pending_order === null ? a : null;
      }, 20_000);
      const lastExit = closed.last_exit as Obj;
      assert.match(String(lastExit.reason), /^6pt flip exit/);
      const exitId = String(lastExit.order_id);
      assert.match(exitId, /^bridge-O-\d{8}$/);
      assert.notEqual(exitId, entryId);
      assert.equal(((closed.locks as Obj).cooldown as Obj).active, true);

      const orders = (await operator('/api/orders?account=bridge&limit=50')).body as unknown as Obj[];
      const ours = orders.filter((o) => o.id === entryId || o.id === exitId);
      assert.deepEqual(ours.map((o) => [o.id, o.status, o.side, o.qty, o.purpose]).sort(), [
        [entryId, 'filled', 'buy', 5, 'entry'],
        [exitId, 'filled', 'sell', 5, 'exit'],
      ].sort());
      const status = (await operator('/api/bridge/status?limit=50')).body;
      assert.deepEqual(status.positions, [], 'flat on the bridge account');
      const queue = status.queue as { id: string; status: string; contract: string }[];
      assert.deepEqual(queue.map((q) => [q.id, q.status, q.contract]).sort(), [
        [entryId, 'FILLED', 'MESM6'],
        [exitId, 'FILLED', 'MESM6'],
      ].sort());
      const executed = [...out.matchAll(/EXECUTED (\S+)/g)].map((m) => m[1]);
      assert.deepEqual(executed, [entryId, exitId], `each order executed once:\n${out}`);

      // A level exit answers the order it placed (none when flat).
      assert.deepEqual((await tv('/tv_level_exit', { asset: 'ES' })).orders, []);
    } finally {
      if (bridge.exitCode === null && bridge.signalCode === null) bridge.kill('SIGTERM');
      await bridgeExited;
      await server.stop();
    }
  });

  it("refuses to start with renkoDesk.broker: 'bridge' and no bridge, no secret, or another contract", async () => {
    const cases: [Obj, Obj, Record<string, string>, RegExp][] = [
      [{}, { enabled: false }, { BRIDGE_HEARTBEAT_SECRET: BRIDGE }, /renkoDesk\.broker: 'bridge'.*needs bridge\.enabled: true/],
      [{}, {}, {}, /renkoDesk\.broker: 'bridge'.*needs a bridge secret: set BRIDGE_HEARTBEAT_SECRET/],
      [{}, { contracts: { MES: { contract: 'MESU6', exchange: 'CME' }, MNQ: { contract: 'MNQM6', exchange: 'CME' } } }, { BRIDGE_HEARTBEAT_SECRET: BRIDGE }, /bridge\.contracts\.MES\.contract is MESU6 but renkoDesk\.assets\.ES\.contract is MESM6/],
    ];
    for (const [desk, bridge, env, message] of cases) {
      const dir = tempDir('tw-renko-bridge-');
      await assert.rejects(startServer({ dataDir: dir, config: deskOnBridge(dir, desk, bridge), env }), (e: Error) => message.test(e.message), String(message));
    }
  });
});
