import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { LogRing } from '../app/log-ring.js';
import { parseLogLevel } from '../app/log-ring.js';
import type { MetricsService } from '../app/metrics-service.js';
import { Detail, LogsQuery } from './schemas.js';
import { Any } from './schemas.js';

const tags = ['monitoring'];

/** Seed 001 logs and metrics. */
export async function monitoringRoutes(scope: FastifyInstance, logs: LogRing, metrics: MetricsService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/logs', { config: { access: 'operator' }, schema: { tags, summary: 'Recent structured log entries', querystring: LogsQuery, response: { 200: Any, 400: Detail } } }, async (req, reply) => {
    const { level, component, limit } = req.query;
    if (level !== undefined && parseLogLevel(level) === null) {
      return reply.code(400).send({ detail: `Unknown level '${level}': use DEBUG, INFO, WARNING, ERROR or CRITICAL` });
    }
    return logs.query({ level, component, limit: limit ?? 100 });
  });
  app.get('/metrics/summary', { config: { access: 'operator' }, schema: { tags, summary: 'Performance, engine and trading metrics' } }, async () => metrics.summary());
  app.get('/metrics/performance', { config: { access: 'operator' }, schema: { tags, summary: 'Process and system performance figures' } }, async () => metrics.performance());
}
