import type { InstrumentRegistry } from '../core/instruments.js';
import type { Bar, Tick } from '../core/market.js';
import type { MarketStatsView } from '../core/scanner.js';
import { BarBuilder } from './bar-builder.js';
import { BAR_HISTORY_CAPACITY, BarHistory } from './bar-history.js';
import { SymbolMarketStats } from './market-stats.js';
import type { MessageBus } from './message-bus.js';

const NO_BARS: readonly Bar[] = Object.freeze([]);

/** Where the bars of one (symbol, interval) go: its history (if subscribed) and the symbol's stats (unless its ticks count them). */
interface BarRoute {
  symbol: string;
  intervalMs: number;
  history: BarHistory | undefined;
  stats: SymbolMarketStats | null;
}

/**
 * Turns ticks into bars for every (symbol, interval) a consumer asked for, keeps the last
 * closed bars of each subscription and rolling market statistics of every symbol that traded.
 */
export class DataEngine {
  private readonly builders = new Map<string, BarBuilder[]>();
  private readonly histories = new Map<string, Map<number, BarHistory>>();
  private readonly stats = new Map<string, SymbolMarketStats>();
  /** `symbol|intervalMs` whose bars a feed delivers closed (`onBar`): never built from ticks. */
  private readonly external = new Map<string, { ticksToo: boolean }>();

  constructor(
    private readonly bus: MessageBus,
    /** Point values for the traded value in USD; without it every symbol counts 1 per point. */
    private readonly instruments?: InstrumentRegistry,
    private readonly historyCapacity = BAR_HISTORY_CAPACITY,
  ) {}

  /**
   * Bars of (symbol, interval) arrive closed from a feed (a venue's klines): a subscription to
   * them keeps their history but builds nothing from ticks, so no bar is published twice.
   * Call before subscribing.
   */
  useExternalBars(symbol: string, intervalMs: number, options: { ticksToo: boolean }): void {
    this.external.set(`${symbol}|${intervalMs}`, options);
    this.forgetRoutes();
  }

  subscribeBars(symbol: string, intervalMs: number): void {
    this.forgetRoutes();
    const list = this.builders.get(symbol) ?? [];
    if (list.some((b) => b.intervalMs === intervalMs)) return;
    const existing = this.histories.get(symbol)?.get(intervalMs);
    if (existing && this.external.has(`${symbol}|${intervalMs}`)) return;
    const history = new BarHistory(this.historyCapacity);
    const byInterval = this.histories.get(symbol) ?? new Map<number, BarHistory>();
    byInterval.set(intervalMs, history);
    this.histories.set(symbol, byInterval);
    if (this.external.has(`${symbol}|${intervalMs}`)) return;
    // The bar is in the history before anyone hears of it, so a strategy's onBar sees it last.
    list.push(
      new BarBuilder(symbol, intervalMs, (bar) => {
        history.push(bar);
        this.bus.publish({ type: 'bar', bar });
      }),
    );
    this.builders.set(symbol, list);
  }

  /**
   * A tick first closes any bar it ends, then is published: an order placed on a bar's close
   * meets this tick (the next bar's open) in the matching engine. O(1) per tick.
   */
  onTick(tick: Tick): void {
    const list = this.builders.get(tick.symbol);
    if (list) for (let i = 0; i < list.length; i += 1) (list[i] as BarBuilder).onTick(tick);
    this.statsOf(tick.symbol).onTick(tick.ts, tick.price, tick.size, tick.trades);
    this.bus.publish({ type: 'tick', tick });
  }

  /**
   * A closed bar from a bar feed (no ticks): kept in the history of its (symbol, interval)
   * subscription, counted in the market statistics, then published as bars built from ticks
   * are. A bar of an interval nobody subscribed to is still published.
   */
  onBar(bar: Bar): void {
    let route = this.lastRoute;
    if (route === null || route.symbol !== bar.symbol || route.intervalMs !== bar.intervalMs) route = this.routeOf(bar.symbol, bar.intervalMs);
    route.history?.push(bar);
    // The symbol's ticks are counted already when the feed sends both.
    if (route.stats) route.stats.onBar(bar);
    this.bus.publish({ type: 'bar', bar });
  }

  /**
   * Where a bar of (symbol, interval) goes, looked up once and kept until the next one of another
   * (symbol, interval) or a subscription change: a bar feed sends one series at a time, so its
   * bars skip the key string and three map lookups.
   */
  private lastRoute: BarRoute | null = null;
  /** Every route looked up since the last subscription change (bars of several series interleave live). */
  private readonly routes = new Map<string, BarRoute>();

  private routeOf(symbol: string, intervalMs: number): BarRoute {
    const key = `${symbol}|${intervalMs}`;
    let route = this.routes.get(key);
    if (!route) {
      const ticksToo = this.external.get(key)?.ticksToo === true;
      route = { symbol, intervalMs, history: this.histories.get(symbol)?.get(intervalMs), stats: ticksToo ? null : this.statsOf(symbol) };
      this.routes.set(key, route);
    }
    this.lastRoute = route;
    return route;
  }

  private forgetRoutes(): void {
    this.lastRoute = null;
    this.routes.clear();
  }

  private statsOf(symbol: string): SymbolMarketStats {
    let stats = this.stats.get(symbol);
    if (!stats) {
      stats = new SymbolMarketStats(symbol, this.instruments?.find(symbol)?.pointValue ?? 1);
      this.stats.set(symbol, stats);
    }
    return stats;
  }

  lastPrice(symbol: string): number | undefined {
    return this.stats.get(symbol)?.lastPrice;
  }

  /** Closed bars kept for a (symbol, interval) subscription, oldest first (at most the capacity). */
  history(symbol: string, intervalMs: number): readonly Bar[] {
    return this.histories.get(symbol)?.get(intervalMs)?.bars() ?? NO_BARS;
  }

  /**
   * Rolling 24 h traded value, trades per minute and 5/15-minute ATRs of a symbol, undefined
   * until it traded. `now` (default: the symbol's last tick) ages out old data for quiet symbols.
   */
  marketStats(symbol: string, now?: number): MarketStatsView | undefined {
    return this.stats.get(symbol)?.view(now);
  }

  /** Symbols that have traded since start. */
  symbolsWithStats(): string[] {
    return [...this.stats.keys()];
  }
}
