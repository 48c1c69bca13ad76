import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { refuse } from './errors.js';

export const RATE_GROUPS = ['control', 'reads', 'batch', 'uploads', 'login', 'open', 'operator', 'bridge', 'webhook'] as const;
export type RateGroupName = (typeof RATE_GROUPS)[number];

export interface RateGroup {
  /** Requests per window per client. */
  max: number;
  windowMs: number;
  /** Requests in any one second per client; 0 = no burst cap. */
  burstPerSecond: number;
}

export interface RateLimitOptions {
  enabled: boolean;
  /** Client addresses never limited. */
  allowList: string[];
  groups: Record<RateGroupName, RateGroup>;
  /** Counters in Redis (@fastify/rate-limit's Redis store), shared by every instance on it; absent: in memory. */
  shared?: { redis: Redis; nameSpace: string };
}

/**
 * The group a request counts against, from the route it matched and who it turned out to be:
 * - batch and uploads routes keep their own (small) budgets whoever calls them;
 * - an operator's session or token has its own `operator` budget for everything else;
 * - otherwise the route's declared group, or by access class: bridge, webhook, open; operator
 *   routes are `reads` for GET/HEAD and `control` for state changes (seed 001's surface).
 * Unmatched requests (404s) count as `open`.
 */
export function groupOf(req: FastifyRequest): RateGroupName {
  const config = req.routeOptions.config;
  const declared = config.rateGroup;
  if (declared === 'batch' || declared === 'uploads') return declared;
  const caller = req.caller;
  if (caller && caller.kind !== 'anonymous') return 'operator';
  if (declared) return declared;
  switch (config.access) {
    case 'operator':
      return req.method === 'GET' || req.method === 'HEAD' ? 'reads' : 'control';
    case 'bridge':
      return 'bridge';
    case 'webhook':
      return 'webhook';
    default:
      return 'open';
  }
}

/** The budget's owner: the operator's session or token, else the client address. */
const keyOf = (req: FastifyRequest): string => {
  const caller = req.caller;
  return caller && caller.kind !== 'anonymous' ? caller.key : req.ip;
};

const per = (ms: number): string => (ms === 1_000 ? 'second' : ms === 60_000 ? 'minute' : ms === 3_600_000 ? 'hour' : `${ms / 1000} s`);

type Check = (req: FastifyRequest) => Promise<{ isAllowed: true } | { isAllowed: false; max: number; remaining: number; ttlInSeconds: number; isExceeded: boolean }>;

/**
 * Per-group rate limits on @fastify/rate-limit's counters (createRateLimit: one store per group
 * and window, keyed by keyOf). Composing a group's two windows (its own and the one-second burst)
 * and choosing the group per request is ours, in one onRequest hook that runs after the access
 * hook. Every answer carries X-RateLimit-Limit/-Remaining/-Reset of the group's window; a 429
 * also Retry-After, with the `{detail, status_code}` body.
 */
export async function installRateLimits(app: FastifyInstance, o: RateLimitOptions): Promise<void> {
  if (!o.enabled) return;
  // Redis unreachable: requests pass (skipOnError) rather than the instance refusing everything.
  await app.register(rateLimit, o.shared ? { global: false, redis: o.shared.redis, nameSpace: o.shared.nameSpace, skipOnError: true } : { global: false });
  const allow = new Set(o.allowList);
  const limiters = new Map<RateGroupName, { group: RateGroup; window: Check; burst: Check | null }>();
  for (const name of RATE_GROUPS) {
    const group = o.groups[name];
    limiters.set(name, {
      group,
      // The key names the group and window: the Redis store keeps every limiter's counters in one keyspace.
      window: app.createRateLimit({ max: group.max, timeWindow: group.windowMs, keyGenerator: (req) => `${name}:w:${keyOf(req)}` }) as Check,
      burst: group.burstPerSecond > 0 ? (app.createRateLimit({ max: group.burstPerSecond, timeWindow: 1_000, keyGenerator: (req) => `${name}:s:${keyOf(req)}` }) as Check) : null,
    });
  }
  app.addHook('onRequest', async function rateLimited(req: FastifyRequest, reply: FastifyReply) {
    if (allow.has(req.ip)) return;
    const name = groupOf(req);
    const l = limiters.get(name);
    if (!l) return;
    const w = await l.window(req);
    const b = l.burst ? await l.burst(req) : null;
    if (w.isAllowed) return;
    reply.header('x-ratelimit-limit', w.max).header('x-ratelimit-remaining', w.remaining).header('x-ratelimit-reset', w.ttlInSeconds);
    const over = w.isExceeded ? { max: w.max, ms: l.group.windowMs, retry: w.ttlInSeconds } : b && !b.isAllowed && b.isExceeded ? { max: b.max, ms: 1_000, retry: b.ttlInSeconds } : null;
    if (!over) return;
    if (over.ms === 1_000) reply.header('x-ratelimit-limit', over.max).header('x-ratelimit-reset', over.retry);
    reply.header('x-ratelimit-remaining', 0).header('retry-after', Math.max(1, over.retry));
    return refuse(reply, 429, `Rate limit exceeded: ${over.max} requests per ${per(over.ms)} for ${name} routes; retry in ${Math.max(1, over.retry)} s`);
  });
}
