import type {} from '@fastify/swagger';
import Type from 'typebox';

/** Shared route schemas (TypeBox → JSON Schema → validation and the OpenAPI document). */
/** Any JSON (shapes too rich to restate, such as the merged position). */
export const Any = Type.Unknown();

export const Detail = Type.Object({ detail: Type.Unknown(), status_code: Type.Optional(Type.Integer()) }, { description: 'Error: what was wrong (and the status, as seed 002)' });

export const CommandResult = Type.Object(
  {
    success: Type.Boolean(),
    message: Type.String(),
    timestamp: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: true },
);

export const StartBody = Type.Object(
  {
    preset: Type.String({ minLength: 1, maxLength: 64, description: 'Preset name (GET /api/presets/)' }),
    mode: Type.Optional(Type.Enum(['paper', 'live'], { default: 'paper' })),
  },
  { additionalProperties: false },
);

export const CommandBody = Type.Object(
  {
    command: Type.String({ minLength: 1, description: 'start, stop, pause, resume, emergency_stop or reload' }),
    preset: Type.Optional(Type.String()),
    mode: Type.Optional(Type.Enum(['paper', 'live'])),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const EmergencyBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const OrdersQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(['open', 'filled', 'cancelled', 'rejected'])),
    symbol: Type.Optional(Type.String({ maxLength: 32 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    account: Type.Optional(AccountParam()),
  },
  { additionalProperties: false },
);

/** `?account=`: an account id (paper, demo, renko, bridge...) or `all`; absent: the engine's account. */
export function AccountParam() {
  return Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: "an account id (GET /api/accounts) or 'all'; default: the engine's account (account.id, 'paper')" });
}

const Nullable = <T extends ReturnType<typeof Type.Number> | ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/**
 * An order as GET /api/orders and the ORDER_* events send it: seed 001's fields plus the kernel's.
 * `type` extends the seed's enum (market | limit): protective stop-loss orders keep their real
 * type `stop` (with `stopPrice`), take-profits are `limit` (with `limitPrice`).
 */
export const SeedOrderSchema = Type.Object(
  {
    id: Type.String(),
    symbol: Type.String(),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    type: Type.Union([Type.Literal('market'), Type.Literal('limit'), Type.Literal('stop')], {
      description: "Seed 001's market | limit, extended: `stop` for protective stop-loss orders (trigger in stopPrice). A protective order keeps its real type.",
    }),
    qty: Type.Number(),
    price: Nullable(Type.Number({ description: 'Average fill price, else the limit price, else the stop trigger' })),
    status: Type.Union([Type.Literal('open'), Type.Literal('filled'), Type.Literal('cancelled'), Type.Literal('rejected')]),
    createdAt: Type.String({ format: 'date-time' }),
    filledAt: Nullable(Type.String({ format: 'date-time' })),
    fees: Type.Number(),
    state: Type.String({ description: "The kernel's exact order state (pending_submit, accepted, cancel_pending, filled, cancelled, rejected)" }),
    purpose: Type.Union([Type.Literal('entry'), Type.Literal('exit'), Type.Literal('stop_loss'), Type.Literal('take_profit')]),
    limitPrice: Nullable(Type.Number()),
    stopPrice: Nullable(Type.Number()),
    filledQty: Type.Number(),
    avgFillPrice: Nullable(Type.Number()),
    botId: Type.String(),
    reason: Nullable(Type.String()),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: true },
);

export const ScanBody = Type.Object(
  {
    preset: Type.Optional(Type.String()),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: "At most this many candidates; wins over the preset's scanner_config.max_candidates (hard cap 100)" }),
    ),
    symbols: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 200 })),
  },
  { additionalProperties: false },
);

export const PresetParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
export const SymbolParams = Type.Object({ symbol: Type.String({ minLength: 1, maxLength: 32 }) });

export const LogsQuery = Type.Object(
  {
    level: Type.Optional(Type.String({ description: 'DEBUG, INFO, WARNING, ERROR or CRITICAL: this level and above' })),
    component: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }, { additionalProperties: false });
