// `tradewind model train / features / predict / info` on real BTCUSDT candles, and their
// answers to bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadModelFile } from '../../src/ml/load-model.js';
import { csvToRows } from '../../src/ml/rows-csv.js';
import { BTC_2024 } from '../helpers/ml.js';
import { repoRoot, tempDir } from '../helpers/server.js';

const cli = (...args: string[]) => spawnSync('node', ['bin/tradewind.js', 'model', ...args], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });

describe('tradewind model (CLI)', { skip: !existsSync(BTC_2024) && `no ${BTC_2024}` }, () => {
  const dir = tempDir('tw-model-cli-');
  const model = join(dir, 'model.txt');
  const data = ['--data', BTC_2024, '--limit', '20000', '--timeframe', '5m', '--horizon', '3'];

  it('train --json: writes a LightGBM model, with a walk-forward report by period', () => {
    const r = cli('train', ...data, '--out', model, '--rounds', '30', '--max-depth', '4', '--walk-forward', '2', '--early-stopping', '0', '--model-version', '3', '--json');
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { walkForward: { folds: Record<string, unknown>[]; overall: Record<string, number> } };
    assert.equal(s.trees, 30);
    assert.equal(s.format, 'lightgbm');
    assert.ok((s.rows as number) > 3500 && (s.rows as number) < 4000, `rows ${s.rows}`);
    assert.equal((s.trainRows as number) + (s.validRows as number) + 3, s.rows, 'the final model purges the 3 rows whose labels reach its validation rows');
    assert.ok(typeof s.validAuc === 'number');
    assert.equal(s.walkForward.folds.length, 2);
    for (const f of s.walkForward.folds) {
      for (const k of ['fold', 'trainFrom', 'trainTo', 'testFrom', 'testTo', 'trainRows', 'testRows', 'auc', 'accuracy', 'precisionLong', 'precisionShort', 'longSignals', 'shortSignals']) assert.ok(k in f, `fold has ${k}`);
      assert.ok((f.trainTo as string) < (f.testFrom as string));
    }
    assert.ok(readFileSync(model, 'utf8').startsWith('tree\nversion=v4\n'));
  });

  it('features + predict: one prediction per feature row, the same as loading the model in-process', async () => {
    const features = join(dir, 'features.csv');
    const f = cli('features', ...data, '--out', features);
    assert.equal(f.status, 0, f.stderr);
    const header = readFileSync(features, 'utf8').split('\n')[0] as string;
    assert.equal(header, 'ret_1,ret_5,ret_15,ret_60,rsi_14,macd_12_26_9,macds_12_26_9,macdh_12_26_9,bbpos_20_2,atr_14,volz_20,label');
    const r = cli('predict', '--model', model, '--input', features, '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { model: { type: string; version: string; trees: number }; predictions: { row: number; margin: number; probability: number }[] };
    assert.deepEqual([out.model.type, out.model.version, out.model.trees], ['lightgbm', '3', 30]);
    const m = await loadModelFile(model);
    const rows = csvToRows(readFileSync(features, 'utf8'), m.metadata.featureNames);
    assert.equal(out.predictions.length, rows.length);
    const expected = await m.predictBatch(rows);
    out.predictions.forEach((p, i) => {
      assert.equal(p.margin, expected[i]?.margin);
      assert.equal(p.probability, expected[i]?.probability);
    });
    const csv = cli('predict', '--model', model, '--input', features);
    assert.equal(csv.status, 0);
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines[0], 'margin,probability');
    assert.equal(lines.length, rows.length + 1);
    const info = cli('info', '--model', model);
    assert.equal(JSON.parse(info.stdout).objective, 'binary');
  });

  it('explains bad input with exit code 2 and no stack', () => {
    const rows = join(dir, 'bad.csv');
    writeFileSync(rows, 'a,b\n1,2\n');
    const cases: [string[], RegExp][] = [
      [['predict', '--model', join(dir, 'nope.json'), '--input', rows], /no such file/],
      [['predict', '--model', model, '--input', rows], /lacks the model's features: ret_1/],
      [['predict', '--model', rows, '--input', rows], /not a loadable ONNX model|not a/],
      [['train', ...data, '--out', join(dir, 'x.txt'), '--features', 'ret_1,nope_3'], /unknown feature "nope_3"/],
      [['train', ...data, '--out', join(dir, 'x.txt'), '--max-depth', '0'], /--max-depth must be a positive integer/],
      [['train', '--data', BTC_2024, '--limit', '30', '--out', join(dir, 'x.txt')], /only 0 usable rows/],
    ];
    for (const [args, why] of cases) {
      const r = cli(...args);
      assert.ok(r.status !== 0, args.join(' '));
      assert.match(r.stderr, why, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const numeric = join(dir, 'numeric.csv');
    writeFileSync(numeric, '1,2,3\n');
    const r = cli('predict', '--model', model, '--input', numeric);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /line 1: 3 values, the model takes 11/);
  });
});
