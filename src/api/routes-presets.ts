import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { EngineController } from '../app/engine-controller.js';
import type { PresetUpdate } from '../adapters/preset-files.js';
import { isRunningState } from '../core/lifecycle.js';
import { Detail, PresetParams } from './schemas.js';
import { Any } from './schemas.js';

export interface PresetStore {
  list(): Record<string, unknown>[];
  get(name: string): Record<string, unknown> | undefined;
  update(name: string, patch: Record<string, unknown>): PresetUpdate;
}

const tags = ['presets'];

const summary = (p: Record<string, unknown>) => {
  const risk = (p.risk ?? {}) as Record<string, unknown>;
  return {
    name: p.name,
    description: p.description,
    risk_per_trade: risk.risk_per_trade,
    max_positions: risk.max_concurrent_positions,
    strategy_type: p.strategy_type,
  };
};

/** Seed 001 preset management over the presets directory. */
export async function presetRoutes(scope: FastifyInstance, presets: PresetStore, engine: EngineController): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/presets/', { config: { access: 'operator' }, schema: { tags, summary: 'List presets' } }, async () => presets.list().map(summary));
  app.get('/presets', { config: { access: 'operator' }, schema: { tags, summary: 'List presets', hide: true } }, async () => presets.list().map(summary));
  app.get('/presets/:name', { config: { access: 'operator' }, schema: { tags, summary: 'A preset with its whole configuration', params: PresetParams, response: { 200: Any, 404: Detail } } }, async (req, reply) => {
    const p = presets.get(req.params.name);
    if (!p) return reply.code(404).send({ detail: `Preset '${req.params.name}' not found` });
    const { name, ...config } = p;
    return { name, config };
  });
  app.put(
    '/presets/:name',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary: 'Update a preset (deep merge, validated; refused while the engine runs)',
        params: PresetParams,
        body: Type.Record(Type.String(), Type.Unknown()),
        response: { 200: Any, 404: Detail, 409: Detail, 422: Detail },
      },
    },
    async (req, reply) => {
      if (isRunningState(engine.state) || engine.state === 'PAUSED') {
        return reply.code(409).send({ detail: `Cannot update preset '${req.params.name}' while the engine is running (${engine.state}): stop it first` });
      }
      const result = presets.update(req.params.name, req.body);
      if (!result.ok) return reply.code(result.code === 'not_found' ? 404 : 422).send({ detail: result.message });
      return { success: true, message: `Preset '${req.params.name}' updated successfully`, timestamp: new Date().toISOString() };
    },
  );
}
