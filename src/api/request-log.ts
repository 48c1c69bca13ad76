import type { FastifyInstance, FastifyRequest } from 'fastify';
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
 * Seed 001's request/response log lines, at info (the default level):
 *
 *   Request: GET http://localhost:8000/api/engine/status
 *   Response: 200 (0.045s) GET http://localhost:8000/api/engine/status
 *
 * each with the fields `method`, `url`, and on the response `status` and `duration_s`, under
 * the logger's component (`http` when it has none). Nothing is registered when info is off, so
 * LOG_LEVEL=warn costs nothing per request. Register before the routes and the auth hook, so a
 * refused request is logged too.
 */
export function registerRequestLog(app: FastifyInstance, logger: Logger): void {
  if (!logger.isLevelEnabled('info')) return;
  // These lines carry only the method, the URL (secret query values already replaced by
  // redactUrl), the status and the duration: nothing the logger's redaction paths can match.
  // Redaction (walking every logged object for `*.password`, `*.token`...) was more than half
  // the cost of these two lines, paid on every request, so this child logger skips it.
  const noRedact = { redact: { paths: [] as string[] } };
  const log = typeof logger.bindings().component === 'string' ? logger.child({}, noRedact) : logger.child({ component: 'http' }, noRedact);
  // The URL is built once per request (onRequest) and reused for the response line.
  const urls = new WeakMap<FastifyRequest, string>();
  app.addHook('onRequest', (req, _reply, done) => {
    const url = fullUrl(req);
    urls.set(req, url);
    log.info({ method: req.method, url }, `Request: ${req.method} ${url}`);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const url = urls.get(req) ?? fullUrl(req);
    const seconds = (reply.elapsedTime / 1000).toFixed(3);
    log.info({ method: req.method, url, status: reply.statusCode, duration_s: Number(seconds) }, `Response: ${reply.statusCode} (${seconds}s) ${req.method} ${url}`);
    done();
  });
}
