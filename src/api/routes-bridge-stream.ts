import type { FastifyInstance, FastifyReply } from 'fastify';
import type { WebSocket } from 'ws';
import type { BridgeDesk, DeskResult } from '../app/bridge-desk.js';

/** A connection that answers no ping within this interval is dropped (its claims run out their lease). */
const PING_INTERVAL_MS = 15_000;
/** Unsent bytes past which a bridge that does not read is dropped rather than handed more claims. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Report messages a connection may send per second (twice that in a burst) before it is cut off: a bridge reports a few per order. */
const MAX_MESSAGES_PER_SECOND = 2_000;

const refuse = (reply: FastifyReply, r: DeskResult & { ok: false }) => reply.code(r.status).send({ ok: false, error: r.error });

function query(raw: unknown): Record<string, unknown> {
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/**
 * GET /api/orders/stream (WebSocket): the push channel of seed 003's bridge, beside the poll.
 * Same authentication (the bridge secret as `secret` in the query, checked before the upgrade),
 * same `owner` and `limit`, same claim: every order in an `orders` message is leased to `owner`
 * exactly as a poll would lease it. The bridge reports with the HTTP execution reports or, on this
 * connection, with `report` messages (same checks, as the connection's owner).
 */
export function bridgeStreamRoute(app: FastifyInstance, desk: BridgeDesk): void {
  app.get(
    '/orders/stream',
    {
      websocket: true,
      config: { access: 'bridge' },
      schema: {
        tags: ['bridge'],
        summary: 'Bridge push channel (WebSocket): claimable orders leased to `owner` as they are queued (secret, owner, limit in the query)',
      },
      // A bad owner or limit is refused before the upgrade (400), as the poll refuses it.
      preHandler: (req, reply, done) => {
        const sub = desk.streamQuery(query(req.query));
        if (!sub.ok) return void refuse(reply, sub.result as DeskResult & { ok: false });
        done();
      },
    },
    (socket, req) => {
      const sub = desk.streamQuery(query(req.query));
      if (!sub.ok) return socket.close(1008, 'refused');
      const secret = query(req.query).secret;
      serve(socket, desk, sub, secret, (err) => req.log.error({ err, component: 'bridge' }, 'bridge stream failed'));
    },
  );
}

function serve(socket: WebSocket, desk: BridgeDesk, sub: { owner: string; limit: number }, secret: unknown, onError: (err: unknown) => void): void {
  const gone = new AbortController();
  let alive = true;
  const pinger = setInterval(() => {
    if (!alive) return void socket.terminate();
    alive = false;
    socket.ping();
  }, PING_INTERVAL_MS);
  pinger.unref();
  socket.on('pong', () => (alive = true));
  socket.once('close', () => gone.abort());
  // Execution reports may come back on the same connection (one request fewer per report), always
  // as the connection's owner; anything else is answered with an error message.
  // A token bucket (a few lines; no library needed) keeps one connection from flooding the journal.
  let tokens = MAX_MESSAGES_PER_SECOND * 2;
  let refilledAt = Date.now();
  socket.on('message', (raw: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    const now = Date.now();
    tokens = Math.min(MAX_MESSAGES_PER_SECOND * 2, tokens + ((now - refilledAt) / 1000) * MAX_MESSAGES_PER_SECOND);
    refilledAt = now;
    if (tokens < 1) return void socket.close(1008, `more than ${MAX_MESSAGES_PER_SECOND} messages a second`);
    tokens -= 1;
    socket.send(JSON.stringify(answer(desk, raw, sub.owner, secret)));
  });
  socket.send(JSON.stringify({ type: 'hello', owner: sub.owner, limit: sub.limit, lease_seconds: desk.leaseSeconds }));
  const push = (orders: unknown[]) => {
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      gone.abort();
      return void socket.terminate();
    }
    socket.send(JSON.stringify({ type: 'orders', orders }));
  };
  desk
    .stream(sub, { push, open: () => socket.readyState === socket.OPEN }, gone.signal)
    .catch((err: unknown) => {
      onError(err);
      socket.close(1011, 'server error');
    })
    .finally(() => {
      clearInterval(pinger);
      // Server shutdown: the bridge reconnects to the next server (or polls).
      if (socket.readyState === socket.OPEN) socket.close(1001, 'server closing');
    });
}

/**
 * `{type: "report", ref?, order_id, status, extra}` -> `{type: "report", ref, order_id, status_code,
 * body}`: the execution-report route's answer (status code and body), for the connection's owner.
 */
function answer(desk: BridgeDesk, raw: Buffer, owner: string, secret: unknown): Record<string, unknown> {
  let msg: Record<string, unknown>;
  try {
    msg = query(JSON.parse(raw.toString('utf8')));
  } catch {
    return { type: 'error', error: 'messages must be JSON objects' };
  }
  const ref = typeof msg.ref === 'string' || typeof msg.ref === 'number' ? msg.ref : null;
  if (msg.type !== 'report') return { type: 'error', ref, error: 'unknown message type (the channel accepts {type: "report", order_id, status, extra})' };
  if (typeof msg.order_id !== 'string' || msg.order_id === '') return { type: 'error', ref, error: 'order_id is required' };
  const r = desk.report(msg.order_id, { status: msg.status, extra: msg.extra, reason: msg.reason, owner, secret }, {});
  return { type: 'report', ref, order_id: msg.order_id, status_code: r.ok ? 200 : r.status, body: r.ok ? r.body : { ok: false, error: r.error, ...r.extra } };
}
