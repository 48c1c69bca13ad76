import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { TradingFacade } from '../app/facade.js';
import { seedOrder } from '../app/seed-shapes.js';
import { Detail, IdParams, OrdersQuery } from './schemas.js';
import { Any } from './schemas.js';

const tags = ['trading'];

/** Seed 001 positions and orders. */
export async function tradingRoutes(scope: FastifyInstance, facade: TradingFacade): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/positions/:id', { config: { access: 'operator' }, schema: { tags, summary: 'One open position by id (or seed 000 ticket)', params: IdParams, response: { 200: Any, 404: Detail } } }, async (req, reply) => {
    const position = facade.position(req.params.id);
    if (!position) return reply.code(404).send({ detail: `Position ${req.params.id} not found` });
    return position;
  });
  app.post('/positions/:id/close', { config: { access: 'operator' }, schema: { tags, summary: 'Close an open position at market (one exit order for its full quantity)', params: IdParams, response: { 200: Any, 404: Detail, 409: Detail, 422: Detail } } }, async (req, reply) => {
    const outcome = facade.closePosition(req.params.id);
    if (!outcome.ok) return reply.code(outcome.code === 'not_found' ? 404 : outcome.code === 'conflict' ? 409 : 422).send({ detail: outcome.message });
    return {
      success: true,
      message: `Closing position ${outcome.positionId} at market`,
      position_id: outcome.positionId,
      order: seedOrder(outcome.order),
      timestamp: new Date().toISOString(),
    };
  });
  app.get('/orders', { config: { access: 'operator' }, schema: { tags, summary: 'Orders, newest first (open and done)', querystring: OrdersQuery } }, async (req) =>
    facade.orders({ status: req.query.status, symbol: req.query.symbol, limit: req.query.limit ?? 100 }),
  );
  app.delete('/orders/:id', { config: { access: 'operator' }, schema: { tags, summary: 'Cancel a working order', params: IdParams, response: { 200: Any, 404: Detail, 409: Detail } } }, async (req, reply) => {
    const outcome = facade.cancelOrder(req.params.id);
    if (!outcome.ok) return reply.code(outcome.code === 'not_found' ? 404 : 409).send({ detail: outcome.message });
    return {
      success: true,
      message: `Order ${req.params.id} canceled successfully`,
      order_status: outcome.order.status,
      timestamp: new Date().toISOString(),
    };
  });
}
