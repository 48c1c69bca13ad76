import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EngineController, EngineResult } from '../app/engine-controller.js';
import type { MetricsService } from '../app/metrics-service.js';
import { CommandBody, CommandResult, Detail, EmergencyBody, HistoryQuery, StartBody } from './schemas.js';

const tags = ['engine'];

/** A POST without a body (as the seed's curl examples send) is an empty object. */
export function emptyBodyAsObject(req: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (req.body === undefined || req.body === null) req.body = {};
  done();
}
const answers = { 200: CommandResult, 400: Detail, 404: Detail, 422: Detail };

function send(reply: FastifyReply, result: EngineResult) {
  if (!result.ok) return reply.code(result.status).send({ detail: result.detail });
  return reply.send({
    success: true,
    message: result.message,
    state: result.state,
    changed: result.changed,
    ...(result.details ?? {}),
    timestamp: new Date().toISOString(),
  });
}

/** Seed 001 engine control: thin handlers over the EngineController. */
export async function engineRoutes(scope: FastifyInstance, engine: EngineController, metrics: MetricsService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/engine/start', { config: { access: 'operator' }, schema: { tags, summary: 'Start the engine with a preset (paper or live)', body: StartBody, response: answers } }, async (req, reply) =>
    send(reply, engine.start(req.body.preset, req.body.mode ?? 'paper')),
  );
  app.post('/engine/stop', { config: { access: 'operator' }, schema: { tags, summary: 'Stop the engine (cancels its tasks; 10 s timeout)', response: answers } }, async (_req, reply) =>
    send(reply, await engine.stop()),
  );
  app.post('/engine/pause', { config: { access: 'operator' }, schema: { tags, summary: 'Pause: no new decisions until resumed', response: answers } }, async (_req, reply) =>
    send(reply, engine.pause()),
  );
  app.post('/engine/resume', { config: { access: 'operator' }, schema: { tags, summary: 'Resume after a pause', response: answers } }, async (_req, reply) => send(reply, engine.resume()));
  for (const path of ['/engine/emergency-stop', '/engine/emergency_stop', '/engine/emergency']) {
    app.post(
      path,
      { config: { access: 'operator' }, schema: { tags, summary: 'Emergency stop: halt every bot, cancel working orders, flatten positions', body: EmergencyBody, response: answers }, preValidation: emptyBodyAsObject },
      async (req, reply) => send(reply, engine.emergencyStop(req.body?.reason ?? 'emergency stop requested')),
    );
  }
  app.post('/engine/reload', { config: { access: 'operator' }, schema: { tags, summary: 'Reload presets (engine stopped, idle, in error or emergency)', response: answers } }, async (_req, reply) =>
    send(reply, engine.reload()),
  );
  app.post('/engine/command', { config: { access: 'operator' }, schema: { tags, summary: 'Execute a command by name', body: CommandBody, response: answers } }, async (req, reply) =>
    send(reply, await engine.execute(req.body.command, req.body)),
  );
  app.get('/engine/status', { config: { access: 'operator' }, schema: { tags, summary: 'State, preset, mode, slots, positions, latency, daily R, losing streak' } }, async () => engine.status());
  app.get('/engine/commands', { config: { access: 'operator' }, schema: { tags, summary: 'Commands valid in the current state' } }, async () => engine.commands());
  app.get('/engine/history', { config: { access: 'operator' }, schema: { tags, summary: 'State transitions with reason, timestamp and metadata', querystring: HistoryQuery } }, async (req) =>
    engine.history(req.query.limit ?? 50),
  );
  app.get('/engine/resource-health', { config: { access: 'operator' }, schema: { tags, summary: 'Process and system resource health' } }, async () => metrics.resourceHealth());
}
