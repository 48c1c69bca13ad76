import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AccountOrderError, type AccountOrders } from '../app/account-orders.js';

export interface AccountDirectory {
  statuses(): { id: string; kind: string; exchange?: string; environment?: string; state: string; detail: string; credentialEnv?: string[] }[];
  /** Every trading account's figures (the facade's view: role, account, positions, bots, risk). */
  view(): { default: string; accounts: ({ id: string; role: string } & Record<string, unknown>)[] };
  orders: AccountOrders;
}

const Account = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    exchange: Type.Optional(Type.String()),
    environment: Type.Optional(Type.String()),
    state: Type.String(),
    detail: Type.String(),
    credentialEnv: Type.Optional(Type.Array(Type.String())),
  },
  // Plus each account's figures (account, open_positions, working_orders, bots, halted, kill_switch, risk_limits, risk_refusals).
  { additionalProperties: true },
);
const Params = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) });
const OrderBody = Type.Object(
  {
    symbol: Type.String({ minLength: 1 }),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    type: Type.Union([Type.Literal('market'), Type.Literal('limit'), Type.Literal('stop')]),
    qty: Type.Number({ exclusiveMinimum: 0 }),
    price: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    stopPrice: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    purpose: Type.Optional(Type.Union([Type.Literal('entry'), Type.Literal('exit')])),
    refPrice: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);
const tags = ['accounts'];

const fail = (reply: FastifyReply, error: unknown) => {
  if (error instanceof AccountOrderError) return reply.code(error.status).send({ detail: error.message });
  throw error;
};

/** GET /api/accounts and operator orders on one account (entries through that account's risk engine). */
export function accountRoutes(scope: FastifyInstance, accounts: AccountDirectory): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/accounts',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        summary: 'Every trading account (the ids of ?account=): its connection state (never a secret), figures, bots and risk refusals',
        response: { 200: Type.Object({ default: Type.String(), accounts: Type.Array(Account) }) },
      },
    },
    async () => {
      const view = accounts.view();
      const statuses = new Map(accounts.statuses().map((st) => [st.id, st]));
      const merged = view.accounts.map((a) => {
        const st = statuses.get(a.id) ?? { id: a.id, kind: a.role === 'bridge' ? 'bridge' : 'paper', state: 'ready', detail: `${a.role} paper account (simulated fills)` };
        statuses.delete(a.id);
        return { ...a, ...st };
      });
      return { default: view.default, accounts: [...merged, ...statuses.values()] };
    },
  );
  app.post('/accounts/:id/orders', { config: { access: 'operator' }, schema: { tags, summary: 'Place an order on an account', params: Params, body: OrderBody } }, async (req, reply) => {
    try {
      return reply.code(201).send({ order: accounts.orders.place(req.params.id, req.body) });
    } catch (error) {
      return fail(reply, error);
    }
  });
  app.get('/accounts/:id', { config: { access: 'operator' }, schema: { tags, summary: "An account's journal: balance, positions, recent orders and fills", params: Params } }, async (req, reply) => {
    try {
      return accounts.orders.snapshot(req.params.id, 200);
    } catch (error) {
      return fail(reply, error);
    }
  });
  app.get('/accounts/:id/orders', { config: { access: 'operator' }, schema: { tags, summary: "An account's open orders", params: Params } }, async (req, reply) => {
    try {
      return { orders: accounts.orders.orders(req.params.id, 500) };
    } catch (error) {
      return fail(reply, error);
    }
  });
  app.delete('/accounts/:id/orders/:orderId', { config: { access: 'operator' }, schema: { tags, summary: 'Cancel an order of an account', params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }), orderId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }) } }, async (req, reply) => {
    try {
      return { order: accounts.orders.cancel(req.params.id, req.params.orderId) };
    } catch (error) {
      return fail(reply, error);
    }
  });
}
