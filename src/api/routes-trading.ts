import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { TradingFacade } from '../app/facade.js';
import { seedOrder } from '../app/seed-shapes.js';
import { Detail, IdParams, OrdersQuery, SeedOrderSchema } from './schemas.js';
import Type from 'typebox';
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
  app.post('/positions/:id/close', { config: { access: 'operator' }, schema: { tags, summary: 'Close an open position at market (one exit order for its full quantity); idempotent: status closing, already_closing or already_closed', params: IdParams, response: { 200: Any, 404: Detail, 422: Detail } } }, async (req, reply) => {
    const outcome = facade.closePosition(req.params.id);
    if (!outcome.ok) return reply.code(outcome.code === 'not_found' ? 404 : 422).send({ detail: outcome.message });
    const timestamp = new Date().toISOString();
    if (outcome.status === 'already_closed') {
      const t = outcome.trade;
      return {
        success: true,
        status: outcome.status,
        message: `Position ${outcome.positionId} is already closed`,
        position_id: outcome.positionId,
        order: null,
        closed_at: new Date(t.closedAt).toISOString(),
        exit_price: t.exitPrice,
        pnlUsd: t.netPnl,
        timestamp,
      };
    }
    return {
      success: true,
      status: outcome.status,
      message: outcome.status === 'closing' ? `Closing position ${outcome.positionId} at market` : `Position ${outcome.positionId} is already closing (exit order ${outcome.order.id} working)`,
      position_id: outcome.positionId,
      order: seedOrder(outcome.order),
      timestamp,
    };
  });
  app.get('/orders', { config: { access: 'operator' }, schema: { tags, summary: "Orders, newest first (open and done), of one account (?account=, default the engine's)", querystring: OrdersQuery, response: { 200: Type.Array(SeedOrderSchema), 404: Detail } } }, async (req, reply) => {
    const orders = facade.orders({ status: req.query.status, symbol: req.query.symbol, limit: req.query.limit ?? 100, account: req.query.account });
    if (!orders) return reply.code(404).send({ detail: `Unknown account '${String(req.query.account)}': one of ${[...facade.accountIds(), 'all'].join(', ')}` });
    return orders;
  });
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
