import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineController, PRIMARY_BOT_ID, type PresetRuntime } from '../../src/app/engine-controller.js';
import { BreakoutStrategy } from '../../src/strategies/breakout/breakout.js';
import { SmaCrossStrategy } from '../../src/strategies/sma-cross/sma-cross.js';
import type { Preset } from '../../src/strategies/breakout/preset.js';
import { collectScanInputs, scanMarkets } from '../../src/strategies/breakout/scanner.js';
import { repoRoot } from '../helpers/server.js';
import { buildHarness, tempDir, type Harness, OPEN_LIMITS } from './support.js';

const preset = JSON.parse(readFileSync(join(repoRoot, 'presets', 'breakout_v1.json'), 'utf8')) as Preset;

function controller(h: Harness) {
  let reloads = 0;
  const presets = {
    list: () => [preset as unknown as Record<string, unknown>],
    get: (name: string) => (name === preset.name ? (preset as unknown as Record<string, unknown>) : undefined),
    reload: () => {
      reloads += 1;
      return [];
    },
  };
  const runtime: PresetRuntime = {
    strategy: (p) => new BreakoutStrategy(p as unknown as Preset),
    risk: (p) => ({ riskPerTrade: (p as unknown as Preset).risk.risk_per_trade, maxOpenPositions: 3, maxLeverage: 5, dailyLossLimitR: (p as unknown as Preset).risk.daily_risk_limit_r }),
    slots: (p) => (p as unknown as Preset).risk.max_concurrent_positions,
    scan: (p, options) =>
      scanMarkets(
        p as unknown as Preset,
        collectScanInputs((p as unknown as Preset).symbols, {
          instrument: (s) => h.kernel.instruments.find(s),
          history: (s) => h.kernel.data.history(s, preset.bar_interval_ms),
          marketStats: (s) => h.kernel.data.marketStats(s),
        }),
        options,
        h.clock.now(),
      ),
  };
  let t = 0;
  const engine = new EngineController({ kernel: h.kernel, store: h.store, presets, runtime, clock: h.clock, timer: () => (t += 1), liveCredentials: false, stopTimeoutMs: 50 });
  return { engine, reloads: () => reloads };
}

describe('EngineController over a real kernel', () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  it('validates start: unknown preset 404, live without credentials 400, then runs and refuses a second start', () => {
    const h = buildHarness({ file: dir.file('a.db') });
    const { engine } = controller(h);
    assert.deepEqual(engine.start('nope', 'paper'), { ok: false, status: 404, detail: "Preset 'nope' not found" });
    const live = engine.start('breakout_v1', 'live');
    assert.ok(!live.ok && live.status === 400 && /credentials/.test(live.detail));
    assert.equal(engine.state, 'IDLE');
    const ok = engine.start('breakout_v1', 'paper');
    assert.ok(ok.ok);
    assert.equal(engine.state, 'SCANNING');
    assert.deepEqual(h.kernel.allBots().map((b) => b.id), [PRIMARY_BOT_ID]);
    const again = engine.start('breakout_v1', 'paper');
    assert.ok(!again.ok && again.status === 400);
    const s = engine.status();
    assert.equal(s.preset, 'breakout_v1');
    assert.equal(s.slots, 3);
    assert.equal(s.mode, 'paper');
    assert.deepEqual(engine.commands().commands, ['pause', 'stop', 'emergency_stop']);
    h.store.close();
  });

  it('follows the bot phases while running, not while paused', () => {
    const h = buildHarness({ file: dir.file('b.db') });
    const { engine } = controller(h);
    engine.start('breakout_v1', 'paper');
    const phase = (p: 'LEVEL_BUILDING' | 'SIGNAL_WAIT' | 'MANAGING') => h.kernel.bus.publish({ type: 'bot-phase', botId: PRIMARY_BOT_ID, phase: p, reason: 't', ts: 0 });
    phase('LEVEL_BUILDING');
    assert.equal(engine.state, 'LEVEL_BUILDING');
    phase('SIGNAL_WAIT');
    assert.equal(engine.state, 'SIGNAL_WAIT');
    h.kernel.bus.publish({ type: 'bot-phase', botId: 'someone-else', phase: 'MANAGING', reason: 't', ts: 0 });
    assert.equal(engine.state, 'SIGNAL_WAIT', 'other bots do not move the engine');
    assert.ok(engine.pause().ok);
    phase('MANAGING');
    assert.equal(engine.state, 'PAUSED');
    const again = engine.pause();
    assert.ok(again.ok && !again.changed);
    assert.ok(engine.resume().ok);
    assert.equal(engine.state, 'SCANNING');
    const history = engine.history(10).map((t) => `${t.from_state}>${t.to_state}`);
    assert.deepEqual(history, ['IDLE>INITIALIZING', 'INITIALIZING>SCANNING', 'SCANNING>LEVEL_BUILDING', 'LEVEL_BUILDING>SIGNAL_WAIT', 'SIGNAL_WAIT>PAUSED', 'PAUSED>SCANNING']);
    h.store.close();
  });

  it('emergency stop halts all bots, cancels working orders, flattens positions and blocks new entries until reload', async () => {
    const h = buildHarness({ file: dir.file('c.db'), limits: OPEN_LIMITS });
    const { engine, reloads } = controller(h);
    h.tick('ES', 6000, 1_000);
    h.tick('NQ', 21000, 1_000);
    h.kernel.placeOrder('test', { accountId: 'paper', botId: 'demo', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 2, stopLoss: 5990 });
    h.kernel.placeOrder('test', { accountId: 'paper', botId: 'demo', symbol: 'NQ', side: 'sell', type: 'limit', purpose: 'entry', qty: 1, price: 21100 });
    h.tick('ES', 6001, 2_000); // entry fills, protective stop placed
    assert.equal(h.kernel.portfolio.openPositions().length, 1);
    assert.equal(h.kernel.execution.openOrders().length, 2, 'protective stop and the NQ limit are working');
    const demo = h.kernel.addBot('demo', new SmaCrossStrategy({ symbols: ['ES'], barIntervalMs: 1000, fast: 2, slow: 4, stopAtr: 2, targetAtr: 0, longOnly: false }));
    demo.start();
    engine.start('breakout_v1', 'paper');
    const r = engine.emergencyStop('test');
    assert.ok(r.ok);
    assert.equal(engine.state, 'EMERGENCY');
    const details = (r.ok && r.details) as Record<string, unknown>;
    assert.equal(details.cancelledOrders, 2);
    assert.equal(details.closingPositions, 1);
    const [report] = details.accounts as { account: string; role: string; halted_bots: string[]; cancelled_orders: string[]; closing_orders: { symbol: string; qty: number }[] }[];
    assert.equal(report?.account, 'paper');
    assert.deepEqual(report?.halted_bots.sort(), ['demo', 'engine']);
    assert.equal(report?.cancelled_orders.length, 2);
    assert.deepEqual(report?.closing_orders.map((o) => [o.symbol, o.qty]), [['ES', 2]]);
    assert.ok(h.kernel.allBots().every((b) => !b.isRunning));
    h.tick('ES', 6002, 3_000); // the flattening market order fills
    assert.equal(h.kernel.portfolio.openPositions().length, 0);
    assert.equal(h.kernel.execution.openOrders().length, 0);
    assert.ok(h.kernel.killSwitch.check(), 'kill switch engaged');
    const start = engine.start('breakout_v1', 'paper');
    assert.ok(!start.ok && start.status === 400, 'EMERGENCY only allows stop or reload');
    const reload = engine.reload();
    assert.ok(reload.ok);
    assert.deepEqual(reload.ok && reload.details?.restartedBots, ['demo'], 'bots halted by the emergency start again');
    assert.ok(demo.isRunning);
    assert.equal(engine.status().preset, null, 'reload resets the engine');
    assert.equal(reloads(), 1);
    assert.equal(engine.state, 'IDLE');
    assert.equal(h.kernel.killSwitch.check(), null, 'kill switch released by reload');
    const stop = await engine.stop();
    assert.ok(stop.ok && !stop.changed, 'stop when idle is idempotent');
    h.store.close();
  });

  it('manual scans need a running engine with the same preset', () => {
    const h = buildHarness({ file: dir.file('d.db') });
    const { engine } = controller(h);
    const idle = engine.scan('breakout_v1', {});
    assert.ok(!idle.ok && idle.status === 503);
    engine.start('breakout_v1', 'paper');
    const unknown = engine.scan('nope', {});
    assert.ok(!unknown.ok && unknown.status === 404);
    const ok = engine.scan('breakout_v1', { symbols: ['ES'] });
    assert.ok(ok.ok);
    assert.equal(ok.ok && ok.snapshot.totalScanned, 1);
    assert.equal(engine.lastScan(), ok.ok ? ok.snapshot : null);
    h.store.close();
  });

  it('dailyR is the figure the daily loss stop acts on: the account day P/L over day start equity x risk per trade', () => {
    const h = buildHarness({ file: dir.file('daily-r.db'), limits: { dailyLossLimitPct: null } });
    const { engine } = controller(h);
    assert.ok(engine.start('breakout_v1', 'paper').ok);
    const riskPerTrade = preset.risk.risk_per_trade;
    const limitR = preset.risk.daily_risk_limit_r;
    const unit = 100_000 * riskPerTrade;
    // Another bot's ES position loses (limitR + 0.5) R.
    h.tick('ES', 6_000, 1_000);
    assert.ok(h.kernel.submit({ botId: 'other', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1 }, 'test').ok);
    h.tick('ES', 6_000, 2_000);
    const fees = -h.kernel.portfolio.view().dayPnl;
    const drop = ((limitR + 0.5) * unit - fees) / 50;
    h.tick('ES', 6_000 - Math.ceil(drop * 4) / 4, 3_000);
    const view = h.kernel.portfolio.view();
    const status = engine.status();
    assert.equal(status.dailyR, Number((view.dayPnl / unit).toFixed(4)));
    assert.ok(status.dailyR <= -limitR, `${status.dailyR}`);
    // The engine bot's next entry is refused by that same figure.
    const bot = h.kernel.bot('engine');
    assert.ok(bot);
    const r = bot.context.enter({ symbol: 'BTC/USDT', side: 'long', price: 50_000, stopPrice: 49_000, reason: 'test' });
    assert.ok(!r.ok && r.reason === `daily loss limit: ${(view.dayPnl / unit).toFixed(2)}R today (limit -${limitR}R)`, JSON.stringify(r));
    h.store.close();
  });
});
