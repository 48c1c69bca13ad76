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
  // Serialised once per state change, however many clients poll it.
  app.get('/state', async (_req, reply) => reply.type(json).send(facade.stateJson()));
}
