import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

const strict = { additionalProperties: false } as const;
const Fraction = (max: number) => Type.Number({ exclusiveMinimum: 0, maximum: max });

/**
 * A trading preset (seed 001): risk, scanner filters and weights, level building, signal and
 * position rules. Stored as JSON files in the presets directory.
 */
export const PresetSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9_]+$', maxLength: 64 }),
    description: Type.String({ maxLength: 500 }),
    strategy_type: Type.String({ minLength: 1, maxLength: 64 }),
    /** Instruments this preset scans and trades. */
    symbols: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 200 }),
    /** Bar length the scanner, levels and signals work on. */
    bar_interval_ms: Type.Integer({ minimum: 100, maximum: 86_400_000 }),
    risk: Type.Object(
      {
        /** Fraction of equity risked per trade: 0.0001 to 0.05 (5%). */
        risk_per_trade: Type.Number({ minimum: 0.0001, maximum: 0.05 }),
        max_concurrent_positions: Type.Integer({ minimum: 1, maximum: 20 }),
        /** Stop opening trades after losing this many R in a UTC day. */
        daily_risk_limit_r: Type.Number({ exclusiveMinimum: 0, maximum: 50 }),
        max_consecutive_losses: Type.Integer({ minimum: 1, maximum: 50 }),
        max_leverage: Type.Number({ exclusiveMinimum: 0, maximum: 20 }),
      },
      strict,
    ),
    liquidity_filters: Type.Object(
      {
        min_24h_volume_usd: Type.Number({ minimum: 0 }),
        min_trades_per_minute: Type.Number({ minimum: 0 }),
      },
      strict,
    ),
    volatility_filters: Type.Object(
      {
        /** ATR of the bar interval as a fraction of price. */
        atr_min_pct: Type.Number({ minimum: 0, maximum: 1 }),
        atr_max_pct: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
        /** Recent volume over its average; 1.0 = no surge needed. */
        volume_surge_min: Type.Number({ minimum: 0, maximum: 100 }),
      },
      strict,
    ),
    scanner_config: Type.Object(
      {
        max_candidates: Type.Integer({ minimum: 1, maximum: 100 }),
        /** Bars of history a symbol needs before it can be scored. */
        min_history_bars: Type.Integer({ minimum: 5, maximum: 5000 }),
        /** Relative weights of the score's factors; unknown factors score 0. */
        score_weights: Type.Record(Type.String(), Type.Number({ minimum: 0, maximum: 1 })),
      },
      strict,
    ),
    levels: Type.Object(
      {
        lookback_bars: Type.Integer({ minimum: 10, maximum: 5000 }),
        min_touches: Type.Integer({ minimum: 1, maximum: 20 }),
        /** Prices within this many ATRs count as the same level. */
        tolerance_atr: Fraction(10),
      },
      strict,
    ),
    signal_config: Type.Object(
      {
        /** A close beyond the level by this many ATRs is a breakout. */
        breakout_buffer_atr: Type.Number({ minimum: 0, maximum: 10 }),
        /** Breakout bar volume over the average. */
        min_volume_ratio: Type.Number({ minimum: 0, maximum: 100 }),
        allow_short: Type.Boolean(),
      },
      strict,
    ),
    position_config: Type.Object(
      {
        /** The stop sits this many ATRs beyond the broken level. */
        stop_buffer_atr: Type.Number({ minimum: 0, maximum: 10 }),
        take_profit_r: Type.Number({ minimum: 0, maximum: 50 }),
        /** Close a position after this many bars; 0 = never. */
        max_hold_bars: Type.Integer({ minimum: 0, maximum: 100_000 }),
      },
      strict,
    ),
  },
  strict,
);

export type Preset = Static<typeof PresetSchema>;

/** Factors the scanner knows how to score. */
export const SCORE_FACTORS = ['vol_surge', 'atr_quality', 'momentum', 'liquidity', 'trades_per_minute', 'level_strength', 'oi_delta', 'correlation'] as const;

/** Validation messages naming each bad key, for preset files and updates. */
export function presetProblems(raw: unknown): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of Value.Errors(PresetSchema, raw)) {
    if (e.keyword === 'boolean') continue;
    const extra = (e.params as { additionalProperties?: string[] }).additionalProperties;
    const key = [...e.instancePath.split('/').filter(Boolean), ...(extra ? [extra[0]] : [])].join('.') || '(root)';
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`${key}: ${extra ? 'unknown key' : e.message}`);
  }
  const p = raw as Preset;
  if (out.length === 0 && p.volatility_filters.atr_min_pct > p.volatility_filters.atr_max_pct) {
    out.push('volatility_filters.atr_min_pct: must not exceed atr_max_pct');
  }
  return out;
}
