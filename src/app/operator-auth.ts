import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { SessionStore } from '../core/ports.js';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** scrypt$N$r$p$salt$hash (base64): the only form a password is ever kept in. */
export async function hashPassword(password: string, cost = { N: 16_384, r: 8, p: 1 }): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { ...cost, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = encoded.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const isPasswordHash = (s: string): boolean => /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(s);

export interface OperatorAuthOptions {
  sessions: SessionStore;
  clock: Clock;
  /** scrypt hash of the operator password; null = no password (development mode). */
  passwordHash: string | null;
  apiTokens: readonly string[];
  sessionTtlMs: number;
  /** Failed logins allowed per client within the window before it is throttled. */
  maxFailures: number;
  failureWindowMs: number;
}

export type LoginResult =
  | { ok: true; token: string | null; expiresAt: number | null }
  | { ok: false; status: 401 | 429; error: string; retryAfterS?: number };

/** Operator login: password check, persisted sessions, per-client throttling, API tokens. */
export class OperatorAuth {
  private readonly failures = new Map<string, number[]>();
  private readonly tokenDigests: Buffer[];

  constructor(private readonly o: OperatorAuthOptions) {
    this.tokenDigests = o.apiTokens.map(sha256);
  }

  get passwordRequired(): boolean {
    return this.o.passwordHash !== null;
  }

  /** Whether requests must authenticate at all. */
  get enforced(): boolean {
    return this.o.passwordHash !== null || this.tokenDigests.length > 0;
  }

  async login(password: unknown, client: string): Promise<LoginResult> {
    if (this.o.passwordHash === null) return { ok: true, token: null, expiresAt: null };
    const now = this.o.clock.now();
    const recent = (this.failures.get(client) ?? []).filter((t) => now - t < this.o.failureWindowMs);
    if (recent.length >= this.o.maxFailures) {
      const retryAfterS = Math.ceil(((recent[0] as number) + this.o.failureWindowMs - now) / 1000);
      return { ok: false, status: 429, error: `Too many failed logins: try again in ${retryAfterS} s`, retryAfterS };
    }
    // The attempt counts as a failure before the (asynchronous) check: concurrent guesses each
    // take a slot, so no more than maxFailures of them are ever checked. A success clears them.
    recent.push(now);
    this.failures.set(client, recent);
    if (this.failures.size > 10_000) this.forgetOldFailures(now);
    const good = typeof password === 'string' && password.length > 0 && (await verifyPassword(password, this.o.passwordHash));
    if (!good) return { ok: false, status: 401, error: 'Invalid password' };
    this.failures.delete(client);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.o.sessionTtlMs;
    await this.o.sessions.createSession({ tokenHash: sha256(token).toString('hex'), createdAt: now, expiresAt, client });
    return { ok: true, token, expiresAt };
  }

  async logout(token: string | undefined): Promise<void> {
    if (token) await this.o.sessions.deleteSession(sha256(token).toString('hex'));
  }

  /** Answered at once from the journal; a promise from a shared store (Redis). */
  sessionValid(token: string | undefined): boolean | Promise<boolean> {
    if (!token || this.o.passwordHash === null) return false;
    const found = this.o.sessions.findSession(sha256(token).toString('hex'), this.o.clock.now());
    return found instanceof Promise ? found.then((s) => s !== null) : found !== null;
  }

  /** Constant-time comparison with every configured token. */
  tokenValid(token: string | undefined): boolean {
    if (!token) return false;
    const d = sha256(token);
    let ok = false;
    for (const t of this.tokenDigests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  }

  purgeExpired(): number | Promise<number> {
    return this.o.sessions.purgeSessions(this.o.clock.now());
  }

  private forgetOldFailures(now: number): void {
    for (const [client, times] of this.failures) if (times.every((t) => now - t >= this.o.failureWindowMs)) this.failures.delete(client);
  }
}
