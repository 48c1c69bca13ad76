import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisTtlCache } from '../../src/adapters/redis/redis-cache.js';
import { RedisHealthProbe } from '../../src/adapters/redis/redis-health.js';
import { TimerScheduler } from '../../src/adapters/clock-wall.js';
import { StaticAccountRegistry } from '../../src/app/kernel-account.js';
import { TradingApiService } from '../../src/app/trading-api.js';
import { SimClock } from '../../src/core/clock.js';
import type { TradingAccount } from '../../src/core/trading-accounts.js';
import { adminRedis, closedPort, dropKeys, redisSkip, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

// Against the real Redis (127.0.0.1:6379 or TEST_REDIS_URL): skipped with the reason when it is
// unreachable outside CI, a failure under CI=true. Every key lives under this run's own prefix.
const skip = await redisSkip();
const prefix = uniquePrefix();
const T0 = Date.UTC(2026, 0, 5, 14, 30);

/** An account whose reads are counted; only its name differs between the two instances. */
function account(name: string): TradingAccount & { reads: number } {
  const a = {
    id: 'main',
    name,
    kind: 'paper',
    reads: 0,
    connection: () => {
      a.reads += 1;
      return { connected: true, reason: null };
    },
    positions: async () => [],
    workingOrders: async () => [],
    balance: async () => {
      throw new Error('not read here');
    },
  };
  return a;
}

function service(acc: TradingAccount, cache: RedisTtlCache, probe?: RedisHealthProbe): TradingApiService {
  let t = 0;
  return new TradingApiService({ registry: new StaticAccountRegistry([acc]), cache, clock: new SimClock(T0), timer: () => (t += 1), probes: probe ? [probe] : [], scheduler: new TimerScheduler(), probeTimeoutMs: 5_000 });
}

const connections: Redis[] = [];
const connect = (url = testRedisUrl()): Redis => {
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  connections.push(r);
  return r;
};
const ready = (r: Redis): Promise<void> => (r.status === 'ready' ? Promise.resolve() : new Promise((resolve) => r.once('ready', () => resolve())));

describe('Redis seed 002 cache and health probe', { skip }, () => {
  after(async () => {
    const admin = adminRedis();
    await dropKeys(admin, prefix);
    admin.disconnect();
    for (const c of connections) c.disconnect();
  });

  it('two TradingApiService instances share the cache: B answers from what A read, with the seed TTL', async () => {
    const [ra, rb] = [connect(), connect()];
    await Promise.all([ready(ra), ready(rb)]);
    const [accA, accB] = [account('Paper A'), account('Paper B')];
    const a = service(accA, new RedisTtlCache(ra, prefix));
    const b = service(accB, new RedisTtlCache(rb, prefix));

    const fresh = await a.accounts({ useCache: false });
    assert.equal(fresh.cached, false);
    assert.equal(accA.reads, 1);
    const shared = await b.accounts({ useCache: true });
    assert.equal(shared.cached, true, 'B answers from the entry A wrote');
    assert.equal(shared.accounts[0]?.name, 'Paper A');
    assert.equal(shared.timestamp, fresh.timestamp);
    assert.equal(accB.reads, 0, "B did not read its account");

    // Without use_cache B reads its own account and refreshes the shared entry, which A then sees.
    assert.equal((await b.accounts({ useCache: false })).accounts[0]?.name, 'Paper B');
    const seenByA = await a.accounts({ useCache: true });
    assert.deepEqual([seenByA.cached, seenByA.accounts[0]?.name], [true, 'Paper B']);

    // Redis keeps each entry for the seed's TTL (accounts 300 s, positions 1 s).
    await b.positions({ useCache: false });
    const admin = connect();
    await ready(admin);
    const accountsTtl = await admin.pttl(`${prefix}cache:seed002:accounts:main`);
    const positionsTtl = await admin.pttl(`${prefix}cache:seed002:positions:main`);
    assert.ok(accountsTtl > 1_000 && accountsTtl <= 300_000, `accounts TTL ${accountsTtl} ms`);
    assert.ok(positionsTtl > 0 && positionsTtl <= 1_000, `positions TTL ${positionsTtl} ms`);
  });

  it('health is healthy with Redis answering and degraded (reads still served) when Redis is unreachable', async () => {
    const up = connect();
    await ready(up);
    const healthy = await service(account('Up'), new RedisTtlCache(up, prefix), new RedisHealthProbe(up, new TimerScheduler())).health();
    assert.equal(healthy.status, 'healthy');
    assert.equal(healthy.checks.redis, 'healthy');

    const down = connect(`redis://127.0.0.1:${await closedPort()}`);
    const acc = account('Down');
    const api = service(acc, new RedisTtlCache(down, prefix), new RedisHealthProbe(down, new TimerScheduler()));
    const health = await api.health();
    assert.equal(health.status, 'degraded');
    assert.equal(health.checks.redis, 'unhealthy');
    assert.equal(health.checks.broker, 'healthy');
    // The instance keeps serving from its own accounts: a cached read misses and reads them.
    const answer = await api.accounts({ useCache: true });
    assert.deepEqual([answer.cached, answer.accounts[0]?.name], [false, 'Down']);
  });
});
