import type { FastifyInstance } from 'fastify';
import type { TradingFacade } from '../app/facade.js';

const json = 'application/json; charset=utf-8';

/** Seed 000's REST surface, registered under /api and /api/v1. */
export async function streamRoutes(app: FastifyInstance, facade: TradingFacade): Promise<void> {
  app.get('/account', async (_req, reply) => {
    const account = facade.account();
    if (!account) return reply.code(503).send({ detail: 'Account not available yet' });
    return account;
  });
  app.get('/positions', async () => facade.positions());
  app.get('/trades', async () => facade.trades());
  app.get('/scan', async () => facade.scan());
  // Serialised once per state change, however many clients poll it; pollers that send the
  // ETag back get 304, clients that accept gzip get the compressed copy.
  app.get('/state', (req, reply) => {
    const body = facade.stateBody();
    reply.header('etag', body.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    if (req.headers['if-none-match'] === body.etag) return reply.code(304).send();
    reply.type(json);
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(body.gzip());
    return reply.send(body.raw);
  });
}
