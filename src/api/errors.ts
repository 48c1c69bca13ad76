import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A directory of the server's and what error messages say instead of it. */
export interface ServerPath {
  path: string;
  label: string;
}

export interface ErrorOptions {
  /** Hide 500 details (production). */
  production: boolean;
  /** Directories (data, imports, temp...) that must never appear in an answer. */
  serverPaths: readonly ServerPath[];
}

const processTime = (reply: FastifyReply): string => (reply.elapsedTime / 1000).toFixed(6);

/** A refusal in the seed 002 shape `{detail, status_code}`, with seed 003's `{ok: false, error}`. */
export function refuse(reply: FastifyReply, status: number, message: string, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).send({ detail: message, status_code: status, ok: false, error: message });
}

/** Replaces server directories (and any absolute path to a database file) in a message. */
export function redactPaths(message: string, paths: readonly ServerPath[]): string {
  let out = message;
  for (const p of [...paths].filter((x) => x.path.length > 1).sort((a, b) => b.path.length - a.path.length)) out = out.split(p.path).join(p.label);
  return out.replace(/(?:\/[\w.@+-]+)+\/[\w.@+-]+\.(?:db|sqlite|db-wal|db-shm)\b/g, '<database file>');
}

// @fastify/busboy (under @fastify/multipart) throws plain Errors for malformed forms: bad input.
const MALFORMED_MULTIPART = /^(?:Multipart: Boundary not found|Unexpected end of multipart data|(?:Part|Preamble|Header) terminated early due to unexpected end of multipart data|Unsupported Content-Type\.|Missing Content-Type-header\.)$/;

type HttpError = FastifyError & {
  validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
};

/**
 * Error answers: the FastAPI-style 422 list for schema validation (seed 001), `{detail,
 * status_code}` for every other 4xx (seed 002), seed 001's body for a 500. Malformed multipart
 * bodies are 400s, never 500s; no answer names a server path.
 */
export function installErrorHandling(app: FastifyInstance, o: ErrorOptions): void {
  const redact = (s: string): string => redactPaths(s, o.serverPaths);
  app.setErrorHandler((error: HttpError, req: FastifyRequest, reply: FastifyReply) => {
    if (error.validation) {
      const where = error.validationContext ?? 'body';
      const detail = error.validation.map((v) => {
        const p = (v.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] } | undefined) ?? {};
        const loc = [where, ...v.instancePath.split('/').filter(Boolean), ...(p.missingProperty ? [p.missingProperty] : []), ...(p.additionalProperty ? [p.additionalProperty] : [])];
        const msg = p.additionalProperty ? 'unknown field' : p.allowedValues ? `must be one of ${p.allowedValues.join(', ')}` : (v.message ?? 'invalid');
        return { loc, msg, type: p.missingProperty ? 'missing' : 'value_error' };
      });
      return reply.code(422).send({ detail, status_code: 422 });
    }
    const multipart = error.statusCode === undefined && MALFORMED_MULTIPART.test(error.message ?? '');
    const status = multipart ? 400 : (error.statusCode ?? 500);
    if (status >= 500) {
      req.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({
        success: false,
        error: 'Internal server error',
        message: o.production ? 'Something went wrong' : redact(error.message),
        timestamp: Math.floor(Date.now() / 1000),
      });
    }
    const detail = redact(multipart ? `Malformed multipart/form-data body: ${error.message}` : error.message);
    return reply.code(status).send({ detail, status_code: status });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `Not Found: ${req.method} ${(req.raw.url ?? '').split('?')[0]}`, status_code: 404 }));
  // Answers that handlers build themselves ({detail} or {ok: false, error}): the same redaction,
  // and status_code next to every detail (seed 002's shape).
  app.addHook('preSerialization', (_req, reply, payload, done) => {
    if (reply.statusCode < 400 || !payload || typeof payload !== 'object' || Array.isArray(payload)) return done(null, payload);
    const body = payload as Record<string, unknown>;
    let out: Record<string, unknown> | null = 'detail' in body && body.status_code === undefined ? { ...body, status_code: reply.statusCode } : null;
    for (const key of ['detail', 'error', 'message']) {
      const v = body[key];
      if (typeof v !== 'string') continue;
      const r = redact(v);
      if (r !== v) (out ??= { ...body })[key] = r;
    }
    done(null, out ?? payload);
  });
}

/**
 * Fastify's `frameworkErrors`: a URL that does not decode (or a parameter too long) is answered
 * before routing, still in the `{detail, status_code}` shape and with X-Process-Time.
 */
export function frameworkErrors(error: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const detail =
    error.code === 'FST_ERR_BAD_URL' ? 'Bad Request: the URL does not decode (malformed percent-encoding)' : status === 414 ? 'URI Too Long: a path parameter is too long' : 'Bad Request';
  void reply.code(status).header('x-process-time', processTime(reply)).send({ detail, status_code: status });
}

/** Deepest JSON nesting accepted in a body (a deeper one is a 400, never a stack overflow). */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests arrays/objects deeper than `max`. Hand-written (one pass, outside
 * strings): neither JSON.parse nor secure-json-parse bounds nesting, and deep bodies overflow the
 * stack of whatever walks them recursively later.
 */
export function jsonTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i += 1; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 93 || c === 125) depth -= 1;
  }
  return false;
}

/**
 * The JSON body parser: Fastify's own (prototype-poisoning checks included) behind a nesting
 * limit; an empty body is no body (the seeds' clients POST commands without one).
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (jsonTooDeep(text, MAX_JSON_DEPTH)) return done(Object.assign(new Error(`JSON body nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 }), undefined);
    parse(req, text, done);
  });
}
