// Walk-forward evaluation: every fold trains only on rows whose labels end before its test
// period (and before its validation rows), test periods follow each other without overlap,
// and the report is computed from the models' real predictions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candlesFromObjects } from '../../src/ml/candles.js';
import { buildDataset, type Dataset } from '../../src/ml/features.js';
import { runTrainJob, type TrainJobSpec } from '../../src/ml/train-job.js';
import { planFinal, planWalkForward, walkForward } from '../../src/ml/walk-forward.js';

function randomWalk(n: number): Dataset {
  let p = 100;
  let s = 7;
  const rows = Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    const r = (s / 2147483648 - 0.5) * 0.01;
    p *= 1 + r;
    return { open: p, high: p * 1.002, low: p * 0.998, close: p, volume: 1000 + (s % 500), timestamp: 1_704_067_200 + 300 * i };
  });
  return buildDataset(candlesFromObjects(rows), { horizon: 6 });
}

describe('walk-forward evaluation', () => {
  const ds = randomWalk(3000);

  it('plans folds whose training labels end before the validation rows and the test period', () => {
    for (const window of [undefined, 800]) {
      const plans = planWalkForward(ds, 4, window, 0.2);
      assert.equal(plans.length, 4);
      let lastTestEnd = -1;
      for (const p of plans) {
        const [trainFrom, trainTo] = p.train;
        const [validFrom, validTo] = p.valid;
        const [testFrom, testTo] = p.test;
        assert.ok(trainFrom < trainTo && trainTo <= validFrom && validFrom <= validTo && validTo <= testFrom && testFrom < testTo);
        // The last training label (bar t + horizon) comes before the first validation bar, and
        // the last validation label before the first test bar: no label overlaps the next period.
        assert.ok((ds.bar[trainTo - 1] as number) + ds.horizon < (ds.bar[validFrom] as number));
        assert.ok((ds.bar[validTo - 1] as number) + ds.horizon < (ds.bar[testFrom] as number));
        assert.ok(p.purged >= 2 * ds.horizon - 2, `purged ${p.purged}`);
        assert.ok(testFrom >= lastTestEnd, 'test periods do not overlap');
        if (lastTestEnd >= 0) assert.equal(testFrom, lastTestEnd, 'test periods follow each other');
        lastTestEnd = testTo;
        if (window) assert.ok(testFrom - trainFrom <= window);
        else assert.equal(trainFrom, 0);
      }
      assert.equal(lastTestEnd, ds.rows, 'the last fold tests up to the end');
    }
    const final = planFinal(ds, 0.1);
    assert.ok((ds.bar[final.train[1] - 1] as number) + ds.horizon < (ds.bar[final.valid[0]] as number));
    assert.throws(() => planWalkForward(ds, 0), RangeError);
    assert.throws(() => planWalkForward(ds, 1000), /too few rows/);
  });

  it('trains each fold only on earlier rows and reports AUC, accuracy and precision per period', async () => {
    const seen: { maxBar: number; rows: number }[] = [];
    const barOfRow = new Map<string, number>();
    const d = ds.featureNames.length;
    for (let r = 0; r < ds.rows; r++) barOfRow.set(ds.x.subarray(r * d, (r + 1) * d).join(','), ds.bar[r] as number);
    const report = await walkForward(ds, {
      folds: 3,
      validFraction: 0.1,
      params: { rounds: 15, maxDepth: 3 },
      train: async (spec: TrainJobSpec) => {
        // Which bars did this fold see? (Rows are identified by their feature values.)
        let maxBar = -1;
        for (const x of [spec.x, spec.validX ?? new Float64Array(0)]) {
          for (let r = 0; r < x.length / d; r++) maxBar = Math.max(maxBar, barOfRow.get(x.subarray(r * d, (r + 1) * d).join(',')) ?? Infinity);
        }
        seen.push({ maxBar, rows: spec.y.length });
        return runTrainJob(spec);
      },
    });
    assert.equal(report.folds.length, 3);
    report.folds.forEach((f, i) => {
      const firstTestRow = ds.time.indexOf(Date.parse(f.testFrom));
      const firstTestBar = ds.bar[firstTestRow] as number;
      assert.ok((seen[i]?.maxBar as number) + ds.horizon < firstTestBar, `fold ${f.fold} saw bar ${seen[i]?.maxBar}, tests from ${firstTestBar}`);
      assert.equal(seen[i]?.rows, f.trainRows);
      assert.ok(f.trainTo < f.testFrom);
      assert.equal(f.longSignals + f.shortSignals, f.testRows);
      for (const k of ['auc', 'accuracy', 'precisionLong', 'precisionShort'] as const) assert.ok(f[k] >= 0 && f[k] <= 1, `${k} ${f[k]}`);
      assert.ok(f.trees >= 1 && f.trees <= 15);
    });
    assert.equal(report.overall.rows, report.folds.reduce((s, f) => s + f.testRows, 0));
    // A random walk is not predictable: AUC near 0.5 on unseen periods (a leak would show here).
    assert.ok(Math.abs(report.overall.auc - 0.5) < 0.06, `overall AUC ${report.overall.auc}`);
  });
});
