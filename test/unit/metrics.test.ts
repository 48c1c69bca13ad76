import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService } from '../../src/app/metrics-service.js';
import { StatsWindow, percentile, summarize } from '../../src/app/stats-window.js';
import { DEFAULT_RESOURCE_THRESHOLDS, SystemMetrics, evaluateHealth } from '../../src/app/system-metrics.js';
import { computeTradingStats, maxDrawdown } from '../../src/app/trading-stats.js';
import { SimClock } from '../../src/core/clock.js';
import type { ClosedTrade } from '../../src/core/portfolio-types.js';
import { near, tempDir } from './support.js';

const linux = process.platform === 'linux';
const D1 = Date.UTC(2025, 0, 15);
const D2 = Date.UTC(2025, 0, 16);
const H = 3_600_000;

let seq = 0;
const trade = (netPnl: number, pnlR: number | null, closedAt: number): ClosedTrade => ({
  id: `T-${++seq}`,
  positionId: `P-${seq}`,
  accountId: 'acc',
  botId: 'bot',
  symbol: 'BTC/USDT',
  side: 'long',
  qty: 1,
  entryPrice: 100,
  exitPrice: 100 + netPnl,
  openedAt: closedAt - 60_000,
  closedAt,
  grossPnl: netPnl,
  fees: 0,
  netPnl,
  pnlR,
  mode: 'test',
});

/*
 * Hand-computed fixture, starting balance 10 000:
 *   closedAt   netPnl   R      equity   peak    drawdown
 *   D1 10:00   +200    1.0    10 200   10 200     0
 *   D1 11:00   -100   -0.5    10 100   10 200   100
 *   D1 12:00   -150   -0.75    9 950   10 200   250
 *   D1 12:30    -20   -0.1     9 930   10 200   270  (2.6471 %)
 *   D2 09:00   +500    2.5    10 430   10 430     0
 *   D2 10:00      0    -      10 430   10 430     0  (breakeven)
 *   D2 11:00   -300   -1.5    10 130   10 430   300
 *   D2 12:00    -50    -      10 080   10 430   350  (3.3557 %)
 * wins 2, losses 5, breakeven 1 -> win rate 2/8; R over 6 trades: 0.65 / 6;
 * gross profit 700, gross loss 620 -> PF 1.12903; net 80; losing streak at the end 2, max 3;
 * on D2: 4 trades, pnl +150, R +1.0.
 */
const FIXTURE = [
  trade(200, 1.0, D1 + 10 * H),
  trade(-100, -0.5, D1 + 11 * H),
  trade(-150, -0.75, D1 + 12 * H),
  trade(-20, -0.1, D1 + 12.5 * H),
  trade(500, 2.5, D2 + 9 * H),
  trade(0, null, D2 + 10 * H),
  trade(-300, -1.5, D2 + 11 * H),
  trade(-50, null, D2 + 12 * H),
];
// Newest first, as a store returns them: the stats must not depend on input order.
const SHUFFLED = [...FIXTURE].reverse();

describe('StatsWindow', () => {
  it('percentiles, mean, min, max, last on 1..100 (added out of order)', () => {
    const w = new StatsWindow(100);
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1); // a permutation of 1..100
    assert.equal(new Set(values).size, 100);
    for (const v of values) w.add(v);
    const s = w.summary();
    assert.equal(s.count, 100);
    assert.ok(near(s.mean, 50.5));
    assert.equal(s.min, 1);
    assert.equal(s.max, 100);
    assert.ok(near(s.p50, 50.5), `p50 ${s.p50}`);
    assert.ok(near(s.p95, 95.05), `p95 ${s.p95}`);
    assert.ok(near(s.p99, 99.01), `p99 ${s.p99}`);
    assert.equal(s.last, values[99]);
  });

  it('keeps only the last N samples', () => {
    const w = new StatsWindow(10);
    for (let i = 1; i <= 25; i++) w.add(i);
    assert.deepEqual(w.values(), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    const s = w.summary();
    assert.equal(s.count, 10);
    assert.ok(near(s.mean, 20.5));
    assert.equal(s.min, 16);
    assert.equal(s.max, 25);
    assert.equal(s.last, 25);
    assert.equal(w.total, 25);
  });

  it('empty window has nulls; non-finite samples are rejected', () => {
    const w = new StatsWindow(5);
    assert.deepEqual(w.summary(), { count: 0, mean: null, min: null, max: null, p50: null, p95: null, p99: null, last: null });
    assert.equal(w.add(Number.NaN), false);
    assert.equal(w.add(Number.POSITIVE_INFINITY), false);
    assert.equal(w.add(2), true);
    assert.equal(w.rejected, 2);
    assert.equal(w.summary().count, 1);
    assert.throws(() => new StatsWindow(0), RangeError);
  });

  it('percentile interpolates between ranks', () => {
    assert.equal(percentile([10, 20], 50), 15);
    assert.equal(percentile([10, 20, 30, 40], 75), 32.5);
    assert.equal(percentile([7], 99), 7);
    assert.equal(summarize([3, 1, 2]).p50, 2);
  });
});

describe('computeTradingStats', () => {
  it('matches the hand-computed fixture', () => {
    const s = computeTradingStats({ trades: SHUFFLED, startingBalance: 10_000, now: D2 + 15 * H });
    assert.equal(s.total_trades, 8);
    assert.equal(s.wins, 2);
    assert.equal(s.losses, 5);
    assert.equal(s.breakeven, 1);
    assert.ok(near(s.win_rate, 0.25));
    assert.equal(s.r_trades, 6);
    assert.ok(near(s.avg_r, 0.65 / 6), `avg_r ${s.avg_r}`);
    assert.ok(near(s.gross_profit, 700));
    assert.ok(near(s.gross_loss, 620));
    assert.ok(near(s.profit_factor, 700 / 620), `pf ${s.profit_factor}`);
    assert.ok(near(s.net_pnl, 80));
    assert.ok(near(s.avg_win, 350));
    assert.ok(near(s.avg_loss, -124));
    assert.ok(near(s.max_drawdown, 350), `dd ${s.max_drawdown}`);
    assert.ok(near(s.max_drawdown_percent, (350 / 10_430) * 100), `dd% ${s.max_drawdown_percent}`);
    assert.equal(s.consecutive_losses, 2);
    assert.equal(s.max_consecutive_losses, 3);
    assert.equal(s.daily_trades, 4);
    assert.ok(near(s.daily_pnl, 150));
    assert.ok(near(s.daily_r, 1.0));
  });

  it('a breakeven trade ends a losing streak; a first losing trade draws down from the starting balance', () => {
    const s = computeTradingStats({ trades: [trade(-10, -1, D1), trade(0, 0, D1 + 1), trade(-10, -1, D1 + 2)], startingBalance: 100, now: D1 });
    assert.equal(s.consecutive_losses, 1);
    assert.equal(s.max_consecutive_losses, 1);
    assert.equal(s.max_drawdown, 20);
    assert.ok(near(s.max_drawdown_percent, 20));
    assert.equal(s.win_rate, 0);
  });

  it('daily figures follow `now`', () => {
    const s = computeTradingStats({ trades: FIXTURE, startingBalance: 10_000, now: D1 + 23 * H });
    assert.equal(s.daily_trades, 4);
    assert.ok(near(s.daily_r, 1 - 0.5 - 0.75 - 0.1));
    assert.ok(near(s.daily_pnl, -70));
  });

  it('undefined ratios are null, not 0 or Infinity', () => {
    const none = computeTradingStats({ trades: [], startingBalance: 1000, now: D1 });
    assert.equal(none.total_trades, 0);
    assert.equal(none.win_rate, null);
    assert.equal(none.avg_r, null);
    assert.equal(none.profit_factor, null);
    assert.equal(none.max_drawdown, 0);
    assert.equal(none.consecutive_losses, 0);
    const winners = computeTradingStats({ trades: [trade(10, null, D1), trade(5, null, D1 + 1)], startingBalance: 1000, now: D1 });
    assert.equal(winners.profit_factor, null);
    assert.equal(winners.win_rate, 1);
    assert.equal(winners.avg_r, null);
    assert.equal(winners.max_drawdown, 0);
    assert.equal(winners.max_drawdown_percent, 0);
  });

  it('uses the equity curve for drawdown when given; absolute and percent maximised separately', () => {
    const s = computeTradingStats({ trades: FIXTURE, startingBalance: 10_000, now: D2, equityCurve: [100, 50, 1000, 800] });
    assert.equal(s.max_drawdown, 200);
    assert.ok(near(s.max_drawdown_percent, 50));
    assert.deepEqual(maxDrawdown([10, 12, 9, 15, 14]), { absolute: 3, percent: 25 });
  });
});

describe('SystemMetrics', () => {
  it('reports values in range', () => {
    const dir = tempDir();
    try {
      const m = new SystemMetrics({ dataDir: dir.dir, now: () => 1_642_248_000_000 });
      const p = m.performance();
      assert.ok(p.cpu_percent >= 0, `cpu ${p.cpu_percent}`);
      assert.ok(p.memory_percent > 0 && p.memory_percent <= 100, `mem ${p.memory_percent}`);
      const rssMb = process.memoryUsage.rss() / 1024 / 1024;
      assert.ok(p.memory_used_mb > 10 && Math.abs(p.memory_used_mb - rssMb) < rssMb * 0.5, `rss ${p.memory_used_mb} vs ${rssMb}`);
      assert.ok(p.disk_usage_percent !== null && p.disk_usage_percent >= 0 && p.disk_usage_percent <= 100, `disk ${p.disk_usage_percent}`);
      assert.equal(p.timestamp, 1_642_248_000);
      if (linux) {
        assert.ok((p.open_files ?? 0) > 2, `open_files ${p.open_files}`);
        assert.ok((p.active_threads ?? 0) >= 2, `threads ${p.active_threads}`);
        assert.ok(p.network_connections !== null && p.network_connections >= 0);
      }
      // A data dir that does not exist yet reports the file system it would live on.
      const missing = new SystemMetrics({ dataDir: dir.file('not/yet/created') });
      assert.equal(typeof missing.diskUsagePercent(), 'number');
    } finally {
      dir.cleanup();
    }
  });

  it('cpu_percent is the process CPU time over the wall time since the last reading, and rises after a busy loop', async () => {
    // Compared with the process's own counters around the reading, not with a fixed figure: on a
    // busy machine a busy loop gets only its share of a core, and the reading must say so.
    const used = () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    };
    const m = new SystemMetrics({ dataDir: '.', minCpuIntervalMs: 0 });
    m.cpuPercent();
    await sleep(300);
    const idle = m.cpuPercent();
    const wall0 = performance.now();
    const cpu0 = used();
    let x = 0;
    // Busy until the process has used 200 ms of CPU, however long that takes on a loaded machine.
    while (used() - cpu0 < 200) x += Math.sqrt(x + 1);
    assert.ok(x > 0);
    const wallBefore = performance.now();
    const cpuBefore = used();
    const busy = m.cpuPercent();
    const wallAfter = performance.now();
    const cpuAfter = used();
    // The reading's window starts just before wall0/cpu0 (the idle reading) and ends inside [before, after].
    const low = ((cpuBefore - cpu0) / (wallAfter - wall0 + 5)) * 100;
    const high = ((cpuAfter - cpu0 + 5) / (wallBefore - wall0)) * 100;
    assert.ok(busy >= low - 2 && busy <= high + 2, `busy ${busy} outside [${low.toFixed(1)}, ${high.toFixed(1)}]`);
    assert.ok(busy > idle, `busy ${busy} idle ${idle}`);
  });

  it('readings closer than minCpuIntervalMs repeat the previous figure', () => {
    const m = new SystemMetrics({ dataDir: '.', minCpuIntervalMs: 60_000 });
    const first = m.cpuPercent();
    const until = performance.now() + 50;
    while (performance.now() < until);
    assert.equal(m.cpuPercent(), first);
  });

  it('counts open files and TCP connections of this process', { skip: !linux }, async () => {
    const m = new SystemMetrics({ dataDir: '.' });
    const filesBefore = m.openFiles() ?? 0;
    const connsBefore = m.networkConnections() ?? 0;
    const accepted: Socket[] = [];
    const server: Server = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = createConnection(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    while (accepted.length === 0) await sleep(5);
    try {
      assert.ok((m.networkConnections() ?? 0) >= connsBefore + 3, `connections ${m.networkConnections()} before ${connsBefore}`);
      assert.ok((m.openFiles() ?? 0) >= filesBefore + 3, `files ${m.openFiles()} before ${filesBefore}`);
    } finally {
      client.destroy();
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('resource health: status and issues follow the thresholds', () => {
    const m = new SystemMetrics({ dataDir: '.' });
    const ok = m.resourceHealth({
      cpu_percent: { warning: null, error: null },
      memory_percent: { warning: null, error: null },
      disk_usage_percent: { warning: null, error: null },
    });
    assert.equal(ok.status, 'healthy');
    assert.deepEqual(ok.issues, []);
    assert.deepEqual(Object.keys(ok).sort(), [
      'active_threads', 'cpu_percent', 'disk_usage_percent', 'issues', 'memory_percent', 'memory_used_mb', 'optimization_count', 'status',
    ]);
    const warn = m.resourceHealth({ memory_percent: { warning: 0, error: null }, cpu_percent: { warning: null, error: null }, disk_usage_percent: { warning: null, error: null } }, 4);
    assert.equal(warn.status, 'warning');
    assert.equal(warn.issues.length, 1);
    assert.match(warn.issues[0] ?? '', /Memory usage .* warning threshold 0%/);
    assert.equal(warn.optimization_count, 4);
    const err = m.resourceHealth({ memory_used_mb: { warning: 0, error: 1 }, memory_percent: { warning: 0, error: null } });
    assert.equal(err.status, 'error');
    assert.ok(err.issues.some((i) => /Process memory .* error threshold 1 MB/.test(i)), err.issues.join('; '));
  });

  it('evaluateHealth picks the worst level per metric and overall', () => {
    const figures = { cpu_percent: 96, memory_percent: 86, memory_used_mb: 100, disk_usage_percent: 10, active_threads: null };
    const h = evaluateHealth(figures, DEFAULT_RESOURCE_THRESHOLDS);
    assert.equal(h.status, 'error');
    assert.equal(h.issues.length, 2);
    assert.match(h.issues[0] ?? '', /^CPU usage 96% is at or above the error threshold 95%/);
    assert.match(h.issues[1] ?? '', /^Memory usage 86% is at or above the warning threshold 85%/);
    assert.equal(evaluateHealth({ ...figures, cpu_percent: 10, memory_percent: 10 }, DEFAULT_RESOURCE_THRESHOLDS).status, 'healthy');
  });
});

describe('MetricsService', () => {
  const build = (clock: SimClock, trades: ClosedTrade[] = FIXTURE, open = 1) =>
    new MetricsService({
      clock,
      system: new SystemMetrics({ dataDir: '.', now: () => clock.now() }),
      closedTrades: () => trades,
      startingBalance: () => 10_000,
      openPositions: () => open,
      windowSize: 100,
    });

  it('summary has the seed shape with engine, trading and performance figures', () => {
    const clock = new SimClock(D2 + 15 * H);
    const metrics = build(clock, SHUFFLED);
    for (const s of [0.02, 0.045, 0.08, 0.04]) metrics.recordCycle(s);
    for (const n of [0, 2, 5, 3]) metrics.recordPositions(n);
    const s = metrics.summary();
    assert.deepEqual(Object.keys(s).sort(), ['engine', 'performance', 'timestamp', 'trading']);
    assert.equal(s.timestamp, D2 + 15 * H);
    assert.equal(s.engine.cycle_time.count, 4);
    assert.ok(near(s.engine.cycle_time.mean, 0.04625));
    assert.equal(s.engine.cycle_time.min, 0.02);
    assert.equal(s.engine.cycle_time.max, 0.08);
    assert.deepEqual([s.engine.positions.min, s.engine.positions.max, s.engine.positions.last], [0, 5, 3]);
    assert.equal(s.engine.open_positions, 1);
    assert.equal(s.trading.pnl.count, 8);
    assert.equal(s.trading.pnl.min, -300);
    assert.equal(s.trading.pnl.max, 500);
    assert.ok(near(s.trading.pnl.mean, 10));
    assert.equal(s.trading.pnl.last, -50, 'last is the most recently closed trade');
    assert.equal(s.trading.pnl_r.count, 6);
    assert.ok(near(s.trading.win_rate, 0.25));
    assert.equal(s.trading.consecutive_losses, 2);
    assert.ok(near(s.trading.daily_r, 1));
    assert.equal(s.performance.timestamp, (D2 + 15 * H) / 1000);
    for (const key of ['cpu_percent', 'memory_percent', 'memory_used_mb', 'disk_usage_percent', 'active_threads']) {
      assert.ok(key in s.performance, key);
    }
  });

  it('counts trading events per completed minute, silent minutes as 0, ticks ignored', () => {
    const clock = new SimClock(D1);
    const metrics = build(clock, []);
    clock.advance(1_000);
    for (let i = 0; i < 3; i++) metrics.observe({ type: 'order' });
    for (let i = 0; i < 50; i++) metrics.observe({ type: 'tick' });
    clock.advance(60_000);
    metrics.observe({ type: 'fill' });
    assert.equal(metrics.summary().trading.events.count, 1, 'only the first minute is complete');
    clock.advance(125_000);
    const e = metrics.summary().trading.events;
    assert.equal(e.count, 3);
    assert.equal(e.max, 3);
    assert.equal(e.min, 0);
    assert.ok(near(e.mean, 4 / 3));
  });

  it('resourceHealth and performance pass through the system metrics', () => {
    const clock = new SimClock(D1);
    const m = new MetricsService({
      clock,
      system: new SystemMetrics({ dataDir: '.', now: () => clock.now() }),
      closedTrades: () => [],
      startingBalance: () => 0,
      openPositions: () => 0,
      optimizationCount: () => 7,
      thresholds: { memory_percent: { warning: 0, error: null } },
    });
    const h = m.resourceHealth();
    assert.equal(h.optimization_count, 7);
    assert.notEqual(h.status, 'healthy');
    assert.equal(m.performance().timestamp, D1 / 1000);
    const t = m.tradingStats();
    assert.equal(t.total_trades, 0);
  });
});
