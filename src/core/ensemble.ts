/**
 * The ensemble's decision, as pure functions: the live coordinator (answers of model servers
 * over HTTP) and the ensemble backtest (in-process models) both call `decideEnsemble` and
 * `planEntry`, so a backtest trades on exactly the rule that trades live.
 *
 * Aggregation methods (each vote: action, confidence 0-1, P(up) or null, weight):
 * - `weighted_average`: P = Σ w·p / Σ w over the answering models (a vote without a probability
 *   counts as p = confidence for long, 1 - confidence for short, 0.5 for hold); long when
 *   P > 0.5, short when P < 0.5; confidence = max(P, 1 - P).
 * - `majority_vote`: the action with the most weight wins when it holds more than half of the
 *   answering weight (else hold); confidence = the weighted mean confidence of its voters.
 * - `confidence_weighted`: each vote counts w·confidence; the action with the largest total
 *   wins (a long/short tie is hold); confidence = that total / Σ w, so disagreement lowers it.
 * Then the thresholds: fewer answers than `minResponding`, or a confidence below `threshold`,
 * make the decision hold (the `reason` says which).
 */

export type EnsembleAction = 'long' | 'short' | 'hold';
export type EnsembleMethod = 'weighted_average' | 'majority_vote' | 'confidence_weighted';

export interface ModelVote {
  name: string;
  action: EnsembleAction;
  confidence: number;
  /** P(price goes up) when the model gives one. */
  probability: number | null;
  weight: number;
}

export interface EnsembleRules {
  method: EnsembleMethod;
  /** Smallest confidence that trades. */
  threshold: number;
  minResponding: number;
}

export interface EnsembleDecision {
  /** After the thresholds: hold unless a trade is called for. */
  action: EnsembleAction;
  /** The aggregate's own lean and confidence, before the thresholds. */
  lean: EnsembleAction;
  confidence: number;
  responding: number;
  /** Share of the answering weight that voted for `lean`. */
  agreement: number;
  reason: string;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

export function voteProbability(v: ModelVote): number {
  if (v.probability !== null && Number.isFinite(v.probability)) return clamp01(v.probability);
  return v.action === 'long' ? clamp01(v.confidence) : v.action === 'short' ? 1 - clamp01(v.confidence) : 0.5;
}

function aggregate(votes: readonly ModelVote[], method: EnsembleMethod): { lean: EnsembleAction; confidence: number; agreement: number } {
  const total = votes.reduce((s, v) => s + v.weight, 0);
  const byAction = (score: (v: ModelVote) => number) => {
    const t = { long: 0, short: 0, hold: 0 };
    for (const v of votes) t[v.action] += score(v);
    return t;
  };
  const weights = byAction((v) => v.weight);
  const share = (a: EnsembleAction) => (total > 0 ? weights[a] / total : 0);
  if (total <= 0) return { lean: 'hold', confidence: 0, agreement: 0 };
  switch (method) {
    case 'weighted_average': {
      const p = votes.reduce((s, v) => s + v.weight * voteProbability(v), 0) / total;
      const lean: EnsembleAction = p > 0.5 ? 'long' : p < 0.5 ? 'short' : 'hold';
      return { lean, confidence: Math.max(p, 1 - p), agreement: share(lean) };
    }
    case 'majority_vote': {
      const best = (['long', 'short', 'hold'] as const).reduce((a, b) => (weights[b] > weights[a] ? b : a));
      if (!(weights[best] > total / 2)) return { lean: 'hold', confidence: 0, agreement: share(best) };
      const voters = votes.filter((v) => v.action === best);
      const confidence = voters.reduce((s, v) => s + v.weight * clamp01(v.confidence), 0) / weights[best];
      return { lean: best, confidence, agreement: share(best) };
    }
    case 'confidence_weighted': {
      const scores = byAction((v) => v.weight * clamp01(v.confidence));
      let lean: EnsembleAction = 'hold';
      if (scores.long > scores.short && scores.long > scores.hold) lean = 'long';
      else if (scores.short > scores.long && scores.short > scores.hold) lean = 'short';
      return { lean, confidence: lean === 'hold' ? scores.hold / total : scores[lean] / total, agreement: share(lean) };
    }
  }
}

export function decideEnsemble(votes: readonly ModelVote[], rules: EnsembleRules): EnsembleDecision {
  const responding = votes.length;
  const { lean, confidence, agreement } = aggregate(votes, rules.method);
  const base = { lean, confidence, responding, agreement };
  if (responding < rules.minResponding) return { ...base, action: 'hold', reason: `${responding} model(s) answered, ${rules.minResponding} needed` };
  if (lean === 'hold') return { ...base, action: 'hold', reason: 'the models lean to hold' };
  if (confidence < rules.threshold) return { ...base, action: 'hold', reason: `confidence ${confidence.toFixed(3)} below ${rules.threshold}` };
  return { ...base, action: lean, reason: `${lean} at confidence ${confidence.toFixed(3)} (${rules.method})` };
}

export interface SizingRules {
  /** Notional of one entry as a share of equity, times leverage. */
  positionSizeFraction: number;
  leverage: number;
  stopLossPercent: number;
  takeProfitPercent: number;
}

export interface EntryPlan {
  side: 'long' | 'short';
  price: number;
  qty: number;
  stopPrice: number;
  takeProfit: number;
}

/** The order a decision calls for at `price` on `equity`: fixed-fraction size, stop loss and take profit. */
export function planEntry(action: 'long' | 'short', price: number, equity: number, rules: SizingRules): EntryPlan {
  const qty = (equity * rules.positionSizeFraction * rules.leverage) / price;
  const sl = rules.stopLossPercent;
  const tp = rules.takeProfitPercent;
  return action === 'long'
    ? { side: 'long', price, qty, stopPrice: price * (1 - sl), takeProfit: price * (1 + tp) }
    : { side: 'short', price, qty, stopPrice: price * (1 + sl), takeProfit: price * (1 - tp) };
}

/** A vote from an in-process model's P(up) (the backtest): long above 0.5 + edge, short below 0.5 - edge. */
export function voteFromProbability(name: string, probability: number, weight: number, edge: number): ModelVote {
  const action: EnsembleAction = probability >= 0.5 + edge ? 'long' : probability <= 0.5 - edge ? 'short' : 'hold';
  return { name, action, confidence: Math.max(probability, 1 - probability), probability, weight };
}

export type EnsembleStep =
  | { kind: 'hold'; why: string }
  /** The ensemble turned against the open position: close it (enter on a later decision). */
  | { kind: 'exit'; side: 'long' | 'short' }
  | { kind: 'enter'; side: 'long' | 'short' };

/** What a decision means given the position the ensemble holds (the coordinator and the backtest). */
export function nextStep(decision: EnsembleDecision, position: { side: 'long' | 'short' } | undefined): EnsembleStep {
  if (decision.action === 'hold') return { kind: 'hold', why: decision.reason };
  if (position && position.side !== decision.action) return { kind: 'exit', side: position.side };
  if (position) return { kind: 'hold', why: `already ${position.side}` };
  return { kind: 'enter', side: decision.action };
}
