import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's default process metrics (CPU, memory, heap, event-loop lag, GC, handles) into
 * `registry`, minus the three gauges it names with a `_total` suffix, which `promtool check
 * metrics` rejects (only counters may end in _total); their per-type twins without the suffix
 * (nodejs_active_handles, nodejs_active_requests, nodejs_active_resources) carry the same figures.
 */
export function processMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
}
