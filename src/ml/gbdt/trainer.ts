/**
 * Histogram gradient boosting (the algorithm of XGBoost's `hist` and LightGBM): second-order
 * boosting on binned features, trees grown level by level to `maxDepth`, histogram
 * subtraction (the larger child's histogram = parent - smaller child), missing values sent the
 * better way at each split, L2-regularised leaf weights -G/(H+lambda) scaled by the learning
 * rate, row subsampling per tree and column subsampling per tree from a seeded generator,
 * early stopping on a validation set. The result is LightGBM's text format.
 *
 * Hand-written: no maintained JavaScript GBDT trainer exists (the npm ones are inference-only
 * or unmaintained), and this has to run in-process in a worker thread.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { binMatrix, buildBinMapper, featureInfos, type BinMapper } from './bins.js';
import { DECISION_DEFAULT_LEFT, DECISION_MISSING_NAN, writeLightgbmText, type LgbTree } from '../lightgbm-text.js';
import { logloss, rmse } from '../metrics.js';

export interface GbdtParams {
  objective: 'binary' | 'regression';
  /** Boosting rounds (trees) at most. */
  rounds: number;
  learningRate: number;
  maxDepth: number;
  /** Smallest hessian sum in a child (XGBoost's min_child_weight). */
  minChildWeight: number;
  /** L2 regularisation of leaf weights. */
  lambda: number;
  /** Smallest loss reduction to split (XGBoost's gamma). */
  gamma: number;
  /** Share of rows drawn for each tree (1 = all). */
  subsample: number;
  /** Share of features drawn for each tree (1 = all). */
  colsample: number;
  maxBin: number;
  /** Stop when the validation loss has not improved for this many rounds (0 = never). */
  earlyStoppingRounds: number;
  seed: number;
}

export const DEFAULT_PARAMS: GbdtParams = {
  objective: 'binary',
  rounds: 200,
  learningRate: 0.1,
  maxDepth: 6,
  minChildWeight: 1,
  lambda: 1,
  gamma: 0,
  subsample: 1,
  colsample: 1,
  maxBin: 255,
  earlyStoppingRounds: 0,
  seed: 42,
};

export interface Matrix {
  /** Row-major rows x features. */
  x: Float64Array;
  y: Float64Array;
  rows: number;
  features: number;
}

export interface RoundInfo {
  round: number;
  /** Validation loss (logloss or RMSE), NaN without a validation set. */
  validLoss: number;
}

export interface GbdtResult {
  trees: LgbTree[];
  /** Initial score folded into the first tree's leaves. */
  baseScore: number;
  /** Trees kept (best validation round + 1 with early stopping, else all). */
  bestIteration: number;
  roundsRun: number;
  validLoss: number[];
  trainLoss: number;
  featureInfos: string[];
  params: GbdtParams;
  trainingSamples: number;
}

export function checkParams(p: GbdtParams): void {
  const bad = (name: string, rule: string) => {
    throw new RangeError(`${name} ${rule}`);
  };
  if (p.objective !== 'binary' && p.objective !== 'regression') bad('objective', 'must be binary or regression');
  if (!(Number.isInteger(p.rounds) && p.rounds >= 1 && p.rounds <= 100_000)) bad('rounds', 'must be an integer in 1..100000');
  if (!(p.learningRate > 0 && p.learningRate <= 1)) bad('learningRate', 'must be in (0, 1]');
  if (!(Number.isInteger(p.maxDepth) && p.maxDepth >= 1 && p.maxDepth <= 16)) bad('maxDepth', 'must be an integer in 1..16');
  if (!(p.minChildWeight >= 0 && Number.isFinite(p.minChildWeight))) bad('minChildWeight', 'must be >= 0');
  if (!(p.lambda >= 0 && Number.isFinite(p.lambda))) bad('lambda', 'must be >= 0');
  if (!(p.gamma >= 0 && Number.isFinite(p.gamma))) bad('gamma', 'must be >= 0');
  if (!(p.subsample > 0 && p.subsample <= 1)) bad('subsample', 'must be in (0, 1]');
  if (!(p.colsample > 0 && p.colsample <= 1)) bad('colsample', 'must be in (0, 1]');
  if (!(Number.isInteger(p.earlyStoppingRounds) && p.earlyStoppingRounds >= 0)) bad('earlyStoppingRounds', 'must be an integer >= 0');
  if (!(Number.isInteger(p.maxBin) && p.maxBin >= 2 && p.maxBin <= 255)) bad('maxBin', 'must be an integer in 2..255');
  if (!Number.isInteger(p.seed)) bad('seed', 'must be an integer');
}

interface Node {
  begin: number;
  end: number;
  g: number;
  h: number;
  count: number;
  hist: Float64Array | null;
  /** Filled when the node splits. */
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gain: number;
  left: Node | null;
  right: Node | null;
  value: number;
}

interface Split {
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gain: number;
  gl: number;
  hl: number;
}

const newNode = (begin: number, end: number, g: number, h: number, count: number): Node => ({
  begin, end, g, h, count, hist: null, feature: -1, bin: 0, defaultLeft: false, gain: 0, left: null, right: null, value: 0,
});

const uniform = (rng: RandomGenerator): number => (rng.next() >>> 0) / 4294967296;

class Booster {
  readonly stride: number;
  readonly bins: Uint8Array;
  readonly score: Float64Array;
  readonly grad: Float64Array;
  readonly hess: Float64Array;
  readonly rows: Uint32Array;
  readonly tmp: Uint32Array;
  private rowCount = 0;
  private selected: Int32Array = new Int32Array(0);
  /** Start of each selected feature's block in a histogram. */
  private offsets: Int32Array = new Int32Array(0);
  private readonly pool: Float64Array[] = [];

  constructor(
    readonly data: Matrix,
    readonly mapper: BinMapper,
    readonly p: GbdtParams,
    readonly rng: RandomGenerator,
  ) {
    this.stride = mapper.maxBin + 1;
    this.bins = binMatrix(mapper, data.x, data.rows, data.features);
    this.score = new Float64Array(data.rows);
    this.grad = new Float64Array(data.rows);
    this.hess = new Float64Array(data.rows);
    this.rows = new Uint32Array(data.rows);
    this.tmp = new Uint32Array(data.rows);
  }

  gradients(): void {
    const { score, grad, hess } = this;
    const y = this.data.y;
    if (this.p.objective === 'binary') {
      for (let i = 0; i < score.length; i++) {
        const pr = 1 / (1 + Math.exp(-(score[i] as number)));
        grad[i] = pr - (y[i] as number);
        hess[i] = Math.max(pr * (1 - pr), 1e-16);
      }
    } else {
      for (let i = 0; i < score.length; i++) {
        grad[i] = (score[i] as number) - (y[i] as number);
        hess[i] = 1;
      }
    }
  }

  sample(): void {
    const n = this.data.rows;
    let m = 0;
    if (this.p.subsample >= 1) {
      for (let i = 0; i < n; i++) this.rows[i] = i;
      m = n;
    } else {
      for (let i = 0; i < n; i++) if (uniform(this.rng) < this.p.subsample) this.rows[m++] = i;
      if (m === 0) this.rows[m++] = Math.floor(uniform(this.rng) * n);
    }
    this.rowCount = m;
    const d = this.data.features;
    const k = Math.max(1, Math.round(d * this.p.colsample));
    const all = Array.from({ length: d }, (_, i) => i);
    if (k < d) {
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(uniform(this.rng) * (d - i));
        [all[i], all[j]] = [all[j] as number, all[i] as number];
      }
    }
    this.selected = Int32Array.from(all.slice(0, k).sort((a, b) => a - b));
    this.offsets = this.selected.map((f) => f * this.stride * 2);
  }

  /** A zeroed histogram buffer (reused across nodes and trees: they are large). */
  private takeHist(): Float64Array {
    const h = this.pool.pop();
    if (h) return h.fill(0);
    return new Float64Array(this.data.features * this.stride * 2);
  }

  private release(node: Node): void {
    if (node.hist) this.pool.push(node.hist);
    node.hist = null;
  }

  /**
   * Sums (gradient, hessian) per bin of the selected features over the node's rows. No counts:
   * they would cost a third more; empty sides are recognised by their hessian (below).
   */
  private histogram(node: Node): Float64Array {
    const d = this.data.features;
    const hist = this.takeHist();
    const { rows, bins, grad, hess, selected, offsets } = this;
    const nsel = selected.length;
    for (let i = node.begin; i < node.end; i++) {
      const r = rows[i] as number;
      const g = grad[r] as number;
      const h = hess[r] as number;
      const base = r * d;
      for (let k = 0; k < nsel; k++) {
        const at = (offsets[k] as number) + (bins[base + (selected[k] as number)] as number) * 2;
        hist[at] = (hist[at] as number) + g;
        hist[at + 1] = (hist[at + 1] as number) + h;
      }
    }
    return hist;
  }

  private bestSplit(node: Node): Split | null {
    const { lambda, minChildWeight, gamma } = this.p;
    const S = this.stride;
    const hist = node.hist as Float64Array;
    const G = node.g;
    const H = node.h;
    const parent = (G * G) / (H + lambda);
    // Every row has a positive hessian, so an empty side has none; a floor relative to the node
    // keeps rounding residue from histogram subtraction from passing for a row.
    const minHess = Math.max(minChildWeight, 1e-9 * H, Number.MIN_VALUE);
    let best: Split | null = null;
    let bestGain = 1e-9;
    for (const f of this.selected) {
      const nb = (this.mapper.bounds[f] as Float64Array).length;
      if (nb < 2) continue;
      const base = f * S * 2;
      const miss = base + (S - 1) * 2;
      const gm = hist[miss] as number;
      const hm = hist[miss + 1] as number;
      // Features that had missing values in training try both sides for them.
      const sides = this.mapper.hasMissing[f] ? 2 : 1;
      let gl = 0, hl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const at = base + b * 2;
        gl += hist[at] as number;
        hl += hist[at + 1] as number;
        if ((hist[at + 1] as number) === 0 && b > 0) continue;
        // Missing values to the right, then to the left.
        for (let side = 0; side < sides; side++) {
          const lg = side ? gl + gm : gl;
          const lh = side ? hl + hm : hl;
          const rh = H - lh;
          if (lh < minHess || rh < minHess) continue;
          const rg = G - lg;
          const gain = 0.5 * ((lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parent) - gamma;
          if (gain > bestGain) {
            bestGain = gain;
            best = { feature: f, bin: b, defaultLeft: sides === 2 ? side === 1 : lh >= rh, gain, gl: lg, hl: lh };
          }
        }
      }
    }
    return best;
  }

  /** Stable partition of the node's rows; returns the first index of the right child. */
  private partition(node: Node): number {
    const { rows, tmp, bins } = this;
    const d = this.data.features;
    const f = node.feature;
    const split = node.bin;
    const missing = this.stride - 1;
    const defLeft = node.defaultLeft;
    let l = node.begin;
    let r = 0;
    for (let i = node.begin; i < node.end; i++) {
      const row = rows[i] as number;
      const b = bins[row * d + f] as number;
      const left = b === missing ? defLeft : b <= split;
      if (left) rows[l++] = row;
      else tmp[r++] = row;
    }
    rows.set(tmp.subarray(0, r), l);
    return l;
  }

  /** Grows one tree on the current gradients; returns its root. */
  grow(): Node {
    const { grad, hess, rows } = this;
    let g = 0, h = 0;
    for (let i = 0; i < this.rowCount; i++) {
      g += grad[rows[i] as number] as number;
      h += hess[rows[i] as number] as number;
    }
    const root = newNode(0, this.rowCount, g, h, this.rowCount);
    root.hist = this.histogram(root);
    let level = [root];
    for (let depth = 0; depth < this.p.maxDepth && level.length; depth++) {
      const next: Node[] = [];
      for (const node of level) {
        const s = this.bestSplit(node);
        if (!s) {
          this.release(node);
          continue;
        }
        node.feature = s.feature;
        node.bin = s.bin;
        node.defaultLeft = s.defaultLeft;
        node.gain = s.gain;
        const mid = this.partition(node);
        const left = newNode(node.begin, mid, s.gl, s.hl, mid - node.begin);
        const right = newNode(mid, node.end, node.g - s.gl, node.h - s.hl, node.end - mid);
        node.left = left;
        node.right = right;
        if (depth + 1 < this.p.maxDepth) {
          const [small, large] = left.count <= right.count ? [left, right] : [right, left];
          small.hist = this.histogram(small);
          const parent = node.hist as Float64Array;
          const sh = small.hist;
          for (let i = 0; i < parent.length; i++) parent[i] = (parent[i] as number) - (sh[i] as number);
          large.hist = parent;
        } else this.release(node);
        node.hist = null;
        next.push(left, right);
      }
      level = next;
    }
    for (const n of level) this.release(n);
    return root;
  }

  /** Adds the tree's output (already scaled) to every training row's score. */
  apply(root: Node): void {
    const { score, bins } = this;
    const d = this.data.features;
    const missing = this.stride - 1;
    if (this.rowCount === this.data.rows) {
      const stack = [root];
      while (stack.length) {
        const n = stack.pop() as Node;
        if (n.left && n.right) stack.push(n.left, n.right);
        else for (let i = n.begin; i < n.end; i++) score[this.rows[i] as number] = (score[this.rows[i] as number] as number) + n.value;
      }
      return;
    }
    for (let r = 0; r < this.data.rows; r++) score[r] = (score[r] as number) + leafOf(root, bins, r * d, missing).value;
  }
}

function leafOf(root: Node, bins: Uint8Array, base: number, missing: number): Node {
  let n = root;
  while (n.left && n.right) {
    const b = bins[base + n.feature] as number;
    n = (b === missing ? n.defaultLeft : b <= n.bin) ? n.left : n.right;
  }
  return n;
}

function setValues(root: Node, p: GbdtParams): void {
  const stack = [root];
  while (stack.length) {
    const n = stack.pop() as Node;
    n.value = (-n.g / (n.h + p.lambda)) * p.learningRate;
    if (n.left && n.right) stack.push(n.left, n.right);
  }
}

/** Our node tree -> LightGBM's layout (internal nodes and leaves numbered breadth-first). */
function toLgb(root: Node, mapper: BinMapper, shrinkage: number, bias: number): LgbTree {
  const internal: Node[] = [];
  const leaves: Node[] = [];
  const queue = [root];
  for (let q = 0; q < queue.length; q++) {
    const n = queue[q] as Node;
    if (n.left && n.right) {
      internal.push(n);
      queue.push(n.left, n.right);
    } else leaves.push(n);
  }
  const ids = new Map<Node, number>();
  internal.forEach((n, i) => ids.set(n, i));
  leaves.forEach((n, i) => ids.set(n, ~i));
  const ref = (n: Node) => ids.get(n) as number;
  return {
    numLeaves: leaves.length,
    splitFeature: internal.map((n) => n.feature),
    splitGain: internal.map((n) => n.gain),
    threshold: internal.map((n) => (mapper.bounds[n.feature] as Float64Array)[n.bin] as number),
    decisionType: internal.map((n) => DECISION_MISSING_NAN | (n.defaultLeft ? DECISION_DEFAULT_LEFT : 0)),
    leftChild: internal.map((n) => ref(n.left as Node)),
    rightChild: internal.map((n) => ref(n.right as Node)),
    leafValue: leaves.map((n) => n.value + bias),
    leafWeight: leaves.map((n) => n.h),
    leafCount: leaves.map((n) => n.count),
    internalValue: internal.map((n) => n.value + bias),
    internalWeight: internal.map((n) => n.h),
    internalCount: internal.map((n) => n.count),
    shrinkage,
  };
}

function checkLabels(m: Matrix, objective: GbdtParams['objective'], what: string): void {
  if (m.x.length !== m.rows * m.features || m.y.length !== m.rows) throw new RangeError(`${what}: the matrix does not have rows x features values`);
  for (let i = 0; i < m.rows; i++) {
    const y = m.y[i] as number;
    if (objective === 'binary' ? y !== 0 && y !== 1 : !Number.isFinite(y)) throw new RangeError(`${what}: label ${i} is ${y}; ${objective === 'binary' ? 'binary labels are 0 or 1' : 'labels must be finite'}`);
  }
}

/** Trains on `train`, stopping early on `valid` when given. Deterministic for a given seed. */
export function trainGbdt(train: Matrix, valid: Matrix | null, params: Partial<GbdtParams> = {}, onRound?: (r: RoundInfo) => void): GbdtResult {
  const p: GbdtParams = { ...DEFAULT_PARAMS, ...params };
  checkParams(p);
  if (train.rows < 2) throw new RangeError('training needs at least 2 rows');
  checkLabels(train, p.objective, 'training data');
  if (valid) {
    if (valid.features !== train.features) throw new RangeError('validation data has a different number of features');
    checkLabels(valid, p.objective, 'validation data');
  }
  const mapper = buildBinMapper(train.x, train.rows, train.features, p.maxBin);
  const booster = new Booster(train, mapper, p, xoroshiro128plus(p.seed));

  let mean = 0;
  for (let i = 0; i < train.rows; i++) mean += train.y[i] as number;
  mean /= train.rows;
  const pBar = Math.min(1 - 1e-6, Math.max(1e-6, mean));
  const baseScore = p.objective === 'binary' ? Math.log(pBar / (1 - pBar)) : mean;
  booster.score.fill(baseScore);

  const vBins = valid ? binMatrix(mapper, valid.x, valid.rows, valid.features) : null;
  const vScore = valid ? new Float64Array(valid.rows).fill(baseScore) : null;
  const loss = (scores: Float64Array, y: Float64Array) => (p.objective === 'binary' ? logloss(scores.map((s) => 1 / (1 + Math.exp(-s))), y) : rmse(scores, y));

  const trees: Node[] = [];
  const validLoss: number[] = [];
  let best = Infinity;
  let bestIteration = 0;
  for (let round = 0; round < p.rounds; round++) {
    booster.gradients();
    booster.sample();
    const root = booster.grow();
    setValues(root, p);
    booster.apply(root);
    trees.push(root);
    let vl = Number.NaN;
    if (valid && vBins && vScore) {
      const missing = mapper.maxBin;
      for (let r = 0; r < valid.rows; r++) vScore[r] = (vScore[r] as number) + leafOf(root, vBins, r * valid.features, missing).value;
      vl = loss(vScore, valid.y);
      validLoss.push(vl);
      if (vl < best - 1e-12) {
        best = vl;
        bestIteration = round + 1;
      } else if (p.earlyStoppingRounds > 0 && round + 1 - bestIteration >= p.earlyStoppingRounds) {
        onRound?.({ round, validLoss: vl });
        break;
      }
    } else bestIteration = round + 1;
    onRound?.({ round, validLoss: vl });
  }
  const kept = p.earlyStoppingRounds > 0 && valid ? Math.max(1, bestIteration) : trees.length;
  return {
    // The first tree carries the base score (as LightGBM's boost_from_average does).
    trees: trees.slice(0, kept).map((t, i) => toLgb(t, mapper, p.learningRate, i === 0 ? baseScore : 0)),
    baseScore,
    bestIteration: kept,
    roundsRun: trees.length,
    validLoss,
    trainLoss: loss(booster.score, train.y),
    featureInfos: featureInfos(mapper),
    params: p,
    trainingSamples: train.rows,
  };
}

/** The trained model as LightGBM text. */
export function gbdtModelText(result: GbdtResult, featureNames: readonly string[], modelVersion = '1'): string {
  const p = result.params;
  return writeLightgbmText({
    objective: p.objective,
    featureNames: [...featureNames],
    featureInfos: result.featureInfos,
    trees: result.trees,
    modelVersion,
    trainingSamples: result.trainingSamples,
    parameters: {
      boosting: 'gbdt',
      objective: p.objective,
      num_iterations: p.rounds,
      learning_rate: p.learningRate,
      max_depth: p.maxDepth,
      num_leaves: Math.min(131072, 2 ** p.maxDepth),
      min_sum_hessian_in_leaf: p.minChildWeight,
      lambda_l2: p.lambda,
      min_gain_to_split: p.gamma,
      bagging_fraction: p.subsample,
      bagging_freq: p.subsample < 1 ? 1 : 0,
      feature_fraction: p.colsample,
      max_bin: p.maxBin,
      early_stopping_round: p.earlyStoppingRounds,
      seed: p.seed,
      boost_from_average: 1,
    },
  });
}
