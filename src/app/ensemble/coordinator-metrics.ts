import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Seed 004's coordinator metrics, exactly its names, on a registry of their own (served at
 * :9090/metrics). `coordinator_trades_total{action}` counts the heartbeats' outcomes: long or
 * short when an entry was sent (or, with dry_run, would have been), hold otherwise.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly heartbeats = new Counter({ name: 'coordinator_heartbeat_total', help: 'Total decision cycles', registers: [this.registry] });
  readonly trades = new Counter({ name: 'coordinator_trades_total', help: 'Trade counts by action', labelNames: ['action'] as const, registers: [this.registry] });
  readonly pnl = new Gauge({ name: 'coordinator_pnl_usd', help: 'Current P&L in USD', registers: [this.registry] });
  readonly modelLatency = new Histogram({
    name: 'coordinator_model_latency_seconds',
    help: 'Model response time',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly confidence = new Gauge({ name: 'coordinator_ensemble_confidence', help: 'Decision confidence', registers: [this.registry] });
  readonly errors = new Counter({ name: 'coordinator_errors_total', help: 'Error count', registers: [this.registry] });
  readonly balance = new Gauge({ name: 'coordinator_balance_usd', help: 'Account balance', registers: [this.registry] });

  constructor() {
    // Every action series exists from the start (a rate over a series that appears late misses its first count).
    for (const action of ['long', 'short', 'hold']) this.trades.inc({ action }, 0);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
