import cors from '@fastify/cors';
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
import { accessControl, scopeAccess, withAccess, type SecretCheck } from './auth.js';
import { authRoutes } from './routes-auth.js';
import { frameworkErrors, installErrorHandling, installJsonParser, refuse, type ServerPath } from './errors.js';
import { rejectNonFiniteInput } from './finite-input.js';
import { installRateLimits, type RateLimitOptions } from './rate-limits.js';
import { requestedTypes } from './ws-hub.js';
import { routeHits, routeHitsRoute } from './route-hits.js';
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
import { sweepRoutes } from './routes-sweeps.js';
import type { SweepService } from '../app/sweep-service.js';
import fastifyStatic from '@fastify/static';
import { dashboardStaticOptions } from './dashboard-static.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { barRoutes, type BarSource } from './routes-bars.js';
import { accountRoutes, type AccountDirectory } from './routes-accounts.js';
import { registerRequestLog } from './request-log.js';
import { historyRoutes, type HistorySource } from './routes-history.js';
import { ensembleRoutes, ensembleStatusRoute, prometheusRoutes } from './routes-observability.js';
import type { ServerPrometheus } from '../app/server-prometheus.js';
import type { SupervisedModel } from '../app/model-supervisor.js';
import type { TradingApiService } from '../app/trading-api.js';
import { seed002HealthRoutes, tradingV1Routes } from './routes-trading-v1.js';
import type { StreamSocket } from '../app/ensemble/coordinator-stream.js';
import { clusterRoutes, type ClusterStatus, type ClusterStreamSnapshot } from './routes-cluster.js';
import { lazySchemaCompilers } from './lazy-schemas.js';

export interface ApiOptions {
  facade: TradingFacade;
  engine: EngineController;
  presets: PresetStore;
  metrics: MetricsService;
  logs: LogRing;
  marketStats: (symbol: string) => MarketStatsView | undefined;
  logger: Logger;
  version: string;
  /** Origins besides the server's own allowed by CORS and for cookie-authenticated state changes. */
  corsOrigins: string[];
  /** Fastify's trustProxy (behind a TLS reverse proxy). */
  trustProxy?: boolean | string | number | string[];
  /** Server directories that no error answer may name. */
  serverPaths?: ServerPath[];
  /** Whether a presented TradingView webhook secret is right (absent: webhooks answer 403). */
  webhookSecret?: SecretCheck;
  /** Password sessions and API tokens (seed 003, DESIGN.md §4). */
  auth: OperatorAuth;
  rateLimit: RateLimitOptions;
  ws: { maxBufferedBytes: number; pingIntervalMs: number; maxMessagesPerSecond: number };
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
  /** Parameter sweeps (Redis workers or local threads): /api/sweeps. */
  sweeps?: SweepService;
  /** Kernel bar history for the dashboard's charts: GET /api/bars. */
  bars?: BarSource;
  /** Seed 002's trading API over every account: /api/health/ and /api/v1/trading/*. */
  tradingApi?: TradingApiService;
  /** Closed trades of the journal: GET /api/trade-history(.csv), GET /api/profit. */
  history?: HistorySource;
  /** Configured accounts and their connection state: GET /api/accounts. */
  accounts?: AccountDirectory;
  /** The built dashboard (web/dist); browsers asking for `/` with Accept: text/html get its index.html. */
  dashboardDir?: string;
  /** Prometheus metrics: GET /metrics and the request histogram. */
  prometheus?: ServerPrometheus;
  /** Supervised model servers (seed 004): GET /api/ensemble/models. */
  ensembleModels?: () => SupervisedModel[];
  /** Seed 004's coordinator stream, also on the main port at `path` (operator access). */
  coordinatorStream?: { path: string; add(socket: StreamSocket): void };
  /** Cluster mode: GET /api/cluster (docs/SCALE-OUT.md). */
  cluster?: ClusterStatus;
  /** Cluster mode, the leader: GET /api/cluster/stream, what its followers' /ws clients start from. */
  clusterStream?: ClusterStreamSnapshot;
}

/** Builds the HTTP/WebSocket app without listening, so tests and the CLI share it. */
export async function buildApp(options: ApiOptions): Promise<{ app: FastifyInstance; hub: WsHub }> {
  const debug = options.logger.isLevelEnabled('debug');
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Fastify's two lines per request are off: registerRequestLog (request-log.ts) writes the
    // access log in seed 001's format at info.
    logController: new LogController({ disableRequestLogging: true }),
    // A child logger per request costs pino's setup on every request; only debug needs it.
    childLoggerFactory: (logger, bindings) => (debug ? logger.child(bindings) : logger),
    bodyLimit: 1_048_576,
    return503OnClosing: true,
    forceCloseConnections: true,
    // A hop count is valid too (Fastify's proxy-addr), though its type does not say so.
    trustProxy: (options.trustProxy ?? false) as boolean,
    // A URL that does not decode: 400 {detail, status_code} before routing.
    frameworkErrors,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    // Each route's validator and serializer compiled on its first request, not all at start.
    schemaController: { compilersFactory: lazySchemaCompilers() },
  });
  const hub = new WsHub(options.facade, options.ws, options.logger);
  app.addHook('onClose', async () => hub.close());

  // Synchronous hooks: an async hook costs extra promise turns on every request.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('x-process-time', (reply.elapsedTime / 1000).toFixed(6));
    done(null, payload);
  });
  registerRequestLog(app, options.logger);
  installErrorHandling(app, { production: options.production, serverPaths: options.serverPaths ?? [] });
  rejectNonFiniteInput(app);
  installJsonParser(app);
  await app.register(cookie);
  // Access control first (every route must declare its class; the check reads the matched
  // route), then CORS, then the rate limits (which need to know who the caller is).
  const bridge = options.bridge;
  accessControl(app, {
    auth: options.auth,
    bridgeSecret: bridge
      ? (s) => {
          const denied = bridge.authorize(s);
          return denied && !denied.ok ? { status: denied.status, error: denied.error } : null;
        }
      : undefined,
    webhookSecret: options.webhookSecret,
    trustedOrigins: options.corsOrigins,
  });
  const hits = routeHits(app);
  if (options.prometheus) prometheusRoutes(app, options.prometheus);
  // Default: same origin only (no CORS headers at all); configured origins get credentials.
  await withAccess(app, 'open', () => app.register(cors, options.corsOrigins.length > 0 ? { origin: options.corsOrigins, credentials: true } : { origin: false }));
  await installRateLimits(app, options.rateLimit);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tradewind API', version: options.version, description: 'One kernel, five API surfaces (seeds 000-004). Paths are also served under /api/v1.' },
      tags: ['stream', 'engine', 'trading', 'scanner', 'presets', 'monitoring'].map((name) => ({ name })),
    },
  });
  await app.register(async (docs) => {
    scopeAccess(docs, 'open');
    await docs.register(swaggerUi, { routePrefix: '/api/docs' });
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const dashboard = options.dashboardDir && existsSync(join(options.dashboardDir, 'index.html')) ? options.dashboardDir : undefined;
  await app.register(async (site) => {
    // The dashboard's files are open: the page must load before anyone logs in.
    scopeAccess(site, 'open');
    if (dashboard) await site.register(fastifyStatic, dashboardStaticOptions(dashboard));
    // API clients keep getting the seed 000 health JSON; a browser (Accept: text/html) gets the dashboard.
    site.get('/', { config: { access: 'open' }, schema: { tags: ['stream'], summary: 'Health and version' } }, async (req, reply) => {
      if (dashboard && (req.headers.accept ?? '').includes('text/html')) return reply.header('vary', 'Accept').header('cache-control', 'no-cache').sendFile('index.html');
      if (dashboard) reply.header('vary', 'Accept');
      return options.facade.health();
    });
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
    routeHitsRoute(scope, hits);
    if (options.bridge) await bridgeRoutes(scope, options.bridge);
    if (options.upload) await uploadRoutes(scope, options.upload);
    if (desk) await deskRoutes(scope, desk);
    if (options.backtests) await backtestRoutes(scope, options.backtests);
    if (options.sweeps) await sweepRoutes(scope, options.sweeps);
    if (options.bars) await barRoutes(scope, options.bars);
    if (options.ensembleModels) await ensembleRoutes(scope, options.ensembleModels);
    await ensembleStatusRoute(scope, options.coordinatorStream?.path ?? null);
    if (options.accounts) accountRoutes(scope, options.accounts);
    if (options.cluster) clusterRoutes(scope, options.cluster, options.clusterStream);
    if (options.history) await historyRoutes(scope, options.history);
  };
  await app.register(api, { prefix: '/api', docs: true });
  // URI versioning (seed 001): /api/v1/... is an alias of /api/...
  await app.register(api, { prefix: '/api/v1', docs: false });
  const max = options.max;
  if (max) await app.register(async (scope) => maxRoutes(scope, { max }), { prefix: '/api/v1/run-bot' });
  const tradingApi = options.tradingApi;
  if (tradingApi) {
    await app.register(async (scope) => seed002HealthRoutes(scope, tradingApi));
    await app.register(async (scope) => tradingV1Routes(scope, tradingApi), { prefix: '/api/v1/trading' });
  }
  const tv = options.tradingView;
  if (tv) await app.register(async (scope) => tradingViewRoutes(scope, tv));

  // The stream: operator access; the API token may come as ?token= here only (a browser cannot
  // set headers on a WebSocket). ?types=A,B or ?events=seed000 picks the event types.
  app.get(
    '/ws',
    {
      websocket: true,
      config: { access: 'operator', queryToken: true },
      schema: { hide: true },
      // A bad ?types= is refused before the upgrade (400), not after it.
      preHandler: (req, reply, done) => {
        try {
          requestedTypes(req.query);
          done();
        } catch (e) {
          void refuse(reply, 400, (e as Error).message);
        }
      },
    },
    (socket, req) => hub.add(socket, requestedTypes(req.query)),
  );
  const coordinator = options.coordinatorStream;
  if (coordinator) app.get(coordinator.path, { websocket: true, config: { access: 'operator', queryToken: true }, schema: { hide: true } }, (socket) => coordinator.add(socket));
  return { app, hub };
}
