/**
 * Loads an XGBoost model saved as JSON (`Booster.save_model('model.json')`, XGBoost 1.0 to 2.x)
 * into a TreeModel whose predictions equal XGBoost's CPU predictor (see tree-ensemble.ts).
 *
 * What is read: learner.learner_model_param (base_score, num_feature, num_class),
 * learner.objective.name, learner.feature_names, learner.attributes, and for each tree of
 * learner.gradient_booster.model.trees: split_indices, split_conditions (the threshold on a
 * split node, the leaf value on a leaf; base_weights holds the unscaled node weights and is not
 * needed), left_children / right_children (-1 on leaves) and default_left (where a missing
 * value goes).
 *
 * base_score is stored in output space: for the logistic objectives the base margin is its
 * logit, computed in float32 as XGBoost does (-logf(1/base_score - 1)); for regression it is
 * used as is.
 */
import { ModelFormatError, type ModelMetadata, type ModelObjective } from '../core/model.js';
import { DEFAULT_LEFT, TreeEnsemble, type TreeArrays } from './tree-ensemble.js';
import { TreeModel, type OutputTransform } from './tree-model.js';

const LOGISTIC = new Set(['binary:logistic', 'reg:logistic', 'binary:logitraw']);
const IDENTITY = new Set(['reg:squarederror', 'reg:linear', 'reg:pseudohubererror', 'reg:absoluteerror', 'reg:quantileerror']);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function need<T>(obj: unknown, path: string[], check: (v: unknown) => v is T, what: string): T {
  const v = field(obj, path);
  if (!check(v)) throw new ModelFormatError(`not an XGBoost JSON model: ${path.join('.')} ${v === undefined ? 'is missing' : `must be ${what}`}`);
  return v;
}

const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const isString = (v: unknown): v is string => typeof v === 'string';
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

/** XGBoost writes numbers in parameters as strings ("5E-1"); 2.1+ writes base_score as "[5E-1]". */
function numberParam(v: unknown, name: string): number {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.replace(/^\[|\]$/g, '') : '';
  const n = Number(s);
  if (s === '' || !Number.isFinite(n)) throw new ModelFormatError(`not an XGBoost JSON model: ${name} is not a number`);
  return n;
}

/** The float32 base margin of a logistic model, as XGBoost's ProbToMargin computes it. */
export function logisticBaseMargin(baseScore: number): number {
  const p = Math.fround(baseScore);
  if (!(p > 0 && p < 1)) throw new ModelFormatError(`base_score must be in (0, 1) for a logistic objective, got ${baseScore}`);
  return Math.fround(-Math.fround(Math.log(Math.fround(Math.fround(1 / p) - 1))));
}

export function parseXgboostJson(text: string): TreeModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ModelFormatError('not an XGBoost JSON model: the file is not JSON (UBJSON models are not supported; save with a .json name)');
  }
  const learner = need(doc, ['learner'], isObject, 'an object');
  const booster = need(learner, ['gradient_booster', 'name'], isString, 'a string');
  if (booster !== 'gbtree') throw new ModelFormatError(`unsupported XGBoost booster "${booster}" (only gbtree)`);
  const objective = need(learner, ['objective', 'name'], isString, 'a string');
  const params = need(learner, ['learner_model_param'], isObject, 'an object');
  const numClass = numberParam(params.num_class ?? '0', 'num_class');
  const numTarget = params.num_target === undefined ? 1 : numberParam(params.num_target, 'num_target');
  if (numClass > 1 || numTarget > 1) throw new ModelFormatError('multi-class and multi-target XGBoost models are not supported');
  const numFeatures = numberParam(params.num_feature, 'num_feature');
  const baseScore = numberParam(params.base_score, 'base_score');

  let out: OutputTransform;
  let kind: ModelObjective;
  let baseMargin: number;
  if (LOGISTIC.has(objective)) {
    kind = 'binary';
    baseMargin = logisticBaseMargin(baseScore);
    out = { kind: 'sigmoid', scale: 1, float32: true };
  } else if (IDENTITY.has(objective)) {
    kind = 'regression';
    baseMargin = baseScore;
    out = { kind: 'identity' };
  } else {
    throw new ModelFormatError(`unsupported XGBoost objective "${objective}" (supported: ${[...LOGISTIC, ...IDENTITY].join(', ')})`);
  }

  const rawTrees = need(learner, ['gradient_booster', 'model', 'trees'], isArray, 'an array');
  const trees = rawTrees.map((t, i) => treeArrays(t, i));
  const names = field(learner, ['feature_names']);
  const featureNames = isArray(names) && names.length > 0 ? names.map(String) : Array.from({ length: numFeatures }, (_, i) => `f${i}`);
  if (featureNames.length !== numFeatures) throw new ModelFormatError(`the model names ${featureNames.length} features but has num_feature ${numFeatures}`);

  let ensemble: TreeEnsemble;
  try {
    ensemble = new TreeEnsemble({ semantics: 'xgboost', trees, baseMargin, numFeatures });
  } catch (e) {
    throw new ModelFormatError(`invalid XGBoost model: ${(e as Error).message}`);
  }
  const attrs = isObject(learner.attributes) ? learner.attributes : {};
  const samples = Number(attrs.training_samples);
  const metadata: ModelMetadata = {
    type: 'xgboost',
    version: typeof attrs.model_version === 'string' ? attrs.model_version : '1.0',
    objective: kind,
    featureNames,
    trainingSamples: Number.isInteger(samples) && samples >= 0 ? samples : null,
    trees: trees.length,
  };
  return new TreeModel(metadata, ensemble, out);
}

function treeArrays(tree: unknown, i: number): TreeArrays {
  const at = (name: string) => need(tree, [name], isNumberArray, 'an array of numbers');
  const left = at('left_children');
  const right = at('right_children');
  const split = at('split_indices');
  const cond = at('split_conditions');
  const dleft = at('default_left');
  const n = left.length;
  if ([right, split, cond, dleft].some((a) => a.length !== n) || n === 0) {
    throw new ModelFormatError(`not an XGBoost JSON model: the node arrays of tree ${i} differ in length`);
  }
  const splitType = field(tree, ['split_type']);
  if (isNumberArray(splitType) && splitType.some((s) => s !== 0)) throw new ModelFormatError(`tree ${i} has categorical splits, which are not supported`);
  const feature = new Int32Array(n);
  const flags = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const leaf = left[j] === -1;
    feature[j] = leaf ? -1 : (split[j] as number);
    flags[j] = dleft[j] ? DEFAULT_LEFT : 0;
  }
  return { feature, threshold: cond, left, right, flags };
}
