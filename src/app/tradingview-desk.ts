import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Instrument } from '../core/instruments.js';
import { priceProblem } from '../core/money-checks.js';
import { RENKO_SIZES, type RenkoBar, type RenkoColor, type RenkoSize } from '../core/renko.js';

/** Durable record of Renko bars, so a bar_id seen before a restart stays a duplicate after it. */
export interface RenkoBarStore {
  /** Stores the bar; false when (asset, size, barId) was already recorded. */
  recordRenkoBar(bar: RenkoBar): boolean;
  recentRenkoBars(asset: string, size: RenkoSize, limit: number): RenkoBar[];
}

/** Webhook path → brick size (seed 003). */
export const TV_RENKO_ROUTES: Readonly<Record<string, RenkoSize>> = {
  '/tv_renko_small': 1,
  '/tv_renko_one': 1,
  '/tv_renko_two_half': 2.5,
  '/tv_renko': 4,
  '/tv_renko_main': 6,
  '/tv_renko_high': 8,
  '/tv_renko_macro': 12,
};

export type TvResult = { ok: true; body: Record<string, unknown> } | { ok: false; status: 400 | 401 | 403; error: string };

interface AssetFeed {
  lastHeartbeatTs: number | null;
  lastPrice: number | null;
  lastHeartbeatSource: 'tradingview' | 'ticks' | null;
  lastBar: Partial<Record<RenkoSize, RenkoBar>>;
}

export interface TradingViewDeskOptions {
  clock: Clock;
  store: RenkoBarStore;
  /** TV_WEBHOOK_SECRET; null disables the webhooks (403). */
  secret: string | null;
  assets: readonly string[];
  onBar: (bar: RenkoBar) => void;
  /** `receivedAtUs`: when the webhook arrived (µs, for the latency probes), when known. */
  onLevelExit: (asset: string, receivedAtUs?: number) => Record<string, unknown>;
  /** The asset's instrument, for the tick-size check of heartbeat prices (range checks apply without it). */
  instrument?: (asset: string) => Instrument | undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * TradingView alerts: heartbeats (last price and time) and Renko bars of each size, checked
 * against the webhook secret in constant time and deduplicated by bar_id. Bricks built from
 * ticks inside the server go through the same `acceptBar`.
 */
export class TradingViewDesk {
  private readonly feeds = new Map<string, AssetFeed>();
  private readonly secretDigest: Buffer | null;

  constructor(private readonly o: TradingViewDeskOptions) {
    this.secretDigest = o.secret ? digest(o.secret) : null;
    for (const a of o.assets) this.feeds.set(a, { lastHeartbeatTs: null, lastPrice: null, lastHeartbeatSource: null, lastBar: {} });
  }

  /** Null when a presented webhook secret is right, else why not (the API's access hook asks). */
  authorize(secret: unknown): { status: number; error: string } | null {
    const r = this.check({ secret });
    return r && !r.ok ? { status: r.status, error: r.error } : null;
  }

  private check(body: Record<string, unknown>): TvResult | null {
    if (!this.secretDigest) return { ok: false, status: 403, error: 'TradingView webhooks are disabled: TV_WEBHOOK_SECRET is not configured' };
    const given = typeof body.secret === 'string' ? digest(body.secret) : null;
    if (!given || !timingSafeEqual(given, this.secretDigest)) return { ok: false, status: 401, error: 'invalid or missing webhook secret' };
    return null;
  }

  /** ES, es, ES1!, CME_MINI:ES1! all name ES. */
  private asset(raw: unknown): string | null {
    if (typeof raw !== 'string') return null;
    const name = raw.toUpperCase().split(':').pop()?.replace(/\d*!$/, '') ?? '';
    return this.feeds.has(name) ? name : null;
  }

  heartbeat(body: Record<string, unknown>): TvResult {
    const denied = this.check(body);
    if (denied) return denied;
    const asset = this.asset(body.symbol ?? body.asset);
    if (!asset) return { ok: false, status: 400, error: `unknown symbol ${String(body.symbol ?? body.asset)}: expected one of ${[...this.feeds.keys()].join(', ')}` };
    const price = typeof body.price === 'string' && body.price.trim() !== '' ? Number(body.price) : body.price;
    // Money-safe numbers: a finite price in (0, 1e9) on the instrument's tick grid.
    const bad = priceProblem(price, this.o.instrument?.(asset));
    if (bad) return { ok: false, status: 400, error: bad.code === 'not_positive' || bad.code === 'not_a_number' ? `price must be a positive number (${bad.message})` : bad.message };
    if (typeof price !== 'number') return { ok: false, status: 400, error: 'price must be a positive number' };
    const feed = this.feeds.get(asset) as AssetFeed;
    feed.lastPrice = price;
    feed.lastHeartbeatTs = this.o.clock.now();
    feed.lastHeartbeatSource = 'tradingview';
    return { ok: true, body: { ok: true, asset, last_price: price, last_heartbeat_ts: feed.lastHeartbeatTs } };
  }

  renko(path: string, body: Record<string, unknown>): TvResult {
    const denied = this.check(body);
    if (denied) return denied;
    const size = TV_RENKO_ROUTES[path];
    if (size === undefined) return { ok: false, status: 400, error: `unknown Renko route ${path}` };
    const asset = this.asset(body.asset ?? body.symbol);
    if (!asset) return { ok: false, status: 400, error: `unknown asset ${String(body.asset)}: expected one of ${[...this.feeds.keys()].join(', ')}` };
    const color = String(body.color ?? '').toLowerCase();
    if (color !== 'green' && color !== 'red') return { ok: false, status: 400, error: 'color must be "green" or "red"' };
    const barId = typeof body.bar_id === 'string' || typeof body.bar_id === 'number' ? String(body.bar_id) : '';
    if (!barId || barId.length > 128) return { ok: false, status: 400, error: 'bar_id is required (at most 128 characters)' };
    const bar: RenkoBar = { asset, size, color: color as RenkoColor, barId, open: null, close: null, ts: this.o.clock.now(), source: 'tradingview' };
    const fresh = this.acceptBar(bar);
    return { ok: true, body: { ok: true, asset, size, color, bar_id: barId, duplicate: !fresh } };
  }

  levelExit(body: Record<string, unknown>, receivedAtUs?: number): TvResult {
    const denied = this.check(body);
    if (denied) return denied;
    const asset = this.asset(body.asset ?? body.symbol);
    if (!asset) return { ok: false, status: 400, error: `unknown asset ${String(body.asset)}` };
    return { ok: true, body: { ok: true, asset, ...this.o.onLevelExit(asset, receivedAtUs) } };
  }

  /** Records a bar once; later copies of the same bar_id are ignored. */
  acceptBar(bar: RenkoBar): boolean {
    if (!this.o.store.recordRenkoBar(bar)) return false;
    const feed = this.feeds.get(bar.asset);
    if (feed) feed.lastBar[bar.size] = bar;
    this.o.onBar(bar);
    return true;
  }

  /** Price and time from the server's own feed count as a heartbeat when TradingView is silent. */
  onTick(asset: string, price: number, ts: number): void {
    const feed = this.feeds.get(asset);
    if (!feed) return;
    if (feed.lastHeartbeatSource === 'tradingview' && feed.lastHeartbeatTs !== null && ts - feed.lastHeartbeatTs < 60_000) return;
    feed.lastPrice = price;
    feed.lastHeartbeatTs = ts;
    feed.lastHeartbeatSource = 'ticks';
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [asset, f] of this.feeds) {
      out[asset] = {
        last_price: f.lastPrice,
        last_heartbeat_ts: f.lastHeartbeatTs,
        heartbeat_source: f.lastHeartbeatSource,
        renko: Object.fromEntries(RENKO_SIZES.map((s) => [String(s), f.lastBar[s] ? { color: f.lastBar[s]?.color, bar_id: f.lastBar[s]?.barId, ts: f.lastBar[s]?.ts } : null])),
      };
    }
    return out;
  }
}
