import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const testRedisUrl = (): string => process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of this test run's own (its keys are deleted by `dropKeys`). */
export const uniquePrefix = (): string => `tw_test_${process.pid}_${randomBytes(4).toString('hex')}:`;

/**
 * Probes Redis once: false when reachable; the skip reason when unreachable outside CI; throws
 * under CI=true (the Redis tests must run there).
 */
export async function redisSkip(): Promise<string | false> {
  const url = testRedisUrl();
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return false;
  } catch (error) {
    const why = `Redis at ${url.replace(/:[^:@/]*@/, ':***@')} is unreachable (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}: the Redis tests must run under CI=true`, { cause: error });
    return `${why}: Redis tests skipped (they fail instead under CI=true)`;
  } finally {
    probe.disconnect();
  }
}

/** A plain connection for the test's own checks. */
export function adminRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
}

/** Deletes every key under `prefix`. */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** A TCP port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
