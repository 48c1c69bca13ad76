// The coordinator in the real server (`tradewind start` with ensemble.enabled) against real
// models on loopback model servers: seed 004's WebSocket on its own port and on the main port
// (welcome, then status_update field by field), promtool on its :9090-style metrics port, the
// seed's SQLite schema in DATA_DIR/coordinator.db, and a killed model server shown offline, the
// breaker's alert reaching the loopback Telegram while the levels left out of
// telegram.alert_levels (its trades) stay silent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePorts } from '../helpers/model-server.js';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startFakeTelegram, type FakeTelegram } from '../fake-telegram/server.js';
import { connectWs, fastConfig, startServer, tempDir, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';
import { startLoopbackModelServer, trainSmallModels, type LoopbackModelServer } from '../helpers/loopback-model-server.js';

const freePort = async () => (await freePorts(1))[0] as number;

const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
const ci = process.env.CI === 'true' || process.env.CI === '1';

const SEED_KEYS = {
  welcome: ['type', 'timestamp', 'message'],
  status: ['type', 'timestamp', 'coordinator', 'models', 'market', 'decision', 'performance'],
  coordinator: ['status', 'dry_run', 'testnet', 'symbol', 'uptime_seconds', 'websocket_clients', 'open_trades', 'circuit_breaker', 'cpu_usage', 'memory_usage'],
  model: ['name', 'status', 'online', 'training', 'continuous_learning', 'data_collector_active', 'confidence', 'latency_ms', 'last_prediction', 'version', 'model_type', 'samples_trained', 'training_samples', 'uptime_seconds', 'memory_usage_mb', 'cpu_percent'],
  market: ['price', 'rsi', 'volume_24h'],
  decision: ['action', 'confidence', 'risk_approved'],
  performance: ['total_pnl', 'daily_pnl', 'win_rate', 'total_trades'],
};
const TELEGRAM_CHAT = 4004;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('coordinator in the running server', () => {
  let server: ServerHandle;
  let models: LoopbackModelServer[];
  let wsPort: number;
  let metricsPort: number;
  let trainingSamples: number;
  let telegram: FakeTelegram;
  let dataDir: string;

  before(async () => {
    telegram = await startFakeTelegram();
    const trained = await trainSmallModels(2, 12_000);
    trainingSamples = trained[0]!.model.metadata.trainingSamples ?? -1;
    models = await Promise.all(trained.map((m, i) => startLoopbackModelServer(`model-${i + 1}`, m.model)));
    wsPort = await freePort();
    metricsPort = await freePort();
    const dir = tempDir('tw-coord-srv-');
    dataDir = dir;
    const config = fastConfig(dir, {
      demoBot: { enabled: false },
      // The test runs its own model servers on free ports: the supervisor's default four stay off.
      modelServers: { enabled: false },
      trading: { timeframe: '1s' },
      ensemble: {
        enabled: true,
        confidence_threshold: 0.5,
        min_responding_models: 1,
        websocket_port: wsPort,
        metrics_port: metricsPort,
        model_endpoints: models.map((m) => ({ name: m.name, host: '127.0.0.1', port: m.port, weight: 1, enabled: true })),
      },
      timing: { heartbeat_interval: 0.25, status_interval: 0.25, health_check_interval: 0.25, model_timeout: 5 },
      safety: { min_models_online: 2 },
      // Only the breaker's alerts; the coordinator's trades (level TRADE) are not sent.
      telegram: { enabled: true, apiBaseUrl: telegram.url, chat_id: TELEGRAM_CHAT, commands: false, notify: [], alert_levels: ['CIRCUIT_BREAKER'] },
    });
    server = await startServer({ config, dataDir: dir, env: { TELEGRAM_BOT_TOKEN: telegram.token } });
  });

  after(async () => {
    await server?.stop();
    for (const m of models ?? []) await m.kill().catch(() => {});
    await telegram?.close();
  });

  test('welcome on connect, then status_update with every seed field from real figures', async () => {
    const client = await connectWs(`ws://127.0.0.1:${wsPort}`);
    try {
      await waitFor('welcome', async () => client.messages.length > 0);
      const welcome = client.messages[0] as WsMessage;
      assert.deepEqual(Object.keys(welcome), SEED_KEYS.welcome);
      assert.equal(welcome.type, 'welcome');
      assert.match(welcome.timestamp as string, ISO);
      assert.equal(welcome.message, 'Connected to Xylen Coordinator');
      // A status with both models online and a decision made on their answers.
      const status = await waitFor(
        'a status_update after predictions',
        async () => client.messages.find((m) => m.type === 'status_update' && (m.models as { last_prediction: string | null; online: boolean }[]).every((x) => x.online && x.last_prediction)),
        60_000,
      );
      assert.deepEqual(Object.keys(status), SEED_KEYS.status);
      assert.match(status.timestamp as string, ISO);
      const c = status.coordinator as Record<string, unknown>;
      assert.deepEqual(Object.keys(c), SEED_KEYS.coordinator);
      assert.equal(c.status, 'running');
      assert.equal(c.dry_run, false);
      assert.equal(c.testnet, true);
      assert.equal(c.symbol, 'BTCUSDT');
      assert.ok((c.uptime_seconds as number) >= 0);
      assert.ok((c.websocket_clients as number) >= 1);
      assert.equal(typeof c.open_trades, 'number');
      assert.equal(c.circuit_breaker, 'normal');
      assert.ok((c.cpu_usage as number) >= 0);
      assert.ok((c.memory_usage as number) > 10, `RSS in MB: ${c.memory_usage}`);
      const ms = status.models as Record<string, unknown>[];
      assert.deepEqual(ms.map((m) => m.name), ['model-1', 'model-2']);
      for (const m of ms) {
        assert.deepEqual(Object.keys(m), SEED_KEYS.model);
        assert.equal(m.status, 'online');
        assert.equal(m.online, true);
        assert.equal(m.training, false);
        assert.ok((m.confidence as number) >= 0.5 && (m.confidence as number) <= 1);
        assert.ok((m.latency_ms as number) > 0);
        assert.match(m.last_prediction as string, ISO);
        assert.equal(m.model_type, 'lightgbm');
        assert.equal(typeof m.version, 'string');
        assert.equal(m.samples_trained, trainingSamples);
        assert.ok((m.uptime_seconds as number) > 0);
        assert.ok((m.memory_usage_mb as number) > 0);
      }
      const market = status.market as Record<string, unknown>;
      assert.deepEqual(Object.keys(market), SEED_KEYS.market);
      assert.ok((market.price as number) > 1000);
      assert.ok(market.rsi === null || ((market.rsi as number) >= 0 && (market.rsi as number) <= 100));
      assert.ok((market.volume_24h as number) > 0);
      const d = status.decision as Record<string, unknown>;
      assert.deepEqual(Object.keys(d), SEED_KEYS.decision);
      assert.ok(['long', 'short', 'hold'].includes(d.action as string));
      assert.ok((d.confidence as number) >= 0.5, 'weighted average confidence is max(P, 1 - P)');
      assert.equal(typeof d.risk_approved, 'boolean');
      const p = status.performance as Record<string, unknown>;
      assert.deepEqual(Object.keys(p), SEED_KEYS.performance);
      for (const k of SEED_KEYS.performance) assert.equal(typeof p[k], 'number');
    } finally {
      client.close();
    }
  });

  test('the same stream on the main port at /ws/coordinator', async () => {
    const client = await connectWs(`${server.url.replace('http', 'ws')}/ws/coordinator`);
    try {
      await waitFor('welcome and a status_update', async () => client.messages.some((m) => m.type === 'status_update'), 30_000);
      assert.equal(client.messages[0]?.type, 'welcome');
    } finally {
      client.close();
    }
  });

  test('promtool accepts the coordinator metrics, named and typed as the seed', async (t) => {
    if (!promtool) {
      assert.ok(!ci, 'promtool is required under CI (npm test installs it)');
      t.skip('promtool is not installed (apt-get install prometheus)');
      return;
    }
    const text = await waitFor('a heartbeat counted', async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      const body = await res.text();
      return /coordinator_heartbeat_total [1-9]/.test(body) && body;
    });
    const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    const types: Record<string, string> = {
      coordinator_heartbeat_total: 'counter',
      coordinator_trades_total: 'counter',
      coordinator_pnl_usd: 'gauge',
      coordinator_model_latency_seconds: 'histogram',
      coordinator_ensemble_confidence: 'gauge',
      coordinator_errors_total: 'counter',
      coordinator_balance_usd: 'gauge',
    };
    for (const [name, type] of Object.entries(types)) assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
    for (const action of ['long', 'short', 'hold']) assert.match(text, new RegExp(`^coordinator_trades_total\\{action="${action}"\\} \\d+`, 'm'));
    // The paper account's balance (100 000 at start, less the fees of the coordinator's trades).
    const balance = Number(/^coordinator_balance_usd (\S+)$/m.exec(text)?.[1]);
    assert.ok(balance > 90_000 && balance <= 100_000 + 1e-6, `balance ${balance}`);
    assert.match(text, /^coordinator_model_latency_seconds_count [1-9]\d*$/m);
  });

  test('DATA_DIR/coordinator.db holds the seed schema of trades and system_events', () => {
    const db = new Database(join(server.dataDir, 'coordinator.db'), { readonly: true });
    try {
      const cols = (t: string) => (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string; type: string; pk: number }[]).map((c) => `${c.name} ${c.type}${c.pk ? ' PK' : ''}`);
      assert.deepEqual(cols('trades'), [
        'id INTEGER PK',
        'timestamp TEXT',
        'symbol TEXT',
        'side TEXT',
        'entry_price REAL',
        'exit_price REAL',
        'quantity REAL',
        'pnl REAL',
        'status TEXT',
        'ensemble_confidence REAL',
        'model_count INTEGER',
      ]);
      assert.deepEqual(cols('system_events'), ['id INTEGER PK', 'timestamp TEXT', 'event_type TEXT', 'severity TEXT', 'component TEXT', 'message TEXT']);
      const started = db.prepare(`SELECT * FROM system_events WHERE event_type = 'COORDINATOR_STARTED'`).get() as { severity: string; component: string } | undefined;
      assert.equal(started?.component, 'coordinator');
    } finally {
      db.close();
    }
  });

  test('a killed model server is offline in status_update and the breaker turns active', async () => {
    const client = await connectWs(`ws://127.0.0.1:${wsPort}`);
    try {
      await models[1]!.kill();
      const status = await waitFor(
        'model-2 offline',
        async () => client.messages.find((m) => m.type === 'status_update' && (m.models as { name: string; status: string }[]).some((x) => x.name === 'model-2' && x.status === 'offline')),
        30_000,
      );
      const m2 = (status.models as Record<string, unknown>[])[1]!;
      assert.equal(m2.online, false);
      const later = await waitFor('breaker active', async () => client.messages.find((m) => m.type === 'status_update' && (m.coordinator as { circuit_breaker: string }).circuit_breaker === 'active'), 30_000);
      assert.equal((later.coordinator as { circuit_breaker: string }).circuit_breaker, 'active');
      const sent = () => telegram.sent(String(TELEGRAM_CHAT)).map((m) => m.text);
      await waitFor('the breaker alert on Telegram', async () => sent().some((t) => t.startsWith('[CIRCUIT_BREAKER]')), 30_000);
      // Trades were made (each one a TRADE alert to the coordinator's notifier), none was sent.
      const db = new Database(join(dataDir, 'coordinator.db'), { readonly: true });
      try {
        const trades = (db.prepare('SELECT COUNT(*) AS n FROM trades').get() as { n: number }).n;
        assert.ok(trades > 0, 'the coordinator traded before the breaker');
      } finally {
        db.close();
      }
      assert.deepEqual(sent().filter((t) => !t.startsWith('[CIRCUIT_BREAKER]')), [], 'levels outside telegram.alert_levels stay silent');
    } finally {
      client.close();
    }
  });
});
