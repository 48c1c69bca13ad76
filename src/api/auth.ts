import type {} from '@fastify/cookie';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import type { OperatorAuth } from '../app/operator-auth.js';
import { refuse } from './errors.js';
import type { RateGroupName } from './rate-limits.js';

export const SESSION_COOKIE = 'tw_session';

/**
 * Who may call a route. Every route declares one in its own definition (`config.access`); the
 * access hook reads the class of the route the router actually matched, never the URL string.
 * - open: anyone (health, docs, the dashboard's files, login/logout/status);
 * - operator: the session cookie or a bearer API token (anyone while no password or token is set);
 * - bridge: BRIDGE_HEARTBEAT_SECRET as `secret` in the body or the query (seed 003);
 * - webhook: TV_WEBHOOK_SECRET as `secret` in the body (seed 003).
 */
export const ACCESS_CLASSES = ['open', 'operator', 'bridge', 'webhook'] as const;
export type Access = (typeof ACCESS_CLASSES)[number];

/** Who a request turned out to be: an operator (by token or session) or nobody in particular. */
export type Caller = { kind: 'anonymous' } | { kind: 'token' | 'session'; key: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (required on every route; start-up fails without it). */
    access?: Access;
    /** The rate-limit group when not implied by the access class and method (rate-limits.ts). */
    rateGroup?: RateGroupName;
    /** The WebSocket upgrade only: the API token may come as `?token=` (browsers cannot set its headers). */
    queryToken?: boolean;
    /** Body types besides JSON a browser may send to this state-changing route (checked against CSRF). */
    bodyTypes?: string[];
  }
  interface FastifyRequest {
    /** Set by the access hook on every request that matched a route. */
    caller: Caller;
  }
}

/** Why a presented secret is refused (403 disabled, 401 wrong), or null when it is right. */
export type SecretCheck = (presented: unknown) => { status: number; error: string } | null;

export interface AccessOptions {
  auth: OperatorAuth;
  /** The bridge secret's check; absent: bridge routes answer 403. */
  bridgeSecret?: SecretCheck;
  /** The TradingView webhook secret's check; absent: webhook routes answer 403. */
  webhookSecret?: SecretCheck;
  /** Origins besides the server's own that may make cookie-authenticated state changes. */
  trustedOrigins: readonly string[];
}

const SCOPE_ACCESS = Symbol('tradewind.scopeAccess');
const ANONYMOUS: Caller = { kind: 'anonymous' };
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const digest = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 24);

/**
 * Gives the routes that third-party plugins register in `scope` (swagger-ui, static files) an
 * access class, since their definitions cannot carry one. Routes that declare their own keep it.
 */
export function scopeAccess(scope: FastifyInstance, access: Access): void {
  (scope as unknown as Record<symbol, Access>)[SCOPE_ACCESS] = access;
}

/**
 * Runs `register` (one awaited plugin registration on `app`) so that the routes a third-party
 * plugin adds to `app` itself (e.g. @fastify/cors's OPTIONS *) get `access`.
 */
export async function withAccess(app: FastifyInstance, access: Access, register: () => PromiseLike<unknown>): Promise<void> {
  const holder = app as unknown as Record<symbol, Access | undefined>;
  holder[SCOPE_ACCESS] = access;
  try {
    await register();
  } finally {
    delete holder[SCOPE_ACCESS];
  }
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

export const sessionToken = (req: FastifyRequest): string | undefined => (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];

/**
 * The operator behind a request, from its headers (and `?token=` where the route allows it). A
 * promise only when a session cookie must be looked up in a shared store (Redis).
 */
export function identify(auth: OperatorAuth, req: FastifyRequest): Caller | Promise<Caller> {
  const token = bearerToken(req);
  if (token && auth.tokenValid(token)) return { kind: 'token', key: `token:${digest(token)}` };
  const fromQuery = (): Caller => {
    if (req.routeOptions.config.queryToken) {
      const q = (req.query as Record<string, unknown> | undefined)?.token;
      if (typeof q === 'string' && auth.tokenValid(q)) return { kind: 'token', key: `token:${digest(q)}` };
    }
    return ANONYMOUS;
  };
  const session = sessionToken(req);
  if (!session) return fromQuery();
  const bySession = (valid: boolean): Caller => (valid ? { kind: 'session', key: `session:${digest(session)}` } : fromQuery());
  const valid = auth.sessionValid(session);
  return valid instanceof Promise ? valid.then(bySession, () => fromQuery()) : bySession(valid);
}

export const isAuthenticated = async (auth: OperatorAuth, req: FastifyRequest): Promise<boolean> => (await identify(auth, req)).kind !== 'anonymous';

/**
 * Why a path is refused before routing, or null: percent-encoded control characters, and anything
 * that does not decode. (The router answers 400 to most malformed escapes itself, through
 * frameworkErrors; an encoded slash stays data inside one segment, e.g. a symbol BTC%2FUSDT.)
 */
export function badPath(rawUrl: string): string | null {
  const end = rawUrl.search(/[?#]/);
  const path = end === -1 ? rawUrl : rawUrl.slice(0, end);
  if (/%(?:[01][0-9a-f]|7f)/i.test(path)) return 'Bad Request: the path holds an encoded control character';
  try {
    decodeURIComponent(path);
  } catch {
    return 'Bad Request: the path does not decode (malformed percent-encoding)';
  }
  return null;
}

/**
 * The one access check: every request's matched route is looked up for its class, and the
 * request is refused unless it carries what that class needs. Also installs the start-up check
 * that every route has a class, and the CSRF rules for cookie-authenticated state changes.
 */
export function accessControl(app: FastifyInstance, o: AccessOptions): void {
  const trusted = new Set(o.trustedOrigins.map(originOf).filter((x): x is string => x !== null));
  const trustedHosts = new Set([...trusted].map((t) => new URL(t).host));

  app.decorateRequest('caller', null as never);
  app.addHook('onRoute', function checkDeclared(this: FastifyInstance, route: RouteOptions) {
    const declared = route.config?.access ?? (this as unknown as Record<symbol, Access | undefined>)[SCOPE_ACCESS];
    if (!declared || !ACCESS_CLASSES.includes(declared)) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares no access class: add config.access (${ACCESS_CLASSES.join(' | ')}) to its definition`);
    }
    route.config = { ...route.config, access: declared };
  });

  /** Whether a browser request comes from our own page (or a configured origin), for state changes. */
  const sameOrigin = (req: FastifyRequest): boolean => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const o2 = originOf(origin);
      return o2 !== null && (o2 === originOf(`${req.protocol}://${req.host}`) || trusted.has(o2));
    }
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  };
  const fromBrowser = (req: FastifyRequest): boolean => req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined;
  const jsonOrDeclared = (req: FastifyRequest): boolean => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type) || (req.routeOptions.config.bodyTypes ?? []).includes(type);
  };
  /**
   * Cross-site request defence for callers that a browser authenticates on its own (the session
   * cookie; or nobody at all while no password is set): a state change, or the WebSocket upgrade,
   * must come from our own origin or a configured one, and a state change must be JSON (or the
   * route's declared form type), which a page elsewhere cannot send without a CORS preflight.
   */
  const crossSite = (req: FastifyRequest, caller: Caller): string | null => {
    if (caller.kind === 'token') return null;
    const upgrade = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (!UNSAFE.has(req.method) && !upgrade) return null;
    if (!sameOrigin(req)) return 'Forbidden: cross-origin request refused (Origin / Sec-Fetch-Site is not this server)';
    if (upgrade || req.method === 'DELETE') return null;
    if ((caller.kind === 'session' || fromBrowser(req)) && !jsonOrDeclared(req)) {
      return 'Unsupported Media Type: send the request body as application/json';
    }
    return null;
  };

  const secretOk = new WeakSet<FastifyRequest>();
  app.addHook('onRequest', function access(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const bad = badPath(req.raw.url ?? '/');
    if (bad) return void refuse(reply, 400, bad);
    // Open mode (no password, no token: loopback only): a page that re-points its own host name at
    // 127.0.0.1 (DNS rebinding) would be "same origin"; only loopback names and configured hosts are us.
    const host = (req.host as string | undefined) ?? '';
    if (!o.auth.enforced && !loopbackHost(host) && !trustedHosts.has(host.toLowerCase())) {
      return void refuse(reply, 403, 'Forbidden: the Host header does not name this server (without a password only loopback names are served)');
    }
    const cls = req.routeOptions.config.access;
    // No route matched: the 404 handler answers (nothing runs).
    if (cls === undefined) return done();
    const found = cls === 'operator' || (cls === 'open' && UNSAFE.has(req.method)) ? identify(o.auth, req) : ANONYMOUS;
    if (found instanceof Promise) found.then((caller) => admit(req, reply, done, cls, caller), done);
    else admit(req, reply, done, cls, found);
  });

  const admit = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, cls: Access, caller: Caller): void => {
    req.caller = caller;
    if (cls === 'operator' && o.auth.enforced && caller.kind === 'anonymous') {
      const error = o.auth.passwordRequired ? 'Not authenticated: log in (POST /api/login) or send a bearer token' : 'Not authenticated: a valid bearer token is required';
      return void refuse(reply, 401, error, { 'www-authenticate': 'Bearer' });
    }
    if (cls === 'operator' || cls === 'open') {
      const why = crossSite(req, caller);
      if (why) return void refuse(reply, why.startsWith('Unsupported') ? 415 : 403, why);
      return done();
    }
    // Bridge and webhook secrets: a query secret (bridge only) is checked now; a body secret
    // once the body is parsed (preHandler below), before the handler.
    if (cls === 'bridge') {
      const q = (req.query as Record<string, unknown> | undefined)?.secret;
      if (q !== undefined) {
        const denied = checkSecret(o.bridgeSecret, q, 'Bridge');
        if (denied) return void refuse(reply, denied.status, denied.error);
        secretOk.add(req);
      }
    }
    done();
  };

  app.addHook('preHandler', function secrets(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const cls = req.routeOptions.config.access;
    if ((cls !== 'bridge' && cls !== 'webhook') || secretOk.has(req)) return done();
    const denied = checkSecret(cls === 'bridge' ? o.bridgeSecret : o.webhookSecret, bodySecret(req.body), cls === 'bridge' ? 'Bridge' : 'TradingView webhook');
    if (denied) return void refuse(reply, denied.status, denied.error);
    done();
  });
}

function checkSecret(check: SecretCheck | undefined, presented: unknown, what: string): { status: number; error: string } | null {
  if (!check) return { status: 403, error: `${what} routes are disabled: no secret is configured` };
  return check(presented);
}

/** `secret` of a JSON body, whether parsed (application/json) or text (TradingView posts text/plain). */
export function bodySecret(body: unknown): unknown {
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).secret : undefined;
}

/** localhost (and *.localhost), 127.0.0.0/8 and [::1], with or without a port. */
export function loopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127(?:\.\d{1,3}){3}$/.test(h) || h === '[::1]';
}

/** scheme://host[:port], lower case, default port dropped; null for `null` and garbage. */
function originOf(s: string): string | null {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin.toLowerCase() : null;
  } catch {
    return null;
  }
}
