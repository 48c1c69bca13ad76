import type { Exchange, OHLCV, Trade } from 'ccxt';
import { ccxtErrors } from './ccxt/library.js';
import type { Clock } from '../core/clock.js';
import type { FeedConnectionState } from '../core/events.js';
import type { Instrument, InstrumentRegistry } from '../core/instruments.js';
import type { Tick } from '../core/market.js';
import type { Cancel, FeedListeners, MarketFeed, Scheduler } from '../core/ports.js';
import { BarSequence, TradeSequence, type Candle, type GapReport, type VenueTrade } from './feed-sequence.js';

export type FeedChannel = 'trades' | 'ohlcv' | 'ticker';

export interface CcxtFeedConfig {
  /** Kernel symbol -> the venue's ccxt symbol, e.g. BTC/USDT -> BTC/USDT:USDT. */
  symbols: Record<string, string>;
  channels: FeedChannel[];
  /** ccxt timeframe of the venue's candles (`ohlcv`), e.g. 1m. */
  timeframe: string;
  pollIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Consecutive WebSocket failures after which the channel polls REST instead. */
  pollAfterFailures: number;
  /** While polling, how often the WebSocket is tried again. */
  wsRetryMs: number;
}

interface ChannelMode {
  polling: boolean;
  /** While polling: when to try the WebSocket again. */
  retryWsAt: number;
  state: FeedConnectionState | null;
}

/** Pages of trades fetched to close one gap (1000 each): a longer outage is reported, not chased. */
const MAX_BACKFILL_PAGES = 20;
const PAGE = 1000;

export interface CcxtFeedLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Live market data from a ccxt venue: ccxt.pro's watchTrades / watchOHLCV / watchTicker per symbol,
 * each with its own loop. A failed stream is retried with exponential backoff; after
 * `pollAfterFailures` failures in a row the channel polls REST (fetchTrades / fetchOHLCV /
 * fetchTicker) and tries the stream again every `wsRetryMs`. Trade ids and candle starts are
 * sequenced (feed-sequence.ts): duplicates are dropped and gaps fetched by REST before newer data
 * is delivered, each gap reported as a `feed-gap` event.
 */
export class CcxtFeed implements MarketFeed {
  private running = false;
  private readonly modes = new Map<FeedChannel, ChannelMode>();
  private readonly sleeps = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private readonly binance: boolean;
  private readonly intervalMs: number;
  private listeners: FeedListeners = {};

  constructor(
    private readonly config: CcxtFeedConfig,
    private readonly exchange: Exchange,
    private readonly registry: InstrumentRegistry,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly log?: CcxtFeedLog,
  ) {
    this.binance = exchange.id.startsWith('binance');
    this.intervalMs = exchange.parseTimeframe(config.timeframe) * 1000;
    for (const c of config.channels) this.modes.set(c, { polling: false, retryWsAt: 0, state: null });
  }

  instruments(): Instrument[] {
    return Object.keys(this.config.symbols).map((s) => this.registry.get(s));
  }

  externalBars(): { symbol: string; intervalMs: number }[] {
    if (!this.config.channels.includes('ohlcv')) return [];
    return Object.keys(this.config.symbols).map((symbol) => ({ symbol, intervalMs: this.intervalMs }));
  }

  start(onTick: (tick: Tick) => void, listeners: FeedListeners = {}): void {
    if (this.running) return;
    this.running = true;
    this.listeners = listeners;
    for (const [symbol, venueSymbol] of Object.entries(this.config.symbols)) {
      const gap = (kind: 'trades' | 'bars') => (g: GapReport) => {
        listeners.onEvent?.({ type: 'feed-gap', venue: this.exchange.id, symbol, kind, ...g, ts: this.clock.now() });
        this.log?.warn({ symbol, kind, ...g }, `feed gap: ${g.backfilled} of ${g.missing} ${kind} backfilled`);
      };
      for (const channel of this.config.channels) {
        if (channel === 'trades') {
          const seq = new TradeSequence(symbol, onTick, (from, to) => this.tradesBetween(venueSymbol, from, to), gap('trades'));
          this.loops.push(
            this.loop(
              channel,
              async () => seq.accept((await this.exchange.watchTrades(venueSymbol, undefined, undefined, this.binance ? { name: 'aggTrade' } : {})).map(venueTrade)),
              async () => seq.accept(seq.last === null ? (await this.exchange.fetchTrades(venueSymbol, undefined, 1)).map(venueTrade) : await this.tradesBetween(venueSymbol, seq.last + 1, Number.MAX_SAFE_INTEGER)),
              () => {},
            ),
          );
        } else if (channel === 'ohlcv') {
          const onBar = (bar: Parameters<NonNullable<FeedListeners['onBar']>>[0]) => listeners.onBar?.(bar);
          const seq = new BarSequence(symbol, this.intervalMs, onBar, async (since) => (await this.exchange.fetchOHLCV(venueSymbol, this.config.timeframe, since, 500)).map(candle), gap('bars'));
          this.loops.push(
            this.loop(
              channel,
              async () => seq.accept((await this.exchange.watchOHLCV(venueSymbol, this.config.timeframe)).map(candle)),
              // A cold start takes the forming candle only, as the stream does: no burst of old bars.
              async () => seq.accept((await this.exchange.fetchOHLCV(venueSymbol, this.config.timeframe, seq.since, seq.since === undefined ? 1 : 500)).map(candle)),
              () => seq.markStale(),
            ),
          );
        } else {
          const quote = (t: { timestamp?: number | undefined; bid?: number | undefined; ask?: number | undefined; last?: number | undefined }) =>
            listeners.onQuote?.({ symbol, ts: t.timestamp ?? this.clock.now(), bid: t.bid ?? null, ask: t.ask ?? null, last: t.last ?? null });
          this.loops.push(
            this.loop(
              channel,
              async () => quote(await this.exchange.watchTicker(venueSymbol)),
              async () => quote(await this.exchange.fetchTicker(venueSymbol)),
              () => {},
            ),
          );
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of this.sleeps) wake();
    try {
      await this.exchange.close();
    } catch {
      // Closing streams that never opened.
    }
    await Promise.allSettled(this.loops);
    this.loops = [];
  }

  /** One (symbol, channel): stream while it works, back off on failures, poll REST when it keeps failing. */
  private async loop(channel: FeedChannel, watch: () => Promise<void>, poll: () => Promise<void>, onCut: () => void): Promise<void> {
    const mode = this.modes.get(channel) as ChannelMode;
    let failures = 0;
    while (this.running) {
      if (mode.polling && this.clock.now() < mode.retryWsAt) {
        try {
          await poll();
        } catch (error) {
          if (!this.running) return;
          this.log?.warn({ channel, err: message(error) }, 'REST poll failed');
        }
        await this.sleep(this.config.pollIntervalMs);
        continue;
      }
      try {
        await watch();
        failures = 0;
        mode.polling = false;
        this.setState(channel, 'connected', 'WebSocket stream delivering');
      } catch (error) {
        if (!this.running) return;
        if (error instanceof ccxtErrors.BadSymbol) {
          // A symbol the venue does not list will not appear by retrying.
          this.setState(channel, 'disconnected', `stopped: ${message(error)}`);
          this.log?.warn({ channel, err: message(error) }, 'market data channel stopped: unknown symbol at the venue');
          return;
        }
        onCut();
        failures += 1;
        if (failures >= this.config.pollAfterFailures) {
          mode.polling = true;
          mode.retryWsAt = this.clock.now() + this.config.wsRetryMs;
          this.setState(channel, 'polling', `WebSocket failed ${failures} times (${message(error)}): polling REST every ${this.config.pollIntervalMs} ms`);
          failures = 0;
          continue;
        }
        if (!mode.polling) this.setState(channel, 'disconnected', message(error));
        // No jitter: one process, a handful of streams; the venue sees at most one retry per stream per step.
        await this.sleep(Math.min(this.config.reconnectMaxMs, this.config.reconnectMinMs * 2 ** (failures - 1)));
      }
    }
  }

  private setState(channel: FeedChannel, state: FeedConnectionState, detail: string): void {
    const mode = this.modes.get(channel) as ChannelMode;
    if (mode.state === state) return;
    mode.state = state;
    this.log?.[state === 'connected' ? 'info' : 'warn']({ channel, state }, `market data ${channel}: ${state} (${detail})`);
    this.listeners.onEvent?.({ type: 'feed-connection', venue: this.exchange.id, channel: `market-data/${channel}`, state, detail, ts: this.clock.now() });
  }

  /** Trades with ids in [from, to] by REST: Binance pages by aggregate trade id; others give recent trades. */
  private async tradesBetween(venueSymbol: string, from: number, to: number): Promise<VenueTrade[]> {
    if (!this.binance) return (await this.exchange.fetchTrades(venueSymbol, undefined, PAGE)).map(venueTrade).filter((t) => t.id !== null && t.id >= from && t.id <= to);
    const out: VenueTrade[] = [];
    let next = from;
    for (let page = 0; page < MAX_BACKFILL_PAGES && next <= to; page += 1) {
      const got = (await this.exchange.fetchTrades(venueSymbol, undefined, PAGE, { fromId: next })).map(venueTrade);
      for (const t of got) if (t.id !== null && t.id >= next && t.id <= to) out.push(t);
      const last = got[got.length - 1]?.id;
      if (got.length < PAGE || last === null || last === undefined) break;
      next = last + 1;
    }
    return out;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let cancel: Cancel = () => {};
      const wake = () => {
        this.sleeps.delete(wake);
        cancel();
        resolve();
      };
      this.sleeps.add(wake);
      cancel = this.scheduler.after(ms, wake);
    });
  }
}

function venueTrade(t: Trade): VenueTrade {
  const id = typeof t.id === 'string' && /^\d+$/.test(t.id) ? Number(t.id) : null;
  const info = t.info as { f?: number | string; l?: number | string } | undefined;
  const first = Number(info?.f);
  const last = Number(info?.l);
  const trades = Number.isFinite(first) && Number.isFinite(last) && last >= first ? last - first + 1 : 1;
  return { id, ts: t.timestamp ?? 0, price: Number(t.price), size: t.amount ?? 0, trades };
}

const candle = (c: OHLCV): Candle => [Number(c[0]), Number(c[1]), Number(c[2]), Number(c[3]), Number(c[4]), Number(c[5])];

const message = (error: unknown): string => (error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error));
