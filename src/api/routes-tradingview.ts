import type { FastifyInstance, FastifyReply } from 'fastify';
import { nowUs } from '../adapters/broker-bridge.js';
import { TV_RENKO_ROUTES, type TradingViewDesk, type TvResult } from '../app/tradingview-desk.js';

const webhook = { access: 'webhook' } as const;
const send = (reply: FastifyReply, r: TvResult) => (r.ok ? reply.send(r.body) : reply.code(r.status).send({ ok: false, error: r.error }));
function body(raw: unknown): Record<string, unknown> {
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/**
 * Seed 003 TradingView webhooks. They authenticate with the secret in the JSON body, not the
 * operator session. TradingView posts JSON as text/plain, so both content types are parsed.
 */
export async function tradingViewRoutes(app: FastifyInstance, desk: TradingViewDesk): Promise<void> {
  const schema = { tags: ['tradingview'], summary: 'TradingView alert webhook (secret in the body)' };
  app.post('/tv_heartbeat', { config: webhook, schema }, async (req, reply) => send(reply, desk.heartbeat(body(req.body))));
  for (const path of Object.keys(TV_RENKO_ROUTES)) {
    app.post(path, { config: webhook, schema: { ...schema, summary: `Renko ${TV_RENKO_ROUTES[path]}-point bar (secret in the body)` } }, async (req, reply) =>
      send(reply, desk.renko(path, body(req.body))),
    );
  }
  // Arrival time of each level exit (µs, before its body is parsed): the start of the server-side
  // latency probe that ends when its order's queue row is committed (queued_at_us).
  const arrivals = new WeakMap<object, number>();
  app.post(
    '/tv_level_exit',
    {
      config: webhook,
      schema,
      onRequest: (req, _reply, done) => {
        arrivals.set(req, nowUs());
        done();
      },
    },
    async (req, reply) => send(reply, desk.levelExit(body(req.body), arrivals.get(req))),
  );
  // Operator view.
  for (const [path, hide] of [['/api/tradingview/state', false], ['/api/v1/tradingview/state', true]] as const) {
    app.get(path, { config: { access: 'operator' }, schema: { tags: ['tradingview'], summary: 'Last heartbeat, price and Renko bar per asset and size', hide } }, async () => desk.snapshot());
  }
}
