import type { Bar } from '../../core/market.js';
import type { PositionSide } from '../../core/portfolio-types.js';
import type { Strategy, StrategyContext } from '../../engine/strategy.js';
import { RollingAtr, RollingMean } from '../indicators/rolling.js';

export interface SmaCrossConfig {
  symbols: string[];
  barIntervalMs: number;
  fast: number;
  slow: number;
  /** Protective stop at this many ATRs from the entry. */
  stopAtr: number;
  /** Optional target in ATRs; 0 for none. */
  targetAtr: number;
  longOnly: boolean;
  /** Fixed quantity; when absent the risk engine sizes from the stop. */
  size?: number;
}

interface SymbolState {
  fast: RollingMean;
  slow: RollingMean;
  atr: RollingAtr;
  regime: PositionSide | null;
  enteredRegime: boolean;
}

/**
 * Moving-average crossover: long when the fast SMA crosses above the slow one, short (unless
 * long-only) when it crosses below; the opposite cross exits. One entry per regime, so a
 * stopped-out trade waits for the next cross.
 */
export class SmaCrossStrategy implements Strategy {
  readonly name = 'sma-cross';
  readonly mode: string;
  private readonly state = new Map<string, SymbolState>();

  constructor(private readonly config: SmaCrossConfig) {
    if (!(config.fast < config.slow)) throw new Error(`sma-cross: fast (${config.fast}) must be below slow (${config.slow})`);
    this.mode = `sma_${config.fast}_${config.slow}`;
    for (const s of config.symbols) {
      this.state.set(s, {
        fast: new RollingMean(config.fast),
        slow: new RollingMean(config.slow),
        atr: new RollingAtr(Math.min(14, config.slow)),
        regime: null,
        enteredRegime: false,
      });
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
      ctx.setStatus(bar.symbol, `warming up ${st.slow.count}/${this.config.slow} bars`);
      return;
    }
    const fast = st.fast.value;
    const slow = st.slow.value;
    const regime: PositionSide = fast > slow ? 'long' : 'short';
    if (regime !== st.regime) {
      st.enteredRegime = st.regime === null; // no entry on the first reading: wait for a cross
      st.regime = regime;
    }
    const position = ctx.position(bar.symbol);
    const digits = Math.max(2, -Math.floor(Math.log10(ctx.instrument(bar.symbol).tickSize)));
    const trend = `fast ${fast.toFixed(digits)} ${regime === 'long' ? '>' : '<'} slow ${slow.toFixed(digits)}`;

    if (position && position.side !== regime) {
      ctx.exit(bar.symbol, `sma cross against ${position.side}`);
      ctx.setStatus(bar.symbol, `exit ${position.side.toUpperCase()}: ${trend}`);
      return;
    }
    if (position) {
      ctx.setStatus(bar.symbol, `in ${position.side.toUpperCase()} position: ${trend}`);
      return;
    }
    const wanted = regime === 'short' && this.config.longOnly ? null : regime;
    if (!wanted || st.enteredRegime || ctx.hasWorkingOrder(bar.symbol) || !(st.atr.value > 0)) {
      ctx.setStatus(bar.symbol, `no signal: ${trend}`);
      return;
    }
    const distance = st.atr.value * this.config.stopAtr;
    const sign = wanted === 'long' ? 1 : -1;
    const result = ctx.enter({
      symbol: bar.symbol,
      side: wanted,
      price: bar.close,
      stopPrice: bar.close - sign * distance,
      takeProfit: this.config.targetAtr > 0 ? bar.close + sign * st.atr.value * this.config.targetAtr : null,
      qty: this.config.size,
      reason: `sma ${this.config.fast}/${this.config.slow} cross ${wanted}`,
    });
    st.enteredRegime = true;
    ctx.setStatus(bar.symbol, result.ok ? `${wanted.toUpperCase()} signal: ${trend}` : `signal refused: ${result.reason}`);
  }
}
