import cookie from '@fastify/cookie';
import replyFrom from '@fastify/reply-from';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { LeaderInfo } from '../core/leader-lease.js';
import type { Order } from '../core/orders.js';
import type { RestoredState } from '../core/ports.js';
import type { Fill } from '../core/orders.js';
import type { OperatorAuth } from '../app/operator-auth.js';
import { accessControl } from './auth.js';
import { refuse } from './errors.js';
import { fetchLeaderSnapshot } from './follower-snapshot.js';
import type { FollowerStream } from './follower-stream.js';
import { requestedTypes } from './ws-hub.js';

/** What a follower reads from the shared journal itself (no kernel runs here). */
export interface FollowerJournal {
  restore(accountId: string): RestoredState;
  listOrders(query: { accountId?: string; limit: number; openOnly?: boolean }): Order[];
  recentFills(limit: number, accountId?: string): Fill[];
}

export interface FollowerOptions {
  logger: Logger;
  instanceId: string;
  /** The current leader (from the lease), or null during a failover. */
  leader: () => Promise<LeaderInfo | null>;
  journal: FollowerJournal;
  /** Whether a request may read operator data (the same sessions and tokens as the leader). */
  authorized: (req: FastifyRequest) => Promise<boolean>;
  /** Forwarded requests give up after this long (the leader died mid-request). */
  forwardTimeoutMs?: number;
  /** /ws on this follower: the leader's events through the relay, admitted by the leader's access rules. */
  ws?: { stream: FollowerStream; auth: OperatorAuth; trustedOrigins: readonly string[] };
  /** Fastify's trustProxy, as the leader's (the access rules read the protocol and host). */
  trustProxy?: boolean | string | number | string[];
}

const ACCOUNT_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' } as const;

/**
 * A follower instance's HTTP app (cluster mode, docs/SCALE-OUT.md): it runs no kernel. It answers
 * the cluster status and an account's journal reads from the shared store itself, and forwards
 * every other request (order entry, cancel, close, kill switch, webhooks, every other read) to
 * the leader's advertised URL, unchanged (the leader checks access, secrets and rate limits).
 */
export async function buildFollowerApp(o: FollowerOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: o.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true, forceCloseConnections: true, trustProxy: (o.trustProxy ?? false) as boolean });
  const ws = o.ws;
  if (ws) {
    // Before the plugin's own preClose (which closes without a code): clients learn why.
    app.addHook('preClose', (done) => {
      ws.stream.close(1001, 'this instance is shutting down: reconnect');
      done();
    });
    await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  }
  await app.register(replyFrom, { disableRequestLogging: true, retryMethods: [] });
  // Bodies stream to the leader byte for byte: no parsing here (the leader validates them).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await o.authorized(req))) return reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Not authenticated: log in (POST /api/login) or send a bearer token' });
  };
  const status = async () => {
    const leader = await o.leader();
    return { role: 'follower', instance: o.instanceId, leader: leader ? { instance: leader.owner, url: leader.url, token: leader.token } : null };
  };
  for (const prefix of ['/api', '/api/v1']) {
    app.get(`${prefix}/cluster`, { config: { access: 'operator' }, preHandler: guard }, status);
    app.get<{ Params: { id: string } }>(`${prefix}/accounts/:id`, { config: { access: 'operator' }, preHandler: guard, schema: { params: { type: 'object', properties: { id: ACCOUNT_ID }, required: ['id'] } } }, async (req) => {
      const restored = o.journal.restore(req.params.id);
      return {
        account: restored.account,
        positions: restored.positions,
        orders: o.journal.listOrders({ accountId: req.params.id, limit: 200 }),
        fills: o.journal.recentFills(200, req.params.id),
        served_by: 'follower',
      };
    });
    app.get<{ Params: { id: string } }>(`${prefix}/accounts/:id/orders`, { config: { access: 'operator' }, preHandler: guard, schema: { params: { type: 'object', properties: { id: ACCOUNT_ID }, required: ['id'] } } }, async (req) => ({
      orders: o.journal.listOrders({ accountId: req.params.id, limit: 500, openOnly: true }),
    }));
  }

  if (ws) await app.register(async (scope) => followerWs(scope, ws, o.leader));

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    const leader = await o.leader().catch(() => null);
    if (!leader || leader.url === '') return reply.code(503).header('retry-after', '1').send({ detail: 'No leader at the moment (failover in progress): retry in a second' });
    return reply.from(`${leader.url}${req.url}`, {
      timeout: o.forwardTimeoutMs ?? 30_000,
      rewriteRequestHeaders: (_req, headers) => ({ ...headers, 'x-tradewind-forwarded-by': o.instanceId }),
      onError: (r, { error }) => {
        // Never retried here: the leader may have acted on it before it died.
        o.logger.warn({ component: 'cluster', method: req.method, url: req.url, err: error.message }, 'forward to the leader failed');
        void r.code(503).header('retry-after', '1').send({
          detail: `The leader (${leader.owner}) did not answer: ${req.method === 'GET' || req.method === 'HEAD' ? 'retry' : 'if this was an order, check GET /api/orders before sending it again'}`,
        });
      },
    });
  };
  app.all('/*', { config: { access: 'open' } }, forward);
  app.all('/', { config: { access: 'open' } }, forward);
  return app;
}

/**
 * GET /ws on a follower, in a scope of its own with the leader's access check (the same route
 * class, operator with `?token=`, and the same cross-site rule for the upgrade); the other routes
 * here keep theirs. The snapshot is fetched from the leader with the client's own credentials.
 */
async function followerWs(scope: FastifyInstance, ws: NonNullable<FollowerOptions['ws']>, leader: FollowerOptions['leader']): Promise<void> {
  await scope.register(cookie);
  accessControl(scope, { auth: ws.auth, trustedOrigins: ws.trustedOrigins });
  scope.get(
    '/ws',
    {
      websocket: true,
      config: { access: 'operator', queryToken: true },
      schema: { hide: true },
      // Refused before the upgrade: a bad ?types= (400), no leader to stream from (503).
      preHandler: async (req, reply) => {
        try {
          requestedTypes(req.query);
        } catch (e) {
          return refuse(reply, 400, (e as Error).message);
        }
        const now = await leader().catch(() => null);
        if (!now || now.url === '') return refuse(reply, 503, 'No leader at the moment (failover in progress): retry in a second', { 'retry-after': '1' });
      },
    },
    (socket, req) => {
      const credentials = credentialsOf(req);
      void ws.stream.add(socket, requestedTypes(req.query), async () => {
        const now = await leader();
        if (!now || now.url === '') throw new Error('no leader at the moment');
        return fetchLeaderSnapshot(now.url, credentials);
      });
    },
  );
}

/** What the leader needs to admit the snapshot request as this client: its cookie or its token. */
function credentialsOf(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const { authorization, cookie: cookies } = req.headers;
  if (authorization) out.authorization = authorization;
  if (cookies) out.cookie = cookies;
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  if (!authorization && typeof q === 'string' && q !== '') out.authorization = `Bearer ${q}`;
  return out;
}
