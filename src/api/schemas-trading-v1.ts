import Type from 'typebox';

// Seed 002's HFT trading API answers (its fields first, then ours). Complete on purpose: the
// response serializer drops any field a schema does not name.

const Num = Type.Number();
const NullableNum = Type.Union([Type.Number(), Type.Null()]);
const stamp = {
  cached: Type.Boolean({ description: 'true: answered from the cache' }),
  timestamp: Type.Number({ description: 'When the data was read from the accounts (epoch seconds)' }),
};

export const RootHealthResponse = Type.Object({ status: Type.Literal('healthy'), timestamp: Type.String() });

const Account = Type.Object({
  name: Type.String(),
  id: Type.String(),
  active: Type.Boolean({ description: 'The account can trade now (its venue is connected, the account not halted)' }),
  type: Type.String({ description: 'paper, bridge, ccxt, ...' }),
  connection: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
  reason: Type.Union([Type.String(), Type.Null()]),
});
export const AccountsResponse = Type.Object({ accounts: Type.Array(Account), count: Type.Integer(), ...stamp });

const Position = Type.Object({
  id: Type.String(),
  account_id: Type.String(),
  instrument: Type.String(),
  quantity: Num,
  side: Type.Union([Type.Literal('long'), Type.Literal('short')]),
  avg_price: Num,
  unrealized_pnl: Num,
  mark_price: Num,
  realized_pnl: Num,
  stop_price: NullableNum,
  take_profit: NullableNum,
  opened_at: Type.String(),
});
export const PositionsResponse = Type.Object({ positions: Type.Array(Position), count: Type.Integer(), ...stamp });
export const PositionIdsResponse = Type.Object({ position_ids: Type.Array(Type.String()), count: Type.Integer(), ...stamp });

const Order = Type.Object({
  order_id: Type.String(),
  account_id: Type.String(),
  instrument: Type.String(),
  side: Type.Union([Type.Literal('Buy'), Type.Literal('Sell')]),
  quantity: Num,
  price: NullableNum,
  status: Type.Union([Type.Literal('Pending'), Type.Literal('Queued'), Type.Literal('Working'), Type.Literal('PendingCancel')]),
  order_type: Type.Union([Type.Literal('Market'), Type.Literal('Limit'), Type.Literal('Stop')]),
  filled_quantity: Num,
  remaining_quantity: Num,
  stop_price: NullableNum,
  purpose: Type.String(),
  state: Type.String(),
  created_at: Type.String(),
});
export const OrdersResponse = Type.Object({ orders: Type.Array(Order), count: Type.Integer(), ...stamp });
export const OrderIdsResponse = Type.Object({ order_ids: Type.Array(Type.String()), count: Type.Integer(), ...stamp });

const Balance = Type.Object({
  account_id: Type.String(),
  account_name: Type.String(),
  balance: Num,
  net_liquidating_value: Num,
  cash_balance: Num,
  open_pl: Num,
  realized_pl: Num,
  currency: Type.String(),
  fees: Num,
  day_pl: Num,
  starting_balance: Num,
});
export const BalancesResponse = Type.Object({ balances: Type.Array(Balance), total_balance: Num, count: Type.Integer(), ...stamp });

export const SnapshotResponse = Type.Object({
  accounts: Type.Optional(AccountsResponse),
  positions: Type.Optional(PositionsResponse),
  orders: Type.Optional(OrdersResponse),
  balances: Type.Optional(BalancesResponse),
  // Always present; optional only so the serializer keeps the seed's key order (it writes required keys first).
  metadata: Type.Optional(Type.Object({ response_time_ms: Num, timestamp: Num, datetime: Type.String() })),
});

const Check = Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]);
export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('unhealthy')]),
  timestamp: Num,
  datetime: Type.String(),
  checks: Type.Object({
    redis: Type.Union([Check, Type.Literal('not_configured')]),
    broker: Check,
    accounts: Type.Record(Type.String(), Type.Object({ status: Check, type: Type.String(), reason: Type.Union([Type.String(), Type.Null()]) })),
  }),
  response_time_ms: Num,
});
