import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { connectWs, fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';
import { rawAnnounced, rawHttp, rawUpgrade } from '../helpers/raw-http.js';

type Obj = Record<string, unknown>;
const PASSWORD = 'security password 0123';
const TOKEN = 'security-token-0123456789abcdef';
const BRIDGE_SECRET = 'bridge-secret-abcdef012345';
const TV_SECRET = 'tv-secret-abcdef012345';
const bearer = { authorization: `Bearer ${TOKEN}` };
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('security with a password, API tokens and both secrets set (issue 9)', () => {
  let server: ServerHandle;
  let cookie = '';
  const engineState = async () => (await getJson<Obj>(`${server.url}/api/engine/status`, { headers: bearer })).body.state;

  before(async () => {
    // The bridge secret alone, no config file: seed 003 says that switches the bridge on.
    server = await startServer({ env: { DASHBOARD_PASSWORD: PASSWORD, TRADEWIND_API_TOKENS: TOKEN, BRIDGE_HEARTBEAT_SECRET: BRIDGE_SECRET, TV_WEBHOOK_SECRET: TV_SECRET, TRADEWIND_DEMO_BOT: 'false' } });
    const res = await fetch(`${server.url}/api/login`, json({ password: PASSWORD }, { origin: server.url }));
    assert.equal(res.status, 200);
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.match(cookie, /^tw_session=/);
  });
  after(async () => {
    await server?.stop();
  });

  it('a page on another origin (another port of localhost included) cannot act with the operator cookie', async () => {
    const port = Number(new URL(server.url).port);
    const emergency = `${server.url}/api/engine/emergency-stop`;
    const foreign = [`http://127.0.0.1:${port + 1}`, `http://localhost:${port}`, 'http://evil.example', 'null', `https://127.0.0.1:${port}`];
    for (const origin of foreign) {
      for (const init of [
        { method: 'POST', headers: { cookie, origin } },
        { method: 'POST', headers: { cookie, origin, 'content-type': 'text/plain' }, body: '{"reason":"csrf"}' },
        { method: 'POST', headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=csrf' },
        { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json' }, body: '{"reason":"csrf"}' },
      ] as RequestInit[]) {
        const r = await getJson<Obj>(emergency, init);
        assert.equal(r.status, 403, `${origin} ${JSON.stringify(init.headers)}`);
        assert.equal(r.body.status_code, 403);
      }
    }
    // No Origin, but the browser says which site sent it.
    for (const site of ['same-site', 'cross-site']) {
      assert.equal((await getJson(emergency, { method: 'POST', headers: { cookie, 'sec-fetch-site': site, 'content-type': 'application/json' }, body: '{}' })).status, 403, site);
    }
    // A cookie-authenticated state change must be JSON (a form or text/plain post is a "simple request").
    const nonJson: Record<string, string>[] = [{ cookie }, { cookie, 'content-type': 'text/plain' }, { cookie, origin: server.url, 'content-type': 'multipart/form-data; boundary=x' }];
    for (const headers of nonJson) {
      assert.equal((await getJson(emergency, { method: 'POST', headers, body: 'x' })).status, 415, JSON.stringify(headers));
    }
    assert.equal(await engineState(), 'IDLE', 'no emergency stop happened');
    // The WebSocket upgrade with the cookie from another origin is refused too.
    assert.equal(await rawUpgrade(server.url, '/ws', { cookie, origin: `http://127.0.0.1:${port + 1}` }), 403);
    assert.equal(await rawUpgrade(server.url, '/ws', { cookie, origin: server.url }), 101);
    // The server's own page acts: an empty JSON object (what the dashboard sends) or an empty body with a JSON type.
    const own = await getJson<Obj>(emergency, { method: 'POST', headers: { cookie, origin: server.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(await engineState(), 'EMERGENCY');
    // No CORS grant for foreign origins by default.
    const preflight = await fetch(emergency, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    await preflight.arrayBuffer();
    // A bearer token is not ambient: a configured program may call from anywhere.
    assert.equal((await getJson(`${server.url}/api/engine/pause`, { method: 'POST', headers: { ...bearer, origin: 'http://elsewhere.example' } })).status, 400, 'token: the state machine answers (not 403)');
  });

  it('API tokens in the query string count only on the WebSocket upgrade', async () => {
    const rest = await getJson<Obj>(`${server.url}/api/state?token=${TOKEN}`);
    assert.equal(rest.status, 401);
    assert.equal((await getJson(`${server.url}/api/engine/reload?token=${TOKEN}`, { method: 'POST' })).status, 401);
    const ws = await connectWs(`${server.wsUrl}?token=${TOKEN}`);
    await waitFor('snapshot', async () => ws.messages.find((m) => m.type === 'STATE_SNAPSHOT'));
    ws.close();
    await assert.rejects(connectWs(`${server.wsUrl}?token=wrong-token-0123456789`), /401/);
  });

  it('bridge: the secret alone enables the routes and an account; the secret counts in the body or the query on every bridge route', async () => {
    const status = await getJson<Obj>(`${server.url}/api/bridge/status`, { headers: bearer });
    assert.equal(status.body.enabled, true, JSON.stringify(status.body));
    const q = `secret=${encodeURIComponent(BRIDGE_SECRET)}`;
    const heartbeat = { tsConnected: true, mdConnected: true, repoOk: true, account: 'U1', tradeRoute: 'PAPER', lastRapiEventUtc: '2026-01-15T14:32:00Z' };
    assert.deepEqual((await getJson(`${server.url}/api/bridge/heartbeat?${q}`, json(heartbeat))).body, { ok: true, available: true });
    assert.deepEqual((await getJson(`${server.url}/api/bridge/heartbeat`, json({ ...heartbeat, secret: BRIDGE_SECRET }))).body, { ok: true, available: true });
    const snap = { realized: 10, unrealized: 0, accountBalance: 50010, symbols: [] };
    assert.equal((await getJson(`${server.url}/api/rithmic/pnl-snapshot?${q}`, json(snap))).status, 200);
    assert.equal((await getJson(`${server.url}/api/rithmic/pnl-snapshot`, json({ ...snap, secret: BRIDGE_SECRET }))).status, 200);
    assert.deepEqual((await getJson(`${server.url}/api/orders/pending?${q}&owner=sec`)).body, { ok: true, orders: [] });
    const report = await getJson<Obj>(`${server.url}/api/orders/bridge-O-99999999/execution-report?${q}`, json({ status: 'WORKING' }));
    assert.equal(report.status, 404, 'authorized: the report reaches the queue (no such order)');
    const reportBody = await getJson<Obj>(`${server.url}/api/orders/bridge-O-99999999/execution-report`, json({ status: 'WORKING', secret: BRIDGE_SECRET }));
    assert.equal(reportBody.status, 404);
    // A wrong query secret is refused even when the body holds the right one (no mixing).
    assert.equal((await getJson(`${server.url}/api/bridge/heartbeat?secret=wrong`, json({ ...heartbeat, secret: BRIDGE_SECRET }))).status, 401);
  });

  it('bad input gets 400/413/415/422 {detail, status_code}, never a 5xx, never a server path', async () => {
    const post = (path: string, headers: Record<string, string>, body: string | Buffer) => getJson<Obj>(`${server.url}${path}`, { method: 'POST', headers: { ...bearer, ...headers }, body });
    const check = (r: { status: number; body: Obj }, statuses: number[], what: string) => {
      assert.ok(statuses.includes(r.status), `${what}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.status_code, r.status, `${what}: status_code`);
      assert.ok(r.body.detail !== undefined, `${what}: detail`);
      const text = JSON.stringify(r.body);
      assert.ok(!text.includes(server.dataDir) && !/market\.db|tradewind\.db|\/tmp\//.test(text), `${what} names a server path: ${text}`);
    };
    const B = 'xyzboundary';
    const truncated = `--${B}\r\nContent-Disposition: form-data; name="file"; filename="t.csv"\r\n\r\ntimestamp,price,volume\n1,2,3`;
    for (const path of ['/api/upload-tick-data', '/api/v1/run-bot/max-backtest', '/api/v1/run-bot/max']) {
      check(await post(path, { 'content-type': 'multipart/form-data' }, 'xx'), [400], `${path} multipart without a boundary`);
      check(await post(path, { 'content-type': `multipart/form-data; boundary=${B}` }, truncated), [400], `${path} truncated multipart`);
      check(await post(path, { 'content-type': `multipart/form-data; boundary=${B}` }, `--${B}\r\nbroken header\r\n\r\n--${B}--`), [400, 422], `${path} malformed part`);
      check(await post(path, { 'content-type': 'text/xml' }, '<a/>'), [415], `${path} wrong content type`);
      check(await post(path, { 'content-type': 'application/json' }, '{"a":'), [400], `${path} JSON syntax error`);
      const big = await rawAnnounced(server.url, { method: 'POST', path, headers: { ...bearer, 'content-type': 'application/json' }, declaredBytes: 1_100_000, firstBytes: '{"x":"aaaa' });
      check({ status: big.status, body: JSON.parse(big.body) as Obj }, [413], `${path} body too large`);
    }
    const deepArray = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const deepObject = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    for (const path of ['/api/v1/run-bot/max', '/api/v1/run-bot/max-backtest', '/api/engine/start', '/api/engine/command', '/api/backtests']) {
      for (const body of [deepArray, deepObject]) check(await post(path, { 'content-type': 'application/json' }, body), [400], `${path} 5000 levels deep`);
    }
    check(await post('/api/upload-tick-data', { 'content-type': 'application/json' }, '{}'), [400], 'upload as JSON');
    const outside = await post('/api/upload-tick-data', { 'content-type': `multipart/form-data; boundary=${B}` }, `--${B}\r\nContent-Disposition: form-data; name="instrument"\r\n\r\nNQ\r\n--${B}\r\nContent-Disposition: form-data; name="file_path"\r\n\r\n/etc/hosts\r\n--${B}--\r\n`);
    check(outside, [403], 'file_path outside the import directory');
    const missing = await post('/api/backtests', { 'content-type': 'application/json' }, JSON.stringify({ data: { file: 'nope.csv' }, strategy: { name: 'sma-cross', fast: 2, slow: 5 } }));
    check(missing, [403, 404, 422], 'backtest of a missing file');
    check(await post('/api/v1/run-bot/max-backtest', { 'content-type': 'application/json' }, JSON.stringify({ accountName: 'a', mode: 'backtesting', contract: 'NQ', maxMode: 'long', point_key: '15_7_5_2', exit_strategy_key: '15_15', dateFrom: '2020-01-01', dateTo: '2020-01-02' })), [400, 404, 422], 'Max backtest without stored data');
    // Bad URLs and parameters.
    const bad = await rawHttp(server.url, { method: 'GET', path: '/api/presets/%E0%A4', headers: bearer });
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.body) as Obj).status_code, 400);
    // Seed 001's 422 list stays a list.
    const invalid = await post('/api/engine/start', { 'content-type': 'application/json' }, '{"mode":"sideways"}');
    assert.equal(invalid.status, 422);
    assert.ok(Array.isArray(invalid.body.detail));
    assert.deepEqual((invalid.body.detail as { loc: string[] }[])[0]?.loc.slice(0, 1), ['body']);
  });

  it('login throttling holds under concurrency: 200 guesses at once, at most maxFailures checked (runs last: it locks this client out)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => fetch(`${server.url}/api/login`, json({ password: `guess-${i}` }, { origin: server.url })).then(async (r) => [r.status, r.headers.get('retry-after')] as const)),
    );
    const checked = answers.filter(([s]) => s === 401).length;
    const throttled = answers.filter(([s]) => s === 429);
    assert.equal(checked + throttled.length, 200, `every guess answered 401 or 429: ${JSON.stringify(answers.filter(([s]) => s !== 401 && s !== 429))}`);
    assert.ok(checked <= 5, `${checked} guesses were checked (auth.maxLoginFailures is 5)`);
    assert.ok(checked >= 1);
    assert.ok(throttled.every(([, ra]) => Number(ra) > 0), 'Retry-After on every 429');
    const right = await fetch(`${server.url}/api/login`, json({ password: PASSWORD }, { origin: server.url }));
    assert.equal(right.status, 429, 'the right password waits too once throttled');
  });
});

describe('open mode (no password) and the stream (issue 9, issue 11 item 12)', () => {
  let server: ServerHandle;
  before(async () => {
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { engine: { heartbeatMs: 1000 } }) });
  });
  after(async () => {
    await server?.stop();
  });

  it('without a password a foreign page still cannot change state (and curl without an Origin still can)', async () => {
    const port = Number(new URL(server.url).port);
    const r = await getJson<Obj>(`${server.url}/api/engine/pause`, { method: 'POST', headers: { origin: `http://localhost:${port + 3}` } });
    assert.equal(r.status, 403);
    const form = await getJson<Obj>(`${server.url}/api/engine/pause`, { method: 'POST', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
    assert.equal(form.status, 415, 'a browser form post is refused even from our own origin');
    // The seed 001 curl examples: no body, no Origin.
    const curl = await getJson<Obj>(`${server.url}/api/engine/pause`, { method: 'POST' });
    assert.equal(curl.status, 400, `the state machine answers: ${JSON.stringify(curl.body)}`);
    assert.equal(await rawUpgrade(server.url, '/ws', { origin: 'http://evil.example' }), 403, 'a foreign page cannot read the stream');
  });

  it('?events=seed000 and a subscribe message give a seed 000 client exactly its documented types', async () => {
    const seed000 = new Set(['STATE_SNAPSHOT', 'ACCOUNT_UPDATE', 'POSITION_UPDATE', 'SCAN_SUMMARY', 'TRADE_EXECUTION']);
    const all = await connectWs(server.wsUrl);
    const filtered = await connectWs(`${server.wsUrl}?events=seed000`);
    const picked = await connectWs(`${server.wsUrl}?types=HEARTBEAT,ACCOUNT_UPDATE`);
    const later = await connectWs(server.wsUrl);
    try {
      await waitFor('a HEARTBEAT and seed 000 events', async () => all.messages.some((m) => m.type === 'HEARTBEAT') && all.messages.some((m) => m.type === 'ACCOUNT_UPDATE'));
      later.ws.send(JSON.stringify({ type: 'subscribe', events: 'seed000' }));
      const subscribedAt = await waitFor('SUBSCRIBED', async () => {
        const i = later.messages.findIndex((m) => m.type === 'SUBSCRIBED');
        return i >= 0 ? i + 1 : undefined;
      });
      const heartbeats = all.messages.filter((m) => m.type === 'HEARTBEAT').length;
      await waitFor('two more heartbeats on the unfiltered stream', async () => all.messages.filter((m) => m.type === 'HEARTBEAT').length >= heartbeats + 2);
      const types = (ms: WsMessage[]) => new Set(ms.map((m) => m.type));
      assert.ok([...types(all.messages)].some((t) => !seed000.has(t)), 'the unfiltered stream carries other types');
      assert.deepEqual([...types(filtered.messages)].filter((t) => !seed000.has(t)), [], 'seed000: nothing else');
      assert.ok(filtered.messages[0]?.type === 'STATE_SNAPSHOT' && types(filtered.messages).has('ACCOUNT_UPDATE'));
      assert.deepEqual([...types(later.messages.slice(subscribedAt))].filter((t) => !seed000.has(t)), [], 'after subscribe: nothing else');
      assert.deepEqual([...types(picked.messages)].sort(), ['ACCOUNT_UPDATE', 'HEARTBEAT'], 'types=A,B: exactly those (no snapshot)');
    } finally {
      for (const c of [all, filtered, picked, later]) c.close();
    }
    assert.equal(await rawUpgrade(server.url, '/ws?types=not-a-type!'), 400);
  });

  it('a client that floods pings is cut off; replies never pile up', async () => {
    const ws = new WebSocket(server.wsUrl);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // Not reading (paused) while flooding: the server must neither queue a reply per message nor keep the client.
    ws.pause();
    for (let i = 0; i < 5_000 && ws.readyState === WebSocket.OPEN; i += 1) ws.send('{"type":"ping"}');
    ws.resume();
    const code = await closed;
    assert.ok(code === 1008 || code === 1006, `closed with ${code}`);
    const health = await getJson<Obj>(`${server.url}/`);
    assert.equal(health.status, 200);
    // A polite client keeps its connection and gets its pongs.
    const polite = await connectWs(server.wsUrl);
    polite.ws.send('{"type":"ping"}');
    await waitFor('PONG', async () => polite.messages.some((m) => m.type === 'PONG'));
    polite.close();
  });
});
