import { decideEnsemble, nextStep, planEntry, type EnsembleRules, type ModelVote, type SizingRules } from '../../core/ensemble.js';
import type { Bar } from '../../core/market.js';
import type { Strategy, StrategyContext } from '../../engine/strategy.js';

export interface EnsembleStrategyOptions {
  symbol: string;
  barIntervalMs: number;
  /** Bars handed to `votes` (the coordinator's `ensemble.candles`). */
  candles: number;
  rules: EnsembleRules;
  sizing: SizingRules;
  /** The models' votes on the closed bars given (oldest first); in-process models in a backtest. */
  votes(bars: readonly Bar[]): ModelVote[];
}

/**
 * The ensemble coordinator's decision as a strategy (the ensemble backtest): on each closed
 * bar, the models vote, `decideEnsemble` aggregates with the coordinator's thresholds and
 * `nextStep` / `planEntry` turn the decision into the same exit or entry (fixed-fraction size,
 * stop loss and take profit) the live coordinator sends.
 */
export class EnsembleStrategy implements Strategy {
  readonly name = 'ensemble';
  readonly mode = 'ensemble';
  readonly symbols: readonly string[];
  readonly barIntervalMs: number;

  constructor(private readonly o: EnsembleStrategyOptions) {
    this.symbols = [o.symbol];
    this.barIntervalMs = o.barIntervalMs;
  }

  onBar(bar: Bar, ctx: StrategyContext): void {
    if (bar.symbol !== this.o.symbol || ctx.hasWorkingOrder(bar.symbol)) return;
    const history = ctx.history(bar.symbol);
    const bars = history.length > this.o.candles ? history.slice(-this.o.candles) : history;
    const decision = decideEnsemble(this.o.votes(bars), this.o.rules);
    const step = nextStep(decision, ctx.position(bar.symbol));
    if (step.kind === 'exit') ctx.exit(bar.symbol, `ensemble turned ${decision.action}`);
    else if (step.kind === 'enter') {
      const plan = planEntry(step.side, bar.close, ctx.account().equity, this.o.sizing);
      ctx.enter({ symbol: bar.symbol, side: plan.side, price: plan.price, qty: plan.qty, stopPrice: plan.stopPrice, takeProfit: plan.takeProfit, reason: decision.reason });
    }
  }
}
