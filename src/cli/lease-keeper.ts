import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { RedisLeaderLease } from '../adapters/redis/redis-lease.js';

/** What the leader's main thread gives its lease keeper. */
export interface LeaseKeeperData {
  redisUrl: string;
  prefix: string;
  scope: string;
  owner: string;
  ttlMs: number;
  token: number;
}

/** Main thread -> keeper: the advertised URL once the server listens, or stop. Keeper -> main: lost. */
export type ToKeeper = { url: string } | { stop: true };
export type FromKeeper = { lost: string };

/**
 * The leader's lease renewals, on a thread of their own (cluster mode, docs/SCALE-OUT.md): the
 * journal's PostgreSQL calls block the main thread (synchronous by design, docs/STORAGE.md), and a
 * renewal that waits for them could let the lease expire under a leader that is working normally.
 * This thread renews every ttl/3 whatever the main thread does; it reports a loss (another instance
 * holds the lease, or no renewal succeeded for a whole ttl) and stops renewing. The journal's fence
 * makes a leader that lost the lease harmless even before its main thread hears of it.
 */
function keep(d: LeaseKeeperData): void {
  const port = parentPort;
  if (!port) throw new Error('lease-keeper runs as a worker thread');
  const redis = new Redis(d.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: Math.max(500, Math.floor(d.ttlMs / 2)), connectionName: `tradewind:${d.owner}:lease-keeper` });
  redis.on('error', () => {}); // a failed renewal says it
  const lease = new RedisLeaderLease(redis, d.prefix, d.scope, d.owner, d.ttlMs);
  let url = '';
  let renewedAt = Date.now();
  let busy = false;
  const stop = () => {
    clearInterval(timer);
    redis.disconnect();
    port.close();
  };
  const lost = (why: string) => {
    port.postMessage({ lost: why } satisfies FromKeeper);
    stop();
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    lease
      .renew(d.token, url)
      .catch(() => null)
      .then((ok) => {
        busy = false;
        if (ok === true) renewedAt = Date.now();
        else if (ok === false) lost('another instance holds the lease');
        else if (Date.now() - renewedAt >= d.ttlMs) lost(`the lease could not be renewed for ${Date.now() - renewedAt} ms (Redis unreachable?)`);
      });
  }, Math.max(200, Math.floor(d.ttlMs / 3)));
  port.on('message', (m: ToKeeper) => {
    if ('stop' in m) stop();
    else url = m.url;
  });
}

keep(workerData as LeaseKeeperData);
