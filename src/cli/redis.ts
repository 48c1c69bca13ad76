import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { RedisServices } from '../adapters/redis/redis-services.js';
import type { LiveStream } from '../app/live-stream.js';
import { joinStreams } from '../app/stream-fanout.js';
import type { Scheduler } from '../core/ports.js';
import type { TradewindConfig } from './config-schema.js';

/**
 * Redis when `redis.url` is set (README "Redis (optional)"): the shared seed 002 cache, its health
 * probe, and this instance's /ws stream joined to the other instances'. Null without a URL (and
 * then ioredis is never loaded).
 */
export async function startRedis(config: TradewindConfig['redis'], stream: LiveStream, scheduler: Scheduler, log: Logger): Promise<(RedisServices & { instanceId: string }) | null> {
  if (config.url === '') return null;
  const { redisServices } = await import('../adapters/redis/redis-services.js');
  const instanceId = config.instanceId || `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const services = redisServices({ ...config, instanceId }, scheduler, log);
  const leave = joinStreams(stream, services.relay);
  log.info({ component: 'redis', instanceId }, 'redis configured: shared cache, health probe and /ws fan-out between instances');
  return {
    ...services,
    instanceId,
    async close() {
      leave();
      await services.relay.close();
      await services.close();
    },
  };
}
