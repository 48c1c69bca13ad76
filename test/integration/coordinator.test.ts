// Seed 004 coordinator on a real kernel (SQLite journal, paper broker) with real models served
// over loopback HTTP: decisions, orders through the risk engine with stop and target, a killed
// model server reported offline, and the circuit breaker tripped by real losing trades.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { SimClock } from '../../src/core/clock.js';
import { decideEnsemble } from '../../src/core/ensemble.js';
import type { Scheduler } from '../../src/core/ports.js';
import { defaultConfig } from '../../src/cli/config-defaults.js';
import { createCoordinator, type RunningCoordinator } from '../../src/cli/coordinator.js';
import { readCandleFile } from '../../src/cli/model-data.js';
import { candlesFromBars } from '../../src/ml/candles.js';
import { featureRow } from '../../src/ml/features.js';
import { buildHarness, tempDir, type Harness, type TempDir } from '../unit/support.js';
import { startLoopbackModelServer, trainSmallModels, type LoopbackModelServer, type TrainedModel } from '../helpers/loopback-model-server.js';
import { BTC_2024 } from '../helpers/ml.js';

const manual: Scheduler = { every: () => () => {}, after: () => () => {} };
const MIN = 60_000;

interface Rig {
  h: Harness;
  dir: TempDir;
  servers: LoopbackModelServer[];
  run: RunningCoordinator;
  /** The coordinator's alerts (Telegram's input, by the seed's alert levels). */
  alerts: { level: string; text: string }[];
  /** Feeds the next real minute as four prints (open, high, low, close). */
  minute(): void;
  /** One print at `price` a second after the last one. */
  print(price: number): void;
  close(): Promise<void>;
}

let models: TrainedModel[];
let bars: { open: number; high: number; low: number; close: number; volume: number }[];

before(async () => {
  models = await trainSmallModels(3);
  // Minutes after the models' training rows.
  const c = await readCandleFile(BTC_2024, { limit: 21_000 });
  bars = [];
  for (let i = 20_500; i < 21_000; i++) bars.push({ open: c.open[i] as number, high: c.high[i] as number, low: c.low[i] as number, close: c.close[i] as number, volume: c.volume[i] as number });
});

async function rig(over: { ensemble?: object; safety?: object; trading?: object } = {}): Promise<Rig> {
  const dir = tempDir('tw-coord-');
  const clock = new SimClock(Date.UTC(2024, 5, 3));
  const h = buildHarness({ file: dir.file('tw.db'), clock, risk: { riskPerTrade: 0.01, maxOpenPositions: 1, maxLeverage: 5 } });
  const servers = await Promise.all(models.map((m, i) => startLoopbackModelServer(`model-${i + 1}`, m.model)));
  const base = defaultConfig();
  const config = {
    ...base,
    account: { ...base.account, id: 'paper' },
    trading: { ...base.trading, ...over.trading },
    ensemble: {
      ...base.ensemble,
      enabled: true,
      websocket_port: 0,
      metrics_port: 0,
      model_endpoints: servers.map((s) => ({ name: s.name, host: '127.0.0.1', port: s.port, weight: 1, enabled: true })),
      ...over.ensemble,
    },
    safety: { ...base.safety, ...over.safety },
  };
  const alerts: { level: string; text: string }[] = [];
  const run = createCoordinator({ config, kernels: new Map([['paper', h.kernel]]), dataDir: dir.dir, clock, scheduler: manual, log: pino({ level: 'silent' }), notify: (level, text) => alerts.push({ level, text }) });
  let t = clock.now();
  let k = 0;
  return {
    h,
    dir,
    servers,
    run,
    alerts,
    minute: () => {
      const b = bars[k++ % bars.length] as (typeof bars)[number];
      const start = Math.ceil((t + 1) / MIN) * MIN;
      h.tick('BTC/USDT', b.open, start, b.volume / 4);
      h.tick('BTC/USDT', b.high, start + 15_000, b.volume / 4);
      h.tick('BTC/USDT', b.low, start + 30_000, b.volume / 4);
      h.tick('BTC/USDT', b.close, start + 59_000, b.volume / 4);
      t = start + 59_000;
    },
    print: (price) => {
      t += 1000;
      h.tick('BTC/USDT', price, t, 1);
    },
    close: async () => {
      await run.close();
      for (const s of servers) await s.kill().catch(() => {});
      h.store.close();
      dir.cleanup();
    },
  };
}

describe('ensemble coordinator with real models over HTTP', () => {
  let r: Rig;
  after(async () => r?.close());

  test('asks every model, aggregates their real answers, and enters through the risk engine with stop and target', async () => {
    r = await rig({ ensemble: { confidence_threshold: 0, min_responding_models: 2 }, safety: { min_models_online: 2 } });
    await r.run.start();
    await r.run.coordinator.checkHealth();
    for (let i = 0; i < 120; i++) r.minute();
    const d = await r.run.coordinator.heartbeat();
    assert.ok(d);
    assert.equal(d.votes.length, 3, d.errors.join('; '));
    // Each vote is the model's own probability on the features of the candles the kernel holds.
    const history = r.h.kernel.data.history('BTC/USDT', MIN).slice(-100);
    const c = candlesFromBars(history);
    for (const [i, v] of d.votes.entries()) {
      const m = (models[i] as TrainedModel).model;
      const p = m.predictSync(featureRow(c, m.metadata.featureNames)).probability as number;
      assert.ok(Math.abs((v.probability as number) - p) < 1e-12, `${v.name}: ${v.probability} vs ${p}`);
    }
    const expected = decideEnsemble(d.votes, { method: 'weighted_average', threshold: 0, minResponding: 2 });
    assert.deepEqual(d.decision, expected);
    assert.notEqual(d.decision.action, 'hold', 'threshold 0: any lean trades');
    assert.equal(d.riskApproved, true, d.outcome);
    const orders = r.h.store.listOrders({ limit: 10 }).filter((o) => o.botId === 'ensemble');
    assert.equal(orders.length, 1);
    const entry = orders[0]!;
    const price = r.h.kernel.data.lastPrice('BTC/USDT')!;
    const long = d.decision.action === 'long';
    assert.equal(entry.side, long ? 'buy' : 'sell');
    // 2% stop and 5% target from config, on the instrument's price grid.
    const tick = r.h.kernel.instruments.get('BTC/USDT').tickSize;
    assert.ok(Math.abs(entry.stopLoss! - price * (long ? 0.98 : 1.02)) <= tick, `stop ${entry.stopLoss} at ${price}`);
    assert.ok(Math.abs(entry.takeProfit! - price * (long ? 1.05 : 0.95)) <= tick, `target ${entry.takeProfit} at ${price}`);
    // Sized by position_size_fraction (10% of equity at leverage 1), floored by the instrument.
    assert.ok(entry.qty <= (100_000 * 0.1) / price && entry.qty > (100_000 * 0.1) / price - 0.01);
    const [trade] = r.run.coordinator['d'].journal.openTrades();
    assert.equal(trade?.side, long ? 'LONG' : 'SHORT');
    assert.equal(trade?.model_count, 3);
    r.minute();
    const filled = r.h.store.listOrders({ limit: 10 }).find((o) => o.id === entry.id)!;
    assert.equal(filled.status, 'filled');
    assert.equal(r.run.coordinator['d'].journal.openTrades()[0]?.entry_price, filled.avgFillPrice);
    assert.ok(r.alerts.some((a) => a.level === 'TRADE' && a.text.startsWith(`${d.decision.action} `)), JSON.stringify(r.alerts));
    const text = await r.run.metrics.text();
    assert.match(text, /coordinator_heartbeat_total 1\b/);
    assert.match(text, new RegExp(`coordinator_trades_total\\{action="${d.decision.action}"\\} 1\\b`));
  });

  test('a killed model server is reported offline and too few models online trips the breaker', async () => {
    await r.close();
    r = await rig({ ensemble: { confidence_threshold: 0, min_responding_models: 2 }, safety: { min_models_online: 3 } });
    await r.run.start();
    await r.run.coordinator.checkHealth();
    assert.equal(r.run.coordinator.circuitBreaker.active, false, r.run.coordinator.circuitBreaker.reasons.join());
    for (let i = 0; i < 80; i++) r.minute();
    await r.servers[1]!.kill();
    const d = await r.run.coordinator.heartbeat();
    assert.ok(d);
    assert.equal(d.votes.length, 2);
    assert.equal(d.errors.length, 1);
    const views = r.run.coordinator.models.map((m) => m.client.seedView());
    assert.deepEqual(views.map((v) => v.status), ['online', 'offline', 'online']);
    assert.equal(views[1]!.online, false);
    const cb = r.run.coordinator.circuitBreaker;
    assert.equal(cb.active, true);
    assert.ok(cb.reasons.some((x) => x.includes('too few models online (2 of at least 3)')), cb.reasons.join());
    assert.equal(d.riskApproved, false);
    assert.equal(r.h.store.listOrders({ limit: 10 }).filter((o) => o.botId === 'ensemble').length, 0, 'no entry while the breaker is active');
    const events = r.run.coordinator['d'].journal.recentEvents(20);
    assert.ok(events.some((e) => e.event_type === 'CIRCUIT_BREAKER' && e.message.includes('too few models online')));
    assert.ok(r.alerts.some((a) => a.level === 'CIRCUIT_BREAKER' && a.text.includes('too few models online')), JSON.stringify(r.alerts));
    assert.match(await r.run.metrics.text(), /coordinator_errors_total 1\b/);
  });

  test('losing trades in a row trip the consecutive-loss breaker until the cooldown ends', async () => {
    await r.close();
    r = await rig({ ensemble: { confidence_threshold: 0, min_responding_models: 1 }, safety: { min_models_online: 1, circuit_breaker_consecutive_losses: 2, circuit_breaker_cooldown_seconds: 600, max_daily_loss_percent: 0 } });
    await r.run.start();
    await r.run.coordinator.checkHealth();
    for (let i = 0; i < 80; i++) r.minute();
    const journal = r.run.coordinator['d'].journal;
    for (let loss = 1; loss <= 2; loss++) {
      const d = await r.run.coordinator.heartbeat();
      assert.equal(d?.riskApproved, true, d?.outcome);
      r.print(r.h.kernel.data.lastPrice('BTC/USDT')!);
      const open = journal.openTrades()[0]!;
      // The market runs 3% against the position: its 2% stop fills.
      r.print(open.entry_price * (open.side === 'LONG' ? 0.97 : 1.03));
      const closed = journal.recentTrades(1)[0]!;
      assert.equal(closed.status, 'CLOSED');
      assert.ok(closed.pnl! < 0, `trade ${loss} lost: ${closed.pnl}`);
      assert.equal(r.run.coordinator.breaker.consecutiveLosses, loss);
    }
    assert.equal(r.run.coordinator.circuitBreaker.active, true);
    assert.ok(r.run.coordinator.circuitBreaker.reasons[0]!.includes('2 consecutive losses'));
    const blocked = await r.run.coordinator.heartbeat();
    assert.equal(blocked?.riskApproved, false);
    assert.match(blocked!.outcome, /circuit breaker active/);
    assert.equal(journal.openTrades().length, 0);
    const perf = journal.performance('1970-01-01T00:00:00.000Z');
    assert.equal(perf.total_trades, 2);
    assert.equal(perf.win_rate, 0);
    // Feedback of both trades reached every model server.
    for (const s of r.servers) assert.equal(s.feedback.length, 2);
    for (let i = 0; i < 11; i++) r.minute();
    const again = await r.run.coordinator.heartbeat();
    assert.equal(r.run.coordinator.circuitBreaker.active, false, r.run.coordinator.circuitBreaker.reasons.join());
    assert.equal(again?.riskApproved, true, again?.outcome);
  });

  test('a day loss beyond max_daily_loss_usd trips the daily-loss breaker', async () => {
    await r.close();
    r = await rig({ ensemble: { confidence_threshold: 0, min_responding_models: 1 }, safety: { min_models_online: 1, circuit_breaker_consecutive_losses: 0, max_daily_loss_usd: 50 } });
    await r.run.start();
    await r.run.coordinator.checkHealth();
    for (let i = 0; i < 80; i++) r.minute();
    const journal = r.run.coordinator['d'].journal;
    await r.run.coordinator.heartbeat();
    r.print(r.h.kernel.data.lastPrice('BTC/USDT')!);
    const open = journal.openTrades()[0]!;
    r.print(open.entry_price * (open.side === 'LONG' ? 0.97 : 1.03));
    const loss = -journal.recentTrades(1)[0]!.pnl!;
    assert.ok(loss >= 50, `one stopped trade of 10% of equity loses about 2% of it: ${loss}`);
    const cb = r.run.coordinator.circuitBreaker;
    assert.equal(cb.active, true);
    assert.ok(cb.reasons.some((x) => x.startsWith('daily loss')), cb.reasons.join());
    const d = await r.run.coordinator.heartbeat();
    assert.equal(d?.riskApproved, false);
  });
});
