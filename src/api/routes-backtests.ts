import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import Type from 'typebox';
import { BacktestRequestError, type BacktestJobs, type BacktestRequest } from '../app/backtest-jobs.js';

const tags = ['backtests'];
const JobParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const Time = Type.Union([Type.String(), Type.Number()]);

const BacktestBody = Type.Object(
  {
    instrument: Type.Optional(Type.String({ description: 'Built-in symbol (BTC/USDT, ETH/USDT, ES, NQ, MES, MNQ); default: data.instrument, a Max contract, or a Binance file name' })),
    data: Type.Object(
      {
        file: Type.Optional(Type.String({ minLength: 1, description: 'A bar or tick file inside the import directory (relative to it)' })),
        instrument: Type.Optional(Type.String()),
        from: Type.Optional(Time),
        to: Type.Optional(Time),
        type: Type.Optional(Type.Union([Type.Literal('bars'), Type.Literal('ticks')])),
        intervalMs: Type.Optional(Type.Integer({ minimum: 1 })),
        limit: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { additionalProperties: false },
    ),
    strategy: Type.Unknown({ description: '{name: "sma-cross", fast, slow, size?, longOnly?, stopAtr?, targetAtr?, barIntervalMs?} or {name: "max", contract, maxMode, point_key, exit_strategy_key, quantity?, barIntervalMs?}' }),
    cash: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    fees: Type.Optional(
      Type.Object(
        {
          rate: Type.Optional(Type.Number({ minimum: 0, description: 'Taker fee, fraction of notional (0.0004 = 4 bps)' })),
          makerRate: Type.Optional(Type.Number({ minimum: 0 })),
          perContract: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    slippage: Type.Optional(Type.Number({ minimum: 0, description: 'Ticks against the taker' })),
    risk: Type.Optional(
      Type.Object(
        { riskPerTrade: Type.Number({ exclusiveMinimum: 0, maximum: 1 }), maxOpenPositions: Type.Integer({ minimum: 1 }), maxLeverage: Type.Number({ exclusiveMinimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
    closeAtEnd: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const fail = (reply: FastifyReply, error: unknown) => {
  if (error instanceof BacktestRequestError) return reply.code(error.status).send({ detail: error.message });
  throw error;
};

/** Backtests as jobs in worker threads: start, watch progress, fetch the result, cancel. */
export async function backtestRoutes(scope: FastifyInstance, backtests: BacktestJobs): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/backtests',
    {
      config: { access: 'operator', rateGroup: 'batch' },
      schema: {
        tags,
        summary: 'Start a backtest job in a worker thread (202 with its job_id)',
        description:
          'data: {file} (inside the import directory) or {instrument, from, to} (the market data store); strategy: a sma-cross or max spec; ' +
          'cash, fees {rate, makerRate, perContract}, slippage (ticks), risk, closeAtEnd. Poll GET /api/backtests/{job_id}.',
        body: BacktestBody,
      },
    },
    async (req, reply) => {
      try {
        const id = backtests.submit(req.body as BacktestRequest);
        return reply.code(202).send({ job_id: id, state: 'running', url: `${req.url.replace(/\/$/, '')}/${id}` });
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get(
    '/backtests/data',
    { config: { access: 'operator' }, schema: { tags, summary: 'What a backtest can run on: data files of the import directory (names relative to it) and the series of the market data store' } },
    async () => backtests.dataChoices(),
  );

  app.get('/backtests', { config: { access: 'operator' }, schema: { tags, summary: 'Backtest jobs kept since the server started, newest first (no results)' } }, async () => ({ jobs: backtests.list() }));

  app.get('/backtests/:id', { config: { access: 'operator' }, schema: { tags, summary: 'A backtest job: state, progress, and the result once done', params: JobParams } }, async (req, reply) => {
    try {
      return backtests.view(req.params.id);
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.delete('/backtests/:id', { config: { access: 'operator' }, schema: { tags, summary: 'Cancel a running backtest job (409 when it has finished)', params: JobParams } }, async (req, reply) => {
    try {
      return await backtests.cancel(req.params.id);
    } catch (error) {
      return fail(reply, error);
    }
  });
}
