import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson, startServer, type ServerHandle } from '../helpers/server.js';
import { rawAgent, rawHttp, rawUpgrade, type RawAnswer } from '../helpers/raw-http.js';

type Obj = Record<string, unknown>;
const PASSWORD = 'sweep password 0123';
const TOKEN = 'sweep-token-0123456789abcdef';
const BRIDGE_SECRET = 'bridge-secret-0123456789';
const TV_SECRET = 'tv-secret-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** The path spelled every way an attacker would try; the router must match none of them to a handler unguarded. */
export function spellings(path: string): string[] {
  const segs = path.split('/').slice(1);
  const enc = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
  const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
  const out = new Set<string>([path]);
  segs.forEach((s, i) => {
    if (/^[a-z]/i.test(s)) out.add(`/${segs.map((t, j) => (j === i ? enc(t[0]!) + t.slice(1) : t)).join('/')}`);
  });
  const last = segs[segs.length - 1] ?? '';
  if (last) out.add(`/${[...segs.slice(0, -1), [...last].map(enc).join('')].join('/')}`);
  out.add(path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`));
  if (segs.length > 1) {
    out.add(`/${segs.join('%2F')}`);
    out.add(`/${segs.join('%2f')}`);
    out.add(`/${segs.join('%5C')}`);
  }
  out.add(`/${path}`);
  out.add(path.replace(/\//g, '//'));
  out.add(`${path}/`);
  out.add(`/${segs[0]}/../${segs.join('/')}`);
  out.add(`/x/..${path}`);
  out.add(`/${segs.join('/./')}`);
  out.add(`/${segs[0]}/%2e%2e/${segs.join('/')}`);
  out.add(`${path};a=b`);
  out.add(`/${segs.map((s) => `${s};x`).join('/')}`);
  out.add(path.toUpperCase());
  out.add(`/${segs.map(cap).join('/')}`);
  out.add(`${path}#frag`);
  out.add(path.replace(/\//g, '\\'));
  out.add(`${path}%00`);
  return [...out];
}

/** Runs `tasks` with at most `n` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

interface RouteRow {
  access: string;
  hits: number;
}

describe('route sweep: no protected handler runs under any spelling, anonymously or with wrong credentials (issue 9)', () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({
      env: { DASHBOARD_PASSWORD: PASSWORD, TRADEWIND_API_TOKENS: TOKEN, BRIDGE_HEARTBEAT_SECRET: BRIDGE_SECRET, TV_WEBHOOK_SECRET: TV_SECRET, TRADEWIND_DEMO_BOT: 'false' },
    });
  });
  after(async () => {
    await server?.stop();
  });

  const table = async (): Promise<Record<string, RouteRow>> => (await getJson<{ routes: Record<string, RouteRow> }>(`${server.url}/api/metrics/routes`, { headers: auth })).body.routes;
  /** What any protected handler reachable in the sweep would change (the time-varying parts left out). */
  const sideEffects = async (): Promise<Obj> => {
    const get = async <T = Obj>(p: string) => (await getJson<T>(`${server.url}${p}`, { headers: auth })).body;
    const engine = await get('/api/engine/status');
    const bridge = await get('/api/bridge/status');
    const tv = await get<Record<string, { heartbeat_source: unknown; renko: Record<string, { bar_id?: string } | null> }>>('/api/tradingview/state');
    const desk = await get<{ env: unknown; daily: Obj; assets: Record<string, Obj> }>('/api/desk/state');
    return {
      engine: [engine.state, engine.killSwitch, engine.preset],
      history: (await get<unknown[]>('/api/engine/history')).length,
      // The feed's own ticks keep the heartbeat fresh (source 'ticks'); only a webhook makes it 'tradingview'.
      tradingView: Object.fromEntries(Object.entries(tv).map(([a, v]) => [a, [v.heartbeat_source === 'tradingview', Object.values(v.renko).filter((b) => b?.bar_id === 'sweep').length]])),
      bridge: [bridge.last_heartbeat, bridge.last_pnl_snapshot, bridge.queue, bridge.open_orders, bridge.positions],
      desk: [
        desk.env,
        desk.daily.trades_used,
        desk.daily.daily_stop_triggered,
        Object.values(desk.assets).map((a) => [(a.intent as Obj).state, a.pending_order, a.preorder, a.position, a.trade_mode, a.exits]),
      ],
      backtests: await get('/api/backtests'),
      maxBots: await get('/api/v1/run-bot/max'),
      orders: await get('/api/orders'),
      presets: await get('/api/presets/'),
    };
  };

  it('every route declares an access class; the OpenAPI table and the hidden routes are all in the server table', async () => {
    const routes = await table();
    const keys = Object.keys(routes);
    assert.ok(keys.length >= 150, `${keys.length} routes`);
    for (const [key, row] of Object.entries(routes)) assert.ok(['open', 'operator', 'bridge', 'webhook'].includes(row.access), `${key}: ${row.access}`);
    const doc = (await getJson<{ paths: Record<string, Record<string, unknown>> }>(`${server.url}/api/docs/json`)).body;
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        operations += 1;
        const key = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
        assert.ok(routes[key], `OpenAPI ${key} is a server route`);
        if (key.startsWith('GET /api/') || key.startsWith('POST /api/')) {
          const alias = key.replace(' /api/', ' /api/v1/');
          if (!key.includes('/api/v1/')) assert.ok(routes[alias], `${alias} (v1 alias) exists`);
        }
      }
    }
    assert.ok(operations >= 60, `${operations} OpenAPI operations`);
    const byAccess = (a: string) => keys.filter((k) => routes[k]!.access === a);
    assert.ok(byAccess('bridge').length >= 8, 'bridge routes (under /api and /api/v1, GET and HEAD)');
    assert.ok(byAccess('webhook').length >= 9, 'TradingView webhook routes');
    assert.equal(routes['GET /ws']?.access, 'operator');
    assert.equal(routes['GET /api/login'], undefined);
    assert.equal(routes['POST /api/login']?.access, 'open');
    assert.equal(routes['GET /']?.access, 'open');
    assert.equal(routes['GET /api/docs/json']?.access, 'open');
    assert.equal(routes['OPTIONS *']?.access, 'open');
    assert.ok(keys.some((k) => /^(?:HEAD,)?GET \/assets\/.+\.js$/.test(k) && routes[k]!.access === 'open'), 'dashboard files are open routes');
  });

  it('under every spelling, method and wrong credential: never 2xx/3xx, never 5xx, and the handler counters and the state do not move', async () => {
    const routes = await table();
    const before0 = await sideEffects();
    const table1 = await table();
    const agent = rawAgent();
    const protectedRoutes = Object.entries(routes)
      .filter(([key, row]) => row.access !== 'open' && !key.startsWith('HEAD ') && !key.includes('*'))
      .map(([key, row]) => {
        const [method, url] = key.split(' ') as [string, string];
        return { method, path: url.replace(/:[A-Za-z_]+/g, 'x'), access: row.access, key };
      });
    assert.ok(protectedRoutes.length >= 100, `${protectedRoutes.length} protected routes`);

    type Probe = { method: string; path: string; headers: Record<string, string>; body?: string; why: string; route: string };
    const probes: Probe[] = [];
    const jsonBody = (secret: string) => JSON.stringify({ secret, asset: 'ES', color: 'green', bar_id: 'sweep', symbol: 'ES', price: 5000, status: 'FILLED', reason: 'sweep', preset: 'x', command: 'emergency_stop' });
    for (const r of protectedRoutes) {
      const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
      const base = (headers: Record<string, string>, secret = 'wrong-secret'): Partial<Probe> =>
        hasBody ? { headers: { 'content-type': r.access === 'webhook' ? 'text/plain' : 'application/json', ...headers }, body: jsonBody(secret) } : { headers };
      const add = (path: string, why: string, p: Partial<Probe> = {}, method = r.method) =>
        probes.push({ method, path, headers: {}, ...base({}), ...p, why, route: r.key } as Probe);
      // Anonymous, every spelling; v1 aliases get the full set too (they are routes of their own).
      for (const s of spellings(r.path)) add(s, 'anonymous');
      // Wrong credentials of every kind, and the right credentials of the wrong kind.
      add(r.path, 'wrong bearer', base({ authorization: 'Bearer wrong-token-0123456789abcdef' }));
      add(r.path, 'forged session cookie', base({ cookie: 'tw_session=forged-session-token-0123456789' }));
      add(`${r.path}?token=${TOKEN}`, 'API token in the query (only the WebSocket upgrade takes it)');
      add(`${r.path}?token=wrong`, 'wrong token in the query');
      add(`${r.path}?secret=wrong-secret`, 'wrong secret in the query');
      if (r.access !== 'bridge') add(`${r.path}?secret=${BRIDGE_SECRET}`, 'the bridge secret is not an operator credential', base({}, BRIDGE_SECRET));
      if (r.access !== 'webhook') add(r.path, 'the webhook secret is only for webhooks', base({}, TV_SECRET));
      if (r.access !== 'operator') add(r.path, 'an operator token is not a bridge/webhook secret', base(auth));
      // Other methods on the same path.
      add(r.path, 'HEAD', { headers: {} }, 'HEAD');
      add(r.path, 'OPTIONS', { headers: { origin: 'http://evil.example', 'access-control-request-method': r.method } }, 'OPTIONS');
      add(r.path, 'other method', {}, r.method === 'GET' ? 'POST' : 'GET');
    }
    const answers = await pool(
      probes.map((p) => async (): Promise<[Probe, RawAnswer]> => {
        try {
          return [p, await rawHttp(server.url, { method: p.method, path: p.path, headers: p.headers, body: p.body })];
        } catch (e) {
          return [p, { status: 0, headers: {}, body: `connection error: ${(e as Error).message}` }];
        }
      }),
      6,
    );
    const wrong: string[] = [];
    for (const [p, a] of answers) {
      if (a.status < 400 || a.status >= 500) wrong.push(`${p.method} ${p.path} (${p.why}; route ${p.route}) -> ${a.status} ${a.body.slice(0, 120)}`);
    }
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} of ${answers.length} probes were let through or failed`);
    assert.ok(answers.length > 4_000, `${answers.length} probes`);

    // WebSocket paths: the upgrade never opens without credentials, whatever the spelling.
    const wsPaths = ['/ws', '/w%73', '/%77s', '/%77%73', '/ws#x', '/ws/', '//ws', '/WS', '/Ws', '/ws;x', '/x/../ws', '/ws?token=wrong', '/w%73?token=wrong', '/%2577s', '/ws%00'];
    const wsStatuses: string[] = [];
    for (const p of wsPaths) {
      const variants: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { cookie: 'tw_session=forged' }, { origin: 'http://localhost:1' }];
      for (const headers of variants) {
        const status = await rawUpgrade(server.url, p, headers);
        if (status === 101 || status >= 500 || status < 400) wsStatuses.push(`${p} ${JSON.stringify(headers)} -> ${status}`);
      }
    }
    assert.deepEqual(wsStatuses, [], 'no WebSocket spelling opens anonymously');
    assert.equal(await rawUpgrade(server.url, `/ws?token=${TOKEN}`), 101, 'control: the right token in the query opens the WebSocket');
    assert.equal(await rawUpgrade(server.url, '/w%73', auth), 101, 'control: an encoded spelling with the right token opens it too (same route)');

    // The server's own counters: no protected handler ran during the sweep.
    const table2 = await table();
    const ran: string[] = [];
    for (const [key, row] of Object.entries(table2)) {
      if (row.access === 'open') continue;
      const expected = (table1[key]?.hits ?? 0) + (key === 'GET /api/metrics/routes' ? 1 : 0) + (key === 'GET /ws' ? 2 : 0);
      if (row.hits !== expected) ran.push(`${key}: ${table1[key]?.hits} -> ${row.hits}`);
    }
    assert.deepEqual(ran, [], 'protected handlers that ran during the sweep');
    // And nothing the handlers would have done happened.
    assert.deepEqual(await sideEffects(), before0, 'engine, kill switch, bridge, TradingView, desk, jobs, bots, orders and presets unchanged');
    assert.deepEqual((before0.engine as unknown[]).slice(0, 2), ['IDLE', false], 'no emergency stop');
    agent.destroy();
    // Control: with the right credentials the same requests do change what was compared above.
    await rawHttp(server.url, { method: 'POST', path: '/tv_heartbeat', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ secret: TV_SECRET, symbol: 'ES', price: 5000 }) });
    await rawHttp(server.url, { method: 'POST', path: '/%61pi/engine/emergency-stop', headers: auth });
    const after1 = await sideEffects();
    assert.deepEqual((after1.engine as unknown[]).slice(0, 2), ['EMERGENCY', true], 'an authorised emergency stop shows');
    assert.notDeepEqual(after1.tradingView, before0.tradingView, 'an authorised webhook shows');
  });

  it('a URL that does not decode answers 400 {detail, status_code} with X-Process-Time (issue 11 item 10)', async () => {
    for (const path of ['/api/%E0%A4%A', '/api/state%', '/%zz', '/api/positions/%C0%AF']) {
      const a = await rawHttp(server.url, { method: 'GET', path });
      assert.equal(a.status, 400, path);
      const body = JSON.parse(a.body) as Obj;
      assert.equal(body.status_code, 400);
      assert.equal(typeof body.detail, 'string');
      assert.ok(a.headers['x-process-time'] !== undefined, `${path}: X-Process-Time`);
    }
  });
});
