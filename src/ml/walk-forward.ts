/**
 * Walk-forward evaluation: the dataset (time-ordered) is cut into `folds + 1` consecutive
 * blocks; fold k tests on block k and trains only on rows before it (all of them, or the last
 * `window` rows), so no model ever sees its test period. Rows whose label window (bar t to
 * t + horizon) reaches the first test bar are purged from training, and likewise between the
 * training rows and the validation rows (the tail of the training window used for early
 * stopping).
 */
import { classification, type Classification } from './metrics.js';
import type { Dataset } from './features.js';
import type { GbdtParams } from './gbdt/trainer.js';
import type { TrainJobResult, TrainJobSpec } from './train-job.js';
import { lightgbmModel, readLightgbmText } from './lightgbm-text.js';

export interface WalkForwardOptions {
  folds: number;
  /** Rows of history each fold trains on (default: everything before the test block). */
  window?: number;
  /** Share of the training window kept for early stopping (default 0.1; 0 = none). */
  validFraction?: number;
  params: Partial<GbdtParams>;
  /** Hold zone around the center for the long/short precision (default 0). */
  edge?: number;
  /** How a fold's model is trained (trainInWorker in the CLI; runTrainJob in tests). */
  train: (spec: TrainJobSpec) => Promise<TrainJobResult>;
  onFold?: (report: FoldReport) => void;
}

/** Row ranges [from, to) of one fold. */
export interface FoldPlan {
  fold: number;
  train: [number, number];
  valid: [number, number];
  test: [number, number];
  /** Rows dropped between train / valid / test because their labels overlap the next period. */
  purged: number;
}

export interface FoldReport extends Classification {
  fold: number;
  trainFrom: string;
  trainTo: string;
  testFrom: string;
  testTo: string;
  trainRows: number;
  validRows: number;
  testRows: number;
  purged: number;
  trees: number;
  trainSeconds: number;
}

export interface WalkForwardReport {
  folds: FoldReport[];
  /** All test rows of all folds together. */
  overall: Classification;
}

/** The last row index in [from, to) whose label window ends before bar `limit` (exclusive end). */
function purgeEnd(ds: Dataset, from: number, to: number, limitBar: number): number {
  let end = to;
  while (end > from && (ds.bar[end - 1] as number) + ds.horizon >= limitBar) end--;
  return end;
}

export function planWalkForward(ds: Dataset, folds: number, window?: number, validFraction = 0.1): FoldPlan[] {
  if (!(Number.isInteger(folds) && folds >= 1)) throw new RangeError('folds must be an integer >= 1');
  if (!(validFraction >= 0 && validFraction < 1)) throw new RangeError('validFraction must be in [0, 1)');
  const n = ds.rows;
  const block = Math.floor(n / (folds + 1));
  if (block < 10) throw new RangeError(`too few rows (${n}) for ${folds} folds`);
  const plans: FoldPlan[] = [];
  for (let k = 1; k <= folds; k++) {
    const testFrom = k * block;
    const testTo = k === folds ? n : (k + 1) * block;
    const start = window ? Math.max(0, testFrom - window) : 0;
    const trainEnd = purgeEnd(ds, start, testFrom, ds.bar[testFrom] as number);
    const validRows = Math.floor((trainEnd - start) * validFraction);
    const validFrom = trainEnd - validRows;
    const fitEnd = validRows > 0 ? purgeEnd(ds, start, validFrom, ds.bar[validFrom] as number) : trainEnd;
    if (fitEnd - start < 10) throw new RangeError(`fold ${k}: too few training rows`);
    plans.push({ fold: k, train: [start, fitEnd], valid: [validFrom, trainEnd], test: [testFrom, testTo], purged: testFrom - trainEnd + (validFrom - fitEnd) });
  }
  return plans;
}

/** The split for a final model: everything, its last `validFraction` kept for early stopping (purged). */
export function planFinal(ds: Dataset, validFraction = 0.1): { train: [number, number]; valid: [number, number] } {
  if (!(validFraction >= 0 && validFraction < 1)) throw new RangeError('validFraction must be in [0, 1)');
  const validRows = Math.floor(ds.rows * validFraction);
  const validFrom = ds.rows - validRows;
  const fitEnd = validRows > 0 ? purgeEnd(ds, 0, validFrom, ds.bar[validFrom] as number) : ds.rows;
  if (fitEnd < 10) throw new RangeError(`too few rows (${ds.rows}) to train`);
  return { train: [0, fitEnd], valid: [validFrom, ds.rows] };
}

export const rowsOf = (ds: Dataset, [from, to]: [number, number]) => {
  const d = ds.featureNames.length;
  return { x: ds.x.slice(from * d, to * d), y: ds.y.slice(from, to) };
};
const iso = (ms: number) => new Date(ms).toISOString();

export async function walkForward(ds: Dataset, options: WalkForwardOptions): Promise<WalkForwardReport> {
  const plans = planWalkForward(ds, options.folds, options.window, options.validFraction ?? 0.1);
  const d = ds.featureNames.length;
  const objective = options.params.objective ?? 'binary';
  const reports: FoldReport[] = [];
  const allScores: number[] = [];
  const allLabels: number[] = [];
  for (const plan of plans) {
    const train = rowsOf(ds, plan.train);
    const valid = rowsOf(ds, plan.valid);
    const result = await options.train({
      featureNames: ds.featureNames,
      x: train.x,
      y: train.y,
      ...(valid.y.length ? { validX: valid.x, validY: valid.y } : {}),
      params: options.params,
    });
    const model = lightgbmModel(readLightgbmText(result.modelText));
    const [from, to] = plan.test;
    const scores = new Float64Array(to - from);
    const labels = new Float64Array(to - from);
    for (let r = from; r < to; r++) {
      const p = model.predictSync(ds.x.subarray(r * d, (r + 1) * d));
      scores[r - from] = objective === 'binary' ? (p.probability as number) : p.margin;
      labels[r - from] = (ds.forward[r] as number) > 0 ? 1 : 0;
      if (objective === 'binary') labels[r - from] = ds.y[r] as number;
    }
    const report: FoldReport = {
      fold: plan.fold,
      trainFrom: iso(ds.time[plan.train[0]] as number),
      trainTo: iso(ds.time[Math.max(plan.train[0], plan.valid[1] - 1)] as number),
      testFrom: iso(ds.time[from] as number),
      testTo: iso(ds.time[to - 1] as number),
      trainRows: plan.train[1] - plan.train[0],
      validRows: plan.valid[1] - plan.valid[0],
      testRows: to - from,
      purged: plan.purged,
      trees: result.trees,
      trainSeconds: result.trainSeconds,
      ...classification(scores, labels, { center: objective === 'binary' ? 0.5 : 0, edge: options.edge ?? 0 }),
    };
    reports.push(report);
    options.onFold?.(report);
    for (let i = 0; i < scores.length; i++) {
      allScores.push(scores[i] as number);
      allLabels.push(labels[i] as number);
    }
  }
  return { folds: reports, overall: classification(allScores, allLabels, { center: objective === 'binary' ? 0.5 : 0, edge: options.edge ?? 0 }) };
}
