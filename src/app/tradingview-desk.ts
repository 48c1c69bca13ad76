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

export type TvResult = { ok: true; body: Record<string, unknown> } | { ok: false; status: 400 | 401 | 403 | 409; error: string };

/**
 * Where an asset's Renko bars and price heartbeats come from:
 * - `tradingview`: the webhooks only. Bricks built from the server's own feed never reach the
 *   desk, and the feed's prices are no heartbeat: a TradingView outage shows as a stale heartbeat.
 * - `feed`: bricks built from the server's feed; webhook bars for the asset are refused (409).
 *   Both TradingView heartbeats and the feed's prices count as heartbeats.
 * - `both`: TradingView is authoritative. While it is live for the asset (a heartbeat or bar
 *   within `fallbackAfterMs`), feed bricks and prices are ignored; after that silence the feed
 *   fills in until TradingView speaks again.
 */
export type BarSource = 'tradingview' | 'feed' | 'both';
export const BAR_SOURCES: readonly BarSource[] = ['tradingview', 'feed', 'both'];

/**
 * Each asset's bar source: its override, else the default; `auto` is `tradingview` when a webhook
 * secret is set and `feed` otherwise. A TradingView source without a secret could never receive
 * anything: that is an error (returned as a string naming the key).
 */
export function resolveBarSources(o: { assets: readonly string[]; secret: string | null; barSource: BarSource | 'auto'; byAsset: Record<string, BarSource> }): Record<string, BarSource> | string {
  for (const a of Object.keys(o.byAsset)) if (!o.assets.includes(a)) return `tradingView.barSourceByAsset.${a}: not one of tradingView.assets (${o.assets.join(', ')})`;
  const out: Record<string, BarSource> = {};
  for (const a of o.assets) {
    const own = o.byAsset[a];
    const source = own ?? (o.barSource === 'auto' ? (o.secret ? 'tradingview' : 'feed') : o.barSource);
    if (source !== 'feed' && !o.secret) {
      const key = own ? `tradingView.barSourceByAsset.${a}` : 'tradingView.barSource';
      return `${key}: '${source}' needs the webhook secret (TV_WEBHOOK_SECRET); without it use 'feed' (or 'auto')`;
    }
    out[a] = source;
  }
  return out;
}

interface AssetFeed {
  source: BarSource;
  lastHeartbeatTs: number | null;
  lastPrice: number | null;
  lastHeartbeatSource: 'tradingview' | 'ticks' | null;
  /** Last webhook (heartbeat or bar) of the asset: TradingView is live while it is recent. */
  lastTradingViewAt: number | null;
  /** The server's own feed, shown beside TradingView's (never a heartbeat in `tradingview`). */
  feedPrice: number | null;
  feedTs: number | null;
  /** Feed bricks not passed on because TradingView is the (live) source. */
  feedBricksIgnored: number;
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
  /** Each asset's bar source (resolveBarSources); `tradingview` with a secret, else `feed`, when absent. */
  barSources?: Record<string, BarSource>;
  /** `both`: how long TradingView may be silent for an asset before the feed fills in (ms). */
  fallbackAfterMs?: number;
  /** The asset's instrument, for the tick-size check of heartbeat prices (range checks apply without it). */
  instrument?: (asset: string) => Instrument | undefined;
}

/** Default silence after which the feed fills in for a `both` asset. */
export const DEFAULT_FALLBACK_AFTER_MS = 60_000;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * TradingView alerts: heartbeats (last price and time) and Renko bars of each size, checked
 * against the webhook secret in constant time and deduplicated by bar_id. Bricks built from
 * ticks inside the server go through the same `acceptBar`, which passes them on only as the
 * asset's bar source allows (BarSource).
 */
export class TradingViewDesk {
  private readonly feeds = new Map<string, AssetFeed>();
  private readonly secretDigest: Buffer | null;
  private readonly fallbackAfterMs: number;
  private changes = 0;

  constructor(private readonly o: TradingViewDeskOptions) {
    this.secretDigest = o.secret ? digest(o.secret) : null;
    this.fallbackAfterMs = o.fallbackAfterMs ?? DEFAULT_FALLBACK_AFTER_MS;
    for (const a of o.assets) {
      const source = o.barSources?.[a] ?? (o.secret ? 'tradingview' : 'feed');
      this.feeds.set(a, { source, lastHeartbeatTs: null, lastPrice: null, lastHeartbeatSource: null, lastTradingViewAt: null, feedPrice: null, feedTs: null, feedBricksIgnored: 0, lastBar: {} });
    }
  }

  /**
   * Bumped when a webhook heartbeat arrives or the heartbeat's source switches: views built from
   * the heartbeats (the desk's part of GET /api/state) are stale then. Feed ticks alone do not
   * bump it (those views refresh every second anyway).
   */
  get revision(): number {
    return this.changes;
  }

  /** The asset's bar source; null for an asset the desk does not know. */
  barSource(asset: string): BarSource | null {
    return this.feeds.get(asset)?.source ?? null;
  }

  /** Last heartbeat of the asset as its bar source counts it (ms), and where it came from. */
  /** The asset's last price as its bar source counts it (TradingView's heartbeat, or the feed's); null when none yet. */
  lastPrice(asset: string): number | null {
    return this.feeds.get(asset)?.lastPrice ?? null;
  }

  lastHeartbeat(asset: string): number | null {
    return this.feeds.get(asset)?.lastHeartbeatTs ?? null;
  }

  heartbeatSource(asset: string): 'tradingview' | 'ticks' | null {
    return this.feeds.get(asset)?.lastHeartbeatSource ?? null;
  }

  /** `both`: TradingView spoke for the asset within fallbackAfterMs of `now`. */
  private tradingViewLive(feed: AssetFeed, now: number): boolean {
    return feed.lastTradingViewAt !== null && now - feed.lastTradingViewAt < this.fallbackAfterMs;
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
    feed.lastTradingViewAt = feed.lastHeartbeatTs;
    this.changes += 1;
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
    const feed = this.feeds.get(asset) as AssetFeed;
    if (feed.source === 'feed') {
      return { ok: false, status: 409, error: `${asset} bars come from the server's own feed (bar source 'feed'): webhook bar ignored; set tradingView.barSourceByAsset.${asset} to 'tradingview' or 'both' to use them` };
    }
    feed.lastTradingViewAt = this.o.clock.now();
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

  /**
   * Records a bar once and passes it on; later copies of the same bar_id are ignored. A brick
   * built from the feed is dropped (false, nothing stored) when TradingView is the asset's
   * source, or in `both` while TradingView is live: it never overwrites a webhook brick.
   */
  acceptBar(bar: RenkoBar): boolean {
    const feed = this.feeds.get(bar.asset);
    if (feed && bar.source === 'ticks' && (feed.source === 'tradingview' || (feed.source === 'both' && this.tradingViewLive(feed, this.o.clock.now())))) {
      feed.feedBricksIgnored += 1;
      return false;
    }
    if (!this.o.store.recordRenkoBar(bar)) return false;
    if (feed) feed.lastBar[bar.size] = bar;
    this.o.onBar(bar);
    return true;
  }

  /**
   * A price from the server's own feed. It is a heartbeat for `feed` assets, and for `both`
   * assets while TradingView is silent; never for `tradingview` assets (an outage must show).
   */
  onTick(asset: string, price: number, ts: number): void {
    const feed = this.feeds.get(asset);
    if (!feed) return;
    feed.feedPrice = price;
    feed.feedTs = ts;
    // Liveness on the desk's clock, as acceptBar judges bricks: a tick stamped before a slow event loop got to it must not disagree.
    if (feed.source === 'tradingview' || (feed.source === 'both' && this.tradingViewLive(feed, this.o.clock.now()))) return;
    if (feed.lastHeartbeatSource !== 'ticks') this.changes += 1;
    feed.lastPrice = price;
    feed.lastHeartbeatTs = ts;
    feed.lastHeartbeatSource = 'ticks';
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [asset, f] of this.feeds) {
      out[asset] = {
        bar_source: f.source,
        last_price: f.lastPrice,
        last_heartbeat_ts: f.lastHeartbeatTs,
        heartbeat_source: f.lastHeartbeatSource,
        last_tradingview_ts: f.lastTradingViewAt,
        feed_price: f.feedPrice,
        feed_ts: f.feedTs,
        feed_bricks_ignored: f.feedBricksIgnored,
        renko: Object.fromEntries(RENKO_SIZES.map((s) => [String(s), f.lastBar[s] ? { color: f.lastBar[s]?.color, bar_id: f.lastBar[s]?.barId, ts: f.lastBar[s]?.ts } : null])),
      };
    }
    return out;
  }
}
