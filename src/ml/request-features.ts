/**
 * The feature vector of a seed 004 `POST /predict` request for a given model: each of the model's
 * inputs is, in order of precedence,
 * 1. the value under its exact name in `features` (an extension of the seed's request, for
 *    models whose inputs are not computed from candles, e.g. an XGBoost model with f0..fN);
 * 2. computed from `candles` (src/ml/features.ts) when its name is a candle feature;
 * 3. during a feature's warm-up (too few candles sent), taken from the seed's `indicators`
 *    when they carry it: `rsi` for rsi_N, `macd` / `macd_signal` / `macd_hist` (price units,
 *    divided by the last close) for macd_* / macds_* / macdh_*, `bb_upper` with `bb_lower` for
 *    bbpos_*, `atr` (price units) for atr_*;
 * 4. otherwise missing (NaN): tree models send a missing value the way they learned to.
 */
import type { Candles } from './candles.js';
import { parsedFeatureColumns, parseFeatureName, type ParsedFeature } from './features.js';

export interface RequestFeatureInput {
  candles: Candles;
  indicators?: Record<string, unknown>;
  features?: Record<string, unknown>;
}

/** A model input that cannot be made from the request; `field` is the request field to fix. */
export class RequestFeatureError extends Error {
  override name = 'RequestFeatureError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A compiled plan for one model's inputs (which are candle features, computed together). */
export class RequestFeatures {
  private readonly candleFeatures: ParsedFeature[];
  private readonly candleIndex: number[];
  private readonly kinds: (string | null)[];

  constructor(readonly names: readonly string[]) {
    this.candleFeatures = [];
    this.candleIndex = [];
    this.kinds = names.map((n, i) => {
      try {
        const parsed = parseFeatureName(n);
        this.candleFeatures.push(parsed);
        this.candleIndex.push(i);
        return parsed.kind;
      } catch {
        return null;
      }
    });
  }

  row(input: RequestFeatureInput): Float64Array {
    const out = new Float64Array(this.names.length).fill(Number.NaN);
    const n = input.candles.close.length;
    if (this.candleFeatures.length > 0 && n > 0) {
      const cols = parsedFeatureColumns(input.candles, this.candleFeatures);
      cols.forEach((col, k) => (out[this.candleIndex[k] as number] = col[n - 1] as number));
    }
    const close = n > 0 ? (input.candles.close[n - 1] as number) : Number.NaN;
    const ind = input.indicators ?? {};
    this.names.forEach((name, i) => {
      const given = input.features?.[name];
      if (given !== undefined) {
        const v = finite(given);
        if (v === undefined && given !== null) throw new RequestFeatureError(`features.${name}`, `features.${name} must be a number or null`);
        out[i] = v ?? Number.NaN;
        return;
      }
      const kind = this.kinds[i];
      if (kind === null) throw new RequestFeatureError(`features.${name}`, `this model's input "${name}" is not computed from candles: send it in features.${name}`);
      if (!Number.isNaN(out[i] as number)) return;
      const fromIndicators = indicatorValue(kind as string, ind, close);
      if (fromIndicators !== undefined) out[i] = fromIndicators;
    });
    return out;
  }
}

function indicatorValue(kind: string, ind: Record<string, unknown>, close: number): number | undefined {
  const perClose = (v: number | undefined) => (v === undefined || !(close > 0) ? undefined : v / close);
  switch (kind) {
    case 'rsi':
      return finite(ind.rsi);
    case 'macd':
      return perClose(finite(ind.macd));
    case 'macds':
      return perClose(finite(ind.macd_signal));
    case 'macdh':
      return perClose(finite(ind.macd_hist) ?? (finite(ind.macd) !== undefined && finite(ind.macd_signal) !== undefined ? (ind.macd as number) - (ind.macd_signal as number) : undefined));
    case 'bbpos': {
      const up = finite(ind.bb_upper);
      const lo = finite(ind.bb_lower);
      if (up === undefined || lo === undefined || !(close > 0)) return undefined;
      return up > lo ? (close - lo) / (up - lo) : 0.5;
    }
    case 'atr':
      return perClose(finite(ind.atr));
    default:
      return undefined;
  }
}
