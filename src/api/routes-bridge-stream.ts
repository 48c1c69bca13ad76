import type { FastifyInstance, FastifyReply } from 'fastify';
import type { WebSocket } from 'ws';
import type { BridgeDesk, DeskResult } from '../app/bridge-desk.js';

/** A connection that answers no ping within this interval is dropped (its claims run out their lease). */
const PING_INTERVAL_MS = 15_000;
/** Unsent bytes past which a bridge that does not read is dropped rather than handed more claims. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const refuse = (reply: FastifyReply, r: DeskResult & { ok: false }) => reply.code(r.status).send({ ok: false, error: r.error });

function query(raw: unknown): Record<string, unknown> {
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/**
 * GET /api/orders/stream (WebSocket): the push channel of seed 003's bridge, beside the poll.
 * Same authentication (the bridge secret as `secret` in the query, checked before the upgrade),
 * same `owner` and `limit`, same claim: every order in an `orders` message is leased to `owner`
 * exactly as a poll would lease it, and the bridge goes on with the HTTP execution reports.
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
      serve(socket, desk, sub, (err) => req.log.error({ err, component: 'bridge' }, 'bridge stream failed'));
    },
  );
}

function serve(socket: WebSocket, desk: BridgeDesk, sub: { owner: string; limit: number }, onError: (err: unknown) => void): void {
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
  // The channel only pushes; what the bridge says goes over the HTTP routes.
  socket.on('message', () => undefined);
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
