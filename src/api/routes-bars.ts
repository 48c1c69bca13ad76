import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Bar } from '../core/market.js';
import type { ChartOverlays } from '../app/chart-overlays.js';

/** Read-only view of the kernel's bar history for the dashboard's charts. */
export interface BarSource {
  /** Symbols with bar subscriptions, and the intervals (ms) kept for each. */
  symbols(): { symbol: string; intervals: number[] }[];
  history(symbol: string, intervalMs: number): readonly Bar[];
  /** The strategies' own lines, levels and Renko bricks over a symbol's bars (GET /api/bars/overlays). */
  overlays?(symbol: string, intervalMs: number, limit: number): ChartOverlays;
}

const normalise = (raw: string): string => raw.toUpperCase().replace(/[-_]/g, '/');

/** The symbol and interval a query names, or why there is no history for it. */
function resolve(source: BarSource, q: { symbol: string; interval?: number }): { entry: { symbol: string; intervals: number[] }; interval: number } | string {
  const wanted = [q.symbol, normalise(q.symbol), q.symbol.toUpperCase().replace(/(USDT)$/, '/$1')];
  const entry = source.symbols().find((s) => wanted.includes(s.symbol));
  if (!entry) return `Unknown symbol: ${q.symbol}`;
  const interval = q.interval ?? entry.intervals[0];
  if (interval === undefined || !entry.intervals.includes(interval)) return `No bar history for ${entry.symbol} at ${q.interval} ms; available: ${entry.intervals.join(', ')}`;
  return { entry, interval };
}

const BarsQuery = Type.Object({
  symbol: Type.String({ minLength: 1 }),
  interval: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
});

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
        querystring: BarsQuery,
      },
    },
    async (req, reply) => {
      const q = req.query as { symbol: string; interval?: number; limit?: number };
      const found = resolve(source, q);
      if (typeof found === 'string') return reply.code(found.startsWith('Unknown') ? 404 : 400).send({ detail: found });
      const { entry, interval } = found;
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
  const overlays = source.overlays?.bind(source);
  if (!overlays) return;
  app.get(
    '/bars/overlays',
    { config: { access: 'operator' }, schema: { tags: ['stream'], summary: "The strategies' own lines (moving averages), open positions' levels and the desk's Renko bricks for a symbol's chart", querystring: BarsQuery } },
    async (req, reply) => {
      const q = req.query as { symbol: string; interval?: number; limit?: number };
      const found = resolve(source, q);
      if (typeof found === 'string') return reply.code(found.startsWith('Unknown') ? 404 : 400).send({ detail: found });
      return overlays(found.entry.symbol, found.interval, q.limit ?? 300);
    },
  );
}
