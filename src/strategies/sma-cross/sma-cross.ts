import type { Bar } from '../../core/market.js';
import type { PositionSide } from '../../core/portfolio-types.js';
import type { Strategy, StrategyContext } from '../../engine/strategy.js';
import { RollingAtr, RollingMean } from '../indicators/rolling.js';

export interface SmaCrossConfig {
  symbols: string[];
  barIntervalMs: number;
  fast: number;
  slow: number;
  /**
   * Protective stop at this many ATRs from the entry. 0 is the plain (textbook) crossover:
   * no stop and no target, a fixed `size` is required, and without `longOnly` the opposite
   * cross reverses the position on the same bar (exit and entry both fill at the next open).
   */
  stopAtr: number;
  /** Optional target in ATRs; 0 for none. */
  targetAtr: number;
  longOnly: boolean;
  /** Fixed quantity; when absent the risk engine sizes from the stop. */
  size?: number;
}

type StatusKind = 'warmup' | 'exit' | 'in' | 'none' | 'signal';

interface SymbolState {
  fast: RollingMean;
  slow: RollingMean;
  atr: RollingAtr;
  regime: PositionSide | null;
  enteredRegime: boolean;
  /** Decimals shown for prices in the status text. */
  digits: number;
  /** What the status text says, rendered by `status` only when a scan summary is built. */
  kind: StatusKind;
  side: PositionSide;
  fastValue: number;
  slowValue: number;
  status: () => string;
}

/**
 * Moving-average crossover: long when the fast SMA crosses above the slow one, short (unless
 * long-only) when it crosses below; the opposite cross exits. One entry per regime, so a
 * stopped-out trade waits for the next cross. Orders are market orders placed on the bar's
 * close (they fill at the next price: the next bar's open).
 */
export class SmaCrossStrategy implements Strategy {
  readonly name = 'sma-cross';
  readonly mode: string;
  private readonly state = new Map<string, SymbolState>();
  private readonly plain: boolean;

  constructor(private readonly config: SmaCrossConfig) {
    if (!(config.fast < config.slow)) throw new Error(`sma-cross: fast (${config.fast}) must be below slow (${config.slow})`);
    if (!(config.stopAtr >= 0)) throw new Error(`sma-cross: stopAtr must be 0 (no stop) or positive, got ${config.stopAtr}`);
    this.plain = config.stopAtr === 0;
    if (this.plain && !(Number(config.size) > 0)) throw new Error('sma-cross: without a stop (stopAtr 0) a fixed size is required');
    this.mode = `sma_${config.fast}_${config.slow}`;
    for (const s of config.symbols) {
      const st: SymbolState = {
        fast: new RollingMean(config.fast),
        slow: new RollingMean(config.slow),
        atr: new RollingAtr(Math.min(14, config.slow)),
        regime: null,
        enteredRegime: false,
        digits: 2,
        kind: 'warmup',
        side: 'long',
        fastValue: Number.NaN,
        slowValue: Number.NaN,
        status: () => this.statusText(st),
      };
      this.state.set(s, st);
    }
  }

  get symbols(): readonly string[] {
    return this.config.symbols;
  }

  get barIntervalMs(): number {
    return this.config.barIntervalMs;
  }

  onBar(bar: Bar, ctx: StrategyContext): void {
    const st = this.state.get(bar.symbol);
    if (!st) return;
    st.fast.push(bar.close);
    st.slow.push(bar.close);
    st.atr.push(bar.high, bar.low, bar.close);
    if (!st.slow.ready) {
      this.setStatus(ctx, bar.symbol, st, 'warmup', 'long');
      return;
    }
    const fast = st.fast.value;
    const slow = st.slow.value;
    st.fastValue = fast;
    st.slowValue = slow;
    const regime: PositionSide = fast > slow ? 'long' : 'short';
    if (regime !== st.regime) {
      st.enteredRegime = st.regime === null; // no entry on the first reading: wait for a cross
      st.regime = regime;
      st.digits = Math.max(2, -Math.floor(Math.log10(ctx.instrument(bar.symbol).tickSize)));
    }
    const position = ctx.position(bar.symbol);

    if (position && position.side !== regime) {
      ctx.exit(bar.symbol, `sma cross against ${position.side}`);
      this.setStatus(ctx, bar.symbol, st, 'exit', position.side);
      // Plain mode reverses on the same bar: the entry follows the exit into the next open.
      if (this.plain && !(regime === 'short' && this.config.longOnly) && !st.enteredRegime) this.enter(bar, st, regime, ctx);
      return;
    }
    if (position) {
      this.setStatus(ctx, bar.symbol, st, 'in', position.side);
      return;
    }
    const wanted = regime === 'short' && this.config.longOnly ? null : regime;
    if (!wanted || st.enteredRegime || ctx.hasWorkingOrder(bar.symbol) || !(this.plain || st.atr.value > 0)) {
      this.setStatus(ctx, bar.symbol, st, 'none', regime);
      return;
    }
    this.enter(bar, st, wanted, ctx);
  }

  private enter(bar: Bar, st: SymbolState, wanted: PositionSide, ctx: StrategyContext): void {
    const sign = wanted === 'long' ? 1 : -1;
    const result = ctx.enter({
      symbol: bar.symbol,
      side: wanted,
      price: bar.close,
      stopPrice: this.plain ? null : bar.close - sign * st.atr.value * this.config.stopAtr,
      takeProfit: !this.plain && this.config.targetAtr > 0 ? bar.close + sign * st.atr.value * this.config.targetAtr : null,
      qty: this.config.size,
      reason: `sma ${this.config.fast}/${this.config.slow} cross ${wanted}`,
    });
    st.enteredRegime = true;
    if (result.ok) this.setStatus(ctx, bar.symbol, st, 'signal', wanted);
    else ctx.setStatus(bar.symbol, `signal refused: ${result.reason}`);
  }

  /** Records what the status says; the text is formatted only when a scan summary is built. */
  private setStatus(ctx: StrategyContext, symbol: string, st: SymbolState, kind: StatusKind, side: PositionSide): void {
    st.kind = kind;
    st.side = side;
    ctx.setStatus(symbol, st.status);
  }

  private statusText(st: SymbolState): string {
    if (st.kind === 'warmup') return `warming up ${st.slow.count}/${this.config.slow} bars`;
    const trend = `fast ${st.fastValue.toFixed(st.digits)} ${st.regime === 'long' ? '>' : '<'} slow ${st.slowValue.toFixed(st.digits)}`;
    const side = st.side.toUpperCase();
    switch (st.kind) {
      case 'exit':
        return `exit ${side}: ${trend}`;
      case 'in':
        return `in ${side} position: ${trend}`;
      case 'signal':
        return `${side} signal: ${trend}`;
      default:
        return `no signal: ${trend}`;
    }
  }
}
