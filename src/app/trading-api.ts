import type { Clock } from '../core/clock.js';
import type { Scheduler } from '../core/ports.js';
import type { HealthProbe, TradingAccount, TradingAccountRegistry, TtlCache } from '../core/trading-accounts.js';
import { balanceView, orderView, positionView, type BalanceView, type OrderView, type PositionView } from './trading-api-views.js';

/** Seed 002's cache TTLs: accounts 300 s, positions 1 s, pending orders 1 s, balances 2 s. */
export const SEED002_TTL_MS = { accounts: 300_000, positions: 1_000, orders: 1_000, balances: 2_000 } as const;

export interface TradingApiDeps {
  registry: TradingAccountRegistry;
  cache: TtlCache;
  clock: Clock;
  /** Monotonic milliseconds for response_time_ms (performance.now). */
  timer: () => number;
  /** Pinged by the health check (Redis when configured); none: `redis: not_configured`. */
  probes?: readonly HealthProbe[];
  /** Bounds each probe's ping (default 1 s); needed only with probes. */
  scheduler?: Scheduler;
  probeTimeoutMs?: number;
  ttlMs?: Partial<Record<keyof typeof SEED002_TTL_MS, number>>;
}

/** A bad query: 404 (an unknown account) or 422 (a malformed parameter, `field` names it). */
export class TradingQueryError extends Error {
  constructor(
    readonly status: 404 | 422,
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export interface AccountsQuery {
  useCache: boolean;
  /** Narrows the answer to the account of this name (or id). */
  accountName?: string;
}

export interface AccountsFilter extends AccountsQuery {
  /** Comma-separated account ids (seed 002 `account_ids`); absent: every account. */
  accountIds?: string;
}

export interface SnapshotQuery extends AccountsFilter {
  includeAccounts: boolean;
  includePositions: boolean;
  includeOrders: boolean;
  includeBalances: boolean;
}

interface Stamped {
  cached: boolean;
  /** When the data was read from the accounts (epoch seconds, ms precision). */
  timestamp: number;
}

export interface AccountItem {
  name: string;
  id: string;
  active: boolean;
  type: string;
  connection: 'connected' | 'disconnected';
  reason: string | null;
}

export type AccountsAnswer = Stamped & { accounts: AccountItem[]; count: number };
export type PositionsAnswer = Stamped & { positions: PositionView[]; count: number };
export type PositionIdsAnswer = Stamped & { position_ids: string[]; count: number };
export type OrdersAnswer = Stamped & { orders: OrderView[]; count: number };
export type OrderIdsAnswer = Stamped & { order_ids: string[]; count: number };
export type BalancesAnswer = Stamped & { balances: BalanceView[]; total_balance: number; count: number };

export interface SnapshotAnswer {
  accounts?: AccountsAnswer;
  positions?: PositionsAnswer;
  orders?: OrdersAnswer;
  balances?: BalancesAnswer;
  metadata: { response_time_ms: number; timestamp: number; datetime: string };
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthAnswer {
  status: HealthStatus;
  timestamp: number;
  datetime: string;
  checks: {
    redis: 'healthy' | 'unhealthy' | 'not_configured';
    broker: 'healthy' | 'unhealthy';
    accounts: Record<string, { status: 'healthy' | 'unhealthy'; type: string; reason: string | null }>;
  };
  response_time_ms: number;
}

/** Epoch seconds with millisecond precision, as seed 002's `timestamp`. */
export const epochSeconds = (ms: number): number => Math.round(ms) / 1000;
/** Seed 002's `datetime`: ISO 8601 in UTC with microseconds and no zone suffix (Python's isoformat). */
export const seedDatetime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}000`;
const ID_SHAPE = /^[A-Za-z0-9_-]+$/;
const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * Seed 002's HFT trading API over every configured account (positions, pending orders, balances,
 * a batch snapshot, health). A read with `use_cache` answers from the cache while its entry lives
 * (`cached: true`); otherwise it reads the accounts now and refreshes the cache entry.
 */
export class TradingApiService {
  private readonly ttl: Record<keyof typeof SEED002_TTL_MS, number>;

  constructor(private readonly deps: TradingApiDeps) {
    this.ttl = { ...SEED002_TTL_MS, ...deps.ttlMs };
  }

  /** Seed 002's root health: the API server answers. */
  rootHealth(): { status: 'healthy'; timestamp: string } {
    return { status: 'healthy', timestamp: seedDatetime(this.deps.clock.now()) };
  }

  async accounts(q: AccountsQuery): Promise<AccountsAnswer> {
    const selected = this.select({ ...q, accountIds: undefined });
    return this.cachedRead('accounts', selected, q.useCache, async () => {
      const accounts = selected.map((a): AccountItem => {
        const c = a.connection();
        return { name: a.name, id: a.id, active: c.connected, type: a.kind, connection: c.connected ? 'connected' : 'disconnected', reason: c.reason };
      });
      return { accounts, count: accounts.length };
    });
  }

  async positions(q: AccountsFilter): Promise<PositionsAnswer> {
    const selected = this.select(q);
    return this.cachedRead('positions', selected, q.useCache, async () => {
      const lists = await Promise.all(selected.map(async (a) => (await a.positions()).map(positionView)));
      const positions = lists.flat();
      return { positions, count: positions.length };
    });
  }

  /** The ids of `positions` (the same cache entry). */
  async positionIds(q: AccountsFilter): Promise<PositionIdsAnswer> {
    const p = await this.positions(q);
    return { position_ids: p.positions.map((x) => x.id), count: p.count, cached: p.cached, timestamp: p.timestamp };
  }

  async pendingOrders(q: AccountsFilter): Promise<OrdersAnswer> {
    const selected = this.select(q);
    return this.cachedRead('orders', selected, q.useCache, async () => {
      const lists = await Promise.all(selected.map(async (a) => [...(await a.workingOrders())].sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : 1)).map((o) => orderView(o, a.kind))));
      const orders = lists.flat();
      return { orders, count: orders.length };
    });
  }

  /** The ids of `pendingOrders` (the same cache entry). */
  async pendingOrderIds(q: AccountsFilter): Promise<OrderIdsAnswer> {
    const o = await this.pendingOrders(q);
    return { order_ids: o.orders.map((x) => x.order_id), count: o.count, cached: o.cached, timestamp: o.timestamp };
  }

  async balances(q: AccountsFilter): Promise<BalancesAnswer> {
    const selected = this.select(q);
    return this.cachedRead('balances', selected, q.useCache, async () => {
      const balances = await Promise.all(selected.map(async (a) => balanceView(a, await a.balance())));
      return { balances, total_balance: round2(balances.reduce((s, b) => s + b.net_liquidating_value, 0)), count: balances.length };
    });
  }

  /** Every part asked for, each as its own route answers it (the accounts part ignores `account_ids`, as /accounts has none). */
  async snapshot(q: SnapshotQuery): Promise<SnapshotAnswer> {
    const t0 = this.deps.timer();
    // Validated once, up front: a bad account_ids refuses the whole snapshot.
    this.select(q);
    const [accounts, positions, orders, balances] = await Promise.all([
      q.includeAccounts ? this.accounts({ useCache: q.useCache, accountName: q.accountName }) : undefined,
      q.includePositions ? this.positions(q) : undefined,
      q.includeOrders ? this.pendingOrders(q) : undefined,
      q.includeBalances ? this.balances(q) : undefined,
    ]);
    const now = this.deps.clock.now();
    // The seed's key order: the parts, then metadata.
    const out = {} as SnapshotAnswer;
    if (accounts) out.accounts = accounts;
    if (positions) out.positions = positions;
    if (orders) out.orders = orders;
    if (balances) out.balances = balances;
    out.metadata = { response_time_ms: round2(this.deps.timer() - t0), timestamp: epochSeconds(now), datetime: seedDatetime(now) };
    return out;
  }

  /**
   * `unhealthy` while any account's venue cannot take orders (a silent bridge, a halted account):
   * trading on it is down; `degraded` while a configured cache (Redis) does not answer: reads
   * still work, from the accounts directly.
   */
  async health(): Promise<HealthAnswer> {
    const t0 = this.deps.timer();
    const probes = this.deps.probes ?? [];
    const pings = await Promise.all(probes.map((p) => this.ping(p)));
    const redis = probes.length === 0 ? 'not_configured' : pings.every(Boolean) ? 'healthy' : 'unhealthy';
    const accounts: HealthAnswer['checks']['accounts'] = {};
    let down = 0;
    for (const a of this.deps.registry.list()) {
      const c = a.connection();
      if (!c.connected) down += 1;
      accounts[a.id] = { status: c.connected ? 'healthy' : 'unhealthy', type: a.kind, reason: c.reason };
    }
    const broker = down === 0 ? 'healthy' : 'unhealthy';
    const status: HealthStatus = broker === 'unhealthy' ? 'unhealthy' : redis === 'unhealthy' ? 'degraded' : 'healthy';
    const now = this.deps.clock.now();
    return { status, timestamp: epochSeconds(now), datetime: seedDatetime(now), checks: { redis, broker, accounts }, response_time_ms: round2(this.deps.timer() - t0) };
  }

  private async ping(probe: HealthProbe): Promise<boolean> {
    const { scheduler } = this.deps;
    let cancel = (): void => {};
    const timeout = new Promise<boolean>((resolve) => {
      if (scheduler) cancel = scheduler.after(this.deps.probeTimeoutMs ?? 1_000, () => resolve(false));
    });
    try {
      return await Promise.race([probe.ping().then(
        () => true,
        () => false,
      ), timeout]);
    } finally {
      cancel();
    }
  }

  /** The accounts a query names, in configuration order; refuses unknown names and ids. */
  private select(q: AccountsFilter): readonly TradingAccount[] {
    let accounts = this.deps.registry.list();
    if (q.accountName !== undefined) {
      const name = q.accountName.trim();
      const match = accounts.filter((a) => a.name === name || a.id === name);
      if (match.length === 0) throw new TradingQueryError(404, `Unknown account_name '${name}': configured accounts are ${accounts.map((a) => a.name).join(', ')}`, 'account_name');
      accounts = match;
    }
    if (q.accountIds === undefined) return accounts;
    const ids = [...new Set(q.accountIds.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
    if (ids.length === 0) throw new TradingQueryError(422, 'account_ids is empty: give comma-separated account ids, or leave it out for every account', 'account_ids');
    const bad = ids.find((id) => !ID_SHAPE.test(id));
    if (bad !== undefined) throw new TradingQueryError(422, `account_ids: '${bad}' is not an account id (letters, digits, _ and - only)`, 'account_ids');
    const all = new Set(this.deps.registry.list().map((a) => a.id));
    const unknown = ids.filter((id) => !all.has(id));
    if (unknown.length > 0) throw new TradingQueryError(404, `Unknown account id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: configured accounts are ${[...all].join(', ')}`, 'account_ids');
    const wanted = new Set(ids);
    return accounts.filter((a) => wanted.has(a.id));
  }

  private async cachedRead<T extends object>(kind: keyof typeof SEED002_TTL_MS, accounts: readonly TradingAccount[], useCache: boolean, read: () => Promise<T>): Promise<T & Stamped> {
    const key = `seed002:${kind}:${accounts.map((a) => a.id).join(',')}`;
    if (useCache) {
      const hit = await this.deps.cache.get<T & Stamped>(key);
      if (hit) return { ...hit, cached: true };
    }
    const data = await read();
    const fresh = { ...data, cached: false, timestamp: epochSeconds(this.deps.clock.now()) };
    await this.deps.cache.set(key, fresh, this.ttl[kind]);
    return fresh;
  }
}
