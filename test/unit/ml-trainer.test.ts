// The histogram gradient-boosting trainer: determinism with a seed, quality on synthetic
// problems, missing values, constraints, early stopping, the worker thread.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gbdtModelText, trainGbdt } from '../../src/ml/gbdt/trainer.js';
import { lightgbmModel, parseLightgbmText, readLightgbmText, type LgbTree } from '../../src/ml/lightgbm-text.js';
import { auc, rmse } from '../../src/ml/metrics.js';
import { runTrainJob, trainInWorker } from '../../src/ml/train-job.js';
import { synthetic } from '../helpers/ml.js';

const NAMES = (d: number) => Array.from({ length: d }, (_, i) => `f${i}`);
const split = (m: ReturnType<typeof synthetic>, at: number) => ({
  train: { x: m.x.slice(0, at * m.features), y: m.y.slice(0, at), rows: at, features: m.features },
  test: { x: m.x.slice(at * m.features), y: m.y.slice(at), rows: m.rows - at, features: m.features },
});
const predictAll = (text: string, m: { x: Float64Array; rows: number; features: number }) => {
  const model = parseLightgbmText(text);
  return Array.from({ length: m.rows }, (_, r) => model.predictSync(m.x.subarray(r * m.features, (r + 1) * m.features)));
};

function depth(t: LgbTree, node = 0): number {
  if (t.numLeaves === 1) return 0;
  const kids = [t.leftChild[node] as number, t.rightChild[node] as number];
  return 1 + Math.max(...kids.map((c) => (c < 0 ? 0 : depth(t, c))));
}

describe('GBDT trainer', () => {
  it('is deterministic for a seed (row and column subsampling on), and the seed matters', () => {
    const { train } = split(synthetic(3000, 6, 3, 0.3), 3000);
    const params = { rounds: 20, maxDepth: 4, subsample: 0.7, colsample: 0.5, seed: 11 };
    const a = gbdtModelText(trainGbdt(train, null, params), NAMES(6));
    const b = gbdtModelText(trainGbdt(train, null, params), NAMES(6));
    assert.equal(a, b);
    const c = gbdtModelText(trainGbdt(train, null, { ...params, seed: 12 }), NAMES(6));
    assert.notEqual(a, c);
  });

  it('learns a separable problem: test AUC > 0.95, far above a shallow stump', () => {
    const { train, test } = split(synthetic(10_000, 6, 5, 0.05), 7000);
    const result = trainGbdt(train, null, { rounds: 100, maxDepth: 4, learningRate: 0.2 });
    const probs = predictAll(gbdtModelText(result, NAMES(6)), test).map((p) => p.probability as number);
    const a = auc(probs, test.y);
    assert.ok(a > 0.95, `AUC ${a}`);
    const stump = trainGbdt(train, null, { rounds: 1, maxDepth: 1 });
    const s = auc(predictAll(gbdtModelText(stump, NAMES(6)), test).map((p) => p.probability as number), test.y);
    assert.ok(a > s + 0.1, `boosting ${a} vs one stump ${s}`);
  });

  it('sends missing values the way that fits: rows with a missing x0 (all labelled 1) get high probabilities', () => {
    const { train, test } = split(synthetic(8000, 4, 9, 0.05, 0.1), 6000);
    const preds = predictAll(gbdtModelText(trainGbdt(train, null, { rounds: 60, maxDepth: 3 }), NAMES(4)), test);
    const missing = preds.filter((_, r) => Number.isNaN(test.x[r * 4] as number)).map((p) => p.probability as number);
    assert.ok(missing.length > 100);
    const mean = missing.reduce((s, v) => s + v, 0) / missing.length;
    assert.ok(mean > 0.9, `mean probability of rows with x0 missing: ${mean}`);
  });

  it('regression reduces the error well below the spread of the target', () => {
    const base = synthetic(6000, 3, 21, 0);
    const y = new Float64Array(base.rows);
    for (let r = 0; r < base.rows; r++) y[r] = 3 * (base.x[r * 3] as number) - 2 * (base.x[r * 3 + 1] as number) ** 2 + 0.05 * Math.sin(r);
    const { train, test } = split({ ...base, y }, 4500);
    const result = trainGbdt(train, null, { objective: 'regression', rounds: 150, maxDepth: 4, learningRate: 0.1 });
    const text = gbdtModelText(result, NAMES(3));
    assert.match(text, /^objective=regression$/m);
    const preds = predictAll(text, test);
    assert.equal(preds[0]?.probability, null);
    const mean = test.y.reduce((s, v) => s + v, 0) / test.rows;
    const spread = rmse(new Float64Array(test.rows).fill(mean), test.y);
    const err = rmse(preds.map((p) => p.margin), test.y);
    assert.ok(err < 0.1 * spread, `rmse ${err} vs spread ${spread}`);
  });

  it('respects max depth and min child weight', () => {
    const { train } = split(synthetic(4000, 5, 4, 0.5), 4000);
    const result = trainGbdt(train, null, { rounds: 15, maxDepth: 3, minChildWeight: 40 });
    for (const t of result.trees) {
      assert.ok(depth(t) <= 3, `depth ${depth(t)}`);
      for (const w of t.leafWeight) assert.ok(w >= 40, `leaf hessian ${w}`);
    }
  });

  it('stops early on the validation loss and keeps the best rounds', () => {
    // Labels are noise: the validation loss stops improving quickly.
    const noise = synthetic(6000, 4, 8, 0);
    let s = 99;
    for (let r = 0; r < noise.rows; r++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      noise.y[r] = s % 2;
    }
    const { train, test } = split(noise, 4000);
    const result = trainGbdt(train, test, { rounds: 300, maxDepth: 5, learningRate: 0.3, earlyStoppingRounds: 5 });
    assert.ok(result.roundsRun < 300, `ran ${result.roundsRun} rounds`);
    assert.equal(result.roundsRun, result.bestIteration + 5);
    assert.equal(result.trees.length, result.bestIteration);
    const best = Math.min(...result.validLoss);
    assert.equal(result.validLoss[result.bestIteration - 1], best);
  });

  it('refuses bad parameters and labels', () => {
    const { train } = split(synthetic(100, 2, 1, 0), 100);
    for (const bad of [{ rounds: 0 }, { learningRate: 0 }, { maxDepth: 0 }, { subsample: 1.5 }, { colsample: 0 }, { lambda: -1 }, { maxBin: 300 }]) {
      assert.throws(() => trainGbdt(train, null, bad), RangeError, JSON.stringify(bad));
    }
    const y = train.y.slice();
    y[3] = 2;
    assert.throws(() => trainGbdt({ ...train, y }, null, {}), /label 3 is 2; binary labels are 0 or 1/);
  });

  it('trains in a worker thread to the same model as in-thread; reports validation AUC of the saved file', async () => {
    const { train, test } = split(synthetic(5000, 5, 17, 0.2), 4000);
    const spec = { featureNames: NAMES(5), x: train.x, y: train.y, validX: test.x, validY: test.y, params: { rounds: 30, maxDepth: 4, subsample: 0.8, seed: 3 }, modelVersion: '4' };
    const rounds: number[] = [];
    const inWorker = await trainInWorker(spec, { onRound: (r) => rounds.push(r.round) });
    const inThread = runTrainJob(spec);
    assert.equal(inWorker.modelText, inThread.modelText);
    assert.deepEqual(rounds, Array.from({ length: 30 }, (_, i) => i));
    assert.ok((inWorker.validAuc as number) > 0.9);
    const model = lightgbmModel(readLightgbmText(inWorker.modelText));
    assert.equal(model.metadata.version, '4');
    assert.equal(train.x.length, 4000 * 5, 'the caller keeps its arrays');
    const controller = new AbortController();
    const running = trainInWorker({ ...spec, params: { rounds: 5000, maxDepth: 6 } }, { signal: controller.signal });
    controller.abort();
    await assert.rejects(running, { name: 'AbortError' });
    await assert.rejects(trainInWorker({ ...spec, params: { rounds: -1 } }), /rounds must be/);
  });
});
