import type { FastifyInstance } from 'fastify';
import type { ServerPrometheus } from '../app/server-prometheus.js';
import type { SupervisedModel } from '../app/model-supervisor.js';

/**
 * GET /metrics (Prometheus text format) and the request histogram's hook. Access: operator,
 * like the JSON metrics under /api/metrics/*: open while the server runs without a password or
 * API token (loopback only), a bearer API token once one is set (Prometheus sends it with
 * `authorization: {credentials: TOKEN}` in its scrape config; README "Prometheus").
 */
export function prometheusRoutes(app: FastifyInstance, prom: ServerPrometheus): void {
  app.addHook('onResponse', (req, reply, done) => {
    prom.request(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { config: { access: 'operator' }, schema: { tags: ['monitoring'], summary: 'Prometheus metrics (text format)' } }, async (_req, reply) =>
    reply.header('content-type', prom.contentType).send(await prom.text()),
  );
}

/** GET /api/ensemble/models: the supervised model servers in seed 004's models[] shape (plus process fields). */
export async function ensembleRoutes(scope: FastifyInstance, models: () => SupervisedModel[]): Promise<void> {
  scope.get('/ensemble/models', { config: { access: 'operator' }, schema: { tags: ['monitoring'], summary: 'Model servers: online/offline, process, health (seed 004 models[])' } }, async () => ({ models: models() }));
}

/**
 * GET /api/ensemble/status: whether the coordinator runs and where its stream is on this port, so
 * the dashboard shows "ensemble disabled" instead of opening a WebSocket that cannot exist.
 */
export async function ensembleStatusRoute(scope: FastifyInstance, streamPath: string | null): Promise<void> {
  scope.get(
    '/ensemble/status',
    { config: { access: 'operator' }, schema: { tags: ['monitoring'], summary: 'Whether the ensemble coordinator runs (ensemble.enabled) and the path of its WebSocket on this port' } },
    async () => ({ enabled: streamPath !== null, stream_path: streamPath }),
  );
}
