/**
 * Features from candles, and labels from the forward return. Every feature at bar t reads only
 * bars 0..t (the close of bar t is known when bar t closes), so appending future bars never
 * changes a feature already computed; the recursive ones (RSI, ATR, the EMAs of MACD) start at
 * bar 0 and are NaN during their warm-up. A feature is named by what it computes, so a model
 * file's feature names say how to rebuild its inputs:
 *
 * | name | value at bar t |
 * |---|---|
 * | `ret_W` | close[t] / close[t-W] - 1 |
 * | `rsi_N` | Wilder's RSI (0-100): average gain and loss seeded with the mean of the first N changes, then (prev*(N-1) + x) / N |
 * | `macd_F_S_G`, `macds_F_S_G`, `macdh_F_S_G` | MACD line EMA_F - EMA_S of the close, its signal EMA_G, and line - signal; divided by close[t]; EMAs with alpha 2/(n+1) seeded with the first value |
 * | `bbpos_N_K` | (close - lower) / (upper - lower) of Bollinger bands SMA_N ± K·σ_N (population σ); 0.5 when σ = 0 |
 * | `atr_N` | Wilder's average true range / close[t] (TR = max(high-low, |high-prev close|, |low-prev close|)) |
 * | `volz_N` | (volume[t] - mean_N) / σ_N of the last N volumes; 0 when σ = 0 |
 *
 * Hand-written: the indicator definitions are a few lines each and must be exactly these
 * (prefix-stable, no look-ahead); a library would hide both.
 */
import type { Candles } from './candles.js';

export const DEFAULT_FEATURES: readonly string[] = [
  'ret_1',
  'ret_5',
  'ret_15',
  'ret_60',
  'rsi_14',
  'macd_12_26_9',
  'macds_12_26_9',
  'macdh_12_26_9',
  'bbpos_20_2',
  'atr_14',
  'volz_20',
];

export class FeatureNameError extends Error {
  override name = 'FeatureNameError';
}

export type ParsedFeature = Parsed;
type Parsed =
  | { kind: 'ret'; w: number }
  | { kind: 'rsi'; n: number }
  | { kind: 'macd' | 'macds' | 'macdh'; fast: number; slow: number; signal: number }
  | { kind: 'bbpos'; n: number; k: number }
  | { kind: 'atr'; n: number }
  | { kind: 'volz'; n: number };

const posInt = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isInteger(n) && n > 0 && n <= 100_000 ? n : Number.NaN;
};

export function parseFeatureName(name: string): Parsed {
  const [kind, ...args] = name.split('_');
  const bad = () => new FeatureNameError(`unknown feature "${name}" (known: ret_W, rsi_N, macd_F_S_G, macds_F_S_G, macdh_F_S_G, bbpos_N_K, atr_N, volz_N)`);
  let p: Parsed;
  switch (kind) {
    case 'ret':
      p = { kind, w: posInt(args[0]) };
      break;
    case 'rsi':
    case 'atr':
    case 'volz':
      p = { kind, n: posInt(args[0]) };
      break;
    case 'macd':
    case 'macds':
    case 'macdh':
      if (args.length !== 3) throw bad();
      p = { kind, fast: posInt(args[0]), slow: posInt(args[1]), signal: posInt(args[2]) };
      break;
    case 'bbpos': {
      const k = Number(args[1]);
      p = { kind, n: posInt(args[0]), k: Number.isFinite(k) && k > 0 ? k : Number.NaN };
      break;
    }
    default:
      throw bad();
  }
  const expected = kind === 'macd' || kind === 'macds' || kind === 'macdh' ? 3 : kind === 'bbpos' ? 2 : 1;
  if (args.length !== expected || Object.values(p).some((v) => typeof v === 'number' && Number.isNaN(v))) throw bad();
  if ((kind === 'rsi' || kind === 'atr' || kind === 'volz' || kind === 'bbpos') && (p as { n: number }).n < 2) throw bad();
  return p;
}

/** Bars before the first defined value of a feature. */
export function warmup(name: string): number {
  const p = parseFeatureName(name);
  switch (p.kind) {
    case 'ret':
      return p.w;
    case 'rsi':
    case 'atr':
      return p.n;
    case 'macd':
    case 'macds':
    case 'macdh':
      return Math.max(p.fast, p.slow) + p.signal - 2;
    case 'bbpos':
    case 'volz':
      return p.n - 1;
  }
}

/** Candles needed for the last bar's features to be defined. */
export const minCandles = (names: readonly string[]): number => Math.max(1, ...names.map(warmup)) + 1;

function ema(x: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(x.length);
  const a = 2 / (n + 1);
  let v = Number.NaN;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    v = i === 0 ? xi : a * xi + (1 - a) * v;
    out[i] = v;
  }
  return out;
}

/** Wilder smoothing of x[1..]: NaN before index n, the mean of x[1..n] at n, then recursive. */
function wilder(x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(x.length).fill(Number.NaN);
  if (x.length <= n) return out;
  let s = 0;
  for (let i = 1; i <= n; i++) s += x[i] as number;
  let v = s / n;
  out[n] = v;
  for (let i = n + 1; i < x.length; i++) {
    v = (v * (n - 1) + (x[i] as number)) / n;
    out[i] = v;
  }
  return out;
}

/** Mean and population standard deviation of x[t-n+1..t] (two passes over the window). */
function windowStats(x: Float64Array, t: number, n: number): [number, number] {
  let s = 0;
  for (let i = t - n + 1; i <= t; i++) s += x[i] as number;
  const mean = s / n;
  let q = 0;
  for (let i = t - n + 1; i <= t; i++) {
    const d = (x[i] as number) - mean;
    q += d * d;
  }
  return [mean, Math.sqrt(q / n)];
}

function compute(c: Candles, p: Parsed, cache: Map<string, Float64Array>): Float64Array {
  const close = c.close;
  const len = close.length;
  const out = new Float64Array(len).fill(Number.NaN);
  switch (p.kind) {
    case 'ret':
      for (let t = p.w; t < len; t++) out[t] = (close[t] as number) / (close[t - p.w] as number) - 1;
      return out;
    case 'rsi': {
      const gain = new Float64Array(len);
      const loss = new Float64Array(len);
      for (let t = 1; t < len; t++) {
        const d = (close[t] as number) - (close[t - 1] as number);
        gain[t] = d > 0 ? d : 0;
        loss[t] = d < 0 ? -d : 0;
      }
      const g = wilder(gain, p.n);
      const l = wilder(loss, p.n);
      for (let t = p.n; t < len; t++) {
        const ag = g[t] as number;
        const al = l[t] as number;
        out[t] = al === 0 ? (ag === 0 ? 50 : 100) : 100 - 100 / (1 + ag / al);
      }
      return out;
    }
    case 'macd':
    case 'macds':
    case 'macdh': {
      const key = `${p.fast}_${p.slow}_${p.signal}`;
      let line = cache.get(`macd_${key}`);
      if (!line) {
        const f = ema(close, p.fast);
        const s = ema(close, p.slow);
        line = new Float64Array(len);
        for (let t = 0; t < len; t++) line[t] = (f[t] as number) - (s[t] as number);
        cache.set(`macd_${key}`, line);
      }
      const sig = cache.get(`macds_${key}`) ?? ema(line, p.signal);
      cache.set(`macds_${key}`, sig);
      const from = Math.max(p.fast, p.slow) + p.signal - 2;
      for (let t = from; t < len; t++) {
        const v = p.kind === 'macd' ? (line[t] as number) : p.kind === 'macds' ? (sig[t] as number) : (line[t] as number) - (sig[t] as number);
        out[t] = v / (close[t] as number);
      }
      return out;
    }
    case 'bbpos':
      for (let t = p.n - 1; t < len; t++) {
        const [mean, sd] = windowStats(close, t, p.n);
        out[t] = sd === 0 ? 0.5 : ((close[t] as number) - (mean - p.k * sd)) / (2 * p.k * sd);
      }
      return out;
    case 'atr': {
      const tr = new Float64Array(len);
      for (let t = 0; t < len; t++) {
        const h = c.high[t] as number;
        const lo = c.low[t] as number;
        tr[t] = t === 0 ? h - lo : Math.max(h - lo, Math.abs(h - (close[t - 1] as number)), Math.abs(lo - (close[t - 1] as number)));
      }
      const atr = wilder(tr, p.n);
      for (let t = p.n; t < len; t++) out[t] = (atr[t] as number) / (close[t] as number);
      return out;
    }
    case 'volz':
      for (let t = p.n - 1; t < len; t++) {
        const [mean, sd] = windowStats(c.volume, t, p.n);
        out[t] = sd === 0 ? 0 : ((c.volume[t] as number) - mean) / sd;
      }
      return out;
  }
}

/** One column per feature name (NaN during warm-up). */
export function featureColumns(c: Candles, names: readonly string[]): Float64Array[] {
  return parsedFeatureColumns(c, names.map(parseFeatureName));
}

/** featureColumns for names parsed beforehand (a model server parses its model's names once, not per request). */
export function parsedFeatureColumns(c: Candles, parsed: readonly ParsedFeature[]): Float64Array[] {
  const cache = new Map<string, Float64Array>();
  return parsed.map((p) => compute(c, p, cache));
}

/** The feature vector of bar t (NaN where undefined). */
export function featureRow(c: Candles, names: readonly string[], t = c.close.length - 1): Float64Array {
  const cols = featureColumns(c, names);
  return Float64Array.from(cols, (col) => col[t] as number);
}

/** Forward return over `horizon` bars: close[t+h] / close[t] - 1, NaN for the last h bars. */
export function forwardReturns(c: Candles, horizon: number): Float64Array {
  const len = c.close.length;
  const out = new Float64Array(len).fill(Number.NaN);
  for (let t = 0; t + horizon < len; t++) out[t] = (c.close[t + horizon] as number) / (c.close[t] as number) - 1;
  return out;
}

export interface DatasetOptions {
  features?: readonly string[];
  /** Bars ahead for the label (default 1). */
  horizon?: number;
  /** 'binary': label 1 when the forward return > `threshold` (default 0); 'regression': the forward return. */
  objective?: 'binary' | 'regression';
  threshold?: number;
}

/** Rows with every feature and the label defined, in time order. */
export interface Dataset {
  featureNames: string[];
  /** Row-major, rows x featureNames.length. */
  x: Float64Array;
  y: Float64Array;
  /** Forward return of each row (the label's source, for evaluation). */
  forward: Float64Array;
  /** Index of each row's bar in the candles. */
  bar: Int32Array;
  /** Open time of each row's bar. */
  time: Float64Array;
  rows: number;
  horizon: number;
}

export function buildDataset(c: Candles, options: DatasetOptions = {}): Dataset {
  const names = [...(options.features ?? DEFAULT_FEATURES)];
  const horizon = options.horizon ?? 1;
  if (!(Number.isInteger(horizon) && horizon > 0)) throw new Error('horizon must be a positive integer');
  const threshold = options.threshold ?? 0;
  const cols = featureColumns(c, names);
  const fwd = forwardReturns(c, horizon);
  const d = names.length;
  const keep: number[] = [];
  for (let t = 0; t < fwd.length; t++) {
    if (Number.isNaN(fwd[t] as number)) continue;
    let ok = true;
    for (let j = 0; j < d && ok; j++) ok = Number.isFinite((cols[j] as Float64Array)[t] as number);
    if (ok) keep.push(t);
  }
  const n = keep.length;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const forward = new Float64Array(n);
  const bar = new Int32Array(n);
  const time = new Float64Array(n);
  keep.forEach((t, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = (cols[j] as Float64Array)[t] as number;
    const f = fwd[t] as number;
    forward[i] = f;
    y[i] = options.objective === 'regression' ? f : f > threshold ? 1 : 0;
    bar[i] = t;
    time[i] = c.time[t] as number;
  });
  return { featureNames: names, x, y, forward, bar, time, rows: n, horizon };
}

/** Rows [from, to) of a dataset (copies). */
export function sliceDataset(ds: Dataset, from: number, to: number): Dataset {
  const d = ds.featureNames.length;
  return {
    featureNames: ds.featureNames,
    x: ds.x.slice(from * d, to * d),
    y: ds.y.slice(from, to),
    forward: ds.forward.slice(from, to),
    bar: ds.bar.slice(from, to),
    time: ds.time.slice(from, to),
    rows: to - from,
    horizon: ds.horizon,
  };
}
