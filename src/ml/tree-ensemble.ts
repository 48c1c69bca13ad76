/**
 * Tree-ensemble inference on flattened typed arrays (one array per node field, every tree in
 * the same arrays), shared by the XGBoost and LightGBM loaders and our own trainer.
 * Hand-written: neither library has a JavaScript runtime, and ONNX Runtime is asynchronous and
 * native; this runs in-process in a few microseconds per row.
 *
 * The two libraries decide a split differently, so an ensemble carries its `semantics`:
 * - 'xgboost': inputs are rounded to float32 first (XGBoost stores features as float), a value
 *   goes left when `value < threshold`, a missing value (NaN) goes the node's default way, and
 *   the margin is summed in float32 from the base margin, tree after tree, as XGBoost's CPU
 *   predictor does.
 * - 'lightgbm': doubles throughout, left when `value <= threshold`; the node's missing type
 *   decides what is missing (None: NaN is read as 0; Zero: |value| <= 1e-35 or NaN; NaN: NaN),
 *   and a missing value goes the default way; categorical nodes test a bitset.
 */

export type SplitSemantics = 'xgboost' | 'lightgbm';

/** Node flags. */
export const DEFAULT_LEFT = 1;
export const MISSING_NAN = 2;
export const MISSING_ZERO = 4;
export const CATEGORICAL = 8;

/** One tree as parallel arrays; child indices are local to the tree, -1 on leaves. */
export interface TreeArrays {
  /** Split feature, -1 for a leaf. */
  feature: ArrayLike<number>;
  /** Split threshold; the leaf value on leaves; for categorical nodes the index of the node's bitset in `catBitsets`. */
  threshold: ArrayLike<number>;
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  flags: ArrayLike<number>;
}

export interface EnsembleSpec {
  semantics: SplitSemantics;
  trees: readonly TreeArrays[];
  /** Added to the sum of the trees (XGBoost's base margin; 0 for LightGBM). */
  baseMargin: number;
  /** LightGBM's average_output (random forest mode): the sum is divided by the tree count. */
  averageOutput?: boolean;
  /** Categorical bitsets (LightGBM), 32 categories per word; indexed by a categorical node's threshold. */
  catBitsets?: readonly Uint32Array[];
  numFeatures: number;
}

const ZERO_THRESHOLD = 1e-35;

export class TreeEnsemble {
  readonly semantics: SplitSemantics;
  readonly numFeatures: number;
  readonly numTrees: number;
  readonly numNodes: number;
  readonly baseMargin: number;
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly flags: Uint8Array;
  private readonly roots: Int32Array;
  private readonly catBitsets: readonly Uint32Array[];
  private readonly averageOutput: boolean;
  private readonly hasCategorical: boolean;
  private readonly scratch: Float32Array;

  constructor(spec: EnsembleSpec) {
    this.semantics = spec.semantics;
    this.numFeatures = spec.numFeatures;
    this.numTrees = spec.trees.length;
    this.baseMargin = spec.semantics === 'xgboost' ? Math.fround(spec.baseMargin) : spec.baseMargin;
    this.averageOutput = spec.averageOutput === true;
    this.catBitsets = spec.catBitsets ?? [];
    const total = spec.trees.reduce((s, t) => s + t.feature.length, 0);
    this.numNodes = total;
    this.feature = new Int32Array(total);
    this.threshold = new Float64Array(total);
    this.left = new Int32Array(total);
    this.right = new Int32Array(total);
    this.flags = new Uint8Array(total);
    this.roots = new Int32Array(spec.trees.length);
    let offset = 0;
    let categorical = false;
    spec.trees.forEach((tree, t) => {
      const n = tree.feature.length;
      if (n === 0) throw new Error(`tree ${t} has no nodes`);
      this.roots[t] = offset;
      for (let i = 0; i < n; i++) {
        const f = tree.feature[i] as number;
        const at = offset + i;
        this.feature[at] = f;
        this.flags[at] = tree.flags[i] as number;
        const th = tree.threshold[i] as number;
        this.threshold[at] = this.semantics === 'xgboost' ? Math.fround(th) : th;
        if (f < 0) continue;
        if (f >= spec.numFeatures) throw new Error(`tree ${t} node ${i} splits on feature ${f}, but the model has ${spec.numFeatures} features`);
        const l = tree.left[i] as number;
        const r = tree.right[i] as number;
        if (!(l > 0 && l < n && r > 0 && r < n)) throw new Error(`tree ${t} node ${i} has children outside the tree`);
        this.left[at] = offset + l;
        this.right[at] = offset + r;
        if ((this.flags[at] as number) & CATEGORICAL) {
          categorical = true;
          if (!this.catBitsets[th]) throw new Error(`tree ${t} node ${i} names a missing categorical bitset`);
        }
      }
      offset += n;
    });
    this.hasCategorical = categorical;
    checkAcyclic(this.feature, this.left, this.right, this.roots, total);
    this.scratch = new Float32Array(spec.numFeatures);
  }

  /** The raw margin of one row (no bounds checks: callers check the length). */
  margin(row: ArrayLike<number>): number {
    return this.semantics === 'xgboost' ? this.marginXgb(row) : this.marginLgb(row);
  }

  /** The leaf each tree sends the row to (node index local to the tree), for tests and explanations. */
  leaves(row: ArrayLike<number>): number[] {
    const out: number[] = [];
    const x = this.semantics === 'xgboost' ? this.toFloat32(row) : row;
    for (let t = 0; t < this.numTrees; t++) {
      const root = this.roots[t] as number;
      out.push(this.walk(root, x) - root);
    }
    return out;
  }

  private toFloat32(row: ArrayLike<number>): Float32Array {
    const x = this.scratch;
    for (let i = 0; i < this.numFeatures; i++) x[i] = row[i] as number;
    return x;
  }

  private marginXgb(row: ArrayLike<number>): number {
    const x = this.toFloat32(row);
    const { feature, threshold, left, right, flags, roots } = this;
    let sum = this.baseMargin;
    for (let t = 0; t < roots.length; t++) {
      let n = roots[t] as number;
      let f = feature[n] as number;
      while (f >= 0) {
        const v = x[f] as number;
        if (v !== v) n = (flags[n] as number) & DEFAULT_LEFT ? (left[n] as number) : (right[n] as number);
        else n = v < (threshold[n] as number) ? (left[n] as number) : (right[n] as number);
        f = feature[n] as number;
      }
      sum = Math.fround(sum + (threshold[n] as number));
    }
    return sum;
  }

  private marginLgb(row: ArrayLike<number>): number {
    let sum = 0;
    const { roots, threshold } = this;
    for (let t = 0; t < roots.length; t++) sum += threshold[this.walk(roots[t] as number, row)] as number;
    if (this.averageOutput && roots.length > 0) sum /= roots.length;
    return sum + this.baseMargin;
  }

  private walk(root: number, x: ArrayLike<number>): number {
    const { feature, threshold, left, right, flags } = this;
    const xgb = this.semantics === 'xgboost';
    let n = root;
    let f = feature[n] as number;
    while (f >= 0) {
      let v = x[f] as number;
      const fl = flags[n] as number;
      let goLeft: boolean;
      if (xgb) {
        goLeft = v !== v ? (fl & DEFAULT_LEFT) !== 0 : v < (threshold[n] as number);
      } else if (this.hasCategorical && fl & CATEGORICAL) {
        // NaN is a category of its own (never in the set) when the missing type is NaN, else 0.
        if (v !== v) v = fl & MISSING_NAN ? -1 : 0;
        const c = Math.trunc(v);
        goLeft = c >= 0 && inBitset(this.catBitsets[threshold[n] as number] as Uint32Array, c);
      } else {
        if (v !== v && !(fl & MISSING_NAN)) v = 0;
        if ((fl & MISSING_ZERO && v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD) || (fl & MISSING_NAN && v !== v)) goLeft = (fl & DEFAULT_LEFT) !== 0;
        else goLeft = v <= (threshold[n] as number);
      }
      n = goLeft ? (left[n] as number) : (right[n] as number);
      f = feature[n] as number;
    }
    return n;
  }
}

function inBitset(bits: Uint32Array, v: number): boolean {
  const word = v >>> 5;
  if (word >= bits.length) return false;
  return (((bits[word] as number) >>> (v & 31)) & 1) === 1;
}

/** Refuses a tree whose children loop back (a corrupt file would otherwise hang inference). */
function checkAcyclic(feature: Int32Array, left: Int32Array, right: Int32Array, roots: Int32Array, total: number): void {
  const seen = new Uint8Array(total);
  for (let t = 0; t < roots.length; t++) {
    const stack = [roots[t] as number];
    while (stack.length) {
      const n = stack.pop() as number;
      if (seen[n]) throw new Error(`tree ${t} is not a tree (node ${n} is reached twice)`);
      seen[n] = 1;
      if ((feature[n] as number) >= 0) stack.push(left[n] as number, right[n] as number);
    }
  }
}
