import type { FastifyInstance, FastifyReply } from 'fastify';
import Type, { type Static } from 'typebox';
import type { TradeHistory } from '../app/trade-history.js';
import type { TradeFilter } from '../core/trade-history.js';
import { AccountParam, Any, Detail } from './schemas.js';

/** The journal's closed trades for the dashboard's Trade history and Profit views. */
export interface HistorySource {
  history: TradeHistory;
  accountIds(): string[];
}

const tags = ['history'];
const Ms = (description: string) => Type.Optional(Type.Integer({ minimum: 0, description }));
const filterFields = {
  account: Type.Optional(AccountParam()),
  bot: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'bot id (demo-sma, engine, a Max bot id...)' })),
  symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'instrument, e.g. BTC/USDT or BTCUSDT' })),
  from: Ms('closed at or after (ms since epoch)'),
  to: Ms('closed before (ms since epoch)'),
};
const FilterQuery = Type.Object(filterFields, { additionalProperties: false });
const PageQuery = Type.Object(
  {
    ...filterFields,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  { additionalProperties: false },
);
const TradeRowSchema = Type.Object({
  id: Type.String(),
  account: Type.String(),
  bot: Type.String(),
  symbol: Type.String(),
  side: Type.String(),
  qty: Type.Number(),
  entry_price: Type.Number(),
  exit_price: Type.Number(),
  opened_at: Type.Number(),
  closed_at: Type.Number(),
  duration_ms: Type.Number(),
  profit: Type.Number({ description: 'net of fees, account currency' }),
  profit_pct: Type.Number({ description: 'net profit over the entry notional, percent' }),
  gross_profit: Type.Number(),
  fees: Type.Number(),
  pnl_r: Type.Union([Type.Number(), Type.Null()]),
  exit_reason: Type.String(),
  mode: Type.String(),
});
const TradePageSchema = Type.Object({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), trades: Type.Array(TradeRowSchema) });

const normaliseSymbol = (s: string): string => {
  const up = s.toUpperCase().replace(/[-_]/g, '/');
  return up.includes('/') ? up : up.replace(/(USDT|USDC|USD)$/, '/$1').replace(/^\//, '');
};

/** The filter of a query, or an error message for an unknown account. */
function filterOf(q: Static<typeof FilterQuery>, source: HistorySource): TradeFilter | string {
  const f: TradeFilter = {};
  if (q.account !== undefined && q.account !== 'all') {
    const ids = source.accountIds();
    if (!ids.includes(q.account)) return `Unknown account '${q.account}': one of ${[...ids, 'all'].join(', ')}`;
    f.accountId = q.account;
  }
  if (q.bot !== undefined) f.botId = q.bot;
  if (q.symbol !== undefined) f.symbol = /^(ES|NQ|MES|MNQ)$/i.test(q.symbol) ? q.symbol.toUpperCase() : normaliseSymbol(q.symbol);
  if (q.from !== undefined) f.from = q.from;
  if (q.to !== undefined) f.to = q.to;
  return f;
}

const unknown = (reply: FastifyReply, detail: string) => reply.code(404).send({ detail });

/** GET /api/trade-history (paged JSON), /api/trade-history.csv and /api/profit (aggregates). */
export async function historyRoutes(app: FastifyInstance, source: HistorySource): Promise<void> {
  app.get(
    '/trade-history',
    { config: { access: 'operator' }, schema: { tags, summary: 'Closed trades, newest first, filtered and paged', querystring: PageQuery, response: { 200: TradePageSchema, 404: Detail } } },
    async (req, reply) => {
      const q = req.query as Static<typeof PageQuery>;
      const f = filterOf(q, source);
      if (typeof f === 'string') return unknown(reply, f);
      return source.history.page(f, q.limit ?? 50, q.offset ?? 0);
    },
  );
  app.get(
    '/trade-history.csv',
    { config: { access: 'operator' }, schema: { tags, summary: 'The filtered closed trades as CSV (newest first, up to 100,000)', querystring: FilterQuery, produces: ['text/csv'] } },
    async (req, reply) => {
      const f = filterOf(req.query as Static<typeof FilterQuery>, source);
      if (typeof f === 'string') return unknown(reply, f);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="tradewind-trades.csv"').send(source.history.csv(f));
    },
  );
  app.get(
    '/profit',
    { config: { access: 'operator' }, schema: { tags, summary: 'Profit of the filtered closed trades: totals, cumulative, daily/weekly/monthly, by instrument, bot and exit reason', querystring: FilterQuery, response: { 200: Any, 404: Detail } } },
    async (req, reply) => {
      const f = filterOf(req.query as Static<typeof FilterQuery>, source);
      if (typeof f === 'string') return unknown(reply, f);
      return source.history.profit(f);
    },
  );
}
