import type { Redis } from 'ioredis';
import type { Scheduler } from '../../core/ports.js';
import type { HealthProbe } from '../../core/trading-accounts.js';

/** The health check's Redis probe: PING, refused past `timeoutMs` (a hung server is down too). */
export class RedisHealthProbe implements HealthProbe {
  readonly name = 'redis';

  constructor(
    private readonly redis: Redis,
    private readonly scheduler: Scheduler,
    private readonly timeoutMs = 1_000,
  ) {}

  ping(): Promise<void> {
    return new Promise((resolve, reject) => {
      const cancel = this.scheduler.after(this.timeoutMs, () => reject(new Error(`redis: no PONG within ${this.timeoutMs} ms`)));
      this.redis.ping().then(
        () => {
          cancel();
          resolve();
        },
        (err: unknown) => {
          cancel();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
