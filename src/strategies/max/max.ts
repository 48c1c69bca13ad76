import type { Instrument } from '../../core/instruments.js';
import { roundToStep } from '../../core/instruments.js';
import type { Bar, Tick } from '../../core/market.js';
import type { Position, PositionSide } from '../../core/portfolio-types.js';
import type { BotPhase } from '../../core/scanner.js';
import type { Strategy, StrategyContext } from '../../engine/strategy.js';
import { checkKeys, MaxKeyError, parseExitKey, parseMaxMode, parsePointKey, type ExitKey, type MaxMode, type PointKey } from './keys.js';

/** The contracts the Max bot trades on the paper account and in backtests (index futures). */
export const MAX_CONTRACTS = ['NQ', 'ES', 'MNQ', 'MES'] as const;

export interface MaxConfig {
  symbol: string;
  /**
   * The symbols this run may trade (default MAX_CONTRACTS). A run on an exchange account trades
   * that account's instruments (a Binance USD-M account: BTC/USDT), points being its price units.
   */
  contracts?: readonly string[];
  maxMode: MaxMode | string;
  pointKey: string;
  exitKey: string;
  /** Fixed contracts per entry; absent: the risk engine sizes from the stop distance. */
  qty?: number;
  /** Length of the reference bar (the previous closed bar's high/low); default one minute. */
  barIntervalMs?: number;
}

interface Pending {
  orderId: string;
  side: PositionSide;
  signalPrice: number;
}

export interface MaxSnapshot {
  ref: Bar | null;
  usedRef: number | null;
  pending: Pending | null;
  trade: Trade | null;
}

interface Trade {
  positionId: string;
  side: PositionSide;
  /** The price distances are measured from. */
  signalPrice: number;
  openedAt: number;
  /** Best price since entry (highest for a long, lowest for a short). */
  best: number;
  armed: boolean;
  exitReason: string | null;
  last: Position;
}

/** What the strategy remembers of a closed trade (the booked figures are the portfolio's). */
export interface MaxExitNote {
  side: PositionSide;
  signalPrice: number;
  reason: string;
  closedAt: number;
}

/**
 * Max: a point-based breakout for index futures (keys defined in ./keys.ts).
 *
 * Reference: the previous closed bar (`barIntervalMs`) of the contract. Long trigger =
 * reference high + trigger, short trigger = reference low - trigger; maxMode picks the sides.
 * At most one entry per reference bar: after a trade ends, the next entry waits for a new bar.
 *
 * Fed ticks (live paper trading, tick backtests) every decision is taken on the print: entry
 * on the first print at or beyond a trigger (market order, filled at the next print), trail
 * and time stop on every print. Fed bars only (bar backtests, no ticks in the bar), the same
 * rules run on each closed bar: entry when the close is at or beyond a trigger (signal price =
 * close); an armed trail is hit when the bar's low (long) / high (short) reaches it, then the
 * bar's extreme updates the best price, and the close is checked against the moved trail
 * (the close comes after the extreme); the time stop uses the bar's end.
 * The stop (and the hard target, if any) are broker-side orders attached to the entry, so they
 * fill in the matching engine identically live and in backtests.
 *
 * Phases: LEVEL_BUILDING until a reference bar exists, SIGNAL_WAIT while flat, SIZING and
 * EXECUTION around an entry, MANAGING while in a position.
 */
export class MaxStrategy implements Strategy {
  readonly name = 'max';
  readonly mode: string;
  readonly symbols: readonly string[];
  readonly barIntervalMs: number;
  readonly points: PointKey;
  readonly exit: ExitKey;
  readonly maxMode: MaxMode;
  private ref: Bar | null = null;
  /** Start of the reference bar the last entry or exit happened on: no second entry on it. */
  private usedRef = Number.NaN;
  private lastTickTs = Number.NEGATIVE_INFINITY;
  private pending: Pending | null = null;
  private trade: Trade | null = null;
  private phase: BotPhase | null = null;
  private readonly notes: MaxExitNote[] = [];

  constructor(
    readonly config: MaxConfig,
    readonly instrument: Instrument,
  ) {
    const contracts = config.contracts ?? MAX_CONTRACTS;
    if (!contracts.includes(config.symbol)) {
      throw new MaxKeyError('contract', `contract must be one of ${contracts.join(', ')}; got ${JSON.stringify(config.symbol)}`);
    }
    if (instrument.symbol !== config.symbol) throw new Error(`max: instrument ${instrument.symbol} does not match contract ${config.symbol}`);
    this.maxMode = parseMaxMode(config.maxMode);
    this.points = parsePointKey(config.pointKey);
    this.exit = parseExitKey(config.exitKey);
    checkKeys(this.points, this.exit, instrument.tickSize, instrument.symbol);
    if (config.qty !== undefined && !(Number.isInteger(config.qty) && config.qty >= 1)) {
      throw new MaxKeyError('quantity', `quantity must be a whole number of contracts >= 1, got ${config.qty}`);
    }
    this.barIntervalMs = config.barIntervalMs ?? 60_000;
    if (!(this.barIntervalMs > 0)) throw new Error(`max: barIntervalMs must be positive`);
    this.symbols = [config.symbol];
    this.mode = `max_${this.maxMode}_${config.pointKey}_${config.exitKey}`;
  }

  get currentPhase(): BotPhase | null {
    return this.phase;
  }

  /** Exits the strategy itself decided (trail, target1, timeout) and positions closed by the broker, last 100. */
  get exits(): readonly MaxExitNote[] {
    return this.notes;
  }

  /** Trigger prices against the current reference bar, or null before the first bar. */
  triggers(): { long: number | null; short: number | null } | null {
    if (!this.ref) return null;
    const t = this.points.trigger;
    return {
      long: this.maxMode === 'short' ? null : this.round(this.ref.high + t),
      short: this.maxMode === 'long' ? null : this.round(this.ref.low - t),
    };
  }

  /**
   * What a restart needs to carry on: the reference bar, the working entry, the open trade with
   * its best price and armed trail. JSON-safe (the bot registry stores it).
   */
  snapshot(): MaxSnapshot {
    return { ref: this.ref, usedRef: Number.isNaN(this.usedRef) ? null : this.usedRef, pending: this.pending, trade: this.trade };
  }

  /** Takes a snapshot back after a restart (before the bot starts). */
  restore(s: MaxSnapshot | null | undefined): void {
    if (!s) return;
    this.ref = s.ref ?? null;
    this.usedRef = s.usedRef ?? Number.NaN;
    this.pending = s.pending ?? null;
    this.trade = s.trade ?? null;
    if (this.trade) this.phase = 'MANAGING';
  }

  /** The current trailing stop of the open trade (null when not armed or flat). */
  trailStop(): number | null {
    const t = this.trade;
    if (!t || !t.armed) return null;
    return this.trailLevel(t);
  }

  onTick(tick: Tick, ctx: StrategyContext): void {
    if (tick.symbol !== this.config.symbol) return;
    this.lastTickTs = tick.ts;
    if (!this.ref) {
      const h = ctx.history(tick.symbol);
      this.ref = h[h.length - 1] ?? null;
    }
    this.sync(ctx);
    if (this.trade) {
      this.managePrice(this.trade, tick.price, tick.price, ctx);
      this.checkTimeout(this.trade, ctx.now(), ctx);
      return;
    }
    if (!this.pending) this.checkEntry(tick.price, ctx);
  }

  onBar(bar: Bar, ctx: StrategyContext): void {
    if (bar.symbol !== this.config.symbol) return;
    const tickMode = this.lastTickTs >= bar.start;
    this.sync(ctx);
    if (!tickMode) {
      if (this.trade) {
        const t = this.trade;
        // Against the trail as it stood before this bar, then with the bar's extreme.
        const [worst, best] = t.side === 'long' ? [bar.low, bar.high] : [bar.high, bar.low];
        if (!this.hitTrail(t, worst, ctx)) this.managePrice(t, best, bar.close, ctx);
        this.checkTimeout(t, bar.start + bar.intervalMs, ctx);
      } else if (!this.pending) {
        this.checkEntry(bar.close, ctx);
      }
    }
    this.ref = bar;
    if (!this.trade && !this.pending) {
      const tr = this.triggers();
      const parts = [tr?.long != null ? `long >= ${this.fmt(tr.long)}` : null, tr?.short != null ? `short <= ${this.fmt(tr.short)}` : null].filter(Boolean);
      this.report(ctx, 'SIGNAL_WAIT', `waiting for ${parts.join(' or ')}`);
      ctx.setStatus(bar.symbol, `flat; triggers ${parts.join(', ')} (bar ${this.fmt(bar.low)}-${this.fmt(bar.high)})`);
    }
  }

  // ---- entries ------------------------------------------------------------------------------

  private checkEntry(price: number, ctx: StrategyContext): void {
    const symbol = this.config.symbol;
    if (!this.ref) {
      this.report(ctx, 'LEVEL_BUILDING', 'waiting for the first closed reference bar');
      ctx.setStatus(symbol, 'waiting for the first closed bar');
      return;
    }
    if (this.ref.start === this.usedRef || ctx.hasWorkingOrder(symbol)) return;
    const tr = this.triggers();
    const side: PositionSide | null = tr?.long != null && price >= tr.long ? 'long' : tr?.short != null && price <= tr.short ? 'short' : null;
    if (!side) return;
    this.usedRef = this.ref.start;
    const { trigger, stop } = this.points;
    const sign = side === 'long' ? 1 : -1;
    const refLevel = side === 'long' ? this.ref.high : this.ref.low;
    const what = `${side.toUpperCase()} ${this.fmt(price)}: ${trigger} pts ${side === 'long' ? 'above' : 'below'} last bar ${side === 'long' ? 'high' : 'low'} ${this.fmt(refLevel)}`;
    this.report(ctx, 'SIZING', what);
    const result = ctx.enter({
      symbol,
      side,
      price,
      stopPrice: this.round(price - sign * stop),
      takeProfit: this.exit.target > 0 ? this.round(price + sign * this.exit.target) : null,
      qty: this.config.qty,
      reason: `max ${this.config.pointKey}/${this.config.exitKey} ${what}`,
    });
    if (!result.ok) {
      ctx.setStatus(symbol, `entry refused: ${result.reason}`);
      this.report(ctx, 'SIGNAL_WAIT', `entry refused: ${result.reason}`);
      return;
    }
    this.pending = { orderId: result.orderId, side, signalPrice: price };
    ctx.setStatus(symbol, `${what}; ${result.qty} contract(s) at market, stop ${this.fmt(price - sign * stop)}`);
    this.report(ctx, 'EXECUTION', `entry order ${result.orderId} working`);
  }

  // ---- positions ----------------------------------------------------------------------------

  /** Follows the entry into a position and the position out of the book. */
  private sync(ctx: StrategyContext): void {
    const symbol = this.config.symbol;
    const pos = ctx.position(symbol);
    const t = this.trade;
    if (t) {
      if (pos && pos.id === t.positionId) {
        t.last = pos;
        return;
      }
      this.note({ side: t.side, signalPrice: t.signalPrice, reason: t.exitReason ?? 'stop or target filled', closedAt: ctx.now() });
      this.trade = null;
      if (this.ref) this.usedRef = this.ref.start;
      ctx.setStatus(symbol, `closed ${t.side.toUpperCase()} (${t.exitReason ?? 'stop or target filled'})`);
      this.report(ctx, 'SIGNAL_WAIT', `position closed: ${t.exitReason ?? 'stop or target filled'}`);
    }
    if (pos && !this.trade) {
      const p = this.pending;
      this.trade = {
        positionId: pos.id,
        side: pos.side,
        signalPrice: p?.signalPrice ?? pos.avgPrice,
        openedAt: pos.openedAt,
        best: p?.signalPrice ?? pos.avgPrice,
        armed: false,
        exitReason: null,
        last: pos,
      };
      this.pending = null;
      ctx.setStatus(symbol, `in ${pos.side.toUpperCase()} ${pos.qty} @ ${this.fmt(pos.avgPrice)}, stop ${pos.stopPrice ?? 'none'}, target ${pos.takeProfit ?? 'none'}`);
      this.report(ctx, 'MANAGING', `managing ${pos.side} ${pos.qty} ${symbol}`);
      return;
    }
    if (this.pending && !pos && !ctx.hasWorkingOrder(symbol)) {
      ctx.setStatus(symbol, `entry order ${this.pending.orderId} ended without a position`);
      this.pending = null;
      this.report(ctx, 'SIGNAL_WAIT', 'entry order ended without a position');
    }
  }

  /** Updates the best price with `extreme`, arms the trail, then checks `after` against it. */
  private managePrice(t: Trade, extreme: number, after: number, ctx: StrategyContext): void {
    if (t.exitReason) return;
    const sign = t.side === 'long' ? 1 : -1;
    if (sign * (extreme - t.best) > 0) t.best = extreme;
    const { target1, trail } = this.points;
    if (!t.armed && sign * (t.best - t.signalPrice) >= target1) {
      t.armed = true;
      if (trail === 0) {
        this.close(t, `target1 +${target1} pts`, ctx);
        return;
      }
      ctx.setStatus(this.config.symbol, `trail armed at +${target1} pts: stop ${this.fmt(this.trailLevel(t))}`);
    }
    this.hitTrail(t, after, ctx);
  }

  /** Closes the trade when `price` reaches the armed trail; true if it did. */
  private hitTrail(t: Trade, price: number, ctx: StrategyContext): boolean {
    if (!t.armed || t.exitReason) return false;
    const level = this.trailLevel(t);
    const sign = t.side === 'long' ? 1 : -1;
    if (sign * (price - level) > 0) return false;
    this.close(t, `trail ${this.points.trail} pts from best ${this.fmt(t.best)} (stop ${this.fmt(level)})`, ctx);
    return true;
  }

  private checkTimeout(t: Trade, now: number, ctx: StrategyContext): void {
    const minutes = this.exit.timeoutMinutes;
    if (minutes > 0 && !t.exitReason && now - t.openedAt >= minutes * 60_000) this.close(t, `timeout ${minutes} min`, ctx);
  }

  private close(t: Trade, reason: string, ctx: StrategyContext): void {
    if (ctx.exit(this.config.symbol, reason)) {
      t.exitReason = reason;
      ctx.setStatus(this.config.symbol, `exit ${t.side.toUpperCase()}: ${reason}`);
    }
  }

  private trailLevel(t: Trade): number {
    const sign = t.side === 'long' ? 1 : -1;
    const initial = t.signalPrice - sign * this.points.stop;
    const trailing = t.best - sign * this.points.trail;
    return sign > 0 ? Math.max(initial, trailing) : Math.min(initial, trailing);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private note(n: MaxExitNote): void {
    this.notes.push(n);
    if (this.notes.length > 100) this.notes.shift();
  }

  private report(ctx: StrategyContext, phase: BotPhase, reason: string): void {
    if (this.phase === phase) return;
    this.phase = phase;
    ctx.setPhase(phase, reason);
  }

  private round(price: number): number {
    return roundToStep(price, this.instrument.tickSize);
  }

  private fmt(price: number): string {
    return price.toFixed(2);
  }
}
