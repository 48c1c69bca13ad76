// Machine-learning benchmark: training time and test AUC of Tradewind's histogram GBDT against
// python3-xgboost (tree_method hist) on the same features of real BTCUSDT candles, and the
// in-process predict latency of a 200-tree model (target p99 < 1 ms).
//
//   npm run bench:ml          (installs python3-xgboost when root, builds, runs this)
//   node dist/bench/ml-bench.js    (after npm run build)
//
// Environment: ML_BENCH_TIMEFRAME (default 5m), ML_BENCH_HORIZON (bars, default 3),
// ML_BENCH_ROUNDS (default 200), ML_BENCH_DEPTH (default 6), ML_BENCH_LIMIT (1-minute bars to
// read, default all of 2024).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { readCandleFile } from '../src/cli/model-data.js';
import type { Model, SyncModel } from '../src/core/model.js';
import { parseTimeframe } from '../src/ml/candles.js';
import { buildDataset, type Dataset } from '../src/ml/features.js';
import { loadModelFile } from '../src/ml/load-model.js';
import { auc } from '../src/ml/metrics.js';
import { rowsToCsv } from '../src/ml/rows-csv.js';
import { trainInWorker } from '../src/ml/train-job.js';
import { planFinal, rowsOf } from '../src/ml/walk-forward.js';
import { BTC_2024, readPredictions, referenceMissing, runPython, xgbTrainPredict } from '../test/helpers/ml.js';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { envNumber, isMain, machineInfo, round, summarize } from './common.js';

export interface LatencyResult {
  model: string;
  calls: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

export interface MlBenchResult {
  data: { file: string; timeframe: string; horizon: number; rows: number; trainRows: number; testRows: number; features: string[]; testFrom: string };
  params: { rounds: number; maxDepth: number; learningRate: number; lambda: number; minChildWeight: number; maxBin: number };
  tradewind: { trainSeconds: number; trainCpuSeconds: number; trees: number; testAuc: number };
  xgboost: { version: string; threads: number; trainSeconds: number; trainCpuSeconds: number; trees: number; testAuc: number }[];
  aucDifference: number;
  aucWithin001: boolean;
  /** Tradewind / XGBoost, wall-clock and CPU time. */
  trainTimeRatio: { threads: number; ratio: number; cpuRatio: number }[];
  latency: LatencyResult[];
  latencyTarget: { p99Us: number; pass: boolean };
}

async function latency(name: string, model: Model, ds: Dataset, calls: number, sync: boolean): Promise<LatencyResult> {
  const d = ds.featureNames.length;
  const rows = Array.from({ length: Math.min(ds.rows, 5000) }, (_, r) => ds.x.slice(r * d, (r + 1) * d));
  const run = async (i: number) => {
    const row = rows[i % rows.length] as Float64Array;
    if (sync) (model as SyncModel).predictSync(row);
    else await model.predict(row);
  };
  for (let i = 0; i < 2000; i++) await run(i); // warm-up (JIT, ONNX session)
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await run(i);
    times[i] = (performance.now() - t0) * 1000;
  }
  const s = summarize(times);
  return { model: name, calls, p50Us: round(s.p50, 1), p99Us: round(s.p99, 1), p999Us: round(s.p999, 1), maxUs: round(s.max, 1), meanUs: round(s.mean, 1) };
}

export async function runMlBench(log: (s: string) => void): Promise<MlBenchResult> {
  const missing = referenceMissing();
  if (missing) throw new Error(`the ML benchmark compares with python3-xgboost: ${missing}`);
  const tf = process.env.ML_BENCH_TIMEFRAME ?? '5m';
  const horizon = envNumber('ML_BENCH_HORIZON', 3);
  const rounds = envNumber('ML_BENCH_ROUNDS', 200);
  const maxDepth = envNumber('ML_BENCH_DEPTH', 6);
  const limit = process.env.ML_BENCH_LIMIT ? envNumber('ML_BENCH_LIMIT', 0) : undefined;
  const params = { rounds, maxDepth, learningRate: 0.1, lambda: 1, minChildWeight: 1, maxBin: 255 };

  const candles = await readCandleFile(BTC_2024, { intervalMs: parseTimeframe(tf), ...(limit ? { limit } : {}) });
  const ds = buildDataset(candles, { horizon });
  // Train on the first 80 % (purged), test on the last 20 %; no early stopping, so both
  // libraries grow exactly `rounds` trees.
  const split = planFinal(ds, 0.2);
  const train = rowsOf(ds, split.train);
  const test = rowsOf(ds, split.valid);
  const trainRows = split.train[1] - split.train[0];
  const testRows = split.valid[1] - split.valid[0];
  const testFrom = new Date(ds.time[split.valid[0]] as number).toISOString();
  log(`data: ${ds.rows} rows of ${ds.featureNames.length} features (${tf} bars of 2024, label: up over ${horizon} bars); train ${trainRows}, test ${testRows} from ${testFrom}`);

  const dir = tempDir('tw-ml-bench-');
  const trainCsv = join(dir, 'train.csv');
  const testCsv = join(dir, 'test.csv');
  writeFileSync(trainCsv, rowsToCsv(ds.featureNames, train.x, trainRows, train.y));
  writeFileSync(testCsv, rowsToCsv(ds.featureNames, test.x, testRows));

  const ours = await trainInWorker({ featureNames: ds.featureNames, x: train.x, y: train.y, params: { ...params, objective: 'binary', earlyStoppingRounds: 0 } });
  const modelFile = join(dir, 'tradewind.txt');
  writeFileSync(modelFile, ours.modelText);
  const model = (await loadModelFile(modelFile)) as SyncModel;
  const d = ds.featureNames.length;
  const ourProbs = Array.from({ length: testRows }, (_, r) => model.predictSync(test.x.subarray(r * d, (r + 1) * d)).probability as number);
  const ourAuc = auc(ourProbs, test.y);
  log(`tradewind: ${ours.trees} trees in ${ours.trainSeconds.toFixed(2)} s (CPU ${ours.trainCpuSeconds.toFixed(2)} s), test AUC ${ourAuc.toFixed(4)}`);

  const mean = train.y.reduce((s, v) => s + v, 0) / trainRows;
  const xgb: MlBenchResult['xgboost'] = [];
  const threads = [...new Set([1, cpus().length])];
  for (const nthread of threads) {
    const out = join(dir, `xgb-${nthread}.json`);
    const pred = join(dir, `xgb-${nthread}.pred.csv`);
    const run = xgbTrainPredict({
      train: trainCsv, out, rounds,
      // base_score = the label mean: the same start as our boost-from-average.
      params: { objective: 'binary:logistic', tree_method: 'hist', max_depth: maxDepth, eta: 0.1, lambda: 1, min_child_weight: 1, max_bin: 255, nthread, base_score: mean },
      predict: testCsv, predOut: pred,
    });
    const a = auc(readPredictions(pred).probability, test.y);
    xgb.push({ version: run.xgboost_version, threads: nthread, trainSeconds: round(run.train_seconds ?? 0, 3), trainCpuSeconds: round(run.train_cpu_seconds ?? 0, 3), trees: run.trees ?? 0, testAuc: round(a, 4) });
    log(`python3-xgboost ${run.xgboost_version} (hist, nthread=${nthread}): ${run.trees} trees in ${(run.train_seconds ?? 0).toFixed(2)} s (CPU ${(run.train_cpu_seconds ?? 0).toFixed(2)} s), test AUC ${a.toFixed(4)}`);
  }

  // Latency of one prediction in-process, a 200-tree depth-6 model.
  const latencies: LatencyResult[] = [];
  latencies.push(await latency(`tradewind GBDT (${ours.trees} trees, LightGBM text) predictSync`, model, ds, 50_000, true));
  latencies.push(await latency(`tradewind GBDT (${ours.trees} trees, LightGBM text) await predict`, model, ds, 50_000, false));
  const xgbModel = await loadModelFile(join(dir, 'xgb-1.json'));
  latencies.push(await latency(`XGBoost JSON (${xgbModel.metadata.trees} trees) await predict`, xgbModel, ds, 50_000, false));
  runPython('xgb_to_onnx.py', [join(dir, 'xgb-1.json'), join(dir, 'xgb-1.onnx')]);
  const onnx = await loadModelFile(join(dir, 'xgb-1.onnx'));
  latencies.push(await latency(`ONNX via onnxruntime-node (${xgbModel.metadata.trees} trees) await predict`, onnx, ds, 20_000, false));
  await onnx.close();

  const best = xgb[0] as MlBenchResult['xgboost'][number];
  const main = latencies[1] as LatencyResult;
  return {
    data: { file: 'BTCUSDT-1m-2024.csv.gz', timeframe: tf, horizon, rows: ds.rows, trainRows, testRows, features: ds.featureNames, testFrom },
    params,
    tradewind: { trainSeconds: round(ours.trainSeconds, 3), trainCpuSeconds: round(ours.trainCpuSeconds, 3), trees: ours.trees, testAuc: round(ourAuc, 4) },
    xgboost: xgb,
    aucDifference: round(Math.abs(ourAuc - best.testAuc), 4),
    aucWithin001: Math.abs(ourAuc - best.testAuc) <= 0.01,
    trainTimeRatio: xgb.map((x) => ({ threads: x.threads, ratio: round(ours.trainSeconds / x.trainSeconds, 2), cpuRatio: round(ours.trainCpuSeconds / x.trainCpuSeconds, 2) })),
    latency: latencies,
    latencyTarget: { p99Us: 1000, pass: main.p99Us < 1000 },
  };
}

if (isMain(import.meta.url)) {
  const log = (s: string) => console.log(s);
  const machine = machineInfo();
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}`);
  const r = await runMlBench(log);
  log('');
  log(`| | train s (wall) | train s (CPU) | trees | test AUC |`);
  log(`|---|---:|---:|---:|---:|`);
  log(`| Tradewind GBDT (TypeScript, 1 worker thread) | ${r.tradewind.trainSeconds} | ${r.tradewind.trainCpuSeconds} | ${r.tradewind.trees} | ${r.tradewind.testAuc} |`);
  for (const x of r.xgboost) log(`| python3-xgboost ${x.version} hist, nthread=${x.threads} | ${x.trainSeconds} | ${x.trainCpuSeconds} | ${x.trees} | ${x.testAuc} |`);
  log(`AUC difference ${r.aucDifference} (target <= 0.01: ${r.aucWithin001 ? 'PASS' : 'FAIL'}); training time ratio Tradewind / xgboost: ${r.trainTimeRatio.map((t) => `${t.ratio}x wall, ${t.cpuRatio}x CPU vs nthread=${t.threads}`).join('; ')}`);
  log('');
  log(`| predict one row, in-process | calls | p50 µs | p99 µs | p99.9 µs | max µs |`);
  log(`|---|---:|---:|---:|---:|---:|`);
  for (const l of r.latency) log(`| ${l.model} | ${l.calls} | ${l.p50Us} | ${l.p99Us} | ${l.p999Us} | ${l.maxUs} |`);
  log(`target p99 < 1 ms for the 200-tree model (await predict): ${r.latencyTarget.pass ? 'PASS' : 'FAIL'}`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ml-latest.json'), `${JSON.stringify({ finishedAt: new Date().toISOString(), machine, ...r }, null, 2)}\n`);
  log(`results written to bench/results/ml-latest.json`);
}
