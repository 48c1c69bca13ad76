/**
 * `tradewind model ...`: predict with a model file, train one from candles, export features,
 * describe a model. Wires the file adapters (candle files, model files) to src/ml.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { ModelFormatError, ModelInputError, type Model, type ModelObjective } from '../core/model.js';
import { parseTimeframe } from '../ml/candles.js';
import { buildDataset, DEFAULT_FEATURES, FeatureNameError, parseFeatureName, type Dataset } from '../ml/features.js';
import type { GbdtParams } from '../ml/gbdt/trainer.js';
import { loadModelFile } from '../ml/load-model.js';
import { csvToRows, rowsToCsv, RowsCsvError } from '../ml/rows-csv.js';
import { trainInWorker } from '../ml/train-job.js';
import { planFinal, rowsOf, walkForward, type WalkForwardReport } from '../ml/walk-forward.js';
import { readCandleFile } from './model-data.js';

const num = (name: string, ok: (n: number) => boolean, rule: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new InvalidArgumentError(`${name} ${rule}`);
  return n;
};
const posInt = (name: string) => num(name, (n) => Number.isInteger(n) && n > 0, 'must be a positive integer');
const int = (name: string) => num(name, Number.isInteger, 'must be an integer');
const nonNeg = (name: string) => num(name, (n) => Number.isFinite(n) && n >= 0, 'must be a number >= 0');
const fraction = (name: string) => num(name, (n) => n > 0 && n <= 1, 'must be in (0, 1]');
const date = (v: string): number => {
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`not a date: ${v} (use YYYY-MM-DD, an ISO time or ms)`);
  return ms;
};
const timeframe = (v: string): number => {
  try {
    return parseTimeframe(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};
const featureList = (v: string): string[] => {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    names.forEach(parseFeatureName);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  if (names.length === 0 || new Set(names).size !== names.length) throw new InvalidArgumentError('give distinct feature names separated by commas');
  return names;
};

/** Errors that are the user's input, printed without a stack. */
const USER_ERRORS = [ModelFormatError, ModelInputError, RowsCsvError, FeatureNameError, RangeError];

async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (USER_ERRORS.some((k) => e instanceof k) || err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES' || err.name === 'ImportFormatError') {
      process.stderr.write(`tradewind model: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

const num6 = (v: number | null) => (v === null || Number.isNaN(v) ? null : Number(v.toFixed(6)));

interface PredictOptions {
  model: string;
  input: string;
  json?: boolean;
  objective?: ModelObjective;
  featureNames?: string[];
}

async function predictCommand(o: PredictOptions): Promise<void> {
  const model: Model = await loadModelFile(o.model, { onnx: { ...(o.featureNames ? { featureNames: o.featureNames } : {}), ...(o.objective ? { objective: o.objective } : {}) } });
  try {
    const rows = csvToRows(await readFile(o.input, 'utf8'), model.metadata.featureNames);
    const preds = await model.predictBatch(rows);
    if (o.json) {
      const out = { model: model.metadata, rows: preds.length, predictions: preds.map((p, i) => ({ row: i + 1, margin: p.margin, probability: p.probability })) };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(`margin,probability\n${preds.map((p) => `${p.margin},${p.probability ?? ''}`).join('\n')}${preds.length ? '\n' : ''}`);
    }
  } finally {
    await model.close();
  }
}

interface DataOptions {
  data: string;
  from?: number;
  to?: number;
  limit?: number;
  timeframe?: number;
  horizon: number;
  threshold: number;
  objective: 'binary' | 'regression';
  features: string[];
}

const withData = (cmd: Command): Command =>
  cmd
    .requiredOption('--data <file>', 'Binance kline or OHLCV candle file (.csv or .csv.gz)')
    .option('--from <date>', 'first bar (YYYY-MM-DD, ISO time or ms; inclusive)', date)
    .option('--to <date>', 'end (exclusive)', date)
    .option('--limit <bars>', 'read at most this many bars of the file', posInt('--limit'))
    .option('--timeframe <tf>', 'resample the bars first (e.g. 5m, 1h)', timeframe)
    .option('--horizon <bars>', 'label = return over the next N bars', posInt('--horizon'), 1)
    .option('--threshold <return>', 'binary label is 1 when the forward return is above this', num('--threshold', Number.isFinite, 'must be a number'), 0)
    .addOption(new Option('--objective <kind>', 'binary (up/down) or regression (the forward return)').choices(['binary', 'regression']).default('binary'))
    .option('--features <names>', `comma-separated features (default ${DEFAULT_FEATURES.join(',')})`, featureList, [...DEFAULT_FEATURES]);

async function datasetFrom(o: DataOptions): Promise<Dataset> {
  const candles = await readCandleFile(o.data, { ...(o.from !== undefined ? { from: o.from } : {}), ...(o.to !== undefined ? { to: o.to } : {}), ...(o.limit ? { limit: o.limit } : {}), ...(o.timeframe ? { intervalMs: o.timeframe } : {}) });
  const ds = buildDataset(candles, { features: o.features, horizon: o.horizon, threshold: o.threshold, objective: o.objective });
  if (ds.rows < 50) throw new RangeError(`only ${ds.rows} usable rows in ${candles.close.length} bars (features need warm-up bars and labels need ${o.horizon} bars ahead)`);
  return ds;
}

interface TrainOptions extends DataOptions {
  out: string;
  rounds: number;
  learningRate: number;
  maxDepth: number;
  minChildWeight: number;
  lambda: number;
  gamma: number;
  subsample: number;
  colsample: number;
  maxBin: number;
  earlyStopping: number;
  validFraction: number;
  seed: number;
  walkForward?: number;
  window?: number;
  edge: number;
  modelVersion: string;
  json?: boolean;
}

async function trainCommand(o: TrainOptions): Promise<void> {
  const ds = await datasetFrom(o);
  const params: Partial<GbdtParams> = {
    objective: o.objective,
    rounds: o.rounds,
    learningRate: o.learningRate,
    maxDepth: o.maxDepth,
    minChildWeight: o.minChildWeight,
    lambda: o.lambda,
    gamma: o.gamma,
    subsample: o.subsample,
    colsample: o.colsample,
    maxBin: o.maxBin,
    earlyStoppingRounds: o.earlyStopping,
    seed: o.seed,
  };
  const log = (s: string) => {
    if (!o.json) process.stdout.write(`${s}\n`);
  };
  log(`${ds.rows} rows x ${ds.featureNames.length} features (${new Date(ds.time[0] as number).toISOString()} .. ${new Date(ds.time[ds.rows - 1] as number).toISOString()}), label: ${o.objective} over ${o.horizon} bar(s)`);
  let wf: WalkForwardReport | null = null;
  if (o.walkForward) {
    wf = await walkForward(ds, {
      folds: o.walkForward,
      ...(o.window ? { window: o.window } : {}),
      validFraction: o.validFraction,
      params,
      edge: o.edge,
      train: (spec) => trainInWorker(spec),
      onFold: (f) => log(`  fold ${f.fold}: test ${f.testFrom} .. ${f.testTo} (${f.testRows} rows), trained on ${f.trainRows}: AUC ${f.auc.toFixed(4)}, accuracy ${f.accuracy.toFixed(4)}, precision long ${f.precisionLong.toFixed(4)} (${f.longSignals}), short ${f.precisionShort.toFixed(4)} (${f.shortSignals})`),
    });
    log(`walk-forward overall: AUC ${wf.overall.auc.toFixed(4)}, accuracy ${wf.overall.accuracy.toFixed(4)}, precision long ${wf.overall.precisionLong.toFixed(4)}, short ${wf.overall.precisionShort.toFixed(4)}`);
  }
  const split = planFinal(ds, o.validFraction);
  const train = rowsOf(ds, split.train);
  const valid = rowsOf(ds, split.valid);
  const result = await trainInWorker({ featureNames: ds.featureNames, x: train.x, y: train.y, ...(valid.y.length ? { validX: valid.x, validY: valid.y } : {}), params, modelVersion: o.modelVersion });
  await writeFile(o.out, result.modelText);
  const summary = {
    model: o.out,
    format: 'lightgbm',
    modelVersion: o.modelVersion,
    featureNames: ds.featureNames,
    horizon: o.horizon,
    objective: o.objective,
    rows: ds.rows,
    trainRows: result.trainRows,
    validRows: result.validRows,
    trees: result.trees,
    roundsRun: result.roundsRun,
    trainLoss: num6(result.trainLoss),
    validLoss: num6(result.validLoss),
    validAuc: num6(result.validAuc),
    trainSeconds: Number(result.trainSeconds.toFixed(3)),
    params: result.params,
    walkForward: wf,
  };
  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else log(`model written to ${o.out}: ${result.trees} trees in ${result.trainSeconds.toFixed(1)} s on ${result.trainRows} rows${result.validAuc !== null ? `, validation AUC ${result.validAuc.toFixed(4)} on the last ${result.validRows} rows` : ''}`);
}

async function featuresCommand(o: DataOptions & { out: string }): Promise<void> {
  const ds = await datasetFrom(o);
  await writeFile(o.out, rowsToCsv(ds.featureNames, ds.x, ds.rows, ds.y));
  process.stdout.write(`${ds.rows} rows x ${ds.featureNames.length} features (+ label) written to ${o.out}\n`);
}

export function modelCommand(): Command {
  const model = new Command('model').description('machine-learning models: predict with XGBoost JSON, LightGBM text or ONNX files; train gradient-boosted trees on candles');

  model
    .command('predict')
    .description('predict every row of a CSV file (header = feature names; empty cell = missing): raw margin and probability')
    .requiredOption('--model <file>', 'model file: XGBoost JSON, LightGBM text or ONNX')
    .requiredOption('--input <rows.csv>', 'rows to score')
    .option('--json', 'print JSON: the model metadata and one prediction per row')
    .addOption(new Option('--objective <kind>', 'ONNX models with a single score output: what it is').choices(['binary', 'regression']))
    .option('--feature-names <names>', 'ONNX models: input names, comma-separated', (v: string) => v.split(',').map((s) => s.trim()))
    .action((o: PredictOptions) => guarded(() => predictCommand(o)));

  withData(model.command('train').description('train gradient-boosted trees on candle features (in a worker thread) and write a LightGBM text model'))
    .requiredOption('--out <model.txt>', 'where to write the model (LightGBM text format)')
    .option('--rounds <n>', 'boosting rounds (trees) at most', posInt('--rounds'), 200)
    .option('--learning-rate <x>', 'shrinkage per tree', fraction('--learning-rate'), 0.1)
    .option('--max-depth <n>', 'tree depth', posInt('--max-depth'), 6)
    .option('--min-child-weight <x>', 'smallest hessian sum in a leaf', nonNeg('--min-child-weight'), 1)
    .option('--lambda <x>', 'L2 regularisation of leaf weights', nonNeg('--lambda'), 1)
    .option('--gamma <x>', 'smallest loss reduction to split', nonNeg('--gamma'), 0)
    .option('--subsample <x>', 'share of rows per tree', fraction('--subsample'), 1)
    .option('--colsample <x>', 'share of features per tree', fraction('--colsample'), 1)
    .option('--max-bin <n>', 'histogram bins per feature (2-255)', posInt('--max-bin'), 255)
    .option('--early-stopping <rounds>', 'stop when the validation loss has not improved for N rounds (0 = off)', int('--early-stopping'), 20)
    .option('--valid-fraction <x>', 'share of the (time-ordered) rows at the end kept for validation', nonNeg('--valid-fraction'), 0.1)
    .option('--seed <n>', 'random seed (row and column sampling)', int('--seed'), 42)
    .option('--walk-forward <folds>', 'also run a walk-forward evaluation with this many test periods', posInt('--walk-forward'))
    .option('--window <rows>', 'walk-forward: train on at most this many rows before each test period', posInt('--window'))
    .option('--edge <x>', 'hold zone around 0.5 for the long/short precision', nonNeg('--edge'), 0)
    .option('--model-version <v>', 'version written into the model', '1')
    .option('--json', 'print the summary (and walk-forward report) as JSON')
    .action((o: TrainOptions) => guarded(() => trainCommand(o)));

  withData(model.command('features').description('write the feature rows and labels of a candle file as CSV (the input of model predict and of other tools)'))
    .requiredOption('--out <features.csv>', 'output CSV')
    .action((o: DataOptions & { out: string }) => guarded(() => featuresCommand(o)));

  model
    .command('info')
    .description('print what a model file is: format, objective, features, trees')
    .requiredOption('--model <file>', 'model file')
    .action((o: { model: string }) =>
      guarded(async () => {
        const m = await loadModelFile(o.model);
        process.stdout.write(`${JSON.stringify(m.metadata)}\n`);
        await m.close();
      }),
    );
  return model;
}
