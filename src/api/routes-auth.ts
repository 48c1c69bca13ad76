import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { OperatorAuth } from '../app/operator-auth.js';
import { isAuthenticated, SESSION_COOKIE, sessionToken } from './auth.js';
import { emptyBodyAsObject } from './routes-engine.js';

const tags = ['auth'];
const LoginBody = Type.Object({ password: Type.Optional(Type.String({ maxLength: 1024 })) });

/** Seed 003 authentication: session cookie login, logout and status. */
export async function authRoutes(scope: FastifyInstance, auth: OperatorAuth): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/login', { config: { access: 'open', rateGroup: 'login' }, schema: { tags, summary: 'Log in; sets the session cookie', body: LoginBody }, preValidation: emptyBodyAsObject }, async (req, reply) => {
    const result = await auth.login(req.body.password, req.ip);
    if (!result.ok) {
      if (result.retryAfterS !== undefined) reply.header('retry-after', String(result.retryAfterS));
      return reply.code(result.status).send({ ok: false, error: result.error, detail: result.error });
    }
    if (result.token && result.expiresAt) {
      reply.setCookie(SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        path: '/',
        expires: new Date(result.expiresAt),
      });
    }
    return { ok: true };
  });
  app.post('/logout', { config: { access: 'open', rateGroup: 'login' }, schema: { tags, summary: 'Log out; clears the session' } }, async (req, reply) => {
    await auth.logout(sessionToken(req));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });
  app.get('/auth/status', { config: { access: 'open' }, schema: { tags, summary: 'Whether this client is logged in and whether a password is required' } }, async (req) => ({
    authenticated: auth.passwordRequired ? await isAuthenticated(auth, req) : true,
    password_required: auth.passwordRequired,
  }));
}
