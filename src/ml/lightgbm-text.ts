/**
 * LightGBM's text model format (`Booster.save_model('model.txt')`, format v3/v4): the parser
 * turns it into a TreeModel, the writer turns our trainer's trees into it.
 *
 * The file: a header of key=value lines (`objective=binary sigmoid:1`, `feature_names=...`,
 * `max_feature_idx`, `feature_infos`, `tree_sizes` = the byte length of each tree block), then
 * one `Tree=i` block per tree, `end of trees`, feature importances and the training
 * parameters. In a tree, internal nodes are numbered 0..num_leaves-2 and a child below 0 is the
 * leaf ~child; `leaf_value` already includes the learning rate (`shrinkage` is informative).
 * `decision_type` packs: bit 0 categorical, bit 1 default-left, bits 2-3 missing type (0 None,
 * 1 Zero, 2 NaN). The init score (boost_from_average) is folded into the first tree's leaves.
 * Unknown header keys are ignored by LightGBM's loader, so we keep our own metadata there
 * (`tradewind_model_version`, `tradewind_training_samples`).
 */
import { ModelFormatError, type ModelMetadata, type ModelObjective } from '../core/model.js';
import { CATEGORICAL, DEFAULT_LEFT, MISSING_NAN, MISSING_ZERO, TreeEnsemble, type TreeArrays } from './tree-ensemble.js';
import { TreeModel, type OutputTransform } from './tree-model.js';

/** One tree in LightGBM's own layout (what the writer takes and the parser reads). */
export interface LgbTree {
  numLeaves: number;
  splitFeature: number[];
  splitGain: number[];
  threshold: number[];
  decisionType: number[];
  leftChild: number[];
  rightChild: number[];
  leafValue: number[];
  leafWeight: number[];
  leafCount: number[];
  internalValue: number[];
  internalWeight: number[];
  internalCount: number[];
  shrinkage: number;
  /** Categorical splits: bitset boundaries and words (absent when the tree has none). */
  catBoundaries?: number[];
  catThreshold?: number[];
}

export interface LgbModelText {
  objective: 'binary' | 'regression';
  /** `sigmoid:` of the binary objective (1 by default). */
  sigmoid?: number;
  featureNames: string[];
  /** `[min:max]` per feature from the training data, or 'none' for a feature never used. */
  featureInfos: string[];
  trees: LgbTree[];
  /** Real LightGBM parameter names only (LightGBM reads this section back). */
  parameters: Record<string, string | number | boolean>;
  modelVersion?: string;
  trainingSamples?: number;
}

export const DECISION_DEFAULT_LEFT = 2;
export const DECISION_MISSING_NAN = 2 << 2;

const BINARY = new Set(['binary', 'cross_entropy', 'xentropy']);
const REGRESSION = new Set(['regression', 'regression_l2', 'l2', 'mean_squared_error', 'mse', 'regression_l1', 'l1', 'huber', 'fair', 'quantile', 'mape']);

const nums = (a: readonly number[]) => a.map((x) => String(x)).join(' ');

function treeText(t: LgbTree, i: number): string {
  const lines = [
    `Tree=${i}`,
    `num_leaves=${t.numLeaves}`,
    `num_cat=${t.catBoundaries ? t.catBoundaries.length - 1 : 0}`,
    `split_feature=${nums(t.splitFeature)}`,
    `split_gain=${nums(t.splitGain)}`,
    `threshold=${nums(t.threshold)}`,
    `decision_type=${nums(t.decisionType)}`,
    `left_child=${nums(t.leftChild)}`,
    `right_child=${nums(t.rightChild)}`,
    `leaf_value=${nums(t.leafValue)}`,
    `leaf_weight=${nums(t.leafWeight)}`,
    `leaf_count=${nums(t.leafCount)}`,
    `internal_value=${nums(t.internalValue)}`,
    `internal_weight=${nums(t.internalWeight)}`,
    `internal_count=${nums(t.internalCount)}`,
  ];
  if (t.catBoundaries && t.catThreshold) lines.push(`cat_boundaries=${nums(t.catBoundaries)}`, `cat_threshold=${nums(t.catThreshold)}`);
  lines.push('is_linear=0', `shrinkage=${t.shrinkage}`);
  // A block is the tree's lines, a blank line, and one more newline (as LightGBM writes it).
  return `${lines.join('\n')}\n\n\n`;
}

/** The model as LightGBM's text format, loadable by LightGBM and by `parseLightgbmText`. */
export function writeLightgbmText(m: LgbModelText): string {
  for (const name of m.featureNames) if (/[\s=]/.test(name) || name === '') throw new Error(`feature name "${name}" cannot be written (no spaces or '=')`);
  const blocks = m.trees.map(treeText);
  const objective = m.objective === 'binary' ? `binary sigmoid:${m.sigmoid ?? 1}` : 'regression';
  const header = [
    'tree',
    'version=v4',
    'num_class=1',
    'num_tree_per_iteration=1',
    'label_index=0',
    `max_feature_idx=${m.featureNames.length - 1}`,
    `objective=${objective}`,
    `feature_names=${m.featureNames.join(' ')}`,
    `feature_infos=${m.featureInfos.join(' ')}`,
  ];
  if (m.modelVersion !== undefined) header.push(`tradewind_model_version=${m.modelVersion}`);
  if (m.trainingSamples !== undefined) header.push(`tradewind_training_samples=${m.trainingSamples}`);
  header.push(`tree_sizes=${blocks.map((b) => Buffer.byteLength(b)).join(' ')}`);
  const importance = new Array<number>(m.featureNames.length).fill(0);
  for (const t of m.trees) t.splitFeature.forEach((f, j) => (t.splitGain[j] ?? 0) > 0 && (importance[f] = (importance[f] ?? 0) + 1));
  const ranked = importance.map((n, f) => [n, f] as const).filter(([n]) => n > 0).sort((a, b) => b[0] - a[0]);
  const params = Object.entries(m.parameters).map(([k, v]) => `[${k}: ${v}]`);
  return (
    `${header.join('\n')}\n\n${blocks.join('')}end of trees\n\nfeature_importances:\n` +
    ranked.map(([n, f]) => `${m.featureNames[f]}=${n}\n`).join('') +
    `\nparameters:\n${params.join('\n')}\nend of parameters\n\npandas_categorical:null\n`
  );
}

function numbers(s: string | undefined, count: number, what: string, tree: number, integer = false): number[] {
  const parts = s === undefined || s.trim() === '' ? [] : s.trim().split(/\s+/);
  if (parts.length !== count) throw new ModelFormatError(`LightGBM tree ${tree}: ${what} has ${parts.length} values, expected ${count}`);
  return parts.map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v) && !/^[-+]?inf/i.test(p)) throw new ModelFormatError(`LightGBM tree ${tree}: ${what} has a bad number "${p.slice(0, 20)}"`);
    if (integer && !Number.isInteger(v)) throw new ModelFormatError(`LightGBM tree ${tree}: ${what} must hold integers`);
    return Number.isFinite(v) ? v : p.startsWith('-') ? -Infinity : Infinity;
  });
}

/** Reads LightGBM's text format into LightGBM's layout (trees as written). */
export function readLightgbmText(text: string): LgbModelText & { averageOutput: boolean } {
  const lines = text.split(/\r?\n/);
  const header = new Map<string, string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('Tree=')) break;
    if (line === '') continue;
    const eq = line.indexOf('=');
    header.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? '' : line.slice(eq + 1));
  }
  if (!header.has('max_feature_idx') || !header.has('feature_names')) throw new ModelFormatError('not a LightGBM text model: max_feature_idx or feature_names is missing');
  const perIteration = Number(header.get('num_tree_per_iteration') ?? header.get('num_class') ?? '1');
  if (perIteration !== 1 || Number(header.get('num_class') ?? '1') !== 1) throw new ModelFormatError('multi-class LightGBM models are not supported');
  const featureNames = (header.get('feature_names') as string).split(' ').filter((s) => s !== '');
  const maxIdx = Number(header.get('max_feature_idx'));
  if (featureNames.length !== maxIdx + 1) throw new ModelFormatError(`LightGBM model: ${featureNames.length} feature names but max_feature_idx ${maxIdx}`);

  const objectiveLine = (header.get('objective') ?? '').trim();
  const [objName = '', ...objArgs] = objectiveLine.split(/\s+/);
  let objective: 'binary' | 'regression';
  let sigmoid: number | undefined;
  if (BINARY.has(objName)) {
    objective = 'binary';
    const arg = objArgs.find((a) => a.startsWith('sigmoid:'));
    sigmoid = objName === 'binary' ? Number(arg?.slice('sigmoid:'.length) ?? '1') : 1;
    if (!(sigmoid > 0)) throw new ModelFormatError(`LightGBM model: bad sigmoid in "objective=${objectiveLine}"`);
  } else if (REGRESSION.has(objName) || objName === '') {
    objective = 'regression';
  } else {
    throw new ModelFormatError(`unsupported LightGBM objective "${objName}" (supported: binary, cross_entropy and the regression objectives with identity output)`);
  }

  const trees: LgbTree[] = [];
  while (i < lines.length && (lines[i] as string).startsWith('Tree=')) {
    const index = trees.length;
    const kv = new Map<string, string>();
    for (i++; i < lines.length && lines[i] !== ''; i++) {
      const line = lines[i] as string;
      const eq = line.indexOf('=');
      if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
    }
    while (i < lines.length && lines[i] === '') i++;
    trees.push(readTree(kv, index, featureNames.length));
  }
  if (trees.length === 0) throw new ModelFormatError('not a LightGBM text model: no Tree= section');
  const samples = Number(header.get('tradewind_training_samples'));
  const rootCount = trees[0]?.internalCount[0] ?? trees[0]?.leafCount[0];
  return {
    objective,
    ...(sigmoid !== undefined ? { sigmoid } : {}),
    featureNames,
    featureInfos: (header.get('feature_infos') ?? '').split(' ').filter((s) => s !== ''),
    trees,
    parameters: {},
    modelVersion: header.get('tradewind_model_version') ?? '1.0',
    ...(Number.isInteger(samples) ? { trainingSamples: samples } : rootCount !== undefined && rootCount > 0 ? { trainingSamples: rootCount } : {}),
    averageOutput: header.has('average_output'),
  };
}

function readTree(kv: Map<string, string>, t: number, numFeatures: number): LgbTree {
  const leaves = Number(kv.get('num_leaves'));
  if (!Number.isInteger(leaves) || leaves < 1) throw new ModelFormatError(`LightGBM tree ${t}: num_leaves is missing or invalid`);
  if (kv.get('is_linear') !== undefined && kv.get('is_linear') !== '0') throw new ModelFormatError(`LightGBM tree ${t} is a linear tree, which is not supported`);
  const inner = leaves - 1;
  const leafValue = numbers(kv.get('leaf_value'), leaves, 'leaf_value', t);
  const opt = (key: string, n: number, integer = false) => (kv.has(key) ? numbers(kv.get(key), n, key, t, integer) : new Array<number>(n).fill(0));
  const tree: LgbTree = {
    numLeaves: leaves,
    splitFeature: numbers(kv.get('split_feature'), inner, 'split_feature', t, true),
    splitGain: opt('split_gain', inner),
    threshold: numbers(kv.get('threshold'), inner, 'threshold', t),
    decisionType: opt('decision_type', inner, true),
    leftChild: numbers(kv.get('left_child'), inner, 'left_child', t, true),
    rightChild: numbers(kv.get('right_child'), inner, 'right_child', t, true),
    leafValue,
    leafWeight: opt('leaf_weight', leaves),
    leafCount: opt('leaf_count', leaves, true),
    internalValue: opt('internal_value', inner),
    internalWeight: opt('internal_weight', inner),
    internalCount: opt('internal_count', inner, true),
    shrinkage: Number(kv.get('shrinkage') ?? '1'),
  };
  const numCat = Number(kv.get('num_cat') ?? '0');
  if (numCat > 0) {
    tree.catBoundaries = numbers(kv.get('cat_boundaries'), numCat + 1, 'cat_boundaries', t, true);
    const words = tree.catBoundaries[numCat] as number;
    tree.catThreshold = numbers(kv.get('cat_threshold'), words, 'cat_threshold', t, true);
  }
  for (let j = 0; j < inner; j++) {
    const f = tree.splitFeature[j] as number;
    if (f < 0 || f >= numFeatures) throw new ModelFormatError(`LightGBM tree ${t}: split_feature ${f} is not a feature`);
    for (const c of [tree.leftChild[j] as number, tree.rightChild[j] as number]) {
      if (c >= inner || ~c >= leaves || c === 0) throw new ModelFormatError(`LightGBM tree ${t}: child ${c} is outside the tree`);
    }
  }
  return tree;
}

/** LightGBM's layout -> our flattened layout: internal nodes first, then the leaves. */
function toArrays(tree: LgbTree, t: number, bitsets: Uint32Array[]): TreeArrays {
  const inner = tree.numLeaves - 1;
  const n = inner + tree.numLeaves;
  const feature = new Int32Array(n).fill(-1);
  const threshold = new Float64Array(n);
  const left = new Int32Array(n).fill(-1);
  const right = new Int32Array(n).fill(-1);
  const flags = new Uint8Array(n);
  const node = (c: number) => (c >= 0 ? c : inner + ~c);
  for (let j = 0; j < inner; j++) {
    const dt = tree.decisionType[j] as number;
    const missing = (dt >> 2) & 3;
    feature[j] = tree.splitFeature[j] as number;
    left[j] = node(tree.leftChild[j] as number);
    right[j] = node(tree.rightChild[j] as number);
    flags[j] = (dt & 2 ? DEFAULT_LEFT : 0) | (missing === 2 ? MISSING_NAN : 0) | (missing === 1 ? MISSING_ZERO : 0);
    if (dt & 1) {
      const b = tree.catBoundaries;
      const cat = tree.threshold[j] as number;
      if (!b || !tree.catThreshold || !(cat >= 0 && cat + 1 < b.length)) throw new ModelFormatError(`LightGBM tree ${t}: categorical split without its bitset`);
      flags[j] = (flags[j] as number) | CATEGORICAL;
      threshold[j] = bitsets.length;
      bitsets.push(Uint32Array.from(tree.catThreshold.slice(b[cat], b[cat + 1])));
    } else {
      threshold[j] = tree.threshold[j] as number;
    }
  }
  for (let l = 0; l < tree.numLeaves; l++) threshold[inner + l] = tree.leafValue[l] as number;
  return { feature, threshold, left, right, flags };
}

export function lightgbmModel(m: LgbModelText & { averageOutput?: boolean }, version?: string): TreeModel {
  const bitsets: Uint32Array[] = [];
  const trees = m.trees.map((t, i) => toArrays(t, i, bitsets));
  let ensemble: TreeEnsemble;
  try {
    ensemble = new TreeEnsemble({ semantics: 'lightgbm', trees, baseMargin: 0, averageOutput: m.averageOutput === true, catBitsets: bitsets, numFeatures: m.featureNames.length });
  } catch (e) {
    throw new ModelFormatError(`invalid LightGBM model: ${(e as Error).message}`);
  }
  const objective: ModelObjective = m.objective;
  const transform: OutputTransform = objective === 'binary' ? { kind: 'sigmoid', scale: m.sigmoid ?? 1, float32: false } : { kind: 'identity' };
  const metadata: ModelMetadata = {
    type: 'lightgbm',
    version: version ?? m.modelVersion ?? '1.0',
    objective,
    featureNames: m.featureNames,
    trainingSamples: m.trainingSamples ?? null,
    trees: trees.length,
  };
  return new TreeModel(metadata, ensemble, transform);
}

export function parseLightgbmText(text: string): TreeModel {
  return lightgbmModel(readLightgbmText(text));
}
