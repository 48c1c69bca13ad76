import type { Redis } from 'ioredis';
import type { TtlCache } from '../../core/trading-accounts.js';

/**
 * Seed 002's cache in Redis, shared by every API instance on it: JSON values under
 * `<prefix>cache:<key>` with Redis' own expiry (PX). Redis down: a read misses and a write is
 * dropped, so the instance answers from its accounts directly (health says `degraded`).
 */
export class RedisTtlCache implements TtlCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.redis.get(this.prefix + 'cache:' + key);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch {
      return undefined;
    }
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(this.prefix + 'cache:' + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)));
    } catch {
      // Redis down: the next read asks the accounts again.
    }
  }
}
