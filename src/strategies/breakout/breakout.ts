import { utcDay } from '../../core/clock.js';
import type { Instrument } from '../../core/instruments.js';
import type { Bar, Tick } from '../../core/market.js';
import type { Position, PositionSide } from '../../core/portfolio-types.js';
import type { BotPhase, ScanLevel, ScannerSnapshot } from '../../core/scanner.js';
import type { Strategy, StrategyContext } from '../../engine/strategy.js';
import { meanVolume, volumeRatio } from './bar-math.js';
import type { Preset } from './preset.js';
import { collectScanInputs, scanMarkets } from './scanner.js';

/** A scanned candidate the strategy waits on for a breakout. */
interface Watch {
  atr: number;
  levels: ScanLevel[];
  rank: number;
}

interface PendingEntry {
  orderId: string;
  side: PositionSide;
  level: number;
}

interface Tracked {
  id: string;
  /** The position as last seen (the portfolio's live object, or the last copy it returned). */
  last: Position;
  barsHeld: number;
}

export interface ClosedTradeEstimate {
  symbol: string;
  side: PositionSide;
  /** Estimated R of the closed position (see BreakoutStrategy). */
  r: number;
  closedAt: number;
}

const fmtPrice = (v: number, inst: Instrument | undefined): string => {
  const digits = inst ? Math.max(0, Math.min(8, -Math.floor(Math.log10(inst.tickSize)))) : 2;
  return v.toFixed(digits);
};

/**
 * Level breakout strategy driven by a preset, reporting seed 001's working phases:
 *
 *   SCANNING        once per bar period (the first closed bar of a new period triggers it) the
 *                   scanner runs over the history and market statistics of the preset's
 *                   symbols and the snapshot is published (ctx.publishScan);
 *   LEVEL_BUILDING  the candidates' support/resistance levels (scanner stage f) become the
 *                   levels watched: resistances, and supports when shorts are allowed;
 *   SIGNAL_WAIT     waiting for a close beyond a watched level by breakout_buffer_atr x ATR
 *                   (the previous close not yet beyond it) with the bar's volume over the
 *                   average of the lookback before it >= min_volume_ratio; shorts below
 *                   support only with allow_short. Levels come from scans of earlier bars, so
 *                   the breakout bar never moves the level it breaks;
 *   SIZING          a signal passed the strategy's own limits; stop = level -/+
 *                   stop_buffer_atr x ATR, target = entry +/- take_profit_r x (entry - stop);
 *                   the kernel's risk engine sizes the order;
 *   EXECUTION       the entry order is working (a refusal is reported with setStatus and the
 *                   strategy goes back to SCANNING);
 *   MANAGING        while the bot holds positions: each is closed after max_hold_bars bars
 *                   (the protective stop and target orders ride with the entry). Scanning and
 *                   entries on other symbols continue while capacity remains; the phase
 *                   stays MANAGING except for the SIZING/EXECUTION of a new entry.
 * Rescanning while a watch list exists stays in SIGNAL_WAIT (no SCANNING/LEVEL_BUILDING
 * events every bar). With candidates but no level to break yet (too few touches, or only
 * supports when shorts are not allowed) the phase is LEVEL_BUILDING; with no candidate at all,
 * or while a limit forbids new trades, SCANNING.
 *
 * Limits (no new entries, existing positions still managed):
 * - max_concurrent_positions: this bot's open positions plus entries still working;
 * - daily_risk_limit_r is enforced by the risk engine, not here (RiskConfig.dailyLossLimitR,
 *   code bot_daily_loss_limit): the account's day P/L (equity - day start equity, so open
 *   losses, fees and slippage count) in units of R = day start equity x risk_per_trade; an
 *   entry it refuses is reported with setStatus like any refusal;
 * - max_consecutive_losses: the R of each closed position of this bot is estimated from the
 *   last state the strategy saw of it (realised + unrealised PnL at its last mark - the entry
 *   fee - as much again for the exit fee, over its initial risk). The strategy looks at its
 *   positions on every tick of their symbol, and the kernel marks a position before the tick
 *   can fill its stop, so the last mark is the exit tick's price; slippage is missing, and a
 *   target filled as a maker order paid less fee than assumed (on 20 days of 2024 BTCUSDT 1m
 *   data with 0.04/0.02% fees the sign matched the booked trade's in 98 of 100, the two
 *   misses near breakeven). A loss (R < 0) extends the streak, anything else ends
 *   it; the streak restarts each UTC day.
 * The phase is the bot's, not a symbol's: per-symbol detail goes to ctx.setStatus.
 */
export class BreakoutStrategy implements Strategy {
  readonly name = 'breakout';
  readonly mode: string;
  private readonly watch = new Map<string, Watch>();
  private readonly pending = new Map<string, PendingEntry>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly closed: ClosedTradeEstimate[] = [];
  private lastScanBarStart = Number.NEGATIVE_INFINITY;
  private streak = 0;
  private streakDay = '';
  private phase: BotPhase | null = null;
  private snapshot: ScannerSnapshot | null = null;
  /** Symbols whose status this bar's signal or position handling set: the scan leaves it. */
  private readonly heldStatus = new Set<string>();

  /** The engine run this strategy scans for: summary.session_id of its scans. */
  private readonly sessionId: string | null;

  constructor(
    readonly preset: Preset,
    options: { sessionId?: string | null } = {},
  ) {
    this.sessionId = options.sessionId ?? null;
    if (preset.symbols.length === 0) throw new Error(`preset ${preset.name}: no symbols`);
    if (!(preset.bar_interval_ms > 0)) throw new Error(`preset ${preset.name}: bar_interval_ms must be positive`);
    this.mode = preset.strategy_type;
  }

  get symbols(): readonly string[] {
    return this.preset.symbols;
  }

  get barIntervalMs(): number {
    return this.preset.bar_interval_ms;
  }

  /** The last scanner snapshot this strategy published. */
  get lastScan(): ScannerSnapshot | null {
    return this.snapshot;
  }

  /** Losing closed positions in a row (this UTC day). */
  get consecutiveLosses(): number {
    return this.streak;
  }

  /** Estimated outcomes of this bot's closed positions, oldest first (last 100). */
  get closedTrades(): readonly ClosedTradeEstimate[] {
    return this.closed;
  }

  get currentPhase(): BotPhase | null {
    return this.phase;
  }

  onTick(tick: Tick, ctx: StrategyContext): void {
    // O(1) for symbols the strategy has nothing working on: two map lookups.
    if (!this.pending.has(tick.symbol) && !this.tracked.has(tick.symbol)) return;
    if (this.syncSymbol(tick.symbol, ctx)) this.settle(ctx);
  }

  onBar(bar: Bar, ctx: StrategyContext): void {
    this.heldStatus.clear();
    let changed = false;
    for (const s of this.preset.symbols) changed = this.syncSymbol(s, ctx) || changed;
    if (changed) this.settle(ctx);

    this.manage(bar, ctx);
    if (!this.pending.has(bar.symbol) && !this.tracked.has(bar.symbol) && !ctx.position(bar.symbol)) this.checkSignal(bar, ctx);
    if (bar.start > this.lastScanBarStart) {
      this.lastScanBarStart = bar.start;
      this.scan(ctx);
    }
  }

  // ---- phases -------------------------------------------------------------------------------

  private report(ctx: StrategyContext, phase: BotPhase, reason: string): void {
    if (this.phase === phase) return;
    this.phase = phase;
    ctx.setPhase(phase, reason);
  }

  /** Phase from what is working: entries, then positions; idle falls back to SCANNING. */
  private settle(ctx: StrategyContext): void {
    if (this.pending.size > 0) {
      this.report(ctx, 'EXECUTION', `${this.pending.size} entry order(s) working`);
    } else if (this.tracked.size > 0) {
      this.report(ctx, 'MANAGING', `managing ${[...this.tracked.keys()].join(', ')}`);
    } else if (this.phase === null || this.phase === 'SIZING' || this.phase === 'EXECUTION' || this.phase === 'MANAGING') {
      this.report(ctx, 'SCANNING', 'no open positions');
    }
  }

  private busy(): boolean {
    return this.pending.size > 0 || this.tracked.size > 0;
  }

  // ---- positions ----------------------------------------------------------------------------

  /** Follows entries into positions and positions out of the book; true if anything changed. */
  private syncSymbol(symbol: string, ctx: StrategyContext): boolean {
    const pos = ctx.position(symbol);
    const mine = pos && pos.botId === ctx.botId ? pos : undefined;
    const t = this.tracked.get(symbol);
    let changed = false;
    if (t) {
      if (mine && mine.id === t.id) {
        t.last = mine;
        return false;
      }
      this.recordClosed(symbol, t.last, ctx);
      this.tracked.delete(symbol);
      changed = true;
    }
    const p = this.pending.get(symbol);
    if (mine && !this.tracked.has(symbol)) {
      // An entry filled, or a position of this bot already open at start (restart).
      const barsHeld = p ? 0 : Math.max(0, Math.floor((ctx.now() - mine.openedAt) / this.preset.bar_interval_ms));
      this.tracked.set(symbol, { id: mine.id, last: mine, barsHeld });
      this.pending.delete(symbol);
      ctx.setStatus(symbol, `in ${mine.side.toUpperCase()} ${mine.qty} @ ${fmtPrice(mine.avgPrice, this.instrument(symbol, ctx))}, stop ${mine.stopPrice ?? 'none'}`);
      return true;
    }
    if (p && !ctx.hasWorkingOrder(symbol)) {
      this.pending.delete(symbol);
      ctx.setStatus(symbol, `entry order ${p.orderId} ended without a position`);
      return true;
    }
    return changed;
  }

  private recordClosed(symbol: string, last: Position, ctx: StrategyContext): void {
    // The exit fee is not known here: take it equal to the entry fee (same quantity, about the same price).
    const pnl = last.realizedPnl + last.unrealizedPnl - 2 * last.fees;
    const r = last.initialRisk && last.initialRisk > 0 ? pnl / last.initialRisk : Math.sign(pnl);
    const now = ctx.now();
    const day = utcDay(now);
    if (day !== this.streakDay) {
      this.streakDay = day;
      this.streak = 0;
    }
    this.streak = r < 0 ? this.streak + 1 : 0;
    this.closed.push({ symbol, side: last.side, r, closedAt: now });
    if (this.closed.length > 100) this.closed.shift();
    this.status(ctx, symbol, `closed ${last.side.toUpperCase()} about ${r.toFixed(2)}R; ${this.streak} loss(es) in a row`);
  }

  private manage(bar: Bar, ctx: StrategyContext): void {
    const t = this.tracked.get(bar.symbol);
    if (!t) return;
    t.barsHeld += 1;
    const max = this.preset.position_config.max_hold_bars;
    const side = t.last.side.toUpperCase();
    if (max > 0 && t.barsHeld >= max) {
      if (ctx.exit(bar.symbol, `max hold ${max} bars`)) this.status(ctx, bar.symbol, `exit ${side}: held ${t.barsHeld} bars (max ${max})`);
      return;
    }
    this.status(ctx, bar.symbol, `in ${side} position, ${t.barsHeld}${max > 0 ? `/${max}` : ''} bars held`);
  }

  // ---- limits -------------------------------------------------------------------------------

  /** Why no new trade may be opened now, or null. */
  private blockReason(ctx: StrategyContext): string | null {
    const risk = this.preset.risk;
    const open = this.tracked.size + this.pending.size;
    if (open >= risk.max_concurrent_positions) return `max concurrent positions (${open}/${risk.max_concurrent_positions})`;
    const today = utcDay(ctx.now());
    if (this.streakDay === today && this.streak >= risk.max_consecutive_losses) {
      return `${this.streak} consecutive losses (limit ${risk.max_consecutive_losses})`;
    }
    return null;
  }

  // ---- signals ------------------------------------------------------------------------------

  private checkSignal(bar: Bar, ctx: StrategyContext): void {
    const w = this.watch.get(bar.symbol);
    if (!w || !(w.atr > 0)) return;
    const history = ctx.history(bar.symbol);
    const n = history.length;
    if (n < 2 || history[n - 1]?.start !== bar.start) return;
    const prev = history[n - 2] as Bar;
    const sc = this.preset.signal_config;
    const buffer = sc.breakout_buffer_atr * w.atr;

    // The highest resistance closed above, else the lowest support closed below.
    let up: ScanLevel | null = null;
    let down: ScanLevel | null = null;
    for (const l of w.levels) {
      if (l.type === 'resistance' && prev.close <= l.price + buffer && bar.close > l.price + buffer) {
        if (!up || l.price > up.price) up = l;
      } else if (l.type === 'support' && sc.allow_short && prev.close >= l.price - buffer && bar.close < l.price - buffer) {
        if (!down || l.price < down.price) down = l;
      }
    }
    const side: PositionSide | null = up ? 'long' : down ? 'short' : null;
    const level = up ?? down;
    if (!side || !level) return;

    const inst = this.instrument(bar.symbol, ctx);
    const what = `${side === 'long' ? 'above resistance' : 'below support'} ${fmtPrice(level.price, inst)}`;
    const lookback = this.preset.levels.lookback_bars;
    const ratio = volumeRatio(bar.volume, meanVolume(history, n - 1 - lookback, n - 1));
    if (!(ratio >= sc.min_volume_ratio)) {
      this.status(ctx, bar.symbol, `close ${what} without volume (ratio ${ratio.toFixed(2)} < ${sc.min_volume_ratio})`);
      return;
    }
    const blocked = this.blockReason(ctx);
    if (blocked) {
      this.status(ctx, bar.symbol, `breakout ${what} skipped: ${blocked}`);
      return;
    }

    const pc = this.preset.position_config;
    const sign = side === 'long' ? 1 : -1;
    const entry = bar.close;
    const stop = level.price - sign * pc.stop_buffer_atr * w.atr;
    const riskDistance = Math.abs(entry - stop);
    const takeProfit = pc.take_profit_r > 0 ? entry + sign * pc.take_profit_r * riskDistance : null;
    this.report(ctx, 'SIZING', `${side.toUpperCase()} breakout of ${bar.symbol} ${what}, volume ratio ${ratio.toFixed(2)}`);
    const result = ctx.enter({
      symbol: bar.symbol,
      side,
      price: entry,
      stopPrice: stop,
      takeProfit,
      reason: `breakout ${what} (${this.preset.name})`,
    });
    if (!result.ok) {
      this.status(ctx, bar.symbol, `entry refused: ${result.reason}`);
      this.report(ctx, 'SCANNING', `entry refused for ${bar.symbol}: ${result.reason}`);
      return;
    }
    this.pending.set(bar.symbol, { orderId: result.orderId, side, level: level.price });
    this.status(
      ctx,
      bar.symbol,
      `${side.toUpperCase()} ${result.qty} at market, breakout ${what}, stop ${fmtPrice(stop, inst)}` +
        (takeProfit === null ? '' : `, target ${fmtPrice(takeProfit, inst)}`),
    );
    this.report(ctx, 'EXECUTION', `entry order ${result.orderId} for ${bar.symbol} working`);
    // A broker that fills synchronously already holds the position.
    if (this.syncSymbol(bar.symbol, ctx)) this.settle(ctx);
  }

  private status(ctx: StrategyContext, symbol: string, text: string): void {
    this.heldStatus.add(symbol);
    ctx.setStatus(symbol, text);
  }

  // ---- scanning -----------------------------------------------------------------------------

  private instrument(symbol: string, ctx: StrategyContext): Instrument | undefined {
    try {
      return ctx.instrument(symbol);
    } catch {
      return undefined;
    }
  }

  private scan(ctx: StrategyContext): void {
    const busy = this.busy();
    const idlePhase = this.phase === 'SCANNING' || this.phase === 'LEVEL_BUILDING' || this.phase === 'SIGNAL_WAIT';
    if (!busy && !idlePhase) this.report(ctx, 'SCANNING', `scanning ${this.preset.symbols.length} symbol(s) with ${this.preset.name}`);
    const inputs = collectScanInputs(this.preset.symbols, {
      instrument: (s) => this.instrument(s, ctx),
      history: (s) => ctx.history(s),
      marketStats: (s) => ctx.marketStats(s),
    });
    const snapshot = scanMarkets(this.preset, inputs, { sessionId: this.sessionId }, ctx.now());
    this.snapshot = snapshot;
    ctx.publishScan(snapshot);

    const allowShort = this.preset.signal_config.allow_short;
    this.watch.clear();
    for (const c of snapshot.candidates) {
      const levels = c.levels.filter((l) => l.type === 'resistance' || allowShort);
      const atr = c.metrics.atr ?? Number.NaN;
      if (levels.length > 0 && atr > 0) this.watch.set(c.symbol, { atr, levels, rank: c.rank });
    }
    this.updateStatuses(snapshot, ctx);
    if (busy) return;

    const blocked = this.blockReason(ctx);
    if (blocked) {
      this.report(ctx, 'SCANNING', `no new trades: ${blocked}`);
      return;
    }
    if (snapshot.candidates.length === 0) {
      this.report(ctx, 'SCANNING', `no candidates (${snapshot.passedFilters}/${snapshot.totalScanned} passed the filters)`);
      return;
    }
    // Candidates whose levels have not formed yet (fewer touches than min_touches) keep the bot
    // in LEVEL_BUILDING; SCANNING always comes first when starting over.
    if (this.phase !== 'SIGNAL_WAIT' || this.watch.size === 0) {
      this.report(ctx, 'LEVEL_BUILDING', `building levels for ${snapshot.candidates.map((c) => c.symbol).join(', ')}`);
    }
    if (this.watch.size > 0) this.report(ctx, 'SIGNAL_WAIT', `waiting for a breakout: ${this.describeWatch(ctx)}`);
  }

  private describeWatch(ctx: StrategyContext): string {
    const parts: string[] = [];
    for (const [symbol, w] of this.watch) {
      const inst = this.instrument(symbol, ctx);
      const levels = w.levels
        .slice(0, 3)
        .map((l) => `${l.type === 'resistance' ? 'R' : 'S'} ${fmtPrice(l.price, inst)}`)
        .join(' / ');
      parts.push(`${symbol} ${levels}`);
    }
    return parts.join('; ');
  }

  private updateStatuses(snapshot: ScannerSnapshot, ctx: StrategyContext): void {
    const rejections = (snapshot.summary.rejections ?? {}) as Record<string, string>;
    const ranked = new Map(snapshot.candidates.map((c) => [c.symbol, c]));
    for (const symbol of this.preset.symbols) {
      if (this.tracked.has(symbol) || this.pending.has(symbol) || this.heldStatus.has(symbol)) continue;
      const rejection = rejections[symbol];
      if (rejection) {
        ctx.setStatus(symbol, `rejected: ${rejection}`);
        continue;
      }
      const c = ranked.get(symbol);
      if (!c) {
        ctx.setStatus(symbol, `passed filters, below the top ${snapshot.candidates.length}`);
        continue;
      }
      const w = this.watch.get(symbol);
      const inst = this.instrument(symbol, ctx);
      const levels = w
        ? w.levels
            .slice(0, 3)
            .map((l) => `${l.type === 'resistance' ? 'R' : 'S'} ${fmtPrice(l.price, inst)}`)
            .join(' / ')
        : 'no levels';
      ctx.setStatus(symbol, `candidate #${c.rank} score ${c.score.toFixed(2)}: ${levels}`);
    }
  }
}
