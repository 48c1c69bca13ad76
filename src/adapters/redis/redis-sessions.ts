import type { Redis } from 'ioredis';
import type { SessionRecord, SessionStore } from '../../core/ports.js';

/**
 * Operator sessions in Redis, shared by every instance on it (a login on A is valid on B): one key
 * per session, `<prefix>session:<sha256 of the cookie token>`, expiring with the session (PX).
 * Redis down: a lookup fails, so cookie sessions are refused until it is back (API tokens keep
 * working); a login fails with 500 rather than issuing a cookie no other instance would accept.
 */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(tokenHash: string): string {
    return `${this.prefix}session:${tokenHash}`;
  }

  async createSession(s: { tokenHash: string; createdAt: number; expiresAt: number; client: string }): Promise<void> {
    const ttl = Math.max(1, s.expiresAt - s.createdAt);
    const created = await this.redis.set(this.key(s.tokenHash), JSON.stringify({ createdAt: s.createdAt, expiresAt: s.expiresAt, client: s.client }), 'PX', ttl, 'NX');
    if (created !== 'OK') throw new Error('session already exists');
  }

  async findSession(tokenHash: string, now: number): Promise<SessionRecord | null> {
    const raw = await this.redis.get(this.key(tokenHash));
    if (raw === null) return null;
    const s = JSON.parse(raw) as SessionRecord;
    return s.expiresAt > now ? s : null;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.redis.del(this.key(tokenHash));
  }

  /** Redis expires sessions itself. */
  purgeSessions(): number {
    return 0;
  }
}
