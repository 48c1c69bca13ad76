import { PaperBroker } from '../adapters/broker-paper.js';
import { SimClock } from '../core/clock.js';
import { BUILTIN_INSTRUMENTS, InstrumentRegistry, type Instrument } from '../core/instruments.js';
import type { Bar, Tick } from '../core/market.js';
import type { Order } from '../core/orders.js';
import type { ClosedTrade } from '../core/portfolio-types.js';
import { Kernel } from '../engine/kernel.js';
import { DEFAULT_ACCOUNT_LEVERAGE, DEFAULT_RISK, type RiskConfig } from '../engine/risk-engine.js';
import type { AccountRiskLimits } from '../engine/account-risk.js';
import type { Strategy } from '../engine/strategy.js';
import { ScheduleFeeModel, TickSlippage } from '../sim/fees.js';
import { closingReason } from '../core/exit-reason.js';
import { MemoryStore } from './memory-store.js';
import { CandleSampler, type Candle } from './candle-sampler.js';
import { barsPerYear, endingAt, EquityStats, type EquityPoint } from './metrics.js';
import { buildStrategy, type StrategySpec } from './strategies.js';

export { buildStrategy, BacktestSpecError, describeStrategy, parseStrategySpec, type MaxSpec, type SmaCrossSpec, type StrategySpec } from './strategies.js';

/*
 * Execution semantics (the same kernel, risk engine, execution engine, portfolio and paper
 * matching engine as live; only the clock and the store differ):
 * - Bars are fed to the kernel as closed bars (Kernel.onBar), never turned into ticks. For each
 *   bar, with the clock at the bar's close: working orders are matched on the bar's range
 *   (MatchingEngine.onPrice with its open, high and low), positions are marked at the close,
 *   then strategies see the bar.
 * - A market order placed on a bar's close fills at the next bar's open (plus slippage).
 * - A limit order fills when the bar's range reaches it: at the limit, or at the open when the
 *   bar opens through it (better). A stop triggers when the range reaches it and fills at the
 *   stop, or at the open when the bar gaps through it (worse), plus slippage.
 * - Orders placed while a bar is matched (protective stop/target after an entry fills at the
 *   open) start working from the next bar.
 * - With `maxVolumeShare`, the fills of one bar (tick) add up to at most that share of its volume;
 *   the rest of an order keeps working and fills over the next bars (partial fills: a market order
 *   at each next open, a limit at the limit or better). Off by default: orders fill whole.
 * - Fees: `feeRate` of notional for taker fills (market, stop), `makerRate` (default: the same)
 *   for limit fills, plus `perContract` per unit; slippage is a fixed number of ticks against
 *   the taker (market and stop fills). Zero is allowed for all.
 * - Ticks (Kernel.onTick) work as live: bars are built from the ticks, and the paper broker
 *   matches each tick, so a market order placed on a bar's close fills at the next tick. Ticks
 *   must come in time order (TickOrderError otherwise).
 * - End of data: a position still open is reported as open (`openPosition`), or, with
 *   `closeAtEnd`, closed at market: the bot stops, an exit ("end of data") is sent and meets
 *   one more print at the last price and time (ticks) or the last close (bars).
 * - Every trade carries how it ended (`exitReason`): the closing order's purpose ("stop loss",
 *   "exit target") or, for a market exit, the reason the strategy gave.
 */

export interface BacktestConfig {
  /** Symbol of a built-in instrument, e.g. BTC/USDT. */
  instrument: string;
  strategy: StrategySpec;
  /** Starting cash. Default 100 000. */
  cash?: number;
  /** Fee as a fraction of notional (0.0004 = 4 bps) for taker fills. Default 0. */
  feeRate?: number;
  /** Fee rate for limit (maker) fills; default `feeRate`. */
  makerRate?: number;
  /** Fixed fee per unit or contract per fill. Default 0. */
  perContract?: number;
  /** Slippage in ticks against the taker. Default 0. */
  slippageTicks?: number;
  /**
   * Volume cap: the fills of one bar (or tick) add up to at most this share of its volume; the
   * rest of an order stays working for the next ones (partial fills). Default: none, every order
   * fills whole (the reference semantics).
   */
  maxVolumeShare?: number | null;
  /** Risk sizing and the bot's limits. Default: the live defaults (DEFAULT_RISK: 0.5% per trade, 3 positions, 5x per entry). */
  risk?: RiskConfig;
  /** Account-wide limits (gross/net leverage, margin, daily loss, order rate...). Default: the live ones (DEFAULT_ACCOUNT_LIMITS). */
  limits?: Partial<AccountRiskLimits>;
  /** The account's leverage (margin = notional / leverage). Default: the live account's (DEFAULT_ACCOUNT_LEVERAGE, 10). */
  leverage?: number;
  /** Points kept in the equity curve. Default 500. */
  equityPoints?: number;
  /** Candles kept for the report's price chart (default 600). */
  candlePoints?: number;
  /** Close a position still open at the end of the data at the last price (default: report it as open). */
  closeAtEnd?: boolean;
}

export interface OpenPositionReport {
  side: 'long' | 'short';
  qty: number;
  avgPrice: number;
  markPrice: number;
  unrealizedPnl: number;
  openedAt: number;
}

/** A closed trade of the report: the journal's closed-trade figures plus how it ended. */
export type TradeReport = Pick<ClosedTrade, 'side' | 'qty' | 'entryPrice' | 'exitPrice' | 'openedAt' | 'closedAt' | 'grossPnl' | 'fees' | 'netPnl' | 'pnlR'> & {
  /** How the trade ended: "stop loss", "exit target", the strategy's exit reason, "end of data". */
  exitReason: string;
};

export interface BacktestReport {
  instrument: string;
  strategy: StrategySpec;
  intervalMs: number;
  /** Open time of the first bar (or first tick's time) and close of the last, ms. */
  from: number | null;
  to: number | null;
  bars: number;
  ticks: number;
  orders: number;
  fills: number;
  closedTrades: number;
  /** Same as closedTrades. */
  totalTrades: number;
  winningTrades: number;
  losingTrades: number;
  /** Winning / closed trades (net of fees), 0 without trades. */
  winRate: number;
  /** Sum of the closed trades' net PnL (after their fees). */
  closedPnl: number;
  /** Same as closedPnl. */
  totalProfit: number;
  /** Every fee paid, open position's entry included. */
  fees: number;
  startingCash: number;
  /** Equity at the end: cash plus the open position marked at the last price. */
  finalValue: number;
  returnPct: number;
  openPosition: OpenPositionReport | null;
  /** A position open after the last datum was closed at the last price (`closeAtEnd`). */
  closedAtEnd: boolean;
  /** Largest fall of equity from a running peak, in currency (bar closes; every tick for tick data). */
  maxDrawdown: number;
  maxDrawdownPct: number;
  /** Fraction of bars at whose close a position was open. */
  exposure: number;
  /**
   * Per-bar simple returns of equity, mean / sample standard deviation, times sqrt(bars per
   * year = 365 x 24 h / interval); risk-free rate 0; null without variance.
   */
  sharpe: number | null;
  equityCurve: EquityPoint[];
  /** The price the backtest saw, as at most `candlePoints` candles (its chart: trades drawn on candles). */
  candles: Candle[];
  /** Bars merged into each candle (1 while the run had at most `candlePoints` bars). */
  barsPerCandle: number;
  trades: TradeReport[];
  /** Time spent in the kernel only (loading excluded), ms. */
  kernelMs: number;
  /** Time spent waiting for data (reading, decompressing, parsing), ms; 0 when fed from memory. */
  loadMs: number;
  barsPerSecond: number;
  ticksPerSecond: number;
  cancelled: boolean;
}

/** Backtests trade under the live defaults (they were 1% per trade and a 100x cap before). */
export const DEFAULT_BACKTEST_RISK: RiskConfig = DEFAULT_RISK;

const round8 = (v: number): number => Math.round(v * 1e8) / 1e8;

/** Ticks out of time order; `index` is the 0-based number of the tick in the input. */
export class TickOrderError extends Error {
  override name = 'TickOrderError';
  constructor(
    readonly index: number,
    readonly ts: number,
    readonly previous: number,
  ) {
    super(`ticks must be in time order: tick ${index + 1} at ${new Date(ts).toISOString()} is before ${new Date(previous).toISOString()}`);
  }
}

/**
 * One backtest: a kernel on a SimClock with the paper broker and an in-memory store, fed bars
 * or ticks in batches. Build, feed, then `report()`. The kernel is created at the first datum
 * (its account day starts there); `kernel` is exposed for tests that place orders directly.
 */
export class Backtester {
  readonly clock = new SimClock(0);
  readonly store = new MemoryStore();
  readonly instruments = new InstrumentRegistry(BUILTIN_INSTRUMENTS);
  readonly instrument: Instrument;
  readonly broker: PaperBroker;
  private k: Kernel | null = null;
  private readonly stats: EquityStats;
  private readonly candles: CandleSampler;
  private intervalMs = 0;
  private barCount = 0;
  private tickCount = 0;
  private inMarketBars = 0;
  private first: number | null = null;
  private lastTs: number | null = null;
  private kernelNs = 0n;
  private loadNs = 0n;
  private cancelled = false;
  private lastTick: Tick | null = null;
  private lastTickTs = Number.NEGATIVE_INFINITY;
  private closedAtEnd = false;
  private readonly exitReasons = new Map<string, string>();

  constructor(
    readonly config: BacktestConfig,
    /** Overrides the strategy of the spec (tests); null runs no strategy at all. */
    private readonly strategyFactory?: ((intervalMs: number) => Strategy) | null,
  ) {
    this.instrument = this.instruments.get(config.instrument);
    const rate = config.feeRate ?? 0;
    const schedule = { takerRate: rate, makerRate: config.makerRate ?? rate, perContract: config.perContract ?? 0 };
    for (const [name, v] of Object.entries(schedule)) if (!(v >= 0)) throw new Error(`${name} must be >= 0, got ${v}`);
    if (!((config.slippageTicks ?? 0) >= 0)) throw new Error(`slippageTicks must be >= 0, got ${config.slippageTicks}`);
    const share = config.maxVolumeShare ?? null;
    if (share !== null && !(share > 0 && share <= 1)) throw new Error(`maxVolumeShare must be above 0 and at most 1, got ${share}`);
    this.broker = new PaperBroker({
      clock: this.clock,
      instruments: this.instruments,
      fees: ScheduleFeeModel.uniform(schedule),
      slippage: new TickSlippage(config.slippageTicks ?? 0),
      maxVolumeShare: share,
    });
    this.stats = new EquityStats(config.equityPoints ?? 500);
    this.candles = new CandleSampler(config.candlePoints ?? 600);
  }

  get kernel(): Kernel {
    if (!this.k) throw new Error('the kernel starts with the first bar or tick');
    return this.k;
  }

  /** Feeds closed bars of the backtest's instrument, oldest first. */
  feedBars(bars: readonly Bar[]): void {
    if (bars.length === 0) return;
    const t0 = process.hrtime.bigint();
    const first = bars[0] as Bar;
    const kernel = this.k ?? this.init(first.start, first.intervalMs, 'bars');
    const clock = this.clock;
    const portfolio = kernel.portfolio;
    const symbol = this.instrument.symbol;
    const stats = this.stats;
    for (let i = 0; i < bars.length; i += 1) {
      const bar = bars[i] as Bar;
      if (bar.symbol !== symbol) continue;
      const close = bar.start + bar.intervalMs;
      if (close <= clock.now()) throw new Error(`bars out of order or duplicated at ${new Date(bar.start).toISOString()}`);
      clock.set(close);
      kernel.onBar(bar);
      this.candles.add(bar);
      this.barCount += 1;
      if (portfolio.position(symbol)) this.inMarketBars += 1;
      stats.bar(close, portfolio.equity());
    }
    this.lastTs = this.clock.now();
    this.kernelNs += process.hrtime.bigint() - t0;
  }

  /** Feeds ticks of the backtest's instrument, oldest first; strategies get bars built from them. */
  feedTicks(ticks: readonly Tick[]): void {
    if (ticks.length === 0) return;
    const t0 = process.hrtime.bigint();
    const first = ticks[0] as Tick;
    const kernel = this.k ?? this.init(first.ts, this.config.strategy.barIntervalMs ?? 60_000, 'ticks');
    const clock = this.clock;
    const portfolio = kernel.portfolio;
    const stats = this.stats;
    const symbol = this.instrument.symbol;
    let previous = this.lastTickTs;
    let last: Tick | null = null;
    try {
      for (let i = 0; i < ticks.length; i += 1) {
        const tick = ticks[i] as Tick;
        if (tick.symbol !== symbol) continue;
        if (tick.ts < previous) throw new TickOrderError(this.tickCount + i, tick.ts, previous);
        previous = tick.ts;
        last = tick;
        if (tick.ts > clock.now()) clock.set(tick.ts);
        kernel.onTick(tick);
        if (portfolio.position(symbol)) stats.mark(portfolio.equity());
      }
    } finally {
      this.lastTickTs = previous;
      if (last) this.lastTick = last;
    }
    this.tickCount += ticks.length;
    this.lastTs = this.clock.now();
    this.kernelNs += process.hrtime.bigint() - t0;
  }

  /** Time spent waiting for data, added to the report's loadMs. */
  addLoadTime(ns: bigint): void {
    this.loadNs += ns;
  }

  progress(): { bars: number; ticks: number; ts: number | null } {
    return { bars: this.barCount, ticks: this.tickCount, ts: this.lastTs };
  }

  markCancelled(): void {
    this.cancelled = true;
  }

  /**
   * End of data with `closeAtEnd`: stops the bot and closes its open position at market, filled
   * by one more print at the last price and time (bars: the last close). True if it closed one.
   */
  closeOpenPosition(): boolean {
    const kernel = this.k;
    const symbol = this.instrument.symbol;
    if (!kernel || !kernel.portfolio.position(symbol)) return false;
    const bot = kernel.bot('backtest');
    if (!bot) return false;
    bot.stop();
    if (!bot.context.exit(symbol, 'end of data')) return false;
    const t0 = process.hrtime.bigint();
    const last = this.lastTick;
    if (last) {
      // The bot no longer listens: this print only meets the exit order, which it fills whole.
      this.uncapped = true;
      try {
        kernel.onTick({ ...last, size: 0, trades: 0 });
      } finally {
        this.uncapped = false;
      }
    } else {
      const price = kernel.data.lastPrice(symbol) ?? kernel.portfolio.position(symbol)?.markPrice ?? 0;
      this.broker.onPrice({ symbol, ts: this.clock.now(), open: price, high: price, low: price });
    }
    this.stats.mark(kernel.portfolio.equity());
    this.kernelNs += process.hrtime.bigint() - t0;
    this.closedAtEnd = !kernel.portfolio.position(symbol);
    return this.closedAtEnd;
  }

  private init(firstTs: number, intervalMs: number, mode: 'bars' | 'ticks'): Kernel {
    this.intervalMs = intervalMs;
    this.first = firstTs;
    this.clock.set(firstTs);
    const kernel = new Kernel({
      clock: this.clock,
      store: this.store,
      broker: this.broker,
      instruments: this.instruments,
      account: { id: 'backtest', currency: this.instrument.currency, startingBalance: this.config.cash ?? 100_000, leverage: this.config.leverage ?? DEFAULT_ACCOUNT_LEVERAGE },
      risk: this.config.risk ?? DEFAULT_BACKTEST_RISK,
      limits: this.config.limits,
      scanIntervalMs: 60_000,
      onError: (error, context) => {
        throw new Error(`backtest kernel error in ${context}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      },
      matchBar: mode === 'bars' ? (bar) => this.matchBar(bar) : undefined,
    });
    if (mode === 'ticks') {
      // As the live composition root wires the paper broker: it matches every tick.
      kernel.bus.on('tick', ({ tick }) =>
        this.broker.onPrice({ symbol: tick.symbol, ts: tick.ts, open: tick.price, high: tick.price, low: tick.price, ...(this.uncapped ? {} : { volume: tick.size }) }),
      );
      kernel.bus.on('bar', ({ bar }) => {
        if (bar.symbol !== this.instrument.symbol || bar.intervalMs !== this.intervalMs) return;
        this.candles.add(bar);
        this.barCount += 1;
        if (kernel.portfolio.position(bar.symbol)) this.inMarketBars += 1;
        this.stats.bar(bar.start + bar.intervalMs, kernel.portfolio.equity());
      });
    }
    // The closing fill's order (a copy made for the event): its reason is worked out only when it closed a trade.
    let closing: Order | null = null;
    kernel.bus.on('fill', ({ order }) => (closing = order));
    kernel.bus.on('trade-closed', ({ trade }) => this.exitReasons.set(trade.id, closing ? closingReason(closing) : 'exit'));
    this.k = kernel;
    const strategy = this.strategyFactory === undefined ? buildStrategy(this.config.strategy, this.instrument, this.config.strategy.barIntervalMs ?? intervalMs) : this.strategyFactory?.(intervalMs);
    if (strategy) kernel.addBot('backtest', strategy).start();
    return kernel;
  }

  /** One reused price update per bar: the matching engine reads it and keeps nothing of it. */
  private readonly range = { symbol: '', ts: 0, open: 0, high: 0, low: 0, volume: 0 };
  /** True while the end-of-data print closes the position: no volume cap on it. */
  private uncapped = false;

  private matchBar(bar: Bar): void {
    const r = this.range;
    r.symbol = bar.symbol;
    r.ts = bar.start;
    r.open = bar.open;
    r.high = bar.high;
    r.low = bar.low;
    r.volume = bar.volume;
    this.broker.onPrice(r);
  }

  report(): BacktestReport {
    const kernel = this.k;
    const trades = this.store.allTrades();
    let closedPnl = 0;
    let wins = 0;
    let losses = 0;
    for (const t of trades) {
      closedPnl += t.netPnl;
      if (t.netPnl > 0) wins += 1;
      else if (t.netPnl < 0) losses += 1;
    }
    const cash = this.config.cash ?? 100_000;
    const position = kernel?.portfolio.position(this.instrument.symbol);
    const finalValue = kernel ? kernel.portfolio.equity() : cash;
    const kernelMs = Number(this.kernelNs) / 1e6;
    const seconds = kernelMs / 1000;
    const candles = this.candles.result();
    return {
      instrument: this.instrument.symbol,
      strategy: this.config.strategy,
      intervalMs: this.intervalMs,
      from: this.first,
      to: this.lastTs,
      bars: this.barCount,
      ticks: this.tickCount,
      orders: this.store.orderCount,
      fills: this.store.allFills().length,
      closedTrades: trades.length,
      totalTrades: trades.length,
      winningTrades: wins,
      losingTrades: losses,
      winRate: trades.length ? wins / trades.length : 0,
      closedPnl: round8(closedPnl),
      totalProfit: round8(closedPnl),
      fees: kernel ? kernel.portfolio.accountState().fees : 0,
      startingCash: cash,
      finalValue,
      returnPct: round8(((finalValue - cash) / cash) * 100),
      openPosition: position
        ? { side: position.side, qty: position.qty, avgPrice: position.avgPrice, markPrice: position.markPrice, unrealizedPnl: position.unrealizedPnl, openedAt: position.openedAt }
        : null,
      closedAtEnd: this.closedAtEnd,
      maxDrawdown: round8(this.stats.maxDrawdown),
      maxDrawdownPct: round8(this.stats.maxDrawdownPct),
      exposure: this.barCount ? this.inMarketBars / this.barCount : 0,
      sharpe: this.intervalMs > 0 ? this.stats.sharpe(barsPerYear(this.intervalMs)) : null,
      equityCurve: endingAt(this.stats.equityCurve(), this.lastTs, finalValue),
      candles: candles.candles,
      barsPerCandle: candles.barsPerCandle,
      trades: trades.map((t) => tradeReport(t, this.exitReasons.get(t.id) ?? 'exit')),
      kernelMs: Math.round(kernelMs * 1000) / 1000,
      loadMs: Math.round((Number(this.loadNs) / 1e6) * 1000) / 1000,
      barsPerSecond: seconds > 0 ? Math.round(this.barCount / seconds) : 0,
      ticksPerSecond: seconds > 0 ? Math.round(this.tickCount / seconds) : 0,
      cancelled: this.cancelled,
    };
  }
}

const tradeReport = (t: ClosedTrade, exitReason: string): TradeReport => ({
  side: t.side,
  qty: t.qty,
  entryPrice: t.entryPrice,
  exitPrice: t.exitPrice,
  openedAt: t.openedAt,
  closedAt: t.closedAt,
  grossPnl: t.grossPnl,
  fees: t.fees,
  netPnl: t.netPnl,
  pnlR: t.pnlR,
  exitReason,
});

export interface RunHooks {
  /** Called after each batch. */
  onProgress?: (progress: { bars: number; ticks: number; ts: number | null }) => void;
  /** Checked between batches; true ends the run early (the report says cancelled). */
  shouldStop?: () => boolean;
}

type Batches<T> = AsyncIterable<readonly T[]> | Iterable<readonly T[]>;

/** Runs a backtest over batches of bars, timing loading and the kernel apart. */
export function runBacktest(config: BacktestConfig, source: Batches<Bar>, hooks: RunHooks = {}): Promise<BacktestReport> {
  return drive(new Backtester(config), source, (bt, batch) => bt.feedBars(batch), hooks);
}

/** Runs a tick-level backtest over batches of ticks (strategies get bars built from them). */
export function runTickBacktest(config: BacktestConfig, source: Batches<Tick>, hooks: RunHooks = {}): Promise<BacktestReport> {
  return drive(new Backtester(config), source, (bt, batch) => bt.feedTicks(batch), hooks);
}

async function drive<T>(bt: Backtester, source: Batches<T>, feed: (bt: Backtester, batch: readonly T[]) => void, hooks: RunHooks): Promise<BacktestReport> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  let cancelled = false;
  for (;;) {
    if (hooks.shouldStop?.()) {
      bt.markCancelled();
      cancelled = true;
      break;
    }
    const t0 = process.hrtime.bigint();
    const next = await iterator.next();
    bt.addLoadTime(process.hrtime.bigint() - t0);
    if (next.done) break;
    feed(bt, next.value);
    hooks.onProgress?.(bt.progress());
  }
  await iterator.return?.();
  if (bt.config.closeAtEnd && !cancelled) bt.closeOpenPosition();
  return bt.report();
}
