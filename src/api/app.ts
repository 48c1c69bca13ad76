import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { TradingFacade } from '../app/facade.js';
import { bearerGuard } from './auth.js';
import { streamRoutes } from './routes-stream.js';
import { WsHub } from './ws-hub.js';

export interface ApiOptions {
  facade: TradingFacade;
  logger: Logger;
  corsOrigins: string[];
  apiTokens: string[];
  ws: { maxBufferedBytes: number; pingIntervalMs: number };
  /** Hide 500 details (production). */
  production: boolean;
}

/** Builds the HTTP/WebSocket app without listening, so tests and the CLI share it. */
export async function buildApp(options: ApiOptions): Promise<{ app: FastifyInstance; hub: WsHub }> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request lines are written by our own onResponse hook at debug level.
    logController: new LogController({ disableRequestLogging: true }),
    // A child logger per request costs pino's setup on every request; only debug needs it.
    childLoggerFactory: (logger, bindings) => (options.logger.isLevelEnabled('debug') ? logger.child(bindings) : logger),
    bodyLimit: 1_048_576,
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  const hub = new WsHub(options.facade, options.ws, options.logger);
  app.addHook('onClose', async () => hub.close());

  // Synchronous hooks: an async hook costs extra promise turns on every request.
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('x-process-time', (reply.elapsedTime / 1000).toFixed(6));
    done(null, payload);
  });
  if (options.logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', (req, reply, done) => {
      req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
      done();
    });
  }

  if (options.apiTokens.length > 0) app.addHook('onRequest', bearerGuard(options.apiTokens));

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
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
    return reply.code(error.validation ? 422 : status).send({ detail: error.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `Not Found: ${req.method} ${req.url.split('?')[0]}` }));

  await app.register(cors, { origin: options.corsOrigins });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.get('/', async () => options.facade.health());
  const routes: FastifyPluginAsync = async (scope) => streamRoutes(scope, options.facade);
  await app.register(routes, { prefix: '/api' });
  await app.register(routes, { prefix: '/api/v1' });

  app.get('/ws', { websocket: true }, (socket) => hub.add(socket));
  return { app, hub };
}
