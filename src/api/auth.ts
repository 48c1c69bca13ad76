import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Compares a presented token with the configured ones in constant time. */
export function tokenMatcher(tokens: readonly string[]): (presented: string | undefined) => boolean {
  const digests = tokens.map(digest);
  return (presented) => {
    if (!presented) return false;
    const d = digest(presented);
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  };
}

export function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

/** Health stays open; everything under /api and /ws needs a token when tokens are configured. */
export function bearerGuard(tokens: readonly string[]) {
  const matches = tokenMatcher(tokens);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = req.url.split('?')[0] ?? '';
    if (!(path.startsWith('/api') || path === '/ws')) return;
    if (matches(presentedToken(req))) return;
    await reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Not authenticated: a valid bearer token is required' });
  };
}
