import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import Type from 'typebox';
import { TradingQueryError, type TradingApiService } from '../app/trading-api.js';
import { Detail } from './schemas.js';
import { AccountsResponse, BalancesResponse, HealthResponse, OrderIdsResponse, OrdersResponse, PositionIdsResponse, PositionsResponse, RootHealthResponse, SnapshotResponse } from './schemas-trading-v1.js';

const tags = ['trading-v1'];

const useCache = (fallback: boolean) => Type.Boolean({ default: fallback, description: `Answer from the cache while its entry lives (default ${fallback})` });
const accountName = Type.String({ minLength: 1, maxLength: 128, description: 'Only the account of this name (or id)' });
const accountIds = Type.String({ maxLength: 4096, description: 'Comma-separated account ids (e.g. paper,bridge); absent: every account' });

const AccountsQuery = Type.Object({ use_cache: useCache(true), account_name: Type.Optional(accountName) }, { additionalProperties: false });
const filterQuery = (cacheDefault: boolean) => Type.Object({ use_cache: useCache(cacheDefault), account_ids: Type.Optional(accountIds), account_name: Type.Optional(accountName) }, { additionalProperties: false });
const include = (what: string) => Type.Boolean({ default: true, description: `Include ${what}` });
const SnapshotQuery = Type.Object(
  {
    include_accounts: include('the accounts'),
    include_positions: include('the positions'),
    include_orders: include('the pending orders'),
    include_balances: include('the balances'),
    use_cache: useCache(false),
    account_ids: Type.Optional(accountIds),
    account_name: Type.Optional(accountName),
  },
  { additionalProperties: false },
);

type Filter = { use_cache: boolean; account_ids?: string; account_name?: string };
const filter = (q: Filter) => ({ useCache: q.use_cache, accountIds: q.account_ids, accountName: q.account_name });

/** A refused query: 404 `{detail}` for an unknown account, 422 with the field named as schema errors are. */
async function answer<T>(reply: FastifyReply, read: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof TradingQueryError)) throw e;
    if (e.status === 404) return reply.code(404).send({ detail: e.message, status_code: 404 });
    return reply.code(422).send({ detail: [{ loc: ['querystring', e.field], msg: e.message, type: 'value_error' }], status_code: 422 });
  }
}

/** Seed 002's root health check, `GET /api/health/` (and the same without the slash, and under /api/v1). */
export async function seed002HealthRoutes(scope: FastifyInstance, api: TradingApiService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  for (const [path, hide] of [
    ['/api/health/', false],
    ['/api/health', true],
    ['/api/v1/health/', true],
    ['/api/v1/health', true],
  ] as const) {
    app.get(path, { config: { access: 'open' }, schema: { tags, hide, summary: 'Seed 002 root health check: the API server answers', response: { 200: RootHealthResponse } } }, async () => api.rootHealth());
  }
}

/** Seed 002's HFT trading API over every configured account, under /api/v1/trading. */
export async function tradingV1Routes(scope: FastifyInstance, api: TradingApiService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/health',
    {
      config: { access: 'open' },
      schema: {
        tags,
        summary: 'Redis (when configured) and every account venue: healthy, degraded (Redis down) or unhealthy (an account cannot trade; HTTP 503)',
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (_req, reply) => {
      const h = await api.health();
      return reply.code(h.status === 'unhealthy' ? 503 : 200).send(h);
    },
  );
  const reads = { access: 'operator', rateGroup: 'reads' } as const;
  const errors = { 404: Detail, 422: Detail };
  app.get('/accounts', { config: reads, schema: { tags, summary: 'Every configured account (cache 300 s)', querystring: AccountsQuery, response: { 200: AccountsResponse, ...errors } } }, async (req, reply) =>
    answer(reply, () => api.accounts({ useCache: req.query.use_cache, accountName: req.query.account_name })),
  );
  app.get('/positions', { config: reads, schema: { tags, summary: 'Open positions of the accounts (cache 1 s)', querystring: filterQuery(false), response: { 200: PositionsResponse, ...errors } } }, async (req, reply) =>
    answer(reply, () => api.positions(filter(req.query))),
  );
  app.get('/positions/ids', { config: reads, schema: { tags, summary: 'Only the open positions\u2019 ids', querystring: filterQuery(false), response: { 200: PositionIdsResponse, ...errors } } }, async (req, reply) =>
    answer(reply, () => api.positionIds(filter(req.query))),
  );
  app.get('/orders/pending', { config: reads, schema: { tags, summary: 'Pending orders: Pending, Queued, Working, PendingCancel (cache 1 s)', querystring: filterQuery(false), response: { 200: OrdersResponse, ...errors } } }, async (req, reply) =>
    answer(reply, () => api.pendingOrders(filter(req.query))),
  );
  app.get('/orders/pending/ids', { config: reads, schema: { tags, summary: 'Only the pending orders\u2019 ids', querystring: filterQuery(false), response: { 200: OrderIdsResponse, ...errors } } }, async (req, reply) =>
    answer(reply, () => api.pendingOrderIds(filter(req.query))),
  );
  app.get('/balances', { config: reads, schema: { tags, summary: 'Balances of the accounts and their total (cache 2 s)', querystring: filterQuery(true), response: { 200: BalancesResponse, ...errors } } }, async (req, reply) =>
    answer(reply, () => api.balances(filter(req.query))),
  );
  app.get(
    '/batch/snapshot',
    {
      // Seed 002: batch endpoints have their own (smaller) budget.
      config: { access: 'operator', rateGroup: 'batch' },
      schema: { tags, summary: 'Accounts, positions, pending orders and balances in one answer', querystring: SnapshotQuery, response: { 200: SnapshotResponse, ...errors } },
    },
    async (req, reply) => {
      const q = req.query;
      return answer(reply, () =>
        api.snapshot({
          ...filter(q),
          includeAccounts: q.include_accounts,
          includePositions: q.include_positions,
          includeOrders: q.include_orders,
          includeBalances: q.include_balances,
        }),
      );
    },
  );
}
