/**
 * Feature binning for the histogram trainer: each feature's values are cut into at most
 * `maxBin` bins by quantiles of (a sample of) the training rows; bin b holds the values in
 * (bound[b-1], bound[b]], the last bound is +Infinity, and NaN goes to the extra bin
 * `maxBin` (the missing bin). A split "bin <= b" is therefore the threshold "value <= bound[b]",
 * which is exactly LightGBM's numerical decision, so the written model predicts on raw values
 * what the trainer computed on bins.
 */

export interface BinMapper {
  maxBin: number;
  /** Per feature: ascending upper bounds, the last one +Infinity. */
  bounds: Float64Array[];
  /** Per feature: smallest and largest finite training value (NaN when none). */
  min: number[];
  max: number[];
  /** Per feature: whether any training value is NaN. */
  hasMissing: boolean[];
}

/** Values per feature looked at to place the bin bounds (every k-th row beyond that). */
const SAMPLE = 200_000;

export function buildBinMapper(x: Float64Array, rows: number, features: number, maxBin: number): BinMapper {
  if (!(Number.isInteger(maxBin) && maxBin >= 2 && maxBin <= 255)) throw new Error('maxBin must be an integer in 2..255');
  const step = Math.max(1, Math.floor(rows / SAMPLE));
  const bounds: Float64Array[] = [];
  const min: number[] = [];
  const max: number[] = [];
  const hasMissing: boolean[] = [];
  for (let f = 0; f < features; f++) {
    let lo = Infinity;
    let hi = -Infinity;
    let nan = false;
    for (let r = 0; r < rows; r++) {
      const v = x[r * features + f] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (v !== v) nan = true;
    }
    hasMissing.push(nan);
    min.push(lo === Infinity ? Number.NaN : lo);
    max.push(hi === -Infinity ? Number.NaN : hi);
    const sample = new Float64Array(Math.ceil(rows / step));
    let m = 0;
    for (let r = 0; r < rows; r += step) {
      const v = x[r * features + f] as number;
      if (Number.isFinite(v)) sample[m++] = v;
    }
    bounds.push(featureBounds(sample.subarray(0, m).sort(), maxBin));
  }
  return { maxBin, bounds, min, max, hasMissing };
}

/** Bounds from sorted finite values: one bin per distinct value when they are few, else quantiles. */
function featureBounds(sorted: Float64Array, maxBin: number): Float64Array {
  const distinct: number[] = [];
  const counts: number[] = [];
  for (const v of sorted) {
    if (distinct.length && distinct[distinct.length - 1] === v) counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const mid = (i: number) => ((distinct[i] as number) + (distinct[i + 1] as number)) / 2;
  const out: number[] = [];
  if (distinct.length <= maxBin) {
    for (let i = 0; i + 1 < distinct.length; i++) out.push(mid(i));
  } else {
    // Walk the distinct values, closing a bin once it holds its share of the remaining rows.
    let remaining = sorted.length;
    let binsLeft = maxBin;
    let acc = 0;
    for (let i = 0; i + 1 < distinct.length && binsLeft > 1; i++) {
      acc += counts[i] as number;
      if (acc >= remaining / binsLeft) {
        out.push(mid(i));
        remaining -= acc;
        acc = 0;
        binsLeft--;
      }
    }
  }
  out.push(Infinity);
  return Float64Array.from(out);
}

/** The bin of one value (NaN -> the missing bin). */
export function binOf(bounds: Float64Array, v: number, missingBin: number): number {
  if (v !== v) return missingBin;
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (v <= (bounds[m] as number)) hi = m;
    else lo = m + 1;
  }
  return lo;
}

/** Row-major bin codes of a matrix. */
export function binMatrix(mapper: BinMapper, x: Float64Array, rows: number, features: number): Uint8Array {
  const out = new Uint8Array(rows * features);
  for (let f = 0; f < features; f++) {
    const b = mapper.bounds[f] as Float64Array;
    for (let r = 0; r < rows; r++) out[r * features + f] = binOf(b, x[r * features + f] as number, mapper.maxBin);
  }
  return out;
}

/** LightGBM's feature_infos entry: [min:max], or none for a constant feature. */
export function featureInfos(mapper: BinMapper): string[] {
  return mapper.bounds.map((b, f) => (b.length > 1 ? `[${mapper.min[f]}:${mapper.max[f]}]` : 'none'));
}
