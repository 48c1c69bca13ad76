import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OperatorAuth } from '../app/operator-auth.js';
import { isBridgePath } from './routes-bridge.js';

export const SESSION_COOKIE = 'tw_session';

/** Routes anyone may call: health, docs, and the auth routes themselves. */
const OPEN = new Set(['/api/login', '/api/logout', '/api/auth/status', '/api/v1/login', '/api/v1/logout', '/api/v1/auth/status']);

export function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

export const sessionToken = (req: FastifyRequest): string | undefined => (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];

export function isAuthenticated(auth: OperatorAuth, req: FastifyRequest): boolean {
  return auth.tokenValid(presentedToken(req)) || auth.sessionValid(sessionToken(req));
}

/**
 * With a password or API tokens configured, everything under /api and /ws needs the session
 * cookie or a bearer token; health, docs and the auth routes stay open. Answers carry both the
 * seed 001 `detail` and the seed 003 `{ok, error}` fields.
 */
export function operatorGuard(auth: OperatorAuth) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!auth.enforced) return;
    const path = req.url.split('?')[0] ?? '';
    if (!(path.startsWith('/api') || path === '/ws') || OPEN.has(path) || path.startsWith('/api/docs')) return;
    // The execution bridge authenticates with its own secret (routes-bridge.ts).
    if (isBridgePath(path)) return;
    if (isAuthenticated(auth, req)) return;
    const error = auth.passwordRequired ? 'Not authenticated: log in (POST /api/login) or send a bearer token' : 'Not authenticated: a valid bearer token is required';
    await reply.code(401).header('www-authenticate', 'Bearer').send({ detail: error, ok: false, error });
  };
}
