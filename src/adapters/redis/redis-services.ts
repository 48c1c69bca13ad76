import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Scheduler } from '../../core/ports.js';
import { RedisTtlCache } from './redis-cache.js';
import { RedisHealthProbe } from './redis-health.js';
import { RedisStreamRelay } from './redis-stream-relay.js';
import { RedisSessionStore } from './redis-sessions.js';

export interface RedisSettings {
  url: string;
  keyPrefix: string;
  instanceId: string;
  streamMaxLen: number;
}

/**
 * Everything Tradewind keeps in Redis, on two connections: one for commands (cache, sessions,
 * rate-limit counters, PING, XADD) and one for the relay's blocking XREAD. Neither queues commands while Redis is down (they
 * fail at once, so requests never wait on it); both reconnect by themselves.
 */
export function redisServices(s: RedisSettings, scheduler: Scheduler, log: Logger) {
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false } as const;
  const writer = new Redis(s.url, { ...options, commandTimeout: 2_000, connectionName: `tradewind:${s.instanceId}` });
  // A blocked XREAD cut by a reconnect is resent by ioredis with the same last id, or rejected
  // (retries used up) and then resumed by the relay from that id: either way no gap, no repeat.
  const reader = new Redis(s.url, { ...options, connectionName: `tradewind:${s.instanceId}:reader` });
  let down = false;
  for (const c of [writer, reader]) {
    // ioredis reports every failed reconnect; one line per outage is enough.
    c.on('error', (err: Error) => {
      if (!down) log.warn({ component: 'redis', err: err.message }, 'redis unreachable: serving from this instance alone until it is back');
      down = true;
    });
    c.on('ready', () => {
      if (down) log.info({ component: 'redis' }, 'redis reachable again');
      down = false;
    });
  }
  return {
    cache: new RedisTtlCache(writer, s.keyPrefix),
    sessions: new RedisSessionStore(writer, s.keyPrefix),
    /** For @fastify/rate-limit's Redis store: counters shared by every instance. */
    rateLimit: { redis: writer, nameSpace: `${s.keyPrefix}rate:` },
    probe: new RedisHealthProbe(writer, scheduler),
    relay: new RedisStreamRelay({ writer, reader, key: `${s.keyPrefix}stream:events`, instanceId: s.instanceId, maxLen: s.streamMaxLen, blockMs: 1_000, scheduler, log }),
    async close(): Promise<void> {
      reader.disconnect();
      await writer.quit().catch(() => writer.disconnect());
    },
  };
}
export type RedisServices = ReturnType<typeof redisServices>;
