import type { Redis } from 'ioredis';
import type { LeaderInfo, LeaderLease } from '../../core/leader-lease.js';

// The three scripts run atomically in Redis: no other client's command falls between the
// existence check and the SET, or between the owner check and the PEXPIRE/DEL.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], cjson.encode({owner = ARGV[1], token = token, url = ARGV[3]}), 'PX', ARGV[2])
return token`;
// A lease that expired while nobody took it (the token counter still holds this grant's token:
// no grant since) is re-established: a late renewal. Otherwise only the holder renews.
const RENEW = `
local raw = redis.call('GET', KEYS[1])
if not raw then
  if tonumber(redis.call('GET', KEYS[2])) ~= tonumber(ARGV[2]) then return 0 end
  redis.call('SET', KEYS[1], cjson.encode({owner = ARGV[1], token = tonumber(ARGV[2]), url = ARGV[4]}), 'PX', ARGV[3])
  return 1
end
local v = cjson.decode(raw)
if v.owner ~= ARGV[1] or tonumber(v.token) ~= tonumber(ARGV[2]) then return 0 end
v.url = ARGV[4]
redis.call('SET', KEYS[1], cjson.encode(v), 'PX', ARGV[3])
return 1`;
const RELEASE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local v = cjson.decode(raw)
if v.owner ~= ARGV[1] or tonumber(v.token) ~= tonumber(ARGV[2]) then return 0 end
return redis.call('DEL', KEYS[1])`;

/**
 * The leader lease in Redis: `SET NX PX` semantics (the key expires unless renewed) plus a
 * fencing token from `INCR` on a counter that never expires, so every grant's token is larger
 * than every earlier one, whichever instance got it.
 */
export class RedisLeaderLease implements LeaderLease {
  private readonly key: string;
  private readonly tokenKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    scope: string,
    private readonly owner: string,
    private readonly ttlMs: number,
  ) {
    this.key = `${prefix}leader:${scope}`;
    this.tokenKey = `${prefix}leader:${scope}:token`;
  }

  async tryAcquire(url: string): Promise<number | null> {
    const token = Number(await this.redis.eval(ACQUIRE, 2, this.key, this.tokenKey, this.owner, String(this.ttlMs), url));
    return token > 0 ? token : null;
  }

  async renew(token: number, url: string): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 2, this.key, this.tokenKey, this.owner, String(token), String(this.ttlMs), url)) === 1;
  }

  async release(token: number): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.owner, String(token));
  }

  async current(): Promise<LeaderInfo | null> {
    const raw = await this.redis.get(this.key);
    if (raw === null) return null;
    const v = JSON.parse(raw) as { owner?: unknown; token?: unknown; url?: unknown };
    return { owner: String(v.owner), token: Number(v.token), url: typeof v.url === 'string' ? v.url : '' };
  }
}
