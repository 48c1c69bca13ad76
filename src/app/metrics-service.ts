/**
 * The figures behind GET /api/metrics/summary, GET /api/metrics/performance and
 * GET /api/engine/resource-health (seed 001). Inputs arrive through the constructor and the
 * record* / observe methods; the service holds no global state.
 *
 * summary():
 * - engine.cycle_time: rolling stats of recordCycle(seconds) samples, in seconds.
 * - engine.positions: rolling stats of recordPositions(n) samples; engine.open_positions is the
 *   current count from the openPositions dependency.
 * - trading.events: trading events (order, fill, trade-closed, signal, risk-rejected; not
 *   ticks, bars or account marks) per completed minute of the clock, minutes without events
 *   counting 0. The minute in progress is not included.
 * - trading.pnl: netPnl (account currency) of the last `windowSize` closed trades;
 *   trading.pnl_r: their pnlR where known.
 * - trading also carries every TradingStats field (see trading-stats.ts).
 * - timestamp: milliseconds since the epoch.
 */
import type { Clock } from '../core/clock.js';
import type { ClosedTrade } from '../core/portfolio-types.js';
import { DEFAULT_STATS_WINDOW, StatsWindow, summarize, type StatsSummary } from './stats-window.js';
import type { PerformanceMetrics, ResourceHealth, ResourceThresholds, SystemMetrics } from './system-metrics.js';
import { computeTradingStats, type TradingStats } from './trading-stats.js';

export interface MetricsDeps {
  clock: Clock;
  system: SystemMetrics;
  /** Closed trades of the account, any order (the whole history the drawdown should cover). */
  closedTrades: () => readonly ClosedTrade[];
  /** The account's balance before the first of those trades. */
  startingBalance: () => number;
  openPositions: () => number;
  /** Optional marked-to-market equity series; drawdown is measured on it when non-empty. */
  equityCurve?: () => readonly number[];
  /** Resource optimisations performed so far (0 when nothing performs any). */
  optimizationCount?: () => number;
  thresholds?: Partial<ResourceThresholds>;
  /** Samples kept per rolling window (default 1000). */
  windowSize?: number;
  /** Length of an events bucket (default 60 000 ms). */
  eventBucketMs?: number;
}

export interface MetricsSummary {
  performance: PerformanceMetrics;
  engine: {
    cycle_time: StatsSummary;
    positions: StatsSummary;
    open_positions: number;
  };
  trading: TradingStats & {
    events: StatsSummary;
    pnl: StatsSummary;
    pnl_r: StatsSummary;
  };
  timestamp: number;
}

const TRADING_EVENTS = new Set(['order', 'fill', 'trade-closed', 'signal', 'risk-rejected']);

export class MetricsService {
  private readonly windowSize: number;
  private readonly cycleTimes: StatsWindow;
  private readonly positions: StatsWindow;
  private readonly eventsPerBucket: StatsWindow;
  private readonly bucketMs: number;
  private bucket: number | null = null;
  private bucketCount = 0;

  constructor(private readonly deps: MetricsDeps) {
    this.windowSize = deps.windowSize ?? DEFAULT_STATS_WINDOW;
    this.cycleTimes = new StatsWindow(this.windowSize);
    this.positions = new StatsWindow(this.windowSize);
    this.eventsPerBucket = new StatsWindow(this.windowSize);
    this.bucketMs = deps.eventBucketMs ?? 60_000;
    if (!(this.bucketMs > 0)) throw new RangeError(`eventBucketMs must be positive, got ${this.bucketMs}`);
    this.roll();
  }

  /** One engine cycle took `seconds`. */
  recordCycle(seconds: number): void {
    this.cycleTimes.add(seconds);
  }

  /** The engine holds `n` open positions (sampled once per cycle). */
  recordPositions(n: number): void {
    this.positions.add(n);
  }

  /** Feed every bus event (bus.onAny); only trading events are counted. */
  observe(event: { type: string }): void {
    if (!TRADING_EVENTS.has(event.type)) return;
    this.roll();
    this.bucketCount++;
  }

  performance(): PerformanceMetrics {
    return this.deps.system.performance();
  }

  resourceHealth(): ResourceHealth {
    return this.deps.system.resourceHealth(this.deps.thresholds, this.deps.optimizationCount?.() ?? 0);
  }

  tradingStats(): TradingStats {
    return computeTradingStats({
      trades: this.deps.closedTrades(),
      startingBalance: this.deps.startingBalance(),
      now: this.deps.clock.now(),
      equityCurve: this.deps.equityCurve?.(),
    });
  }

  summary(): MetricsSummary {
    this.roll();
    const trades = [...this.deps.closedTrades()].sort((a, b) => a.closedAt - b.closedAt);
    const recent = trades.slice(-this.windowSize);
    const stats = computeTradingStats({
      trades,
      startingBalance: this.deps.startingBalance(),
      now: this.deps.clock.now(),
      equityCurve: this.deps.equityCurve?.(),
    });
    return {
      performance: this.performance(),
      engine: {
        cycle_time: this.cycleTimes.summary(),
        positions: this.positions.summary(),
        open_positions: this.deps.openPositions(),
      },
      trading: {
        events: this.eventsPerBucket.summary(),
        pnl: summarize(recent.map((t) => t.netPnl)),
        pnl_r: summarize(recent.flatMap((t) => (t.pnlR === null ? [] : [t.pnlR]))),
        ...stats,
      },
      timestamp: this.deps.clock.now(),
    };
  }

  /** Closes finished buckets up to now, filling silent ones with 0 (at most one window's worth). */
  private roll(): void {
    const current = Math.floor(this.deps.clock.now() / this.bucketMs);
    if (this.bucket === null) {
      this.bucket = current;
      return;
    }
    if (current <= this.bucket) return;
    this.eventsPerBucket.add(this.bucketCount);
    const silent = Math.min(current - this.bucket - 1, this.windowSize);
    for (let i = 0; i < silent; i++) this.eventsPerBucket.add(0);
    this.bucket = current;
    this.bucketCount = 0;
  }
}
