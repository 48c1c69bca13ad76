/**
 * A model server's HTTP API (seed 004): POST /predict, GET /health, POST /feedback,
 * POST /retrain, GET /metrics. Schema-first (TypeBox) with the main server's access control and
 * error shapes: a bad request is a 422 whose `detail[].loc` names the field.
 *
 * Access: /health and /metrics are open (a supervisor and Prometheus poll them); /predict,
 * /feedback and /retrain are operator routes: open while the server has no API token (it then
 * serves loopback names only), a bearer token once TRADEWIND_MODEL_TOKENS (or --token) sets one.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import Type from 'typebox';
import type { ModelServerMetrics } from '../app/model-server-metrics.js';
import { ModelRequestError, type ModelService } from '../app/model-service.js';
import { OperatorAuth } from '../app/operator-auth.js';
import type { Clock } from '../core/clock.js';
import type { SessionStore } from '../core/ports.js';
import { accessControl } from './auth.js';
import { installErrorHandling, installJsonParser } from './errors.js';

const Price = Type.Number({ exclusiveMinimum: 0 });
const Candle = Type.Object(
  {
    open: Price,
    high: Price,
    low: Price,
    close: Price,
    volume: Type.Number({ minimum: 0 }),
    timestamp: Type.Optional(Type.Number({ minimum: 0, description: 'bar open time, seconds (below 1e12) or milliseconds' })),
  },
  { additionalProperties: true },
);

export const PredictBody = Type.Object(
  {
    symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    timeframe: Type.Optional(Type.String({ pattern: '^[0-9]+[smhd]$' })),
    candles: Type.Array(Candle, { minItems: 1, maxItems: 5000, description: 'oldest first; the prediction is for the last one' }),
    indicators: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    meta: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'meta.trade_id joins a later POST /feedback to this prediction' })),
    features: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), { description: "model inputs by name (inputs not computed from candles)" })),
  },
  { additionalProperties: false },
);

const PredictAnswer = Type.Object({
  model_name: Type.String(),
  action: Type.Union([Type.Literal('long'), Type.Literal('short'), Type.Literal('hold')]),
  confidence: Type.Number(),
  probability: Type.Number(),
  expected_return: Type.Number(),
  stop_loss: Type.Number(),
  take_profit: Type.Number(),
  raw_score: Type.Number(),
  latency_ms: Type.Number(),
});

export const FeedbackBody = Type.Object(
  {
    trade_id: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Integer()]),
    entry_price: Price,
    exit_price: Price,
    pnl: Type.Number(),
    outcome: Type.Union([Type.Literal('win'), Type.Literal('loss'), Type.Literal('breakeven')]),
    duration_seconds: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const Problem = Type.Object({ detail: Type.Unknown(), status_code: Type.Integer() });

/** Model servers keep no sessions: only API tokens authenticate (no login route). */
const NO_SESSIONS: SessionStore = { createSession: () => undefined, findSession: () => null, deleteSession: () => undefined, purgeSessions: () => 0 };

export interface ModelServerAppOptions {
  service: ModelService;
  metrics: ModelServerMetrics;
  clock: Clock;
  apiTokens: readonly string[];
  logger: Logger;
}

export async function buildModelServerApp(o: ModelServerAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 4 * 1_048_576,
    forceCloseConnections: true,
    // No coercion: "101700" is not a price.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
  });
  installErrorHandling(app, { production: process.env.NODE_ENV === 'production', serverPaths: [] });
  installJsonParser(app);
  const auth = new OperatorAuth({ sessions: NO_SESSIONS, clock: o.clock, passwordHash: null, apiTokens: o.apiTokens, sessionTtlMs: 0, maxFailures: 10, failureWindowMs: 60_000 });
  accessControl(app, { auth, trustedOrigins: [] });

  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  /** The service's refusals in the same shapes as schema errors (422 list) or a state conflict (409). */
  const refused = (e: unknown) => {
    if (!(e instanceof ModelRequestError)) throw e;
    if (e.status === 422) return { status: 422, body: { detail: [{ loc: ['body', ...(e.field ?? '').split('.').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s))], msg: e.message, type: 'value_error' }], status_code: 422 } };
    return { status: 409, body: { detail: e.message, status_code: 409 } };
  };

  r.post('/predict', { config: { access: 'operator' }, schema: { body: PredictBody, response: { 200: PredictAnswer, 422: Problem } } }, async (req, reply) => {
    try {
      return await o.service.predict(req.body);
    } catch (e) {
      const x = refused(e);
      return reply.code(x.status as 422).send(x.body as never);
    }
  });
  r.get('/health', { config: { access: 'open' } }, async () => o.service.health());
  r.post('/feedback', { config: { access: 'operator' }, schema: { body: FeedbackBody } }, async (req) => o.service.feedback(req.body));
  r.post('/retrain', { config: { access: 'operator' } }, async (_req, reply) => {
    try {
      return await Promise.resolve(o.service.retrain());
    } catch (e) {
      const x = refused(e);
      return reply.code(x.status).send(x.body);
    }
  });
  r.get('/metrics', { config: { access: 'open' } }, async (_req, reply) => reply.header('content-type', o.metrics.contentType).send(await o.metrics.text()));
  return app;
}
