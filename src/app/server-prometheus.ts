/**
 * The main server's Prometheus metrics (GET /metrics; prom-client, one registry per server):
 *
 * | name | type | labels |
 * |---|---|---|
 * | http_request_duration_seconds | histogram | method, route (the matched route's pattern, never the raw URL), status_code |
 * | tradewind_orders_total | counter | side, type, purpose: orders placed |
 * | tradewind_fills_total | counter | side: fills applied |
 * | tradewind_risk_refusals_total | counter | entries the risk engine refused |
 * | tradewind_fill_refusals_total | counter | broker fills refused by the fill checks |
 * | tradewind_model_servers_online | gauge | model servers answering their health check (only with modelServers.enabled) |
 * | tradewind_heap_retained_bytes | gauge | V8 heap in use right after the latest full (mark-compact) collection: what the process keeps, without the garbage nodejs_heap_size_used_bytes also counts between collections |
 *
 * plus prom-client's process metrics, event-loop lag (nodejs_eventloop_lag_seconds and its
 * percentiles) among them (prometheus-defaults.ts). The seed 001 JSON metrics stay under
 * GET /api/metrics/*.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KernelEvent } from '../core/events.js';
import { processMetrics } from './prometheus-defaults.js';

export class ServerPrometheus {
  readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status_code'>;
  private readonly orders: Counter<'side' | 'type' | 'purpose'>;
  private readonly fills: Counter<'side'>;
  private readonly riskRefusals: Counter;
  private readonly fillRefusals: Counter;

  constructor(o: { modelServersOnline?: () => number; defaults?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by matched route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.orders = new Counter({ name: 'tradewind_orders_total', help: 'Orders placed', labelNames: ['side', 'type', 'purpose'], registers });
    this.fills = new Counter({ name: 'tradewind_fills_total', help: 'Fills applied to orders', labelNames: ['side'], registers });
    this.riskRefusals = new Counter({ name: 'tradewind_risk_refusals_total', help: 'Entries refused by the risk engine', registers });
    this.fillRefusals = new Counter({ name: 'tradewind_fill_refusals_total', help: 'Broker fills refused by the fill checks', registers });
    const online = o.modelServersOnline;
    if (online) {
      new Gauge({
        name: 'tradewind_model_servers_online',
        help: 'Model servers answering their health check',
        registers,
        collect() {
          this.set(online());
        },
      });
    }
    if (o.defaults !== false) {
      processMetrics(this.registry);
      this.retainedHeap(registers);
    }
  }

  /** Heap used as measured when a full collection has just finished (0 until the first one). */
  private retainedHeap(registers: Registry[]): void {
    const gauge = new Gauge({ name: 'tradewind_heap_retained_bytes', help: 'V8 heap in use right after the latest full collection', registers });
    gauge.set(0);
    new PerformanceObserver((list) => {
      if (list.getEntries().some((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) gauge.set(getHeapStatistics().used_heap_size);
    }).observe({ entryTypes: ['gc'] });
  }

  /** `route` is the matched pattern (e.g. /api/orders/:id); unmatched requests count as "unmatched". */
  request(method: string, route: string | undefined, status: number, seconds: number): void {
    this.requests.labels(method, route ?? 'unmatched', String(status)).observe(seconds);
  }

  observe(e: KernelEvent): void {
    switch (e.type) {
      case 'order':
        if (e.previous === null) this.orders.labels(e.order.side, e.order.type, e.order.purpose).inc();
        return;
      case 'fill':
        this.fills.labels(e.order.side).inc();
        return;
      case 'risk-rejected':
        this.riskRefusals.inc();
        return;
      case 'fill-refused':
        this.fillRefusals.inc();
        return;
      default:
        return;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
