import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { EngineController } from '../app/engine-controller.js';
import type { TradingFacade } from '../app/facade.js';
import type { LogRing } from '../app/log-ring.js';
import type { MetricsService } from '../app/metrics-service.js';
import type { MarketStatsView } from '../core/scanner.js';
import cookie from '@fastify/cookie';
import type { OperatorAuth } from '../app/operator-auth.js';
import { operatorGuard } from './auth.js';
import { authRoutes } from './routes-auth.js';
import { burstLimiter } from './burst-limit.js';
import { engineRoutes } from './routes-engine.js';
import { monitoringRoutes } from './routes-monitoring.js';
import { presetRoutes, type PresetStore } from './routes-presets.js';
import { scannerRoutes } from './routes-scanner.js';
import { streamRoutes } from './routes-stream.js';
import { tradingRoutes } from './routes-trading.js';
import { bridgeRoutes } from './routes-bridge.js';
import type { BridgeDesk } from '../app/bridge-desk.js';
import { uploadRoutes, type UploadOptions } from './routes-upload.js';
import { maxRoutes } from './routes-max.js';
import { tradingViewRoutes } from './routes-tradingview.js';
import type { TradingViewDesk } from '../app/tradingview-desk.js';
import type { MaxService } from '../app/max-service.js';
import { WsHub } from './ws-hub.js';
import { deskRoutes } from './routes-desk.js';
import type { RenkoDesk } from '../app/renko-desk/desk.js';
import { backtestRoutes } from './routes-backtests.js';
import type { BacktestJobs } from '../app/backtest-jobs.js';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { barRoutes, type BarSource } from './routes-bars.js';
import { registerRequestLog } from './request-log.js';

export interface RateLimitOptions {
  enabled: boolean;
  /** Requests per window per client address (seed 001: 100 per minute). */
  max: number;
  windowMs: number;
  /** Requests per second per client address (seed 001: 10). */
  burstPerSecond: number;
  allowList: string[];
}

export interface ApiOptions {
  facade: TradingFacade;
  engine: EngineController;
  presets: PresetStore;
  metrics: MetricsService;
  logs: LogRing;
  marketStats: (symbol: string) => MarketStatsView | undefined;
  logger: Logger;
  version: string;
  corsOrigins: string[];
  /** Password sessions and API tokens (seed 003, DESIGN.md §4). */
  auth: OperatorAuth;
  rateLimit: RateLimitOptions;
  ws: { maxBufferedBytes: number; pingIntervalMs: number };
  /** Hide 500 details (production). */
  production: boolean;
  /** Seed 003 execution bridge routes (bridge secret) and their operator views. */
  bridge?: BridgeDesk;
  /** Seed 002's Max bot (backtests and paper bots), served only under /api/v1/run-bot. */
  max?: MaxService;
  /** TradingView webhooks (seed 003), authenticated by the secret in the body. */
  tradingView?: TradingViewDesk;
  /** Market data upload (seed 002); the route is absent without it. */
  upload?: UploadOptions;
  /** Seed 003 Renko operator desk: POST /api/orders, the control routes, and its part of /api/state. */
  desk?: RenkoDesk;
  /** Backtest jobs in worker threads: /api/backtests. */
  backtests?: BacktestJobs;
  /** Kernel bar history for the dashboard's charts: GET /api/bars. */
  bars?: BarSource;
  /** The built dashboard (web/dist); browsers asking for `/` with Accept: text/html get its index.html. */
  dashboardDir?: string;
}

/** Routes that are never rate limited: health, docs and the WebSocket upgrade. */
const unlimited = (url: string): boolean => url === '/' || url.startsWith('/api/docs') || url.startsWith('/ws');

/** Builds the HTTP/WebSocket app without listening, so tests and the CLI share it. */
export async function buildApp(options: ApiOptions): Promise<{ app: FastifyInstance; hub: WsHub }> {
  const debug = options.logger.isLevelEnabled('debug');
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request lines are written by our own onResponse hook at debug level.
    logController: new LogController({ disableRequestLogging: true }),
    // A child logger per request costs pino's setup on every request; only debug needs it.
    childLoggerFactory: (logger, bindings) => (debug ? logger.child(bindings) : logger),
    bodyLimit: 1_048_576,
    return503OnClosing: true,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  const hub = new WsHub(options.facade, options.ws, options.logger);
  app.addHook('onClose', async () => hub.close());

  // Synchronous hooks: an async hook costs extra promise turns on every request.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('x-process-time', (reply.elapsedTime / 1000).toFixed(6));
    done(null, payload);
  });
  if (debug) {
    app.addHook('onResponse', (req, reply, done) => {
      req.log.debug({ method: req.method, url: req.url.replace(/([?&](?:secret|token)=)[^&]*/gi, '$1[redacted]'), status: reply.statusCode, ms: reply.elapsedTime }, 'request');
      done();
    });
  }
  registerRequestLog(app, options.logger);
  await app.register(cookie);
  app.addHook('onRequest', operatorGuard(options.auth));

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string }, req, reply) => {
    if (error.validation) {
      // FastAPI-style 422: where and what, for every problem.
      const where = error.validationContext ?? 'body';
      const detail = error.validation.map((v) => {
        const p = (v.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] } | undefined) ?? {};
        const loc = [where, ...v.instancePath.split('/').filter(Boolean), ...(p.missingProperty ? [p.missingProperty] : []), ...(p.additionalProperty ? [p.additionalProperty] : [])];
        const msg = p.additionalProperty ? 'unknown field' : p.allowedValues ? `must be one of ${p.allowedValues.join(', ')}` : (v.message ?? 'invalid');
        return { loc, msg, type: p.missingProperty ? 'missing' : 'value_error' };
      });
      return reply.code(422).send({ detail });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({
        success: false,
        error: 'Internal server error',
        message: options.production ? 'Something went wrong' : error.message,
        timestamp: Math.floor(Date.now() / 1000),
      });
    }
    return reply.code(status).send({ detail: error.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `Not Found: ${req.method} ${req.url.split('?')[0]}` }));

  await app.register(cors, { origin: options.corsOrigins });
  if (options.rateLimit.enabled) {
    const { max, windowMs, burstPerSecond, allowList } = options.rateLimit;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: windowMs,
      allowList: (req) => allowList.includes(req.ip) || unlimited(req.url),
      // The plugin throws what this returns; an Error keeps our error handler's {detail} body.
      errorResponseBuilder: (_req, ctx) => Object.assign(new Error(`Rate limit exceeded: ${ctx.max} requests per ${ctx.after}; retry later`), { statusCode: 429 }),
    });
    if (burstPerSecond > 0) app.addHook('onRequest', burstLimiter(burstPerSecond, (req) => allowList.includes(req.ip) || unlimited(req.url)));
  }
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tradewind API', version: options.version, description: 'One kernel, five API surfaces (seeds 000-004). Paths are also served under /api/v1.' },
      tags: ['stream', 'engine', 'trading', 'scanner', 'presets', 'monitoring'].map((name) => ({ name })),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const dashboard = options.dashboardDir && existsSync(join(options.dashboardDir, 'index.html')) ? options.dashboardDir : undefined;
  if (dashboard) await app.register(fastifyStatic, { root: dashboard, prefix: '/', index: false, wildcard: false });
  // API clients keep getting the seed 000 health JSON; a browser (Accept: text/html) gets the dashboard.
  app.get('/', { schema: { tags: ['stream'], summary: 'Health and version' } }, async (req, reply) => {
    if (dashboard && (req.headers.accept ?? '').includes('text/html')) return reply.header('vary', 'Accept').header('cache-control', 'no-cache').sendFile('index.html');
    if (dashboard) reply.header('vary', 'Accept');
    return options.facade.health();
  });
  const api: FastifyPluginAsync<{ docs: boolean }> = async (scope, { docs }) => {
    if (!docs) scope.addHook('onRoute', (route) => void (route.schema = { ...(route.schema ?? {}), hide: true }));
    await authRoutes(scope, options.auth);
    const desk = options.desk;
    await streamRoutes(scope, options.facade, desk ? { view: () => desk.stateView(), revision: () => desk.stateRevision } : undefined);
    await tradingRoutes(scope, options.facade);
    await engineRoutes(scope, options.engine, options.metrics);
    await scannerRoutes(scope, options.engine, options.marketStats);
    await presetRoutes(scope, options.presets, options.engine);
    await monitoringRoutes(scope, options.logs, options.metrics);
    if (options.bridge) await bridgeRoutes(scope, options.bridge);
    if (options.upload) await uploadRoutes(scope, options.upload);
    if (desk) await deskRoutes(scope, desk);
    if (options.backtests) await backtestRoutes(scope, options.backtests);
    if (options.bars) await barRoutes(scope, options.bars);
  };
  await app.register(api, { prefix: '/api', docs: true });
  // URI versioning (seed 001): /api/v1/... is an alias of /api/...
  await app.register(api, { prefix: '/api/v1', docs: false });
  const max = options.max;
  if (max) await app.register(async (scope) => maxRoutes(scope, { max }), { prefix: '/api/v1/run-bot' });
  const tv = options.tradingView;
  if (tv) await app.register(async (scope) => tradingViewRoutes(scope, tv));

  app.get('/ws', { websocket: true, schema: { hide: true } }, (socket) => hub.add(socket));
  return { app, hub };
}
