import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { RedisLeaderLease } from '../adapters/redis/redis-lease.js';

/** What a cluster member's main thread gives its lease keeper. */
export interface LeaseKeeperData {
  redisUrl: string;
  prefix: string;
  scope: string;
  owner: string;
  ttlMs: number;
}

/**
 * Main thread -> keeper: lead with this fencing token (renew from now on), the advertised URL once
 * the server listens, or stop. Keeper -> main: lost.
 */
export type ToKeeper = { lead: number } | { url: string } | { stop: true };
export type FromKeeper = { lost: string };

/**
 * The leader's lease renewals, on a thread of their own (cluster mode, docs/SCALE-OUT.md): the
 * journal's PostgreSQL calls block the main thread (synchronous by design, docs/STORAGE.md), and a
 * renewal that waits for them could let the lease expire under a leader that is working normally.
 * The thread is started while the instance follows, idle and connected, so that the first renewal
 * goes out the moment the lease is granted: a thread started only then could take longer than the
 * lease's ttl to load on a busy machine, and another follower would take the lease from a leader
 * still starting its kernels. Once told to lead it renews at once and then every ttl/3, whatever
 * the main thread does; it reports a loss (another instance holds the lease, or no renewal
 * succeeded for a whole ttl) and stops renewing. The journal's fence makes a leader that lost the
 * lease harmless even before its main thread hears of it.
 */
function keep(d: LeaseKeeperData): void {
  const port = parentPort;
  if (!port) throw new Error('lease-keeper runs as a worker thread');
  const redis = new Redis(d.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: Math.max(500, Math.floor(d.ttlMs / 2)), connectionName: `tradewind:${d.owner}:lease-keeper` });
  redis.on('error', () => {}); // a failed renewal says it
  const lease = new RedisLeaderLease(redis, d.prefix, d.scope, d.owner, d.ttlMs);
  let url = '';
  let token = 0;
  let renewedAt = 0;
  let busy = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(timer);
    redis.disconnect();
    port.close();
  };
  const lost = (why: string) => {
    port.postMessage({ lost: why } satisfies FromKeeper);
    stop();
  };
  const renew = () => {
    if (busy) return;
    busy = true;
    lease
      .renew(token, url)
      .catch(() => null)
      .then((ok) => {
        busy = false;
        if (ok === true) renewedAt = Date.now();
        else if (ok === false) lost('another instance holds the lease');
        else if (Date.now() - renewedAt >= d.ttlMs) lost(`the lease could not be renewed for ${Date.now() - renewedAt} ms (Redis unreachable?)`);
      });
  };
  port.on('message', (m: ToKeeper) => {
    if ('stop' in m) stop();
    else if ('lead' in m) {
      if (timer) return;
      token = m.lead;
      renewedAt = Date.now();
      renew();
      timer = setInterval(renew, Math.max(200, Math.floor(d.ttlMs / 3)));
    } else url = m.url;
  });
}

keep(workerData as LeaseKeeperData);
