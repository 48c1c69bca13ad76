// LightGBM text models: hand-checked small trees (missing types None / Zero / NaN, default
// directions, a categorical split, negative leaf indices, a single-leaf tree, sigmoid scale),
// the round trip of our trainer's output, and refusals of broken files. Also the XGBoost
// semantics that differ (float32 inputs, strict <) on a hand-made JSON model.
// python3-lightgbm is not packaged by Debian, so LightGBM itself cannot be the reference here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelFormatError } from '../../src/core/model.js';
import { gbdtModelText, trainGbdt } from '../../src/ml/gbdt/trainer.js';
import { lightgbmModel, parseLightgbmText, readLightgbmText, type LgbTree } from '../../src/ml/lightgbm-text.js';
import { logloss } from '../../src/ml/metrics.js';
import { loadModelBytes } from '../../src/ml/load-model.js';
import { parseXgboostJson } from '../../src/ml/xgboost-json.js';
import { synthetic } from '../helpers/ml.js';

const HAND = `tree
version=v4
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=2
objective=binary sigmoid:2
feature_names=a b c
feature_infos=[0:10] [-1:1] [-1:5]

Tree=0
num_leaves=3
num_cat=0
split_feature=0 1
split_gain=1 1
threshold=5 0.5
decision_type=2 10
left_child=1 -1
right_child=-3 -2
leaf_value=0.1 0.2 0.3
leaf_count=1 1 1
internal_count=3 2
shrinkage=1


Tree=1
num_leaves=2
num_cat=0
split_feature=2
split_gain=1
threshold=1.5
decision_type=4
left_child=-1
right_child=-2
leaf_value=-0.5 0.5
shrinkage=1


Tree=2
num_leaves=2
num_cat=1
split_feature=2
split_gain=1
threshold=0
decision_type=1
left_child=-1
right_child=-2
leaf_value=1 -1
cat_boundaries=0 1
cat_threshold=10
is_linear=0
shrinkage=1


Tree=3
num_leaves=1
num_cat=0
split_feature=
split_gain=
threshold=
decision_type=
left_child=
right_child=
leaf_value=0.25
shrinkage=1


end of trees

parameters:
[boosting: gbdt]
end of parameters
`;

describe('LightGBM text models', () => {
  it('predicts hand-checked rows: missing types, default directions, categorical bitset, single leaf, sigmoid:2', () => {
    const m = parseLightgbmText(HAND);
    assert.equal(m.metadata.type, 'lightgbm');
    assert.equal(m.metadata.objective, 'binary');
    assert.deepEqual(m.metadata.featureNames, ['a', 'b', 'c']);
    assert.equal(m.metadata.trees, 4);
    assert.equal(m.metadata.trainingSamples, 3, 'without our header, the first root count');
    // Tree 0: a <= 5 (missing type None: NaN reads as 0) -> [b <= 0.5 (missing NaN, default left)
    // -> 0.1 | 0.2] | 0.3. Tree 1: c <= 1.5 -> -0.5 | 0.5, zero or NaN (type Zero, default right) -> 0.5.
    // Tree 2: int(c) in {1, 3} (bitset 0b1010) -> 1 | -1; NaN reads as 0; negative -> right. Tree 3: 0.25.
    const cases: [number[], number][] = [
      [[3, 0.2, 1], 0.1 - 0.5 + 1 + 0.25],
      [[NaN, NaN, 0], 0.1 + 0.5 - 1 + 0.25],
      [[7, 0, 3.7], 0.3 + 0.5 + 1 + 0.25],
      [[5, 0.5, NaN], 0.1 + 0.5 - 1 + 0.25],
      [[10, 1, -1], 0.3 - 0.5 - 1 + 0.25],
      [[0, 0.6, 1e-36], 0.2 + 0.5 - 1 + 0.25],
    ];
    for (const [row, margin] of cases) {
      const p = m.predictSync(row);
      assert.ok(Math.abs(p.margin - margin) < 1e-12, `row ${row}: ${p.margin} != ${margin}`);
      assert.ok(Math.abs((p.probability as number) - 1 / (1 + Math.exp(-2 * margin))) < 1e-12);
    }
    assert.deepEqual(m.ensemble.leaves([3, 0.2, 1]), [2, 1, 1, 0], 'leaf nodes after the internal ones');
  });

  it('round-trips our trainer: same trees, same training loss, tree_sizes point at each Tree= block', () => {
    const data = synthetic(3000, 5, 11, 0.05);
    const result = trainGbdt(data, null, { rounds: 25, maxDepth: 4, seed: 5 });
    const text = gbdtModelText(result, ['f0', 'f1', 'f2', 'f3', 'f4'], '7');
    const read = readLightgbmText(text);
    assert.equal(read.trees.length, 25);
    read.trees.forEach((t, i) => {
      const src = result.trees[i] as LgbTree;
      for (const key of ['numLeaves', 'splitFeature', 'threshold', 'decisionType', 'leftChild', 'rightChild', 'leafValue', 'leafCount', 'internalCount'] as const) {
        assert.deepEqual(t[key], src[key], `tree ${i} ${key}`);
      }
    });
    // The declared block sizes cut the text exactly at each tree, as LightGBM's loader reads it.
    const sizes = (/tree_sizes=(.*)/.exec(text)?.[1] ?? '').split(' ').map(Number);
    let at = text.indexOf('Tree=0');
    sizes.forEach((s, i) => {
      assert.ok(text.startsWith(`Tree=${i}\n`, at), `block ${i} starts at its offset`);
      at += s;
    });
    assert.ok(text.startsWith('end of trees', at));
    // Predicting the raw training rows with the file reproduces the trainer's own scores.
    const model = lightgbmModel(read);
    assert.equal(model.metadata.version, '7');
    assert.equal(model.metadata.trainingSamples, 3000);
    const probs = Array.from({ length: data.rows }, (_, r) => model.predictSync(data.x.subarray(r * 5, r * 5 + 5)).probability as number);
    assert.ok(Math.abs(logloss(probs, data.y) - result.trainLoss) < 1e-9, `file loss ${logloss(probs, data.y)} vs trainer ${result.trainLoss}`);
  });

  it('refuses broken files with a reason', async () => {
    const bad = (text: string, why: RegExp) => assert.throws(() => parseLightgbmText(text), (e: Error) => e instanceof ModelFormatError && why.test(e.message));
    bad('hello', /max_feature_idx or feature_names/);
    bad(HAND.replace('leaf_value=0.1 0.2 0.3', 'leaf_value=0.1 0.2'), /leaf_value has 2 values, expected 3/);
    bad(HAND.replace('left_child=1 -1', 'left_child=1 -7'), /outside the tree/);
    bad(HAND.replace('left_child=1 -1', 'left_child=1 1'), /not a tree/);
    bad(HAND.replace('split_feature=0 1', 'split_feature=0 9'), /not a feature/);
    bad(HAND.replace('objective=binary sigmoid:2', 'objective=multiclass num_class:3'), /unsupported LightGBM objective/);
    bad(HAND.replace('threshold=5 0.5', 'threshold=5 abc'), /bad number/);
    await assert.rejects(loadModelBytes(new Uint8Array(0)), /empty/);
    await assert.rejects(loadModelBytes(Buffer.from('not a model at all')), ModelFormatError);
  });
});

const XGB = (trees: unknown[], objective = 'binary:logistic', baseScore = '5E-1') =>
  JSON.stringify({
    learner: {
      attributes: {},
      feature_names: ['x', 'y'],
      gradient_booster: { name: 'gbtree', model: { trees } },
      learner_model_param: { base_score: baseScore, num_class: '0', num_feature: '2', num_target: '1' },
      objective: { name: objective },
    },
    version: [1, 7, 4],
  });
// x < 0.1 -> [y < 2 (missing -> left) -> -1 | 1] | 0.5
const TREE = { left_children: [1, 3, -1, -1, -1], right_children: [2, 4, -1, -1, -1], split_indices: [0, 1, 0, 0, 0], split_conditions: [0.1, 2, 0.5, -1, 1], default_left: [0, 1, 0, 0, 0], base_weights: [0, 0, 0, 0, 0] };

describe('XGBoost JSON semantics (hand-made model)', () => {
  it('compares float32 inputs with strict <, sends missing values the default way, logit of base_score', () => {
    const m = parseXgboostJson(XGB([TREE], 'binary:logistic', '2.5E-1'));
    const base = Math.fround(Math.log(0.25 / 0.75));
    assert.ok(Math.abs(m.predictSync([0.05, 1]).margin - (base - 1)) < 1e-6);
    assert.ok(Math.abs(m.predictSync([0.05, NaN]).margin - (base - 1)) < 1e-6, 'missing y goes left (default_left)');
    assert.ok(Math.abs(m.predictSync([0.05, 2]).margin - (base + 1)) < 1e-6, '2 < 2 is false');
    assert.ok(Math.abs(m.predictSync([NaN, 0]).margin - (base + 0.5)) < 1e-6, 'missing x goes right');
    // 0.1 as float32 equals the float32 threshold: not < , so right (in doubles 0.1 < 0.1f would go left).
    assert.ok(Math.abs(m.predictSync([0.1, 0]).margin - (base + 0.5)) < 1e-6);
    const p = m.predictSync([0.05, 1]);
    assert.equal(p.probability, Math.fround(1 / (1 + Math.exp(-p.margin))));
    const reg = parseXgboostJson(XGB([TREE, TREE], 'reg:squarederror', '1.5E0'));
    assert.equal(reg.predictSync([0.05, 5]).margin, 1.5 + 1 + 1);
    assert.equal(reg.predictSync([0.05, 5]).probability, null);
  });

  it('refuses what it cannot predict exactly', () => {
    const bad = (text: string, why: RegExp) => assert.throws(() => parseXgboostJson(text), (e: Error) => e instanceof ModelFormatError && why.test(e.message));
    bad('{', /not JSON/);
    bad('{"learner": {}}', /gradient_booster.name is missing/);
    bad(XGB([TREE], 'multi:softprob'), /unsupported XGBoost objective/);
    bad(XGB([TREE], 'count:poisson'), /unsupported XGBoost objective/);
    bad(XGB([{ ...TREE, split_type: [1, 0, 0, 0, 0] }]), /categorical/);
    bad(XGB([{ ...TREE, left_children: [1, 3, -1] }]), /differ in length/);
    bad(XGB([{ ...TREE, split_indices: [5, 1, 0, 0, 0] }]), /feature 5/);
    bad(XGB([{ ...TREE, left_children: [1, 0, -1, -1, -1] }]), /children outside the tree|not a tree/);
    bad(XGB([TREE], 'binary:logistic', '1.5E0'), /base_score must be in \(0, 1\)/);
    bad(JSON.stringify({ learner: { gradient_booster: { name: 'dart' } } }), /unsupported XGBoost booster "dart"/);
  });
});
