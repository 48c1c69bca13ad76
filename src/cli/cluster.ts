import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { RedisLeaderLease } from '../adapters/redis/redis-lease.js';
import { RedisSessionStore } from '../adapters/redis/redis-sessions.js';
import { RedisStreamRelay } from '../adapters/redis/redis-stream-relay.js';
import { buildFollowerApp } from '../api/follower-app.js';
import { FollowerStream, SERVICE_RESTART } from '../api/follower-stream.js';
import { identify } from '../api/auth.js';
import { TimerScheduler, WallClock } from '../adapters/clock-wall.js';
import { hashPassword, OperatorAuth } from '../app/operator-auth.js';
import type { LeaderInfo } from '../core/leader-lease.js';
import { ConfigError } from './config.js';
import type { TradewindConfig } from './config-schema.js';
import { createLogging } from './logger.js';
import { startServer, type RunningServer } from './server.js';
import { openJournal } from './storage.js';
import type { FromKeeper, LeaseKeeperData, ToKeeper } from './lease-keeper.js';
import { distFile } from '../core/dist-files.js';

/** The lease and fencing scope: every account the (shared) configuration runs. */
export const LEADER_SCOPE = 'trading';

export interface ClusterMember {
  /** The URL this instance listens on (the follower app, then the leader's server on the same port). */
  url: string;
  instanceId: string;
  role(): 'follower' | 'leader';
  logger: Logger;
  close(): Promise<void>;
}

export interface ClusterHooks {
  /** Called once when this instance becomes the leader (its server listens). */
  onLeader?(server: RunningServer): void;
  /**
   * The lease was lost while leading (Redis unreachable or another instance holds it): the
   * process must stop trading at once; the CLI exits so that a supervisor restarts it as a follower.
   */
  onLostLease(reason: string): void;
}

/**
 * Cluster mode (docs/SCALE-OUT.md): several instances on one PostgreSQL and one Redis; the one
 * holding the Redis lease runs the kernels under its fencing token, the others are followers
 * (journal reads, commands forwarded) that try to take the lease every `leaseTtlMs / 5`.
 */
export async function startClusterMember(config: TradewindConfig, hooks: ClusterHooks): Promise<ClusterMember> {
  if (config.storage !== 'postgres') throw new ConfigError('cluster.enabled: needs storage: postgres (TRADEWIND_STORAGE=postgres and DATABASE_URL): every instance reads and fences the same journal');
  if (config.redis.url === '') throw new ConfigError('cluster.enabled: needs redis.url (REDIS_URL): the leader lease lives in Redis');
  const dataDir = resolve(config.dataDir);
  const logging = createLogging({ level: config.log.level, dataDir, toFile: config.log.file });
  const log = logging.logger.child({ component: 'cluster' });
  const instanceId = config.redis.instanceId || `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ttl = config.cluster.leaseTtlMs;
  // A connection of its own: the lease's commands never wait behind the stream relay or caches.
  const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: Math.max(500, Math.floor(ttl / 2)), connectionName: `tradewind:${instanceId}:lease` });
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'lease connection error'));
  const lease = new RedisLeaderLease(redis, config.redis.keyPrefix, LEADER_SCOPE, instanceId, ttl);
  const passwordHash = config.auth.passwordHash || (config.auth.password ? await hashPassword(config.auth.password) : null);

  let role: 'follower' | 'leader' = 'follower';
  let token = 0;
  let leaderUrl = '';
  let server: RunningServer | null = null;
  let keeper: Worker | null = null;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  const current = (): Promise<LeaderInfo | null> => lease.current();

  // The follower: journal reads from PostgreSQL, everything else forwarded to the leader.
  const journal = (await openJournal(config, dataDir)).store;
  const auth = new OperatorAuth({ sessions: new RedisSessionStore(redis, config.redis.keyPrefix), clock: new WallClock(), passwordHash, apiTokens: config.auth.apiTokens, sessionTtlMs: config.auth.sessionTtlHours * 3_600_000, maxFailures: config.auth.maxLoginFailures, failureWindowMs: 15 * 60_000 });
  // The follower's /ws: the leader's events from the Redis Stream it publishes them to, read on a
  // connection of its own (XREAD BLOCK holds it).
  const reader = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: `tradewind:${instanceId}:follower-reader` });
  reader.on('error', (err: Error) => log.debug({ err: err.message }, 'follower stream connection error'));
  const scheduler = new TimerScheduler((err) => log.error({ err }, 'a follower task failed'));
  const relay = new RedisStreamRelay({ writer: redis, reader, key: `${config.redis.keyPrefix}stream:events`, instanceId, maxLen: config.redis.streamMaxLen, blockMs: 1_000, scheduler, log });
  const stream = new FollowerStream({
    relay,
    ws: { maxBufferedBytes: config.stream.maxClientBufferBytes, pingIntervalMs: config.stream.pingIntervalMs, maxMessagesPerSecond: config.stream.maxClientMessagesPerSecond },
    log: logging.logger.child({ component: 'ws' }),
  });
  let follower: FastifyInstance | null = await buildFollowerApp({
    logger: logging.logger.child({ component: 'api' }),
    instanceId,
    leader: current,
    journal,
    authorized: async (req) => !auth.enforced || (await identify(auth, req)).kind !== 'anonymous',
    ws: { stream, auth, trustedOrigins: config.server.corsOrigins },
    trustProxy: config.server.trustProxy,
  });
  await follower.listen({ host: config.server.host, port: config.server.port });
  const port = (follower.server.address() as { port: number }).port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host}:${port}`;
  const advertised = config.cluster.advertiseUrl || `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  log.info({ instanceId, url }, 'cluster member started as a follower');

  const status = async () => {
    const leader = await current().catch(() => null);
    return { role, instance: instanceId, token: role === 'leader' ? token : null, leader: leader ? { instance: leader.owner, url: leader.url, token: leader.token } : null };
  };
  const every = (ms: number, fn: () => Promise<void>) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy || closed) return;
      busy = true;
      fn().finally(() => {
        busy = false;
      });
    }, ms);
    timers.add(t);
    return () => {
      clearInterval(t);
      timers.delete(t);
    };
  };

  const lost = (reason: string) => {
    if (closed) return;
    log.error({ instanceId, fencingToken: token }, `leadership lost: ${reason}`);
    hooks.onLostLease(reason);
  };

  /** The lease keeper thread, started while following (lease-keeper.ts says why). */
  const startKeeper = () => {
    const k = new Worker(distFile('cli/lease-keeper.js'), {
      workerData: { redisUrl: config.redis.url, prefix: config.redis.keyPrefix, scope: LEADER_SCOPE, owner: instanceId, ttlMs: ttl } satisfies LeaseKeeperData,
    });
    k.on('message', (m: FromKeeper) => lost(m.lost));
    k.on('error', (error) => {
      if (keeper === k) keeper = null;
      if (role === 'leader') lost(`the lease keeper failed: ${error.message}`);
      else log.error({ instanceId, err: error }, 'the lease keeper thread failed: a new one starts if this instance takes the lease');
    });
    keeper = k;
    return k;
  };
  startKeeper();

  const becomeLeader = async (granted: number) => {
    role = 'leader';
    token = granted;
    log.warn({ instanceId, fencingToken: token }, `took the leader lease (fencing token ${token}): starting the kernels`);
    // Renewed from now on by the keeper thread, also while the server starts (restore and
    // reconciliation block this thread on the journal).
    const renewer = keeper ?? startKeeper();
    renewer.postMessage({ lead: token } satisfies ToKeeper);
    const f = follower;
    follower = null;
    // Its /ws clients reconnect, to this instance's server once it listens (or through the balancer).
    stream.close(SERVICE_RESTART, 'this instance is becoming the leader: reconnect');
    await relay.close();
    await f?.close();
    journal.close();
    // The relay's origin is the lease's owner: followers match the leader's events to its snapshot.
    server = await startServer({ ...config, redis: { ...config.redis, instanceId }, server: { ...config.server, port, portSearch: 1 } }, logging.logger, { fence: { scope: LEADER_SCOPE, token }, status, ring: logging.ring });
    leaderUrl = advertised;
    renewer.postMessage({ url: leaderUrl } satisfies ToKeeper);
    log.warn({ instanceId, fencingToken: token, url: leaderUrl }, 'leading: kernels running, commands accepted');
    hooks.onLeader?.(server);
  };

  const stopCampaign = every(Math.max(100, Math.floor(ttl / 5)), async () => {
    if (role !== 'follower') return;
    const granted = await lease.tryAcquire('').catch(() => null);
    if (granted === null) {
      // Clients served from an earlier leader's snapshot reconnect to the one leading now.
      const leader = await current().catch(() => null);
      if (leader) stream.leaderIs(leader.token);
      return;
    }
    stopCampaign();
    await becomeLeader(granted).catch((error: unknown) => lost(`could not start as the leader: ${(error as Error).message}`));
  });

  return {
    url,
    instanceId,
    role: () => role,
    logger: logging.logger,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      timers.clear();
      keeper?.postMessage({ stop: true } satisfies ToKeeper);
      await follower?.close();
      if (role === 'follower') {
        await relay.close();
        journal.close();
      }
      await server?.close();
      // A clean stop hands over at once instead of after the lease's expiry.
      if (role === 'leader') await lease.release(token).catch(() => {});
      redis.disconnect();
    },
  };
}
