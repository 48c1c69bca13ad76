import type { Instrument } from '../core/instruments.js';
import type { Strategy } from '../engine/strategy.js';
import { MaxKeyError } from '../strategies/max/keys.js';
import { MAX_CONTRACTS, MaxStrategy } from '../strategies/max/max.js';
import { SmaCrossStrategy } from '../strategies/sma-cross/sma-cross.js';
import { EnsembleStrategy } from '../strategies/ensemble/ensemble.js';
import { voteFromProbability, type EnsembleMethod } from '../core/ensemble.js';
import { candlesFromBars } from '../ml/candles.js';
import { featureColumns } from '../ml/features.js';
import { parseLightgbmText } from '../ml/lightgbm-text.js';
import { parseXgboostJson } from '../ml/xgboost-json.js';
import type { TreeModel } from '../ml/tree-model.js';

/*
 * The strategies a backtest can run, as plain data (structured-cloneable: a job spec crosses
 * into a worker thread), and the one factory that turns a spec into a strategy, used in the
 * main thread (validation) and in the worker (the run).
 */

export interface SmaCrossSpec {
  name: 'sma-cross';
  fast: number;
  slow: number;
  /** Fixed quantity per entry; required without a stop. */
  size?: number;
  longOnly?: boolean;
  /** ATR stop distance; 0 (default) is the plain crossover: no stop, no target. */
  stopAtr?: number;
  targetAtr?: number;
  /** Strategy bar interval; for bar data, default: the data's interval; for ticks, one minute. */
  barIntervalMs?: number;
}

/** Seed 002's Max bot (keys in strategies/max/keys.ts); its contract is the backtest's instrument. */
export interface MaxSpec {
  name: 'max';
  contract: string;
  maxMode: string;
  point_key: string;
  exit_strategy_key: string;
  /** Contracts per entry; absent: the risk engine sizes from the stop. */
  quantity?: number;
  /** Reference bar length; default one minute. */
  barIntervalMs?: number;
}

/**
 * Seed 004's ensemble coordinator's decision over in-process tree models (binary, XGBoost JSON
 * or LightGBM text carried as text, so the spec crosses into a worker); the keys mirror the
 * config sections `ensemble` and `trading`.
 */
export interface EnsembleSpec {
  name: 'ensemble';
  models: { name: string; text: string; weight: number }[];
  method: EnsembleMethod;
  confidenceThreshold: number;
  minResponding: number;
  /** A model votes long at P >= 0.5 + edge, short at P <= 0.5 - edge (what its server would answer). */
  edge: number;
  candles: number;
  positionSizeFraction: number;
  leverage: number;
  stopLossPercent: number;
  takeProfitPercent: number;
  barIntervalMs?: number;
}

export type StrategySpec = SmaCrossSpec | MaxSpec | EnsembleSpec;

export const STRATEGY_NAMES = ['sma-cross', 'max', 'ensemble'] as const;

function ensembleStrategy(spec: EnsembleSpec, instrument: Instrument, barIntervalMs: number): Strategy {
  if (spec.models.length === 0) throw new BacktestSpecError('strategy.models', 'the ensemble needs at least one model');
  const models = spec.models.map((m, i) => {
    let model: TreeModel;
    try {
      model = m.text.trimStart().startsWith('{') ? parseXgboostJson(m.text) : parseLightgbmText(m.text);
    } catch (error) {
      throw new BacktestSpecError(`strategy.models[${i}]`, `${m.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (model.metadata.objective !== 'binary') throw new BacktestSpecError(`strategy.models[${i}]`, `${m.name}: a binary model is needed (P(up)); this one is ${model.metadata.objective}`);
    return { ...m, model };
  });
  return new EnsembleStrategy({
    symbol: instrument.symbol,
    barIntervalMs,
    candles: spec.candles,
    rules: { method: spec.method, threshold: spec.confidenceThreshold, minResponding: spec.minResponding },
    sizing: { positionSizeFraction: spec.positionSizeFraction, leverage: spec.leverage, stopLossPercent: spec.stopLossPercent, takeProfitPercent: spec.takeProfitPercent },
    votes: (bars) => {
      const c = candlesFromBars(bars);
      const last = bars.length - 1;
      return models.map((m) => {
        const row = Float64Array.from(featureColumns(c, m.model.metadata.featureNames), (col) => col[last] as number);
        return voteFromProbability(m.name, m.model.predictSync(row).probability as number, m.weight, spec.edge);
      });
    },
  });
}

/** A backtest spec that cannot run; `field` names the offending field (dotted path). */
export class BacktestSpecError extends Error {
  override name = 'BacktestSpecError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Builds the strategy of `spec` for `instrument`; throws BacktestSpecError on a bad spec. */
export function buildStrategy(spec: StrategySpec, instrument: Instrument, barIntervalMs: number): Strategy {
  switch (spec.name) {
    case 'sma-cross':
      try {
        return new SmaCrossStrategy({
          symbols: [instrument.symbol],
          barIntervalMs,
          fast: spec.fast,
          slow: spec.slow,
          stopAtr: spec.stopAtr ?? 0,
          targetAtr: spec.targetAtr ?? 0,
          longOnly: spec.longOnly ?? false,
          size: spec.size,
        });
      } catch (error) {
        throw new BacktestSpecError('strategy', error instanceof Error ? error.message : String(error));
      }
    case 'max':
      if (!(MAX_CONTRACTS as readonly string[]).includes(spec.contract)) {
        throw new BacktestSpecError('strategy.contract', `contract must be one of ${MAX_CONTRACTS.join(', ')}; got ${JSON.stringify(spec.contract)}`);
      }
      if (spec.contract !== instrument.symbol) {
        throw new BacktestSpecError('strategy.contract', `max: contract ${spec.contract} does not match the backtest's instrument ${instrument.symbol}`);
      }
      try {
        return new MaxStrategy(
          { symbol: spec.contract, maxMode: spec.maxMode, pointKey: spec.point_key, exitKey: spec.exit_strategy_key, qty: spec.quantity, barIntervalMs },
          instrument,
        );
      } catch (error) {
        if (error instanceof MaxKeyError) throw new BacktestSpecError(`strategy.${error.field === 'qty' ? 'quantity' : error.field}`, error.message);
        throw new BacktestSpecError('strategy', error instanceof Error ? error.message : String(error));
      }
    case 'ensemble':
      return ensembleStrategy(spec, instrument, barIntervalMs);
    default:
      throw new BacktestSpecError('strategy.name', `unknown strategy ${JSON.stringify((spec as { name: unknown }).name)} (available: ${STRATEGY_NAMES.join(', ')})`);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks an untrusted strategy spec (JSON) field by field and returns it as a StrategySpec;
 * the keys themselves are checked by buildStrategy. Throws BacktestSpecError naming the field.
 */
export function parseStrategySpec(raw: unknown): StrategySpec {
  if (!isRecord(raw)) throw new BacktestSpecError('strategy', 'strategy must be an object with a name (sma-cross or max) and its parameters');
  const num = (key: string, opts: { integer?: boolean; min?: number; optional?: boolean } = {}): number | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) {
      if (opts.optional) return undefined;
      throw new BacktestSpecError(`strategy.${key}`, `strategy.${key} is required for ${String(raw.name)}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min)) {
      const what = `${opts.integer ? 'a whole number' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}`;
      throw new BacktestSpecError(`strategy.${key}`, `strategy.${key} must be ${what}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const str = (key: string): string => {
    const v = raw[key];
    if (typeof v !== 'string' || v.trim() === '') throw new BacktestSpecError(`strategy.${key}`, `strategy.${key} is required for ${String(raw.name)} (a string)`);
    return v.trim();
  };
  const allowOnly = (keys: readonly string[]) => {
    const extra = Object.keys(raw).filter((k) => !keys.includes(k));
    if (extra.length > 0) throw new BacktestSpecError(`strategy.${extra[0]}`, `unknown field${extra.length > 1 ? 's' : ''} for ${String(raw.name)}: ${extra.join(', ')} (known: ${keys.join(', ')})`);
  };
  const barIntervalMs = (): number | undefined => num('barIntervalMs', { integer: true, min: 1, optional: true });
  switch (raw.name) {
    case 'sma-cross': {
      allowOnly(['name', 'fast', 'slow', 'size', 'longOnly', 'stopAtr', 'targetAtr', 'barIntervalMs']);
      if (raw.longOnly !== undefined && typeof raw.longOnly !== 'boolean') throw new BacktestSpecError('strategy.longOnly', 'strategy.longOnly must be true or false');
      const spec: SmaCrossSpec = { name: 'sma-cross', fast: num('fast', { integer: true, min: 1 }) as number, slow: num('slow', { integer: true, min: 2 }) as number };
      const size = num('size', { optional: true });
      if (size !== undefined) spec.size = size;
      if (raw.longOnly !== undefined) spec.longOnly = raw.longOnly as boolean;
      const stopAtr = num('stopAtr', { min: 0, optional: true });
      if (stopAtr !== undefined) spec.stopAtr = stopAtr;
      const targetAtr = num('targetAtr', { min: 0, optional: true });
      if (targetAtr !== undefined) spec.targetAtr = targetAtr;
      const interval = barIntervalMs();
      if (interval !== undefined) spec.barIntervalMs = interval;
      return spec;
    }
    case 'max': {
      allowOnly(['name', 'contract', 'maxMode', 'point_key', 'exit_strategy_key', 'quantity', 'barIntervalMs']);
      const spec: MaxSpec = {
        name: 'max',
        contract: str('contract').toUpperCase(),
        maxMode: str('maxMode'),
        point_key: str('point_key'),
        exit_strategy_key: str('exit_strategy_key'),
      };
      const quantity = num('quantity', { integer: true, min: 1, optional: true });
      if (quantity !== undefined) spec.quantity = quantity;
      const interval = barIntervalMs();
      if (interval !== undefined) spec.barIntervalMs = interval;
      return spec;
    }
    case 'ensemble':
      throw new BacktestSpecError('strategy.name', 'the ensemble backtest runs from the command line: tradewind backtest --strategy ensemble --models ... (README "Ensemble coordinator")');
    default:
      throw new BacktestSpecError('strategy.name', `strategy.name must be one of ${STRATEGY_NAMES.join(', ')}; got ${JSON.stringify(raw.name ?? null)}`);
  }
}

/** One line naming a spec and its parameters, for summaries and logs. */
export function describeStrategy(s: StrategySpec): string {
  if (s.name === 'ensemble') return `ensemble of ${s.models.length} model(s) ${s.method} threshold ${s.confidenceThreshold} edge ${s.edge} size ${s.positionSizeFraction} stop ${s.stopLossPercent} target ${s.takeProfitPercent}`;
  if (s.name === 'max') return `max ${s.contract} ${s.maxMode} point_key ${s.point_key} exit ${s.exit_strategy_key} qty ${s.quantity ?? 'risk-sized'}`;
  return `sma-cross fast ${s.fast} slow ${s.slow} size ${s.size ?? 'risk-sized'}${s.longOnly ? ' long-only' : ''}${s.stopAtr ? ` stop ${s.stopAtr} ATR` : ''}`;
}
