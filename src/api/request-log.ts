import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Logger } from 'pino';

/**
 * Query parameters whose values never reach a log line (the bridge sends its secret as
 * `?secret=`; tokens and passwords may arrive the same way). Matched case-insensitively.
 */
const SECRET_PARAMS = /([?&;](?:secret|token|access_token|refresh_token|api_key|apikey|key|password|passwd|pwd|signature|sig|auth|authorization|session|cookie)=)[^&;#]*/gi;

/** The URL with the values of secret-looking query parameters replaced by [redacted]. */
export function redactUrl(url: string): string {
  return url.includes('=') ? url.replace(SECRET_PARAMS, '$1[redacted]') : url;
}

/** `http://host/path?query` as the client asked for it, secrets redacted (seed 001's log format). */
const fullUrl = (req: FastifyRequest): string => `${req.protocol}://${req.host}${redactUrl(req.url)}`;

/**
 * The access log in seed 001's format, at info (the default level; Fastify's own two request
 * lines are off): a line when a request arrives and one when its response has been sent,
 *
 *   Request: GET http://localhost:8000/api/engine/status
 *   Response: 200 (0.045s) GET http://localhost:8000/api/engine/status
 *
 * with the fields `reqId` (Fastify's request id, the same on both lines), `method`, `url`, and on
 * the response `route` (the matched route's pattern, absent on a 404), `status` and `duration_s`,
 * under the logger's component (`http` when it has none). The arrival line is what shows a request
 * that never gets an answer. A request whose client goes away before the answer gets
 * `Aborted: GET url` (onRequestAbort) instead of a response line, and a WebSocket upgrade, which
 * never gets a response, `Upgrade: GET url (WebSocket)`. Nothing is registered when info is off,
 * so LOG_LEVEL=warn costs nothing per request. Register before the routes and the auth hook, so a
 * refused request is logged too.
 */
export function registerRequestLog(app: FastifyInstance, logger: Logger): void {
  if (!logger.isLevelEnabled('info')) return;
  // These lines carry only the request id, the method, the URL (secret query values already
  // replaced by redactUrl), the route pattern, the status and the duration: nothing the logger's
  // redaction paths can match. Redaction (walking every logged object for `*.password`,
  // `*.token`...) was more than half the cost of a line, paid on every request, so this child
  // logger skips it.
  const noRedact = { redact: { paths: [] as string[] } };
  const log = typeof logger.bindings().component === 'string' ? logger.child({}, noRedact) : logger.child({ component: 'http' }, noRedact);
  app.addHook('onRequest', (req, _reply, done) => {
    const url = fullUrl(req);
    log.info({ reqId: req.id, method: req.method, url }, `Request: ${req.method} ${url}`);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const url = fullUrl(req);
    const seconds = (reply.elapsedTime / 1000).toFixed(3);
    log.info(
      { reqId: req.id, method: req.method, url, route: req.routeOptions.url, status: reply.statusCode, duration_s: Number(seconds) },
      `Response: ${reply.statusCode} (${seconds}s) ${req.method} ${url}`,
    );
    done();
  });
  // onResponse never runs for a WebSocket upgrade (the socket is handed over, no response is
  // sent): its routes (`websocket: true`, @fastify/websocket) get a route-level onRequest hook
  // that logs the upgrade when it arrives; other routes pay nothing for it.
  const logUpgrade: onRequestHookHandler = (req, _reply, done) => {
    if (String(req.headers.upgrade).toLowerCase() === 'websocket') {
      const url = fullUrl(req);
      log.info({ reqId: req.id, method: req.method, url, route: req.routeOptions.url, upgrade: 'websocket' }, `Upgrade: ${req.method} ${url} (WebSocket)`);
    }
    done();
  };
  app.addHook('onRoute', (route) => {
    if (!(route as { websocket?: boolean }).websocket) return;
    const own = route.onRequest;
    route.onRequest = own === undefined ? [logUpgrade] : Array.isArray(own) ? [logUpgrade, ...own] : [logUpgrade, own];
  });
  // onResponse never runs for a request whose client closed the connection before the answer.
  app.addHook('onRequestAbort', (req, done) => {
    const url = fullUrl(req);
    log.info({ reqId: req.id, method: req.method, url, route: req.routeOptions.url, aborted: true }, `Aborted: ${req.method} ${url} (the client closed the connection before the answer)`);
    done();
  });
}
