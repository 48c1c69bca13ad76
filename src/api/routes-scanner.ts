import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { EngineController } from '../app/engine-controller.js';
import type { MarketStatsView } from '../core/scanner.js';
import { emptyBodyAsObject } from './routes-engine.js';
import { Detail, PresetParams, ScanBody, SymbolParams } from './schemas.js';
import { Any } from './schemas.js';

const tags = ['scanner'];

/** BTCUSDT, BTC-USDT and btc/usdt all name BTC/USDT. */
export function symbolCandidates(raw: string): string[] {
  const up = raw.toUpperCase();
  const out = [up, up.replace(/[-_]/g, '/')];
  const m = /^([A-Z]+)(USDT|USDC|USD|BTC|ETH)$/.exec(up);
  if (m) out.push(`${m[1]}/${m[2]}`);
  return out;
}

export async function scannerRoutes(scope: FastifyInstance, engine: EngineController, marketStats: (symbol: string) => MarketStatsView | undefined): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/scanner/scan/:name',
    { config: { access: 'operator' }, schema: { tags, summary: 'Run a scan with the running preset', params: PresetParams, body: ScanBody, response: { 200: Any, 400: Detail, 404: Detail, 503: Detail } }, preValidation: emptyBodyAsObject },
    async (req, reply) => {
      const body = req.body ?? {};
      if (body.preset !== undefined && body.preset !== req.params.name) {
        return reply.code(400).send({ detail: `Preset mismatch: path says '${req.params.name}', body says '${body.preset}'` });
      }
      const result = engine.scan(req.params.name, { limit: body.limit, symbols: body.symbols });
      if (!result.ok) return reply.code(result.status).send({ detail: result.detail });
      return result.snapshot;
    },
  );
  app.get('/scanner/last', { config: { access: 'operator' }, schema: { tags, summary: 'The most recent scan (empty before the first)' } }, async () => {
    return engine.lastScan() ?? { timestamp: new Date().toISOString(), candidates: [], totalScanned: 0, passedFilters: 0, summary: { session_id: engine.sessionId, state: engine.state.toLowerCase(), scanning_active: false } };
  });
  app.get(
    '/scanner/market-data/:symbol',
    { config: { access: 'operator' }, schema: { tags, summary: 'Price, 24 h volume, trades per minute and ATRs of a symbol', params: SymbolParams, response: { 200: Any, 404: Detail } } },
    async (req, reply) => {
      for (const s of symbolCandidates(req.params.symbol)) {
        const stats = marketStats(s);
        if (stats) return stats;
      }
      return reply.code(404).send({ detail: `No market data for symbol ${req.params.symbol}` });
    },
  );
}
