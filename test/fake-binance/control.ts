// The test-control API of the fake venue: drive the price path, inject faults, change accounts,
// and look at the venue's books. The same operations are reachable over HTTP at /__control/*
// (control-http.ts) for a fake running in another process.
import type { Account } from './account.js';
import type { FaultAction, FaultMatch, FaultPhase, FaultRule, Faults } from './faults.js';
import type { RequestLogEntry, RestFront } from './rest.js';
import type { FakeServer } from './server.js';
import type { Venue } from './venue.js';
import { randomId } from './venue.js';
import type { ConnKind, StreamHub } from './ws-hub.js';

export interface Liquidity {
  /** Only this symbol (default: all). */
  symbol?: string;
  /** Quantity available at each book level to takers (market and marketable orders walk levels). */
  levelQty?: number;
  /** Quantity a resting order can fill per replay tick (partial fills over several ticks). */
  makerQtyPerTick?: number;
}

export class FakeControl {
  private auto: NodeJS.Timeout | undefined;
  private autoMs = 0;
  private resumeAutoMs = 0;

  constructor(
    private readonly venue: Venue,
    private readonly faults: Faults,
    private readonly hub: StreamHub,
    private readonly rest: RestFront,
    private readonly server: FakeServer,
    private readonly defaultKey: string,
  ) {}

  // ---------------------------------------------------------------- the price path

  /** Advances the replay by `n` ticks (every symbol); returns the ticks applied. */
  step(n = 1): number {
    return this.venue.step(n);
  }

  /** A market trade at `price` outside the replay (a test hook: a gap, a spike). */
  tick(symbol: string, price: number, qty?: number): void {
    const m = this.venue.market(symbol);
    this.venue.applyTick(m, price, qty ?? m.spec.minQty, price < m.last);
  }

  price(symbol: string): number {
    return this.venue.market(symbol).last;
  }

  book(symbol: string): { bid: number; ask: number } {
    const m = this.venue.market(symbol);
    return { bid: m.bid, ask: m.ask };
  }

  /** The next `n` replay prices of a symbol, without advancing. */
  upcoming(symbol: string, n: number): number[] {
    return this.venue.market(symbol).upcoming(n);
  }

  /** Replays on its own, one tick every `intervalMs` (15000 ms = one bar a minute, real time). */
  startAuto(intervalMs: number): void {
    this.stopAuto();
    this.autoMs = intervalMs;
    if (intervalMs <= 0) return;
    this.auto = setInterval(() => this.venue.step(1), intervalMs);
    this.auto.unref();
  }

  stopAuto(): void {
    if (this.auto) clearInterval(this.auto);
    this.auto = undefined;
  }

  // ---------------------------------------------------------------- faults

  /** Adds a fault rule; returns its id (see faults.ts). */
  fault(rule: FaultRule): number {
    return this.faults.add(rule);
  }

  removeFault(id: number): void {
    this.faults.remove(id);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Every matching request waits `ms` before it is processed (or, phase 'after', before it is answered). */
  latency(ms: number, match?: FaultMatch, opts: { phase?: FaultPhase; times?: number } = {}): number {
    return this.fault({ kind: 'latency', ms, phase: opts.phase ?? 'before', match, times: opts.times ?? Infinity });
  }

  /** The next matching request is processed (an order is booked), then its connection is cut. */
  dropAnswer(match: FaultMatch = { method: 'POST', path: '/fapi/v1/order' }, times = 1): number {
    return this.fault({ kind: 'drop', phase: 'after', match, times });
  }

  /** The next matching requests answer `status` (5xx by default before processing; phase 'after' = processed, answer lost). */
  failNext(status = 503, opts: { match?: FaultMatch; times?: number; phase?: FaultPhase; code?: number; msg?: string; rawBody?: string } = {}): number {
    const action: FaultAction = { kind: 'status', status, phase: opts.phase ?? 'before', code: opts.code, msg: opts.msg, rawBody: opts.rawBody };
    return this.fault({ ...action, match: opts.match, times: opts.times ?? 1 });
  }

  /** The next matching requests answer 429 (or 418) with Retry-After, as Binance's limiter does. */
  rateLimit(opts: { status?: 429 | 418; retryAfterSec?: number; match?: FaultMatch; times?: number } = {}): number {
    return this.fault({ kind: 'status', status: opts.status ?? 429, retryAfter: opts.retryAfterSec ?? 1, match: opts.match, times: opts.times ?? 1 });
  }

  /** Cuts WebSocket connections abruptly; returns how many. */
  disconnectWebSockets(kind: ConnKind = 'all'): number {
    return this.hub.disconnect(kind);
  }

  /** The next `n` fill events (ORDER_TRADE_UPDATE, x TRADE) of an account arrive twice on its user streams. */
  duplicateFills(n = 1, apiKey = this.defaultKey): void {
    this.hub.duplicateFills.set(this.account(apiKey), n);
  }

  /** Limits the book's liquidity so orders fill partially (undefined = back to normal). */
  setLiquidity(l: Liquidity): void {
    for (const m of this.venue.markets.values()) {
      if (l.symbol && m.symbol !== l.symbol) continue;
      m.takerLevelQty = l.levelQty ?? Infinity;
      if (l.makerQtyPerTick === undefined) this.venue.makerQtyPerTick.delete(m.symbol);
      else this.venue.makerQtyPerTick.set(m.symbol, l.makerQtyPerTick);
    }
  }

  /** The venue goes away (every connection cut, connections refused) and comes back on the same port with its books intact. */
  async restart(downMs = 0): Promise<void> {
    await this.goDown();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.comeBack();
  }

  /** The first half of a restart: every connection cut, new ones refused, the replay paused. */
  async goDown(): Promise<void> {
    this.resumeAutoMs = this.autoMs;
    this.stopAuto();
    await this.server.stop();
  }

  /** The second half: listening again on the same port, with the same books. */
  async comeBack(): Promise<void> {
    if (this.server.listening) return;
    await this.server.listen(this.server.port);
    if (this.resumeAutoMs > 0) this.startAuto(this.resumeAutoMs);
  }

  /** Shifts the venue clock (its serverTime and timestamp checks) by `ms`. */
  setClockOffset(ms: number): void {
    this.venue.clockOffset = ms;
  }

  // ---------------------------------------------------------------- accounts

  addAccount(opts: { apiKey?: string; secret?: string; balance?: number } = {}): { apiKey: string; secret: string } {
    const apiKey = opts.apiKey ?? randomId(64);
    const secret = opts.secret ?? randomId(64);
    this.venue.addAccount(apiKey, secret, opts.balance ?? 10_000);
    return { apiKey, secret };
  }

  account(apiKey = this.defaultKey): Account {
    const a = this.venue.accounts.get(apiKey);
    if (!a) throw new Error('fake-binance: no account with that API key');
    return a;
  }

  /** Open orders, positions, wallet and order history of an account. */
  snapshot(apiKey = this.defaultKey): ReturnType<Venue['snapshot']> {
    return this.venue.snapshot(this.account(apiKey));
  }

  setBalance(amount: number, apiKey = this.defaultKey): void {
    const a = this.account(apiKey);
    a.wallet = amount;
    a.walletUpdateTime = this.venue.now();
  }

  /** Expires the account's listen key now (its user streams get listenKeyExpired). */
  expireListenKey(apiKey = this.defaultKey): void {
    const a = this.account(apiKey);
    if (a.listenKey) a.listenKey.expiresAt = this.venue.now() - 1;
    this.hub.expireListenKeys();
  }

  // ---------------------------------------------------------------- observation

  /** The REST requests the venue received (newest last), optionally filtered. */
  requests(filter: { method?: string; path?: string; apiKey?: string } = {}): RequestLogEntry[] {
    return this.rest.log.filter((r) => (!filter.method || r.method === filter.method) && (!filter.path || r.path === filter.path) && (!filter.apiKey || r.apiKey === filter.apiKey));
  }

  clearRequests(): void {
    this.rest.log.length = 0;
  }

  /** Open WebSocket connections (market, user or all; user ones of one API key). */
  wsConnections(kind: ConnKind = 'all', apiKey?: string): number {
    return this.hub.count(kind, apiKey);
  }

  /** Connections subscribed to a stream, e.g. "btcusdt@trade". */
  subscribers(stream: string): number {
    return this.hub.subscribers(stream);
  }

  close(): void {
    this.stopAuto();
  }
}
