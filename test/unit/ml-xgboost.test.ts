// XGBoost JSON models trained by Debian's python3-xgboost on features of real BTCUSDT candles:
// our TypeScript tree inference, the `tradewind model predict` CLI and the ONNX export run
// through onnxruntime-node must all give python3-xgboost's own predictions, row by row.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { readCandleFile } from '../../src/cli/model-data.js';
import { buildDataset, sliceDataset, type Dataset } from '../../src/ml/features.js';
import { loadModelFile } from '../../src/ml/load-model.js';
import { rowsToCsv } from '../../src/ml/rows-csv.js';
import { TreeModel } from '../../src/ml/tree-model.js';
import { BTC_2024, readPredictions, referenceMissing, runPython, xgbTrainPredict } from '../helpers/ml.js';
import { repoRoot, tempDir } from '../helpers/server.js';

const missing = !existsSync(BTC_2024) ? `no ${BTC_2024}` : referenceMissing();

/** Blanks about `share` of the cells (seeded), so the models learn and use default directions. */
function withMissing(ds: Dataset, share: number, seed: number): Dataset {
  const rng = xoroshiro128plus(seed);
  const x = ds.x.slice();
  for (let i = 0; i < x.length; i++) if ((rng.next() >>> 0) / 2 ** 32 < share) x[i] = Number.NaN;
  return { ...ds, x };
}

describe('XGBoost JSON models against python3-xgboost', { skip: missing ?? false }, () => {
  const dir = tempDir('tw-xgb-');
  let train: Dataset;
  let test: Dataset;
  let trainReg: Dataset;
  let testReg: Dataset;

  before(async () => {
    const candles = await readCandleFile(BTC_2024, { limit: 30_000 });
    const ds = withMissing(buildDataset(candles, { horizon: 5 }), 0.03, 7);
    train = sliceDataset(ds, 0, 20_000);
    test = sliceDataset(ds, 20_000, ds.rows);
    writeFileSync(join(dir, 'train.csv'), rowsToCsv(ds.featureNames, train.x, train.rows, train.y));
    writeFileSync(join(dir, 'test.csv'), rowsToCsv(ds.featureNames, test.x, test.rows));
    // Regression on the forward return in basis points.
    const reg = withMissing(buildDataset(candles, { horizon: 5, objective: 'regression' }), 0.03, 8);
    reg.y = reg.y.map((v) => v * 1e4);
    trainReg = sliceDataset(reg, 0, 20_000);
    testReg = sliceDataset(reg, 20_000, reg.rows);
    writeFileSync(join(dir, 'train-reg.csv'), rowsToCsv(reg.featureNames, trainReg.x, trainReg.rows, trainReg.y));
    writeFileSync(join(dir, 'test-reg.csv'), rowsToCsv(reg.featureNames, testReg.x, testReg.rows));
  });

  const compare = (model: TreeModel, rows: Dataset, predFile: string, what: string) => {
    const ref = readPredictions(predFile);
    assert.equal(ref.margin.length, rows.rows, 'one reference prediction per row');
    const d = rows.featureNames.length;
    let worst = 0;
    let missingRows = 0;
    for (let r = 0; r < rows.rows; r++) {
      const row = rows.x.subarray(r * d, (r + 1) * d);
      if (row.some(Number.isNaN)) missingRows++;
      const p = model.predictSync(row);
      const dm = Math.abs(p.margin - (ref.margin[r] as number));
      const dp = p.probability === null ? 0 : Math.abs(p.probability - (ref.probability[r] as number));
      worst = Math.max(worst, dm, dp);
      if (dm > 1e-6 || dp > 1e-6) assert.fail(`${what}, row ${r}: ours ${p.margin} / ${p.probability}, xgboost ${ref.margin[r]} / ${ref.probability[r]}`);
    }
    assert.ok(missingRows > 1000, `rows with missing values were compared (${missingRows})`);
    return worst;
  };

  it('binary:logistic (default base_score): margins and probabilities equal to 1e-6 on every row', async () => {
    const run = xgbTrainPredict({
      train: join(dir, 'train.csv'), out: join(dir, 'bin.json'), rounds: 60,
      params: { objective: 'binary:logistic', max_depth: 5, eta: 0.1, nthread: 1, seed: 1 },
      predict: join(dir, 'test.csv'), predOut: join(dir, 'bin.pred.csv'),
    });
    assert.equal(run.xgboost_version.split('.')[0], '1');
    const model = (await loadModelFile(join(dir, 'bin.json'))) as TreeModel;
    assert.equal(model.metadata.type, 'xgboost');
    assert.equal(model.metadata.objective, 'binary');
    assert.equal(model.metadata.trees, 60);
    assert.equal(model.metadata.trainingSamples, 20_000);
    assert.deepEqual(model.metadata.featureNames, train.featureNames);
    compare(model, test, join(dir, 'bin.pred.csv'), 'binary');
  });

  it('binary:logistic with base_score 0.37 (logit base margin), row and column subsampling', async () => {
    xgbTrainPredict({
      train: join(dir, 'train.csv'), out: join(dir, 'bin37.json'), rounds: 80,
      params: { objective: 'binary:logistic', base_score: 0.37, max_depth: 6, eta: 0.05, subsample: 0.8, colsample_bytree: 0.7, min_child_weight: 2, lambda: 3, nthread: 1, seed: 3 },
      predict: join(dir, 'test.csv'), predOut: join(dir, 'bin37.pred.csv'),
    });
    const text = readFileSync(join(dir, 'bin37.json'), 'utf8');
    assert.match(text, /"base_score":"3\.7\d*E-1"/, 'the file stores base_score in probability space');
    const model = (await loadModelFile(join(dir, 'bin37.json'))) as TreeModel;
    assert.ok(Math.abs(model.ensemble.baseMargin - Math.log(0.37 / 0.63)) < 1e-6, 'base margin is logit(base_score)');
    compare(model, test, join(dir, 'bin37.pred.csv'), 'binary base_score 0.37');
  });

  it('reg:squarederror: predictions equal to 1e-6', async () => {
    xgbTrainPredict({
      train: join(dir, 'train-reg.csv'), out: join(dir, 'reg.json'), rounds: 40,
      params: { objective: 'reg:squarederror', max_depth: 4, eta: 0.1, nthread: 1 },
      predict: join(dir, 'test-reg.csv'), predOut: join(dir, 'reg.pred.csv'),
    });
    const model = (await loadModelFile(join(dir, 'reg.json'))) as TreeModel;
    assert.equal(model.metadata.objective, 'regression');
    const p = model.predictSync(testReg.x.subarray(0, testReg.featureNames.length));
    assert.equal(p.probability, null);
    compare(model, testReg, join(dir, 'reg.pred.csv'), 'regression');
  });

  it('tradewind model predict --json prints python3-xgboost\'s predictions', () => {
    const r = spawnSync('node', ['bin/tradewind.js', 'model', 'predict', '--model', join(dir, 'bin.json'), '--input', join(dir, 'test.csv'), '--json'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { model: { type: string }; predictions: { row: number; margin: number; probability: number }[] };
    assert.equal(out.model.type, 'xgboost');
    const ref = readPredictions(join(dir, 'bin.pred.csv'));
    assert.equal(out.predictions.length, test.rows);
    out.predictions.forEach((p, i) => {
      assert.equal(p.row, i + 1);
      assert.ok(Math.abs(p.margin - (ref.margin[i] as number)) <= 1e-6 && Math.abs(p.probability - (ref.probability[i] as number)) <= 1e-6, `row ${i + 1}`);
    });
  });

  it('ONNX (TreeEnsembleClassifier / Regressor built from the same trees) through onnxruntime-node gives the same predictions', async () => {
    runPython('xgb_to_onnx.py', [join(dir, 'bin37.json'), join(dir, 'bin37.onnx')]);
    runPython('xgb_to_onnx.py', [join(dir, 'reg.json'), join(dir, 'reg.onnx')]);
    const d = test.featureNames.length;
    const rowsOf = (ds: Dataset) => Array.from({ length: ds.rows }, (_, r) => ds.x.subarray(r * d, (r + 1) * d));

    const onnx = await loadModelFile(join(dir, 'bin37.onnx'), { onnx: { featureNames: test.featureNames } });
    assert.equal(onnx.metadata.type, 'onnx');
    assert.equal(onnx.metadata.objective, 'binary', 'a [batch, 2] probabilities output is a binary model');
    const ref = readPredictions(join(dir, 'bin37.pred.csv'));
    const preds = await onnx.predictBatch(rowsOf(test));
    preds.forEach((p, r) => assert.ok(Math.abs((p.probability as number) - (ref.probability[r] as number)) <= 1e-6, `row ${r}: onnx ${p.probability}, xgboost ${ref.probability[r]}`));
    const one = await onnx.predict(test.x.subarray(0, d));
    assert.equal(one.probability, preds[0]?.probability);
    await assert.rejects(onnx.predict([1, 2, 3]), /expected 11 features/);
    await onnx.close();

    const reg = await loadModelFile(join(dir, 'reg.onnx'));
    assert.equal(reg.metadata.objective, 'regression');
    const refReg = readPredictions(join(dir, 'reg.pred.csv'));
    const regPreds = await reg.predictBatch(rowsOf(testReg));
    regPreds.forEach((p, r) => assert.ok(Math.abs(p.margin - (refReg.margin[r] as number)) <= 1e-5 * Math.max(1, Math.abs(refReg.margin[r] as number)), `row ${r}`));
    assert.equal(regPreds[0]?.probability, null);
    await reg.close();
  });
});
