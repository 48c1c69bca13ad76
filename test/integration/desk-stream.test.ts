// DESK_UPDATE on /ws (issue 16 item 1): the Renko desk's state pushed when it changes, coalesced,
// and only to the clients that ask for it by type.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectWs, fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';

type Obj = Record<string, unknown>;
type DeskView = Obj & { env: string; daily: Obj; assets: Record<string, Obj & { exits: Record<string, Obj> }> };
const SECRET = 'tv-webhook-secret-desk-stream';
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const deskUpdates = (messages: WsMessage[]) => messages.filter((m) => m.type === 'DESK_UPDATE') as unknown as (DeskView & { timestamp: string; data: DeskView })[];
const armed = (m: DeskView) => m.assets.ES?.exits.high_next_bar_exit?.armed;

describe('DESK_UPDATE over the WebSocket', () => {
  let server: ServerHandle;
  const wsUrl = (query: string) => `${server.url.replace(/^http/, 'ws')}/ws${query}`;

  before(async () => {
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { demoBot: { enabled: false } }), env: { TV_WEBHOOK_SECRET: SECRET } });
  });
  after(async () => {
    await server?.stop();
  });

  it('is sent on a change, coalesced, with the view of GET /api/desk/state, only to clients that name it', async () => {
    const desk = await connectWs(wsUrl('?types=DESK_UPDATE'));
    const everything = await connectWs(wsUrl(''));
    const seed = await connectWs(wsUrl('?events=seed000'));
    try {
      const toggle = async (enabled: boolean) => {
        const r = await getJson<Obj>(`${server.url}/api/high-next-bar-exit`, post({ asset: 'ES', enabled }));
        assert.equal(r.status, 200, JSON.stringify(r.body));
      };
      await toggle(true);
      const on = await waitFor('a DESK_UPDATE with the 8pt next-bar exit armed', async () => deskUpdates(desk.messages).find((m) => armed(m) === true));
      assert.deepEqual(on.data, Object.fromEntries(Object.entries(on).filter(([k]) => k !== 'type' && k !== 'timestamp' && k !== 'data')), 'the payload at the top level and under data');
      const rest = (await getJson<DeskView>(`${server.url}/api/desk/state`)).body;
      assert.deepEqual(Object.keys(on.data).sort(), Object.keys(rest).sort(), 'the same view as GET /api/desk/state');
      assert.deepEqual(on.data.assets.ES?.exits, rest.assets.ES?.exits);
      assert.equal(on.data.env, rest.env);

      // Ten changes in a row (ending disarmed): the last state arrives, never two events within the coalescing interval.
      for (let i = 0; i < 10; i += 1) await toggle(i % 2 === 1);
      await toggle(false);
      await waitFor('the last toggle (disarmed) streamed', async () => {
        const list = deskUpdates(desk.messages);
        return list.length > 0 && armed(list[list.length - 1] as DeskView) === false;
      });
      const times = deskUpdates(desk.messages).map((m) => Date.parse(m.timestamp));
      for (let i = 1; i < times.length; i += 1) assert.ok((times[i] as number) - (times[i - 1] as number) >= 200, `events ${times[i - 1]} and ${times[i]} closer than the coalescing interval`);

      // Nothing but ticking figures (heartbeat age, day countdown) changes now: at most one event every five seconds.
      const quietFrom = deskUpdates(desk.messages).length;
      const next = await waitFor('a DESK_UPDATE of ticking figures only', async () => deskUpdates(desk.messages)[quietFrom], 20_000);
      const previous = deskUpdates(desk.messages)[quietFrom - 1] as { timestamp: string };
      assert.ok(Date.parse(next.timestamp) - Date.parse(previous.timestamp) >= 4_900, `${previous.timestamp} -> ${next.timestamp}`);
      assert.equal(armed(next), false);

      // Opt-in: the client taking every type and the seed 000 client got none, though the former got other events.
      await waitFor('other events on the unfiltered client', async () => everything.messages.some((m) => m.type !== 'STATE_SNAPSHOT'));
      assert.deepEqual(everything.messages.filter((m) => m.type === 'DESK_UPDATE'), []);
      assert.deepEqual([...new Set(seed.messages.map((m) => m.type))].filter((t) => !['STATE_SNAPSHOT', 'ACCOUNT_UPDATE', 'POSITION_UPDATE', 'SCAN_SUMMARY', 'TRADE_EXECUTION'].includes(t)), []);
      assert.ok(seed.messages.some((m) => m.type === 'STATE_SNAPSHOT'));
      assert.ok(!desk.messages.some((m) => m.type !== 'DESK_UPDATE'), 'the DESK_UPDATE client gets nothing else');

      // A subscribe message that names it opts the unfiltered client in.
      everything.ws.send(JSON.stringify({ type: 'subscribe', types: 'DESK_UPDATE,ENGINE_UPDATE' }));
      await waitFor('SUBSCRIBED', async () => everything.messages.some((m) => m.type === 'SUBSCRIBED'));
      await toggle(true);
      await waitFor('the subscribed client gets the change', async () => deskUpdates(everything.messages).some((m) => armed(m) === true));
    } finally {
      desk.close();
      everything.close();
      seed.close();
    }
  });

  it('carries an entry: the pending order or position, the trade count and the locks', async () => {
    const desk = await connectWs(wsUrl('?types=DESK_UPDATE'));
    try {
      const tv = async (path: string, body: Obj) => {
        const r = await getJson<Obj>(`${server.url}${path}`, post({ secret: SECRET, ...body }));
        assert.equal(r.status, 200, JSON.stringify(r.body));
      };
      await tv('/tv_heartbeat', { symbol: 'ES', price: 6000, timestamp: Math.floor(Date.now() / 1000) });
      for (const [path, id] of [['/tv_renko_high', 'h-1'], ['/tv_renko_macro', 'm-1'], ['/tv_renko_main', 'k-1']] as const) await tv(path, { asset: 'ES', color: 'green', bar_id: id });
      await waitFor('tempo READY streamed', async () => deskUpdates(desk.messages).some((m) => (m.assets.ES?.tempo as Obj).token === 'READY'));
      const entry = await getJson<Obj>(`${server.url}/api/orders`, post({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' }));
      assert.equal(entry.body.ok, true, JSON.stringify(entry.body));
      const opened = await waitFor('the position streamed', async () => deskUpdates(desk.messages).find((m) => m.assets.ES?.position !== null));
      assert.deepEqual([(opened.assets.ES?.position as Obj).side, (opened.assets.ES?.position as Obj).qty, opened.daily.trades_used], ['BUY', 5, 1]);
      assert.equal(((opened.assets.ES?.locks as Obj).candle_5min as Obj).active, true);
    } finally {
      desk.close();
    }
  });
});
