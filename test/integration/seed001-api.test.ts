// Seed 001 (engine control, trading, scanner, presets, logs/metrics, middleware, WebSocket)
// against the real server process over HTTP and WebSocket.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectWs, fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';

type Obj = Record<string, unknown>;

const STATUS_FIELDS = ['state', 'preset', 'mode', 'startedAt', 'slots', 'openPositions', 'latencyMs', 'dailyR', 'consecutiveLosses'];
const ORDER_FIELDS = ['id', 'symbol', 'side', 'type', 'qty', 'price', 'status', 'createdAt', 'filledAt', 'fees'];
const POSITION_FIELDS = ['id', 'symbol', 'side', 'entry', 'sl', 'size', 'mode', 'openedAt', 'pnlR', 'pnlUsd', 'unrealizedPnlR', 'unrealizedPnlUsd'];
const SNAPSHOT_FIELDS = ['timestamp', 'candidates', 'totalScanned', 'passedFilters', 'summary'];
const MARKET_FIELDS = ['symbol', 'price', 'volume_24h_usd', 'trades_per_minute', 'atr_5m', 'atr_15m', 'timestamp'];
const PERFORMANCE_FIELDS = ['cpu_percent', 'memory_percent', 'memory_used_mb', 'disk_usage_percent', 'active_threads', 'open_files', 'network_connections', 'timestamp'];
const HEALTH_FIELDS = ['status', 'issues', 'cpu_percent', 'memory_percent', 'memory_used_mb', 'disk_usage_percent', 'active_threads', 'optimization_count'];
const LOG_FIELDS = ['id', 'timestamp', 'level', 'component', 'message', 'data'];
const STATS_FIELDS = ['count', 'mean', 'min', 'max'];
const WORKING = ['SCANNING', 'LEVEL_BUILDING', 'SIGNAL_WAIT', 'SIZING', 'EXECUTION', 'MANAGING'];

const hasFields = (obj: unknown, fields: string[], what: string) => {
  assert.ok(typeof obj === 'object' && obj !== null, `${what} is an object: ${JSON.stringify(obj)}`);
  for (const f of fields) assert.ok(Object.hasOwn(obj as Obj, f), `${what} has field ${f}: ${JSON.stringify(obj)}`);
};
const isIso = (v: unknown, what: string) => assert.ok(typeof v === 'string' && !Number.isNaN(Date.parse(v)), `${what} is an ISO time: ${String(v)}`);
const sorted = (xs: unknown) => [...(xs as string[])].sort();

function client(base: string) {
  const json = (method: string, path: string, body?: unknown) =>
    getJson<Obj>(`${base}${path}`, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    get: <T = Obj>(path: string) => getJson<T>(`${base}${path}`),
    post: (path: string, body?: unknown) => json('POST', path, body),
    put: (path: string, body?: unknown) => json('PUT', path, body),
    del: (path: string) => json('DELETE', path),
  };
}

describe('seed 001 API on the running server', () => {
  let server: ServerHandle;
  let api: ReturnType<typeof client>;
  let presetsDir: string;
  let ws: Awaited<ReturnType<typeof connectWs>>;
  const wsOf = (type: string) => ws.messages.filter((m) => m.type === type);

  before(async () => {
    const dir = tempDir();
    presetsDir = tempDir('tw-presets-');
    // An invalid preset present at start: reported in the logs and left out of the list.
    writeFileSync(join(presetsDir, 'broken_preset.json'), JSON.stringify({ name: 'broken_preset', description: 'risk far too high', risk: { risk_per_trade: 5 } }));
    server = await startServer({
      dataDir: dir,
      config: fastConfig(dir, { engine: { heartbeatMs: 1000 } }),
      env: { TRADEWIND_PRESETS_DIR: presetsDir, LOG_LEVEL: 'info' },
    });
    api = client(server.url);
    ws = await connectWs(server.wsUrl);
  });
  after(async () => {
    ws?.close();
    await server?.stop();
  });

  it('GET /api/engine/status in IDLE carries every seed field (also under /api/v1)', async () => {
    const { status, body } = await api.get('/api/engine/status');
    assert.equal(status, 200);
    hasFields(body, STATUS_FIELDS, 'status');
    assert.equal(body.state, 'IDLE');
    assert.equal(body.preset, null);
    assert.equal(body.mode, 'paper');
    assert.equal(body.startedAt, null);
    assert.equal(body.slots, 0);
    assert.equal(body.openPositions, 0);
    for (const f of ['latencyMs', 'dailyR', 'consecutiveLosses']) assert.equal(typeof body[f], 'number', f);
    const v1 = await api.get('/api/v1/engine/status');
    assert.equal(v1.status, 200);
    assert.equal(v1.body.state, 'IDLE');
    hasFields(v1.body, STATUS_FIELDS, 'v1 status');
  });

  it('in IDLE: commands list start, resume/pause are refused with 400, stop is an idempotent 200', async () => {
    const { status, body } = await api.get('/api/engine/commands');
    assert.equal(status, 200);
    assert.equal(body.current_state, 'IDLE');
    isIso(body.timestamp, 'commands.timestamp');
    assert.ok((body.commands as string[]).includes('start'), JSON.stringify(body));
    for (const c of ['pause', 'resume', 'stop']) assert.ok(!(body.commands as string[]).includes(c), `${c} not offered in IDLE`);
    const resume = await api.post('/api/engine/resume');
    assert.equal(resume.status, 400);
    assert.match(String(resume.body.detail), /RESUME|resume/);
    const pause = await api.post('/api/engine/pause');
    assert.equal(pause.status, 400);
    assert.equal(typeof pause.body.detail, 'string');
    const stop = await api.post('/api/engine/stop');
    assert.equal(stop.status, 200);
    assert.equal(stop.body.success, true);
    assert.equal(stop.body.changed, false);
    isIso(stop.body.timestamp, 'stop.timestamp');
    assert.equal((await api.get('/api/engine/status')).body.state, 'IDLE');
  });

  it('POST /api/engine/start validates: 404 unknown preset, 422 bad mode / missing preset, 400 live without credentials', async () => {
    const unknown = await api.post('/api/engine/start', { preset: 'no_such_preset', mode: 'paper' });
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.detail), /no_such_preset/);

    const badMode = await api.post('/api/engine/start', { preset: 'breakout_v1', mode: 'demo' });
    assert.equal(badMode.status, 422);
    const badDetail = badMode.body.detail as { loc: unknown[]; msg: string; type: string }[];
    assert.ok(Array.isArray(badDetail) && badDetail.length > 0, JSON.stringify(badMode.body));
    assert.ok(
      badDetail.some((d) => JSON.stringify(d.loc) === JSON.stringify(['body', 'mode']) && typeof d.msg === 'string' && typeof d.type === 'string'),
      JSON.stringify(badDetail),
    );

    const missing = await api.post('/api/engine/start', { mode: 'paper' });
    assert.equal(missing.status, 422);
    const missingDetail = missing.body.detail as { loc: unknown[]; type: string }[];
    assert.ok(missingDetail.some((d) => JSON.stringify(d.loc) === JSON.stringify(['body', 'preset'])), JSON.stringify(missingDetail));

    const live = await api.post('/api/engine/start', { preset: 'breakout_v1', mode: 'live' });
    assert.equal(live.status, 400);
    assert.match(String(live.body.detail), /credential/i);

    assert.equal((await api.get('/api/engine/status')).body.state, 'IDLE', 'nothing started');
  });

  it('POST /api/scanner/scan/{preset} answers 503 while the engine is not running; /scanner/last is empty', async () => {
    const scan = await api.post('/api/scanner/scan/breakout_v1', { limit: 5, symbols: ['BTC/USDT'] });
    assert.equal(scan.status, 503);
    assert.equal(typeof scan.body.detail, 'string');
    const last = await api.get('/api/scanner/last');
    assert.equal(last.status, 200);
    hasFields(last.body, SNAPSHOT_FIELDS, 'empty last scan');
    assert.deepEqual(last.body.candidates, []);
    assert.equal(last.body.totalScanned, 0);
  });

  it('GET /api/presets/ lists the valid presets; the invalid file is left out and reported in the logs', async () => {
    const { status, body } = await api.get<Obj[]>('/api/presets/');
    assert.equal(status, 200);
    assert.deepEqual(body.map((p) => p.name).sort(), ['breakout_v1', 'scalping_high_freq']);
    for (const p of body) hasFields(p, ['name', 'description', 'risk_per_trade', 'max_positions', 'strategy_type'], `preset ${String(p.name)}`);
    const breakout = body.find((p) => p.name === 'breakout_v1') as Obj;
    assert.equal(breakout.risk_per_trade, 0.006);
    assert.equal(breakout.max_positions, 3);
    assert.equal(breakout.strategy_type, 'momentum');
    const scalping = body.find((p) => p.name === 'scalping_high_freq') as Obj;
    assert.equal(scalping.risk_per_trade, 0.003);
    assert.equal(scalping.max_positions, 5);
    assert.equal(scalping.strategy_type, 'scalping');

    const byComponent = await api.get<Obj[]>('/api/logs?component=presets');
    assert.equal(byComponent.status, 200);
    assert.ok(byComponent.body.some((e) => JSON.stringify(e).includes('broken_preset')), `presets log names the file: ${JSON.stringify(byComponent.body)}`);
    const warnings = await api.get<Obj[]>('/api/logs?level=WARNING');
    assert.ok(warnings.body.some((e) => e.component === 'presets' && JSON.stringify(e).includes('broken_preset')), 'a WARNING names the invalid preset');
    assert.ok((await api.get('/api/presets/broken_preset')).status === 404, 'the invalid preset cannot be fetched');
  });

  it('GET /api/presets/{name} returns {name, config}; 404 for an unknown preset', async () => {
    const { status, body } = await api.get('/api/presets/breakout_v1');
    assert.equal(status, 200);
    assert.equal(body.name, 'breakout_v1');
    const config = body.config as Obj;
    assert.equal(config.description, 'Liquid markets momentum breakout strategy');
    assert.equal((config.risk as Obj).risk_per_trade, 0.006);
    assert.equal((config.risk as Obj).max_concurrent_positions, 3);
    assert.equal(((config.scanner_config as Obj).score_weights as Obj).vol_surge, 0.35);
    const missing = await api.get('/api/presets/nope');
    assert.equal(missing.status, 404);
    assert.match(String(missing.body.detail), /nope/);
  });

  it('PUT /api/presets/{name}: 200 persisted to the presets dir; 422 out of range; 400 malformed JSON; 404 unknown', async () => {
    const file = join(presetsDir, 'breakout_v1.json');
    const update = {
      description: 'Updated strategy description',
      // Short bars and history so the scanner has candidates within seconds.
      bar_interval_ms: 200,
      risk: { risk_per_trade: 0.007, max_concurrent_positions: 3 },
      scanner_config: { min_history_bars: 5, max_candidates: 2 },
      volatility_filters: { atr_min_pct: 0, volume_surge_min: 0 },
      liquidity_filters: { min_24h_volume_usd: 0, min_trades_per_minute: 0 },
    };
    const ok = await api.put('/api/presets/breakout_v1', update);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.success, true);
    assert.equal(ok.body.message, "Preset 'breakout_v1' updated successfully");
    isIso(ok.body.timestamp, 'put.timestamp');
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as Obj;
    assert.equal(onDisk.description, 'Updated strategy description');
    assert.equal((onDisk.risk as Obj).risk_per_trade, 0.007);
    assert.equal((onDisk.risk as Obj).daily_risk_limit_r, 3, 'deep merge keeps the other keys');
    assert.equal((onDisk.scanner_config as Obj).min_history_bars, 5);
    const got = await api.get('/api/presets/breakout_v1');
    assert.equal(((got.body.config as Obj).risk as Obj).risk_per_trade, 0.007);
    const listed = (await api.get<Obj[]>('/api/presets/')).body.find((p) => p.name === 'breakout_v1') as Obj;
    assert.equal(listed.risk_per_trade, 0.007);
    assert.equal(listed.description, 'Updated strategy description');

    const before = readFileSync(file, 'utf8');
    const bad = await api.put('/api/presets/breakout_v1', { risk: { risk_per_trade: 5 } });
    assert.equal(bad.status, 422);
    assert.match(JSON.stringify(bad.body.detail), /risk_per_trade/);
    assert.equal(readFileSync(file, 'utf8'), before, 'a refused update leaves the file alone');

    const malformed = await getJson<Obj>(`${server.url}/api/presets/breakout_v1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"risk": {' });
    assert.equal(malformed.status, 400);
    assert.ok(malformed.body.detail, 'malformed JSON has a detail');
    assert.equal(readFileSync(file, 'utf8'), before);

    const unknown = await api.put('/api/presets/nope', { description: 'x' });
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.detail), /nope/);
  });

  it('POST /api/engine/start 200, then status shows the running engine and a second start is 400', async () => {
    const started = await api.post('/api/engine/start', { preset: 'breakout_v1', mode: 'paper' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.success, true);
    assert.match(String(started.body.message), /breakout_v1/);
    assert.match(String(started.body.message), /paper/);
    isIso(started.body.timestamp, 'start.timestamp');

    const { body } = await api.get('/api/engine/status');
    hasFields(body, STATUS_FIELDS, 'running status');
    assert.ok(WORKING.includes(body.state as string), `running state: ${String(body.state)}`);
    assert.equal(body.preset, 'breakout_v1');
    assert.equal(body.mode, 'paper');
    isIso(body.startedAt, 'startedAt');
    assert.ok(Math.abs(Date.parse(body.startedAt as string) - Date.now()) < 60_000, 'startedAt is now');
    assert.equal(body.slots, 3);
    assert.equal(typeof body.openPositions, 'number');

    const again = await api.post('/api/engine/start', { preset: 'breakout_v1', mode: 'paper' });
    assert.equal(again.status, 400);
    assert.match(String(again.body.detail), /already running/);

    const commands = await api.get('/api/engine/commands');
    assert.ok(WORKING.includes(commands.body.current_state as string));
    assert.deepEqual(sorted(commands.body.commands), ['emergency_stop', 'pause', 'stop']);
  });

  it('WebSocket: ENGINE_UPDATE with the state fields after start; HEARTBEAT with latencyMs every second', async () => {
    const updates = await waitFor('ENGINE_UPDATE to a running state', async () => {
      const u = wsOf('ENGINE_UPDATE');
      return u.some((m) => WORKING.includes((m.data as Obj).state as string)) && u;
    }, 5_000);
    const first = updates[0] as WsMessage;
    isIso(first.timestamp, 'ENGINE_UPDATE.timestamp');
    const data = first.data as Obj;
    assert.equal(data.state, 'INITIALIZING');
    assert.equal(data.previous_state, 'IDLE');
    assert.equal(typeof data.reason, 'string');
    assert.deepEqual(data.metadata, { preset: 'breakout_v1', mode: 'paper' });
    const beats = await waitFor('two HEARTBEATs', async () => wsOf('HEARTBEAT').length >= 2 && wsOf('HEARTBEAT'), 5_000);
    for (const hb of beats) {
      isIso(hb.timestamp, 'HEARTBEAT.timestamp');
      assert.equal(typeof (hb.data as Obj).latencyMs, 'number', JSON.stringify(hb));
    }
  });

  it('PUT /api/presets/{name} is 409 while the engine runs', async () => {
    const res = await api.put('/api/presets/breakout_v1', { description: 'while running' });
    assert.equal(res.status, 409);
    assert.match(String(res.body.detail), /running/);
    assert.equal(((await api.get('/api/presets/breakout_v1')).body.config as Obj).description, 'Updated strategy description');
  });

  it('pause and resume: 200, idempotent repeats answer changed:false', async () => {
    const pause = await api.post('/api/engine/pause');
    assert.equal(pause.status, 200);
    assert.equal(pause.body.success, true);
    assert.equal(pause.body.changed, true);
    assert.equal((await api.get('/api/engine/status')).body.state, 'PAUSED');
    const pause2 = await api.post('/api/engine/pause');
    assert.equal(pause2.status, 200);
    assert.equal(pause2.body.changed, false);
    const commands = await api.get('/api/engine/commands');
    assert.equal(commands.body.current_state, 'PAUSED');
    assert.ok((commands.body.commands as string[]).includes('resume'));
    assert.ok(!(commands.body.commands as string[]).includes('pause'));
    const resume = await api.post('/api/engine/resume');
    assert.equal(resume.status, 200);
    assert.equal(resume.body.changed, true);
    assert.ok(WORKING.includes((await api.get('/api/engine/status')).body.state as string));
    const resume2 = await api.post('/api/engine/resume');
    assert.equal(resume2.status, 200);
    assert.equal(resume2.body.changed, false);
  });

  it('GET /api/engine/history lists the transitions with reason, timestamp and metadata', async () => {
    const { status, body } = await api.get<Obj[]>('/api/engine/history');
    assert.equal(status, 200);
    assert.ok(Array.isArray(body) && body.length >= 4, JSON.stringify(body));
    for (const t of body) hasFields(t, ['from_state', 'to_state', 'reason', 'timestamp', 'metadata'], 'transition');
    const start = body.find((t) => t.from_state === 'IDLE' && t.to_state === 'INITIALIZING') as Obj;
    assert.ok(start, 'IDLE -> INITIALIZING recorded');
    assert.deepEqual(start.metadata, { preset: 'breakout_v1', mode: 'paper' });
    const pause = body.find((t) => t.to_state === 'PAUSED') as Obj;
    assert.ok(pause && typeof pause.reason === 'string' && (pause.reason as string).length > 0);
    const times = body.map((t) => (typeof t.timestamp === 'number' ? t.timestamp : Date.parse(String(t.timestamp))));
    assert.ok(times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= (times[i - 1] as number))), 'timestamps ascend');
    const limited = await api.get<Obj[]>('/api/engine/history?limit=2');
    assert.equal(limited.body.length, 2);
  });

  it('scanner: 404 unknown preset, 400 preset mismatch, 200 ScannerSnapshot honouring symbols and limit', async () => {
    const unknown = await api.post('/api/scanner/scan/nope', {});
    assert.equal(unknown.status, 404);
    const mismatch = await api.post('/api/scanner/scan/scalping_high_freq', {});
    assert.equal(mismatch.status, 400);
    assert.match(String(mismatch.body.detail), /mismatch/i);
    const bodyMismatch = await api.post('/api/scanner/scan/breakout_v1', { preset: 'scalping_high_freq' });
    assert.equal(bodyMismatch.status, 400);

    const one = await api.post('/api/scanner/scan/breakout_v1', { preset: 'breakout_v1', limit: 5, symbols: ['BTC/USDT'] });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    hasFields(one.body, SNAPSHOT_FIELDS, 'snapshot');
    isIso(one.body.timestamp, 'snapshot.timestamp');
    assert.equal(one.body.totalScanned, 1);
    assert.ok(Array.isArray(one.body.candidates));
    assert.ok((one.body.candidates as Obj[]).every((c) => c.symbol === 'BTC/USDT'));
    assert.equal(typeof one.body.summary, 'object');
    assert.equal((one.body.summary as Obj).preset, 'breakout_v1');

    const two = await api.post('/api/scanner/scan/breakout_v1', { limit: 5, symbols: ['BTC/USDT', 'ETH/USDT'] });
    assert.equal(two.body.totalScanned, 2);
    // Every field of ScanRequest is optional: no body at all scans every symbol of the preset.
    const noBody = await getJson<Obj>(`${server.url}/api/scanner/scan/breakout_v1`, { method: 'POST' });
    assert.equal(noBody.status, 200, JSON.stringify(noBody.body));
    assert.equal(noBody.body.totalScanned, 4);

    // The updated preset (200 ms bars, 5 bars of history, no filters) yields candidates in seconds.
    // Its max_candidates is 2; the request's limit wins over it (issue 11 item 6).
    const full = await waitFor('a scan with three candidates', async () => {
      const r = await api.post('/api/scanner/scan/breakout_v1', { limit: 4 });
      return (r.body.candidates as Obj[]).length >= 3 && r.body;
    }, 20_000, 300);
    assert.equal(full.totalScanned, 4);
    assert.ok((full.passedFilters as number) >= (full.candidates as Obj[]).length);
    assert.equal((full.summary as Obj).limit, 4);
    for (const c of full.candidates as Obj[]) {
      hasFields(c, ['symbol', 'score', 'filters', 'metrics', 'levels'], 'candidate');
      assert.equal(typeof c.score, 'number');
      assert.ok(Array.isArray(c.levels));
    }
    const presetCap = await api.post('/api/scanner/scan/breakout_v1', {});
    assert.equal((presetCap.body.candidates as Obj[]).length, 2, "without a limit the preset's max_candidates applies");
    const limited = await api.post('/api/scanner/scan/breakout_v1', { limit: 1 });
    assert.equal(limited.status, 200);
    assert.equal((limited.body.candidates as Obj[]).length, 1, 'limit 1 gives one candidate');
    assert.ok((limited.body.passedFilters as number) >= 2);
    const overCap = await api.post('/api/scanner/scan/breakout_v1', { limit: 101 });
    assert.equal(overCap.status, 422, 'a limit above the hard cap (100) is refused');

    // summary.session_id (seed 001's monitoring session): one per engine start, on every scan.
    const session = (one.body.summary as Obj).session_id;
    assert.match(String(session), /^sess_/);
    for (const r of [two.body, full, presetCap.body, limited.body]) assert.equal((r.summary as Obj).session_id, session);

    const last = await api.get('/api/scanner/last');
    assert.equal(last.status, 200);
    hasFields(last.body, SNAPSHOT_FIELDS, 'last');
    assert.ok(Date.parse(last.body.timestamp as string) >= Date.parse(limited.body.timestamp as string), 'last is the newest scan');
    await waitFor('a SCAN_RESULT on the WebSocket', async () => wsOf('SCAN_RESULT').some((m) => typeof (m.data as Obj).totalScanned === 'number'), 5_000);
    // Manual scans and the bot's own scans carry the session on SCAN_RESULT too.
    await waitFor('SCAN_RESULTs of the bot and of a manual scan', async () => {
      const results = wsOf('SCAN_RESULT').map((m) => m.data as Obj);
      return results.some((d) => (d.summary as Obj).manual === true) && results.some((d) => (d.summary as Obj).manual === undefined) && results;
    }, 5_000);
    for (const m of wsOf('SCAN_RESULT')) assert.equal(((m.data as Obj).summary as Obj).session_id, session, JSON.stringify((m.data as Obj).summary));
    assert.equal((last.body.summary as Obj).session_id, session);
  });

  it('GET /api/scanner/market-data/{symbol}: BTC%2FUSDT and BTCUSDT both work; 404 unknown', async () => {
    for (const path of ['BTC%2FUSDT', 'BTCUSDT']) {
      const { status, body } = await api.get(`/api/scanner/market-data/${path}`);
      assert.equal(status, 200, path);
      hasFields(body, MARKET_FIELDS, `market data ${path}`);
      assert.equal(body.symbol, 'BTC/USDT');
      assert.ok((body.price as number) > 1000, 'BTC price');
      assert.ok((body.volume_24h_usd as number) > 0);
      assert.ok((body.trades_per_minute as number) > 0);
      assert.equal(typeof body.timestamp, 'number');
    }
    const unknown = await api.get('/api/scanner/market-data/NOPEUSDT');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.detail), /NOPEUSDT/);
  });

  it('GET /api/orders lists orders with the seed fields; ?status=open filters; 422 for a bad status', async () => {
    const orders = await waitFor('a filled and an open order', async () => {
      const { body } = await api.get<Obj[]>('/api/orders?account=demo');
      return body.some((o) => o.status === 'filled') && body.some((o) => o.status === 'open') && body;
    }, 20_000, 200);
    for (const o of orders) {
      hasFields(o, ORDER_FIELDS, 'order');
      assert.ok(['open', 'filled', 'cancelled', 'rejected'].includes(o.status as string), `status ${String(o.status)}`);
      assert.ok(['buy', 'sell'].includes(o.side as string));
      assert.ok((o.qty as number) > 0);
      isIso(o.createdAt, 'createdAt');
      if (o.status === 'filled') isIso(o.filledAt, 'filledAt of a filled order');
      if (o.status === 'open') assert.equal(o.filledAt, null);
    }
    // Protective orders keep their real type (issue 11 item 11): the stop-loss is a stop order.
    const stops = await waitFor('a protective stop-loss order', async () => {
      const { body } = await api.get<Obj[]>('/api/orders?account=demo&limit=500');
      const found = body.filter((o) => o.purpose === 'stop_loss');
      return found.length > 0 && found;
    }, 20_000, 200);
    for (const o of stops) {
      assert.equal(o.type, 'stop', JSON.stringify(o));
      assert.ok((o.stopPrice as number) > 0, JSON.stringify(o));
    }
    for (const o of (await api.get<Obj[]>('/api/orders?account=demo&limit=500')).body) {
      assert.ok(['market', 'limit', 'stop'].includes(o.type as string), `type ${String(o.type)}`);
      if (o.purpose === 'entry' || o.purpose === 'exit') assert.equal(o.type, 'market');
    }
    // The demo bot keeps trading: its open order seen above may have filled since; wait for one.
    const open = await waitFor('an open order through ?status=open', async () => {
      const r = await api.get<Obj[]>('/api/orders?account=demo&status=open');
      assert.equal(r.status, 200);
      return r.body.length > 0 && r;
    }, 20_000, 200);
    assert.ok(open.body.every((o) => o.status === 'open'));
    const filled = await api.get<Obj[]>('/api/orders?account=demo&status=filled');
    assert.ok(filled.body.length > 0 && filled.body.every((o) => o.status === 'filled' && (o.fees as number) >= 0));
    const bad = await api.get('/api/orders?status=bogus');
    assert.equal(bad.status, 422);
    assert.ok((bad.body.detail as { loc: unknown[] }[]).some((d) => JSON.stringify(d.loc) === JSON.stringify(['querystring', 'status'])), JSON.stringify(bad.body));
  });

  it('GET /api/positions/{id}: 200 for an open position, 404 otherwise', async () => {
    const found = await waitFor('an open position fetched by id', async () => {
      const { body } = await api.get<Obj[]>('/api/positions?account=demo');
      for (const p of body) {
        const one = await api.get(`/api/positions/${encodeURIComponent(String(p.id))}`);
        if (one.status === 200) return { listed: p, one: one.body };
      }
      return null;
    }, 20_000, 200);
    hasFields(found.one, POSITION_FIELDS, 'position');
    assert.equal(found.one.id, found.listed.id);
    assert.equal(found.one.symbol, found.listed.symbol);
    assert.ok(['long', 'short'].includes(found.one.side as string));
    assert.ok((found.one.size as number) > 0);
    isIso(found.one.openedAt, 'openedAt');
    const missing = await api.get('/api/positions/P-99999999');
    assert.equal(missing.status, 404);
    assert.match(String(missing.body.detail), /P-99999999/);
  });

  it('DELETE /api/orders/{id}: 404 unknown, 409 filled, 200 for a working order which then shows cancelled', async () => {
    const unknown = await api.del('/api/orders/order_123');
    assert.equal(unknown.status, 404);
    assert.ok(unknown.body.detail);

    const filled = (await api.get<Obj[]>('/api/orders?account=demo&status=filled')).body[0] as Obj;
    assert.ok(filled, 'a filled order exists');
    const conflict = await api.del(`/api/orders/${String(filled.id)}`);
    assert.equal(conflict.status, 409);
    assert.ok(conflict.body.detail);

    // A protective stop can fill between listing and cancelling: try a few working orders.
    let cancelled: { id: string; body: Obj } | null = null;
    for (let attempt = 0; attempt < 10 && !cancelled; attempt += 1) {
      const open = await waitFor('a working order', async () => {
        const { body } = await api.get<Obj[]>('/api/orders?account=demo&status=open');
        return body.length > 0 && body;
      }, 20_000, 100);
      const id = String((open[0] as Obj).id);
      const res = await api.del(`/api/orders/${id}`);
      if (res.status === 200) cancelled = { id, body: res.body };
      else assert.equal(res.status, 409, `only a race with a fill may refuse: ${JSON.stringify(res.body)}`);
    }
    assert.ok(cancelled, 'a working order was cancelled');
    assert.equal(cancelled.body.success, true);
    assert.equal(cancelled.body.message, `Order ${cancelled.id} canceled successfully`);
    isIso(cancelled.body.timestamp, 'cancel.timestamp');
    const id = cancelled.id;
    const after = await waitFor('the order listed as cancelled', async () => {
      const { body } = await api.get<Obj[]>('/api/orders?account=demo&status=cancelled&limit=1000');
      return body.find((o) => o.id === id);
    }, 5_000);
    assert.equal(after.status, 'cancelled');
    const again = await api.del(`/api/orders/${id}`);
    assert.equal(again.status, 409, 'a cancelled order cannot be cancelled again');
    await waitFor('ORDER_CANCELLED on the WebSocket', async () => wsOf('ORDER_CANCELLED').some((m) => ((m.data as Obj).order as Obj | undefined)?.id === id), 5_000);
  });

  it('POST /api/positions/{id}/close: 404 unknown; 200 places a market exit for the full size; repeating it is idempotent', async () => {
    const unknown = await api.post('/api/positions/P-99999999/close');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.detail), /P-99999999/);

    const open = await waitFor('an open position to close', async () => {
      const { body } = await api.get<Obj[]>('/api/positions?account=demo');
      return body.length > 0 && body;
    }, 20_000, 100);
    const position = open[0] as Obj;
    const path = `/api/positions/${encodeURIComponent(String(position.id))}/close`;
    const res = await api.post(path);
    // The demo bot may exit the position between the listing and the close: that is a 200 too.
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body;
    assert.equal(body.success, true);
    assert.equal(body.position_id, position.id);
    isIso(body.timestamp, 'close.timestamp');
    assert.ok(['closing', 'already_closing', 'already_closed'].includes(body.status as string), String(body.status));
    if (body.status !== 'already_closed') {
      const order = body.order as Obj;
      hasFields(order, ORDER_FIELDS, 'close order');
      assert.equal(order.symbol, position.symbol);
      assert.equal(order.side, position.side === 'long' ? 'sell' : 'buy');
      assert.equal(order.qty, position.size);
      assert.equal(order.purpose, 'exit');
    }
    // A second close while the exit works or after it filled is not an error: same position, no new order.
    const again = await api.post(path);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.ok(['already_closing', 'already_closed'].includes(again.body.status as string), String(again.body.status));
    if (again.body.status === 'already_closing' && body.status === 'closing') assert.equal((again.body.order as Obj).id, (body.order as Obj).id, 'the same exit order');
    await waitFor('the closed position gone from /api/positions', async () => !(await api.get<Obj[]>('/api/positions?account=demo')).body.some((p) => p.id === position.id), 5_000, 100);
    // Once closed: status already_closed with the closing trade, by id and by seed 000 ticket.
    for (const id of [String(position.id), String(position.ticket ?? Number(/\d+$/.exec(String(position.id))?.[0]))]) {
      const closed = await api.post(`/api/positions/${encodeURIComponent(id)}/close`);
      assert.equal(closed.status, 200, JSON.stringify(closed.body));
      assert.equal(closed.body.status, 'already_closed');
      assert.equal(closed.body.position_id, position.id);
      assert.equal(closed.body.order, null);
      assert.ok((closed.body.exit_price as number) > 0);
      isIso(closed.body.closed_at, 'closed_at');
    }
  });

  it('WebSocket: ORDER_PLACED, ORDER_FILLED, ORDER_UPDATE and POSITION_OPENED arrive with data', async () => {
    await waitFor('trading events', async () => ['ORDER_PLACED', 'ORDER_FILLED', 'ORDER_UPDATE', 'POSITION_OPENED'].every((t) => wsOf(t).length > 0), 20_000);
    for (const m of [...wsOf('ORDER_PLACED'), ...wsOf('ORDER_FILLED'), ...wsOf('ORDER_UPDATE')]) {
      isIso(m.timestamp, `${m.type}.timestamp`);
      hasFields((m.data as Obj).order, ORDER_FIELDS, `${m.type}.data.order`);
    }
    assert.ok(wsOf('ORDER_FILLED').every((m) => ((m.data as Obj).order as Obj).status === 'filled'));
    assert.ok(wsOf('ORDER_PLACED').every((m) => ['open', 'filled'].includes(((m.data as Obj).order as Obj).status as string)));
    for (const m of wsOf('POSITION_OPENED')) hasFields((m.data as Obj).position, POSITION_FIELDS, 'POSITION_OPENED.data.position');
    // What was pushed is what REST reports.
    const placed = (wsOf('ORDER_PLACED').at(-1) as WsMessage).data as Obj;
    const { body } = await api.get<Obj[]>('/api/orders?account=demo&limit=1000');
    assert.ok(body.some((o) => o.id === (placed.order as Obj).id), 'a placed order is listed by GET /api/orders');
  });

  it('GET /api/logs honours level, component and limit; 400 for an unknown level', async () => {
    const all = await api.get<Obj[]>('/api/logs');
    assert.equal(all.status, 200);
    assert.ok(all.body.length > 0 && all.body.length <= 100);
    for (const e of all.body) hasFields(e, LOG_FIELDS, 'log entry');
    const limited = await api.get<Obj[]>('/api/logs?limit=3');
    assert.equal(limited.body.length, 3);
    const warnings = await api.get<Obj[]>('/api/logs?level=WARNING');
    assert.ok(warnings.body.length > 0);
    assert.ok(warnings.body.every((e) => ['WARNING', 'ERROR', 'CRITICAL'].includes(e.level as string)), JSON.stringify(warnings.body.map((e) => e.level)));
    const engine = await api.get<Obj[]>('/api/logs?component=engine&level=INFO&limit=50');
    assert.ok(engine.body.length > 0, 'engine transitions are logged');
    assert.ok(engine.body.every((e) => e.component === 'engine'));
    assert.ok(engine.body.some((e) => /INITIALIZING/.test(String(e.message))), 'the start transition is in the engine log');
    const bad = await api.get('/api/logs?level=VERBOSE');
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.detail), /VERBOSE/);

    // Request/response lines in the seed's format at the default level (issue 11 item 9), under
    // the API's component, with one request id; secrets in the URL are redacted.
    await api.get('/api/engine/status?token=do-not-log-me');
    const http = await waitFor('the request and response lines of GET /api/engine/status', async () => {
      const { body } = await api.get<Obj[]>('/api/logs?component=api&limit=1000');
      const mine = body.filter((e) => String(e.message).includes('/api/engine/status?token='));
      return mine.length >= 2 && mine;
    }, 5_000);
    assert.equal(http.length, 2, `two lines per request: ${JSON.stringify(http)}`);
    const [request, response] = http;
    assert.match(String(request?.message), /^Request: GET http:\/\/127\.0\.0\.1:\d+\/api\/engine\/status\?token=\[redacted\]$/);
    assert.match(String(response?.message), /^Response: 200 \(\d+\.\d{3}s\) GET http:\/\/127\.0\.0\.1:\d+\/api\/engine\/status\?token=\[redacted\]$/);
    const data = response?.data as Obj;
    assert.deepEqual([request?.level, response?.level, data.method, data.route, data.status], ['INFO', 'INFO', 'GET', '/api/engine/status', 200]);
    assert.equal((request?.data as Obj).reqId, data.reqId);
    assert.equal(typeof data.duration_s, 'number');
    assert.match(String(data.reqId), /^req-/);
    assert.ok(!server.output().includes('do-not-log-me'), 'the token never reaches the output');
    // Every module logs under its own component: none of the kernel's lines is "app".
    const components = new Set((await api.get<Obj[]>('/api/logs?limit=1000')).body.map((e) => e.component));
    for (const c of ['api', 'engine', 'execution']) assert.ok(components.has(c), `component ${c} in ${[...components].join(', ')}`);
    assert.ok(!components.has('app'), `no line without a component: ${[...components].join(', ')}`);
  });

  it('GET /api/metrics/summary and /api/metrics/performance carry the seed figures', async () => {
    // The demo bot closes trades and the position count is sampled every second: wait for both.
    const { status, body } = await waitFor('closed trades and position samples in the summary', async () => {
      const r = await api.get('/api/metrics/summary');
      const counts = [((r.body.trading as Obj | undefined)?.pnl as Obj | undefined)?.count, ((r.body.engine as Obj | undefined)?.positions as Obj | undefined)?.count];
      return (r.status !== 200 || counts.every((c) => typeof c === 'number' && c > 0)) && r;
    }, 20_000, 250).catch(() => api.get('/api/metrics/summary'));
    assert.equal(status, 200);
    hasFields(body, ['performance', 'engine', 'trading', 'timestamp'], 'summary');
    hasFields(body.performance, ['cpu_percent', 'memory_percent', 'memory_used_mb', 'disk_usage_percent', 'active_threads'], 'summary.performance');
    const engine = body.engine as Obj;
    hasFields(engine.cycle_time, STATS_FIELDS, 'engine.cycle_time');
    hasFields(engine.positions, STATS_FIELDS, 'engine.positions');
    const trading = body.trading as Obj;
    hasFields(trading.events, STATS_FIELDS, 'trading.events');
    hasFields(trading.pnl, STATS_FIELDS, 'trading.pnl');
    assert.equal(typeof body.timestamp, 'number');
    assert.ok(Math.abs((body.timestamp as number) - Date.now()) < 60_000, 'timestamp in milliseconds');
    const cycle = engine.cycle_time as Obj;
    assert.ok((cycle.count as number) > 0, 'cycle times recorded');
    assert.ok((cycle.max as number) < 1, `a cycle takes well under a second: ${JSON.stringify(cycle)}`);
    assert.ok(((engine.positions as Obj).count as number) > 0, `position counts sampled: ${JSON.stringify(engine.positions)}`);
    assert.ok(((trading.pnl as Obj).count as number) > 0, 'the demo bot has closed trades');

    const perf = await api.get('/api/metrics/performance');
    assert.equal(perf.status, 200);
    hasFields(perf.body, PERFORMANCE_FIELDS, 'performance');
    assert.ok((perf.body.memory_used_mb as number) > 10);
    assert.ok((perf.body.cpu_percent as number) >= 0);
    assert.ok((perf.body.memory_percent as number) > 0 && (perf.body.memory_percent as number) <= 100);
    assert.equal(typeof perf.body.timestamp, 'number');
  });

  it('GET /api/engine/resource-health: status, issues and the figures', async () => {
    const { status, body } = await api.get('/api/engine/resource-health');
    assert.equal(status, 200);
    hasFields(body, HEALTH_FIELDS, 'resource health');
    assert.ok(['healthy', 'warning', 'error'].includes(body.status as string));
    assert.ok(Array.isArray(body.issues));
    assert.equal(body.status === 'healthy', (body.issues as unknown[]).length === 0, 'healthy exactly when there are no issues');
    assert.ok((body.memory_used_mb as number) > 10);
    assert.equal(typeof body.optimization_count, 'number');
  });

  it('POST /api/engine/emergency-stop cancels working orders and flattens the paper account; EMERGENCY allows only stop/reload', async () => {
    await waitFor('an open position to flatten', async () => (await api.get<Obj[]>('/api/positions?account=demo')).body.length > 0, 20_000, 100);
    const res = await api.post('/api/engine/emergency-stop', { reason: 'integration test' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.success, true);
    assert.equal(res.body.state, 'EMERGENCY');
    await waitFor('no open orders and no positions', async () => {
      const orders = (await api.get<Obj[]>('/api/orders?account=demo&status=open')).body;
      const positions = (await api.get<Obj[]>('/api/positions?account=demo')).body;
      return orders.length === 0 && positions.length === 0;
    }, 5_000);
    // Nothing reopens: every bot is halted.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual((await api.get<Obj[]>('/api/positions?account=demo')).body, []);
    assert.deepEqual((await api.get<Obj[]>('/api/orders?account=demo&status=open')).body, []);

    const status = await api.get('/api/engine/status');
    assert.equal(status.body.state, 'EMERGENCY');
    assert.equal(status.body.openPositions, 0);
    const commands = await api.get('/api/engine/commands');
    assert.equal(commands.body.current_state, 'EMERGENCY');
    assert.deepEqual(sorted(commands.body.commands), ['reload', 'stop']);
    for (const [path, body] of [['/api/engine/start', { preset: 'breakout_v1', mode: 'paper' }], ['/api/engine/pause', undefined], ['/api/engine/resume', undefined]] as const) {
      const refused = await api.post(path, body);
      assert.equal(refused.status, 400, `${path} refused in EMERGENCY`);
    }
    const again = await api.post('/api/engine/emergency-stop', { reason: 'again' });
    assert.equal(again.status, 200);
    assert.equal(again.body.changed, false);
    const history = (await api.get<Obj[]>('/api/engine/history')).body;
    assert.ok(history.some((t) => t.to_state === 'EMERGENCY' && t.reason === 'integration test'), 'the emergency transition keeps its reason');
    await waitFor('ENGINE_UPDATE to EMERGENCY', async () => wsOf('ENGINE_UPDATE').some((m) => (m.data as Obj).state === 'EMERGENCY'), 5_000);
  });

  it('POST /api/engine/reload from EMERGENCY returns to IDLE and reports the invalid preset', async () => {
    const res = await api.post('/api/engine/reload');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.success, true);
    assert.equal(res.body.state, 'IDLE');
    assert.ok(JSON.stringify(res.body).includes('broken_preset'), `reload names the invalid file: ${JSON.stringify(res.body)}`);
    assert.equal((await api.get('/api/engine/status')).body.state, 'IDLE');
    assert.deepEqual((await api.get<Obj[]>('/api/presets/')).body.map((p) => p.name).sort(), ['breakout_v1', 'scalping_high_freq']);
  });

  it('POST /api/engine/command runs commands by name; 400 unknown command; 422 without a command', async () => {
    const start = await api.post('/api/engine/command', { command: 'start', preset: 'breakout_v1', mode: 'paper' });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.ok(WORKING.includes(start.body.state as string));
    const pause = await api.post('/api/engine/command', { command: 'pause' });
    assert.equal(pause.status, 200);
    assert.equal(pause.body.state, 'PAUSED');
    const resume = await api.post('/api/engine/command', { command: 'resume' });
    assert.equal(resume.status, 200);
    assert.ok(WORKING.includes(resume.body.state as string));
    const unknown = await api.post('/api/engine/command', { command: 'explode' });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body.detail), /explode/);
    const missing = await api.post('/api/engine/command', {});
    assert.equal(missing.status, 422);
    assert.ok((missing.body.detail as { loc: unknown[] }[]).some((d) => JSON.stringify(d.loc) === JSON.stringify(['body', 'command'])));
  });

  it('POST /api/engine/emergency-stop works without a request body (as the seed documents it)', async () => {
    assert.ok(WORKING.includes((await api.get('/api/engine/status')).body.state as string), 'precondition: running');
    const res = await getJson<Obj>(`${server.url}/api/engine/emergency-stop`, { method: 'POST' });
    assert.equal(res.status, 200, `no-body emergency stop: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.state, 'EMERGENCY');
  });

  it('POST /api/engine/stop: 200 when running or in EMERGENCY, idempotent when stopped', async () => {
    // Whatever the previous test left (running or EMERGENCY), stop is allowed.
    const stop = await api.post('/api/engine/stop');
    assert.equal(stop.status, 200, JSON.stringify(stop.body));
    assert.equal(stop.body.success, true);
    assert.equal(stop.body.changed, true);
    assert.equal(stop.body.message, 'Engine stopped successfully');
    assert.equal((await api.get('/api/engine/status')).body.state, 'STOPPED');
    const again = await api.post('/api/engine/stop');
    assert.equal(again.status, 200);
    assert.equal(again.body.changed, false);
    const commands = await api.get('/api/engine/commands');
    assert.ok((commands.body.commands as string[]).includes('start'));
    assert.ok((commands.body.commands as string[]).includes('reload'));
    // Presets can be updated again once stopped.
    const put = await api.put('/api/presets/scalping_high_freq', { description: 'edited after stop' });
    assert.equal(put.status, 200);
  });

  it('middleware: X-Process-Time on every response including errors; 404 {detail}', async () => {
    const responses = await Promise.all([
      fetch(`${server.url}/api/engine/status`),
      fetch(`${server.url}/api/no/such/route`),
      fetch(`${server.url}/api/orders?status=bogus`),
      fetch(`${server.url}/api/engine/resume`, { method: 'POST' }),
      fetch(`${server.url}/api/presets/breakout_v1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{' }),
      fetch(`${server.url}/api/v1/engine/status`),
    ]);
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 404, 422, 400, 400, 200],
    );
    for (const r of responses) assert.match(r.headers.get('x-process-time') ?? '', /^\d+(\.\d+)?$/, `X-Process-Time on ${r.url} (${r.status})`);
    const notFound = (await responses[1]?.json()) as Obj;
    assert.equal(typeof notFound.detail, 'string');
    await Promise.all(responses.filter((_, i) => i !== 1).map((r) => r.arrayBuffer()));
  });

  it('OpenAPI: /api/docs/json is OpenAPI 3 with the seed paths; /api/docs serves the UI', async () => {
    const { status, body } = await api.get('/api/docs/json');
    assert.equal(status, 200);
    assert.match(String(body.openapi), /^3\./);
    const paths = body.paths as Obj;
    for (const p of ['/api/engine/start', '/api/orders', '/api/presets/{name}', '/api/engine/status', '/api/scanner/scan/{name}']) assert.ok(paths[p], `OpenAPI path ${p}`);
    assert.ok((paths['/api/engine/start'] as Obj).post, 'start is a POST');
    assert.ok((paths['/api/presets/{name}'] as Obj).put, 'preset update is a PUT');
    assert.ok((paths['/api/orders/{id}'] as Obj | undefined)?.delete, 'order cancel is a DELETE');
    // order.type is documented as the seed's enum extended with `stop` (protective orders).
    const list = ((((paths['/api/orders'] as Obj).get as Obj).responses as Obj)['200'] as Obj).content as Obj;
    const item = ((list['application/json'] as Obj).schema as Obj).items as Obj;
    const type = (item.properties as Obj).type as { anyOf?: { enum?: string[]; const?: string }[]; description?: string };
    const values = (type.anyOf ?? []).flatMap((t) => t.enum ?? (t.const ? [t.const] : []));
    assert.deepEqual(values.sort(), ['limit', 'market', 'stop'], JSON.stringify(type));
    assert.match(String(type.description), /extended/);
    const ui = await fetch(`${server.url}/api/docs`, { redirect: 'follow' });
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await ui.text(), /swagger|openapi/i);
  });
});
