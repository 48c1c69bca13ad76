import type { Clock } from '../core/clock.js';
import type { TtlCache } from '../core/trading-accounts.js';

/**
 * The in-process TtlCache: a Map with an expiry per entry, read from the injected clock (tests
 * step time; no timers). Hand-written: a dozen lines, where a library (lru-cache) would be a new
 * dependency reading its own clock. Bounded: past `maxEntries` the expired entries go, then the
 * oldest.
 */
export class MemoryTtlCache implements TtlCache {
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 1_000,
  ) {}

  get<T>(key: string): Promise<T | undefined> {
    const e = this.entries.get(key);
    if (!e) return Promise.resolve(undefined);
    if (this.clock.now() >= e.expiresAt) {
      this.entries.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(e.value as T);
  }

  set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      for (const [k, e] of this.entries) if (now >= e.expiresAt) this.entries.delete(k);
      // Maps iterate in insertion order: the first key is the oldest entry.
      while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { value, expiresAt: now + ttlMs });
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }
}
