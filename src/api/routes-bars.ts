import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Bar } from '../core/market.js';

/** Read-only view of the kernel's bar history for the dashboard's charts. */
export interface BarSource {
  /** Symbols with bar subscriptions, and the intervals (ms) kept for each. */
  symbols(): { symbol: string; intervals: number[] }[];
  history(symbol: string, intervalMs: number): readonly Bar[];
}

const normalise = (raw: string): string => raw.toUpperCase().replace(/[-_]/g, '/');

/** GET /api/bars/symbols and GET /api/bars?symbol=&interval=&limit= (closed bars, oldest first). */
export async function barRoutes(app: FastifyInstance, source: BarSource): Promise<void> {
  app.get('/bars/symbols', { config: { access: 'operator' }, schema: { tags: ['stream'], summary: 'Symbols and intervals with bar history' } }, async () => ({ symbols: source.symbols() }));
  app.get(
    '/bars',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['stream'],
        summary: 'Closed bars of a symbol (the kernel bar history), oldest first',
        querystring: Type.Object({
          symbol: Type.String({ minLength: 1 }),
          interval: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
        }),
      },
    },
    async (req, reply) => {
      const q = req.query as { symbol: string; interval?: number; limit?: number };
      const all = source.symbols();
      const wanted = [q.symbol, normalise(q.symbol), q.symbol.toUpperCase().replace(/(USDT)$/, '/$1')];
      const entry = all.find((s) => wanted.includes(s.symbol));
      if (!entry) return reply.code(404).send({ detail: `Unknown symbol: ${q.symbol}` });
      const interval = q.interval ?? entry.intervals[0];
      if (interval === undefined || !entry.intervals.includes(interval)) {
        return reply.code(400).send({ detail: `No bar history for ${entry.symbol} at ${q.interval} ms; available: ${entry.intervals.join(', ')}` });
      }
      const bars = source.history(entry.symbol, interval);
      const slice = q.limit ? bars.slice(-q.limit) : bars;
      return {
        symbol: entry.symbol,
        interval_ms: interval,
        intervals: entry.intervals,
        bars: slice.map((b) => ({ time: b.start, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })),
      };
    },
  );
}
