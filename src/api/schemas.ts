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
  },
  { additionalProperties: false },
);

export const ScanBody = Type.Object(
  {
    preset: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
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
