/**
 * The ensemble backtest's models: model files given by the user, or `train:N` — N models
 * trained (src/ml GBDT, seeds 1..N, row and column subsampling) on the bars of the `trainDays`
 * before the test period only. The candles read end before the first test bar and a row's label
 * needs `horizon` later bars, so no training row sees a price of the test period.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readCandleFile } from './model-data.js';
import { buildDataset } from '../ml/features.js';
import { runTrainJob } from '../ml/train-job.js';
import type { EnsembleSpec } from '../backtest/strategies.js';

export interface EnsembleTraining {
  /** First and last bar open time read for training, ms; `to` is before the test period. */
  from: number;
  to: number;
  bars: number;
  rows: number;
  horizon: number;
}

export async function ensembleModels(o: { models: string; dataFile: string; testFrom?: number; trainDays: number; horizon: number; rounds: number }): Promise<{ models: EnsembleSpec['models']; training: EnsembleTraining | null }> {
  const m = /^train:(\d+)$/.exec(o.models.trim());
  if (!m) {
    const files = o.models.split(',').map((f) => f.trim()).filter(Boolean);
    if (files.length === 0) throw new Error('--models: give model files (a,b,c) or train:N');
    return { models: files.map((f) => ({ name: basename(f), text: readFileSync(f, 'utf8'), weight: 1 })), training: null };
  }
  const count = Number(m[1]);
  if (!(count >= 1 && count <= 16)) throw new Error('--models train:N: N from 1 to 16');
  if (o.testFrom === undefined) throw new Error('--models train:N needs --from (the test period starts there; the models train on the days before it)');
  const candles = await readCandleFile(o.dataFile, { from: o.testFrom - o.trainDays * 86_400_000, to: o.testFrom });
  const bars = candles.time.length;
  const ds = buildDataset(candles, { horizon: o.horizon });
  if (ds.rows < 500) throw new Error(`only ${ds.rows} training rows before ${new Date(o.testFrom).toISOString()}: give more --train-days or a later --from`);
  const models: EnsembleSpec['models'] = [];
  for (let i = 1; i <= count; i++) {
    const r = runTrainJob({ featureNames: ds.featureNames, x: ds.x, y: ds.y, params: { rounds: o.rounds, maxDepth: 4, learningRate: 0.1, subsample: 0.8, colsample: 0.8, minChildWeight: 20, seed: i }, modelVersion: `backtest-${i}` });
    models.push({ name: `model-${i}`, text: r.modelText, weight: 1 });
  }
  return { models, training: { from: candles.time[0] as number, to: candles.time[bars - 1] as number, bars, rows: ds.rows, horizon: o.horizon } };
}
