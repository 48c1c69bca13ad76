import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BridgeDesk, DeskResult } from '../app/bridge-desk.js';
import { bridgeStreamRoute } from './routes-bridge-stream.js';

const send = (reply: FastifyReply, r: DeskResult) => (r.ok ? reply.send(r.body) : reply.code(r.status).send({ ok: false, error: r.error, ...r.extra }));

function obj(raw: unknown): Record<string, unknown> {
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

const tags = ['bridge'];
// The executor's routes: the bridge secret (the access hook checks it; so does the desk). Their
// rate-limit group is `bridge`, sized for a bridge polling every second.
const bridge = { access: 'bridge' } as const;
const operator = { access: 'operator' } as const;

/** The body, with the secret taken from the query when the body has none (seed 003: body or query). */
function withSecret(body: unknown, query: unknown): Record<string, unknown> {
  const b = obj(body);
  const secret = b.secret ?? obj(query).secret;
  return secret === undefined ? b : { ...b, secret };
}

/**
 * Seed 003 bridge routes. The executor's four authenticate with BRIDGE_HEARTBEAT_SECRET in the
 * body or the query (`secret`); the operator's (status, cancel, test order) are operator routes.
 */
export async function bridgeRoutes(app: FastifyInstance, desk: BridgeDesk): Promise<void> {
  app.get(
    '/orders/pending',
    { config: bridge, schema: { tags, summary: 'Bridge poll: lease pending orders (secret, limit, owner, optional wait_ms ≤ 25000 to long-poll, in the query)' } },
    async (req, reply) => {
      const query = obj(req.query);
      if (query.wait_ms === undefined || query.wait_ms === '' || query.wait_ms === '0') return send(reply, desk.pending(query));
      // Long poll: stop waiting when the client goes away (the response closes unanswered).
      const gone = new AbortController();
      const onClose = () => gone.abort();
      reply.raw.once('close', onClose);
      try {
        const r = await desk.pendingWait(query, gone.signal);
        if (reply.raw.destroyed) return reply; // nobody to answer (nothing is claimed once it aborted)
        return send(reply, r);
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
  bridgeStreamRoute(app, desk);
  // Shutdown: the waiting long polls answer at once instead of holding the close up.
  app.addHook('preClose', (done) => {
    desk.close();
    done();
  });
  app.post<{ Params: { order_id: string } }>(
    '/orders/:order_id/execution-report',
    { config: bridge, schema: { tags, summary: 'Bridge execution report: WORKING, PARTIAL (cumulative qty and average price), FILLED, REJECTED or CANCELLED' } },
    async (req, reply) => send(reply, desk.report(req.params.order_id, obj(req.body), obj(req.query))),
  );
  app.post('/bridge/heartbeat', { config: bridge, schema: { tags, summary: 'Bridge status heartbeat (secret in the body or the query)' } }, async (req, reply) =>
    send(reply, desk.heartbeat(withSecret(req.body, req.query))),
  );
  app.post('/rithmic/pnl-snapshot', { config: bridge, schema: { tags, summary: 'Bridge PnL and positions snapshot (secret in the body or the query)' } }, async (req, reply) =>
    send(reply, desk.pnlSnapshot(withSecret(req.body, req.query))),
  );

  app.get('/bridge/status', { config: operator, schema: { tags, summary: 'Bridge connectivity, queue and account (operator)' } }, async (req, reply) => {
    const limit = Number(obj(req.query).limit ?? 50);
    return send(reply, desk.status(Number.isInteger(limit) && limit > 0 && limit <= 500 ? limit : 50));
  });
  app.post<{ Params: { order_id: string } }>('/bridge/orders/:order_id/cancel', { config: operator, schema: { tags, summary: 'Cancel a bridge order (operator)' } }, async (req, reply) =>
    send(reply, desk.cancel(req.params.order_id)),
  );
  app.post<{ Params: { order_id: string } }>(
    '/bridge/orders/:order_id/resolve',
    { config: operator, schema: { tags, summary: "Resolve a stale WORKING bridge order from the bridge's own position report (operator; optional fill_price)" } },
    async (req, reply) => send(reply, desk.resolve(req.params.order_id, obj(req.body))),
  );
  app.post('/bridge/test-order', { config: operator, schema: { tags, summary: 'Market order on the bridge account (operator; bridge.allowTestOrders only)' } }, async (req, reply) =>
    send(reply, desk.testOrder(obj(req.body))),
  );
}
