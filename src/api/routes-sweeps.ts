import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import Type from 'typebox';
import { SweepRequestError, type SweepRequest, type SweepService } from '../app/sweep-service.js';

const tags = ['sweeps'];
const Params = Type.Object({ id: Type.String({ pattern: '^sw-[a-f0-9]{12}$' }) });
const Query = Type.Object({ top: Type.Optional(Type.Integer({ minimum: 0, description: 'Best results returned (0: all); default 10' })) }, { additionalProperties: false });

const SweepBody = Type.Object(
  {
    strategy: Type.Optional(Type.Literal('sma-cross')),
    grid: Type.String({ minLength: 1, maxLength: 500, description: 'e.g. fast=5..20,slow=20..60 (also a..b:step and a|b|c); parameters fast, slow, stop-atr, target-atr' }),
    data: Type.Object(
      {
        file: Type.String({ minLength: 1, description: 'A bar file inside the import directory (relative to it); every worker must see the same file at the same path' }),
        from: Type.Optional(Type.Integer({ description: 'First bar open time, epoch ms (inclusive)' })),
        to: Type.Optional(Type.Integer({ description: 'End, epoch ms (exclusive)' })),
        limit: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { additionalProperties: false },
    ),
    instrument: Type.Optional(Type.String({ description: 'Built-in symbol; default BTC/USDT' })),
    base: Type.Optional(
      Type.Object(
        {
          fast: Type.Optional(Type.Integer({ minimum: 1 })),
          slow: Type.Optional(Type.Integer({ minimum: 2 })),
          size: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          longOnly: Type.Optional(Type.Boolean()),
          stopAtr: Type.Optional(Type.Number({ minimum: 0 })),
          targetAtr: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false, description: 'Values of the parameters the grid does not vary (default size 1, long only)' },
      ),
    ),
    cash: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    fee: Type.Optional(Type.Number({ minimum: 0, description: 'Taker fee, fraction of notional' })),
    slippage: Type.Optional(Type.Number({ minimum: 0, description: 'Ticks against the taker' })),
    rank: Type.Optional(Type.Union(['closedPnl', 'returnPct', 'sharpe', 'maxDrawdown', 'winRate'].map((m) => Type.Literal(m)))),
  },
  { additionalProperties: false },
);

const fail = (reply: FastifyReply, error: unknown) => {
  if (error instanceof SweepRequestError) return reply.code(error.status).send({ detail: error.message });
  throw error;
};

/** Parameter sweeps spread over the workers (Redis) or this server's threads: start, progress, cancel. */
export async function sweepRoutes(scope: FastifyInstance, sweeps: SweepService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/sweeps',
    {
      config: { access: 'operator', rateGroup: 'batch' },
      schema: {
        tags,
        summary: 'Start a parameter sweep: every grid point is a job for the workers (202 with its sweep_id)',
        description: 'With Redis configured the points go to `tradewind worker` processes; without it they run on this server\'s worker threads. Poll GET /api/sweeps/{sweep_id}.',
        body: SweepBody,
      },
    },
    async (req, reply) => {
      try {
        const view = await sweeps.start(req.body as SweepRequest);
        return reply.code(202).send({ ...view, url: `${req.url.replace(/\/$/, '')}/${view.sweep_id}` });
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get(
    '/sweeps/:id',
    { config: { access: 'operator' }, schema: { tags, summary: 'A sweep: state, progress and its results so far, ranked best first', params: Params, querystring: Query } },
    async (req, reply) => {
      try {
        return await sweeps.view(req.params.id, req.query.top ?? 10);
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  const cancel = async (id: string, reply: FastifyReply) => {
    try {
      return await sweeps.cancel(id);
    } catch (error) {
      return fail(reply, error);
    }
  };
  app.delete('/sweeps/:id', { config: { access: 'operator' }, schema: { tags, summary: 'Cancel a running sweep (409 when it has finished)', params: Params } }, async (req, reply) => cancel(req.params.id, reply));
  app.post('/sweeps/:id/cancel', { config: { access: 'operator' }, schema: { tags, summary: 'Cancel a running sweep (the same as DELETE)', params: Params } }, async (req, reply) => cancel(req.params.id, reply));
}
