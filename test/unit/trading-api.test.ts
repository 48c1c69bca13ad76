import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BridgeBroker } from '../../src/adapters/broker-bridge.js';
import { MemoryTtlCache } from '../../src/adapters/cache-memory.js';
import { SqliteBridgeQueue } from '../../src/adapters/store-sqlite/bridge-queue.js';
import { kernelAccount, StaticAccountRegistry } from '../../src/app/kernel-account.js';
import { SEED002_TTL_MS, TradingApiService, TradingQueryError, seedDatetime } from '../../src/app/trading-api.js';
import { SimClock } from '../../src/core/clock.js';
import type { Cancel, Scheduler } from '../../src/core/ports.js';
import type { HealthProbe, TradingAccount } from '../../src/core/trading-accounts.js';
import { Kernel } from '../../src/engine/kernel.js';
import { buildHarness, OPEN_LIMITS, paperRequest, referencePrice, registry, tempDir, type Harness } from './support.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30);

/** Timers the test fires by hand (the probe timeout). */
class ManualScheduler implements Scheduler {
  readonly pending: (() => void)[] = [];
  every(): Cancel {
    throw new Error('not used');
  }
  after(_ms: number, fn: () => void): Cancel {
    this.pending.push(fn);
    return () => {
      const i = this.pending.indexOf(fn);
      if (i >= 0) this.pending.splice(i, 1);
    };
  }
  fireAll(): void {
    for (const fn of this.pending.splice(0)) fn();
  }
}

interface World {
  clock: SimClock;
  paper: Harness;
  bridge: { kernel: Kernel; broker: BridgeBroker };
  api: TradingApiService;
  cache: MemoryTtlCache;
  scheduler: ManualScheduler;
  close(): void;
}

/** A paper account (real kernel, paper broker) and a bridge account (real kernel, bridge queue) on one simulated clock. */
function world(o: { extra?: TradingAccount[]; probes?: HealthProbe[] } = {}): World {
  const dir = tempDir();
  const clock = new SimClock(T0);
  const paper = buildHarness({ file: dir.file('paper.db'), clock });
  const store = paper.store;
  const broker = new BridgeBroker({
    clock,
    queue: new SqliteBridgeQueue(store.db),
    accountId: 'bridge',
    contracts: { ES: { contract: 'MESM6', exchange: 'CME' } },
    env: 'DEMO',
    leaseMs: 30_000,
    heartbeatTimeoutMs: 10_000,
    lastPrice: () => 6000,
  });
  broker.heartbeat({ tsConnected: true });
  const bridgeKernel = new Kernel({
    clock,
    store,
    broker,
    instruments: registry(),
    account: { id: 'bridge', currency: 'USD', startingBalance: 50_000, leverage: 10 },
    risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
    idPrefix: 'bridge-',
    // Mechanics, not limits: the bridge test orders are priced at the reference prices.
    limits: OPEN_LIMITS,
    lastPrice: referencePrice,
    onError: () => {},
  });
  const accounts = [
    kernelAccount(paper.kernel, { kind: 'paper', name: 'Paper Main' }),
    kernelAccount(bridgeKernel, { kind: 'bridge', offlineReason: () => broker.status().reason }),
    ...(o.extra ?? []),
  ];
  const cache = new MemoryTtlCache(clock);
  const scheduler = new ManualScheduler();
  let t = 0;
  const api = new TradingApiService({ registry: new StaticAccountRegistry(accounts), cache, clock, timer: () => (t += 0.5), probes: o.probes, scheduler });
  return {
    clock,
    paper,
    bridge: { kernel: bridgeKernel, broker },
    api,
    cache,
    scheduler,
    close: () => {
      store.close();
      dir.cleanup();
    },
  };
}

/** Opens a 0.5 BTC/USDT long on the paper account and leaves a 0.2 limit buy working. */
function trade(w: World): { limitId: string } {
  w.paper.tick('BTC/USDT', 50_000, T0 + 100);
  w.paper.kernel.placeOrder('test', paperRequest());
  w.paper.tick('BTC/USDT', 50_100, T0 + 200);
  const limit = w.paper.kernel.placeOrder('test', paperRequest({ type: 'limit', price: 40_000, qty: 0.2 }));
  return { limitId: limit.id };
}

const all = { useCache: false } as const;

async function refused(p: Promise<unknown>, status: number, field: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TradingQueryError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.field, field);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('seed 002 trading API over the accounts', () => {
  it('lists every account with its name, id, kind and connection', async () => {
    const w = world();
    try {
      const a = await w.api.accounts({ useCache: false });
      assert.deepEqual(a.accounts, [
        { name: 'Paper Main', id: 'paper', active: true, type: 'paper', connection: 'connected', reason: null },
        { name: 'bridge', id: 'bridge', active: true, type: 'bridge', connection: 'connected', reason: null },
      ]);
      assert.equal(a.count, 2);
      assert.equal(a.cached, false);
      assert.equal(a.timestamp, T0 / 1000);
      // account_name narrows to that account, by name or by id.
      assert.deepEqual((await w.api.accounts({ useCache: false, accountName: 'Paper Main' })).accounts.map((x) => x.id), ['paper']);
      assert.deepEqual((await w.api.accounts({ useCache: false, accountName: 'bridge' })).accounts.map((x) => x.id), ['bridge']);
      await refused(w.api.accounts({ useCache: false, accountName: 'PAAPEX2666680000001' }), 404, 'account_name', /Unknown account_name 'PAAPEX2666680000001'.*Paper Main, bridge/);
    } finally {
      w.close();
    }
  });

  it('positions carry the seed fields from the kernel, per account', async () => {
    const w = world();
    try {
      trade(w);
      const p = await w.api.positions(all);
      assert.equal(p.count, 1);
      const pos = p.positions[0];
      assert.ok(pos);
      const kernelPos = w.paper.kernel.portfolio.openPositions()[0];
      assert.ok(kernelPos);
      assert.deepEqual(
        { id: pos.id, account_id: pos.account_id, instrument: pos.instrument, quantity: pos.quantity, side: pos.side, avg_price: pos.avg_price, unrealized_pnl: pos.unrealized_pnl },
        { id: kernelPos.id, account_id: 'paper', instrument: 'BTC/USDT', quantity: 0.5, side: 'long', avg_price: kernelPos.avgPrice, unrealized_pnl: kernelPos.unrealizedPnl },
      );
      assert.ok(pos.avg_price > 50_000, 'filled at the tick plus slippage');
      assert.deepEqual((await w.api.positionIds(all)).position_ids, [kernelPos.id]);
      // account_ids: only the named accounts.
      assert.equal((await w.api.positions({ useCache: false, accountIds: 'bridge' })).count, 0);
      assert.equal((await w.api.positions({ useCache: false, accountIds: ' bridge , paper,paper ' })).count, 1);
      // account_name and account_ids together: both must admit the account.
      assert.equal((await w.api.positions({ useCache: false, accountIds: 'paper', accountName: 'bridge' })).count, 0);
    } finally {
      w.close();
    }
  });

  it('refuses unknown account ids (404) and malformed account_ids (422, the field named)', async () => {
    const w = world();
    try {
      await refused(w.api.positions({ useCache: false, accountIds: 'paper,D17158695,D17159229' }), 404, 'account_ids', /Unknown account ids D17158695, D17159229: configured accounts are paper, bridge/);
      await refused(w.api.pendingOrders({ useCache: false, accountIds: 'nope' }), 404, 'account_ids', /Unknown account id nope/);
      await refused(w.api.balances({ useCache: true, accountIds: ' , ,' }), 422, 'account_ids', /empty/);
      await refused(w.api.positionIds({ useCache: false, accountIds: 'paper;drop' }), 422, 'account_ids', /'paper;drop' is not an account id/);
      await refused(
        w.api.snapshot({ useCache: false, accountIds: 'ghost', includeAccounts: false, includePositions: false, includeOrders: false, includeBalances: false }),
        404,
        'account_ids',
        /ghost/,
      );
    } finally {
      w.close();
    }
  });

  it('pending orders: Working limit orders at the paper venue, Queued market orders in the bridge queue', async () => {
    const w = world();
    try {
      const { limitId } = trade(w);
      const bridgeOrder = w.bridge.kernel.placeOrder('test', { accountId: 'bridge', botId: 't', symbol: 'ES', side: 'sell', type: 'market', purpose: 'entry', qty: 2 });
      const o = await w.api.pendingOrders(all);
      assert.equal(o.count, 2);
      assert.deepEqual(
        o.orders.map((x) => ({ order_id: x.order_id, account_id: x.account_id, instrument: x.instrument, side: x.side, quantity: x.quantity, price: x.price, status: x.status, order_type: x.order_type })),
        [
          { order_id: limitId, account_id: 'paper', instrument: 'BTC/USDT', side: 'Buy', quantity: 0.2, price: 40_000, status: 'Working', order_type: 'Limit' },
          { order_id: bridgeOrder.id, account_id: 'bridge', instrument: 'ES', side: 'Sell', quantity: 2, price: null, status: 'Queued', order_type: 'Market' },
        ],
      );
      assert.deepEqual((await w.api.pendingOrderIds({ useCache: false, accountIds: 'bridge' })).order_ids, [bridgeOrder.id]);
      w.paper.kernel.execution.cancel(limitId, 'test');
      assert.deepEqual((await w.api.pendingOrderIds({ useCache: false, accountIds: 'paper' })).order_ids, [], 'a cancelled order is no longer pending');
    } finally {
      w.close();
    }
  });

  it('balances per account and total_balance as the sum of net liquidating values', async () => {
    const w = world();
    try {
      trade(w);
      const b = await w.api.balances(all);
      const view = w.paper.kernel.portfolio.view();
      assert.deepEqual(b.balances[0], {
        account_id: 'paper',
        account_name: 'Paper Main',
        balance: view.balance,
        net_liquidating_value: view.equity,
        cash_balance: view.balance,
        open_pl: view.unrealizedPnl,
        realized_pl: view.realizedPnl,
        currency: 'USD',
        fees: view.fees,
        day_pl: view.dayPnl,
        starting_balance: 100_000,
      });
      assert.ok(view.fees > 0, 'the entry paid a fee');
      assert.equal(b.balances[1]?.net_liquidating_value, 50_000);
      assert.equal(b.total_balance, Math.round((view.equity + 50_000) * 100) / 100);
      assert.equal(b.count, 2);
      assert.equal((await w.api.balances({ useCache: false, accountIds: 'bridge' })).total_balance, 50_000);
    } finally {
      w.close();
    }
  });

  it("each read is cached for the seed's TTL: cached flips to true, and back to false once the TTL has passed", async () => {
    const w = world();
    try {
      const reads = {
        accounts: (c: boolean) => w.api.accounts({ useCache: c }),
        positions: (c: boolean) => w.api.positions({ useCache: c }),
        orders: (c: boolean) => w.api.pendingOrders({ useCache: c }),
        balances: (c: boolean) => w.api.balances({ useCache: c }),
      };
      for (const [kind, read] of Object.entries(reads) as [keyof typeof reads, (c: boolean) => Promise<{ cached: boolean; timestamp: number }>][]) {
        const ttl = SEED002_TTL_MS[kind];
        const first = await read(true);
        assert.equal(first.cached, false, `${kind}: nothing cached yet`);
        w.clock.advance(ttl - 1);
        const second = await read(true);
        assert.equal(second.cached, true, `${kind}: within ${ttl} ms`);
        assert.equal(second.timestamp, first.timestamp, `${kind}: the cached answer keeps the time it was read`);
        assert.equal((await read(false)).cached, false, `${kind}: use_cache=false always reads the accounts`);
        w.clock.advance(ttl - 1);
        assert.equal((await read(true)).cached, true, `${kind}: the fresh read refreshed the entry`);
        w.clock.advance(1);
        const third = await read(true);
        assert.equal(third.cached, false, `${kind}: expired after ${ttl} ms`);
        assert.equal(third.timestamp, w.clock.now() / 1000);
      }
      assert.deepEqual(SEED002_TTL_MS, { accounts: 300_000, positions: 1_000, orders: 1_000, balances: 2_000 });
    } finally {
      w.close();
    }
  });

  it('a cached answer is the data as it was; the ids routes share their list route entry; each account selection has its own entry', async () => {
    const w = world();
    try {
      assert.equal((await w.api.positions({ useCache: true })).count, 0);
      trade(w);
      const cached = await w.api.positionIds({ useCache: true });
      assert.deepEqual([cached.cached, cached.count], [true, 0], 'still the entry read before the trade');
      assert.equal((await w.api.positions({ useCache: true, accountIds: 'paper' })).cached, false, 'another selection, another entry');
      assert.equal((await w.api.positionIds({ useCache: false })).count, 1);
      const after = await w.api.positions({ useCache: true });
      assert.deepEqual([after.cached, after.count], [true, 1], 'the fresh ids read refreshed the shared entry');
      assert.equal((await w.api.pendingOrderIds({ useCache: true })).cached, false);
      assert.equal((await w.api.pendingOrders({ useCache: true })).cached, true);
    } finally {
      w.close();
    }
  });

  it('the snapshot holds the parts asked for, each shaped as its route, with metadata', async () => {
    const w = world();
    try {
      trade(w);
      const s = await w.api.snapshot({ useCache: false, includeAccounts: true, includePositions: true, includeOrders: true, includeBalances: true });
      assert.deepEqual(Object.keys(s), ['accounts', 'positions', 'orders', 'balances', 'metadata']);
      assert.deepEqual(s.positions, await w.api.positions(all));
      assert.deepEqual(s.orders?.orders, (await w.api.pendingOrders(all)).orders);
      assert.equal(s.accounts?.count, 2);
      assert.equal(s.balances?.count, 2);
      assert.deepEqual(s.metadata, { response_time_ms: 0.5, timestamp: T0 / 1000 + 0.2, datetime: seedDatetime(T0 + 200) });
      assert.match(s.metadata.datetime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      const some = await w.api.snapshot({ useCache: true, accountIds: 'bridge', includeAccounts: false, includePositions: true, includeOrders: false, includeBalances: true });
      assert.deepEqual(Object.keys(some), ['positions', 'balances', 'metadata']);
      assert.equal(some.balances?.count, 1);
      assert.equal(some.positions?.cached, false);
      const again = await w.api.snapshot({ useCache: true, accountIds: 'bridge', includeAccounts: true, includePositions: true, includeOrders: false, includeBalances: true });
      // The accounts entry is the one the first (fresh) snapshot wrote.
      assert.deepEqual([again.positions?.cached, again.balances?.cached, again.accounts?.cached], [true, true, true]);
      assert.equal(again.accounts?.timestamp, s.accounts?.timestamp);
      // The accounts part answers as /accounts does: account_ids does not narrow it.
      assert.equal(again.accounts?.count, 2);
    } finally {
      w.close();
    }
  });
});

describe('seed 002 trading health', () => {
  it('healthy while every account can trade; unhealthy once the bridge goes silent, with its reason', async () => {
    const w = world();
    try {
      const h = await w.api.health();
      assert.equal(h.status, 'healthy');
      assert.deepEqual(h.checks, {
        redis: 'not_configured',
        broker: 'healthy',
        accounts: { paper: { status: 'healthy', type: 'paper', reason: null }, bridge: { status: 'healthy', type: 'bridge', reason: null } },
      });
      assert.equal(h.response_time_ms, 0.5);
      assert.equal(h.datetime, seedDatetime(T0));
      w.clock.advance(10_001);
      const down = await w.api.health();
      assert.equal(down.status, 'unhealthy');
      assert.equal(down.checks.broker, 'unhealthy');
      assert.equal(down.checks.accounts.bridge?.status, 'unhealthy');
      assert.match(down.checks.accounts.bridge?.reason ?? '', /bridge offline: last heartbeat 10 s ago/);
      assert.equal(down.checks.accounts.paper?.status, 'healthy');
      const acc = await w.api.accounts({ useCache: false, accountName: 'bridge' });
      assert.deepEqual([acc.accounts[0]?.active, acc.accounts[0]?.connection], [false, 'disconnected']);
      w.bridge.broker.heartbeat({ tsConnected: true });
      assert.equal((await w.api.health()).status, 'healthy', 'a heartbeat brings it back');
    } finally {
      w.close();
    }
  });

  it('an account its venue reports disconnected makes the server unhealthy', async () => {
    let connected = true;
    const ccxtLike: TradingAccount = {
      id: 'venue-1',
      name: 'venue-1',
      kind: 'ccxt',
      connection: () => (connected ? { connected: true, reason: null } : { connected: false, reason: 'websocket closed' }),
      positions: () => Promise.resolve([]),
      workingOrders: () => Promise.resolve([]),
      balance: () => Promise.reject(new Error('not asked')),
    };
    const w = world({ extra: [ccxtLike] });
    try {
      assert.equal((await w.api.health()).status, 'healthy');
      connected = false;
      const h = await w.api.health();
      assert.equal(h.status, 'unhealthy');
      assert.deepEqual(h.checks.accounts['venue-1'], { status: 'unhealthy', type: 'ccxt', reason: 'websocket closed' });
      assert.deepEqual((await w.api.positions({ useCache: false, accountIds: 'venue-1' })).positions, [], 'reads still answer');
    } finally {
      w.close();
    }
  });

  it('a configured cache that does not answer degrades the server (reads still work); a hung one times out', async () => {
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const redis: HealthProbe = {
      name: 'redis',
      ping: () => (mode === 'ok' ? Promise.resolve() : mode === 'fail' ? Promise.reject(new Error('ECONNREFUSED')) : new Promise(() => {})),
    };
    const w = world({ probes: [redis] });
    try {
      assert.deepEqual([(await w.api.health()).status, (await w.api.health()).checks.redis], ['healthy', 'healthy']);
      assert.equal(w.scheduler.pending.length, 0, 'the timeout is cancelled once the ping answered');
      mode = 'fail';
      const failed = await w.api.health();
      assert.deepEqual([failed.status, failed.checks.redis, failed.checks.broker], ['degraded', 'unhealthy', 'healthy']);
      mode = 'hang';
      const pending = w.api.health();
      await new Promise((r) => setImmediate(r));
      assert.equal(w.scheduler.pending.length, 1, 'the ping is bounded by a timeout');
      w.scheduler.fireAll();
      assert.deepEqual([(await pending).status, (await pending).checks.redis], ['degraded', 'unhealthy']);
      mode = 'fail';
      w.clock.advance(10_001);
      assert.equal((await w.api.health()).status, 'unhealthy', 'an account down outranks a degraded cache');
    } finally {
      w.close();
    }
  });

  it('the root health answers healthy with the seed datetime', () => {
    const w = world();
    try {
      assert.deepEqual(w.api.rootHealth(), { status: 'healthy', timestamp: seedDatetime(T0) });
      assert.equal(seedDatetime(Date.UTC(2025, 0, 21, 20, 0, 0, 123)), '2025-01-21T20:00:00.123000');
    } finally {
      w.close();
    }
  });
});

describe('MemoryTtlCache', () => {
  it('expires on the injected clock and stays bounded, dropping expired then oldest entries', async () => {
    const clock = new SimClock(1_000);
    const cache = new MemoryTtlCache(clock, 3);
    await cache.set('a', 1, 100);
    await cache.set('b', 2, 1_000);
    clock.advance(99);
    assert.equal(await cache.get('a'), 1);
    clock.advance(1);
    assert.equal(await cache.get('a'), undefined, 'gone at exactly its TTL');
    await cache.set('c', 3, 1_000);
    await cache.set('d', 4, 1_000);
    assert.equal(cache.size, 3);
    await cache.set('e', 5, 1_000);
    assert.equal(cache.size, 3);
    assert.equal(await cache.get('b'), undefined, 'the oldest entry made room');
    assert.deepEqual([await cache.get('c'), await cache.get('d'), await cache.get('e')], [3, 4, 5]);
  });
});
