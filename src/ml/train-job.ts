/**
 * One training job: a feature matrix in, a LightGBM text model and its figures out. Runs in a
 * worker thread (`trainInWorker`) so a long training never blocks an event loop; the same
 * function runs in-thread for tests (`runTrainJob`).
 */
import { Worker } from 'node:worker_threads';
import { auc, logloss, rmse } from './metrics.js';
import { gbdtModelText, trainGbdt, type GbdtParams, type RoundInfo } from './gbdt/trainer.js';
import { lightgbmModel, readLightgbmText } from './lightgbm-text.js';
import { distFile } from '../core/dist-files.js';

export interface TrainJobSpec {
  featureNames: string[];
  /** Row-major rows x featureNames.length. */
  x: Float64Array;
  y: Float64Array;
  /** Early-stopping / evaluation set (optional). */
  validX?: Float64Array;
  validY?: Float64Array;
  params: Partial<GbdtParams>;
  /** Written into the model file (`tradewind_model_version`). */
  modelVersion?: string;
}

export interface TrainJobResult {
  modelText: string;
  trees: number;
  roundsRun: number;
  trainRows: number;
  validRows: number;
  trainLoss: number;
  /** Loss and (binary) AUC of the saved model on the validation set; null without one. */
  validLoss: number | null;
  validAuc: number | null;
  trainSeconds: number;
  /** CPU time of the process meanwhile (user + system; the training thread does nearly all of it). */
  trainCpuSeconds: number;
  params: GbdtParams;
}

export type TrainWorkerMessage = { type: 'round'; info: RoundInfo } | { type: 'result'; result: TrainJobResult } | { type: 'error'; message: string; name: string };

export function runTrainJob(spec: TrainJobSpec, onRound?: (r: RoundInfo) => void): TrainJobResult {
  const d = spec.featureNames.length;
  if (d === 0) throw new RangeError('no features');
  const rows = spec.y.length;
  const valid = spec.validX && spec.validY && spec.validY.length > 0 ? { x: spec.validX, y: spec.validY, rows: spec.validY.length, features: d } : null;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = trainGbdt({ x: spec.x, y: spec.y, rows, features: d }, valid, spec.params, onRound);
  const trainSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const trainCpuSeconds = (used.user + used.system) / 1e6;
  const modelText = gbdtModelText(result, spec.featureNames, spec.modelVersion ?? '1');
  let validLoss: number | null = null;
  let validAuc: number | null = null;
  if (valid) {
    // Scored by loading the written file: what is reported is what was saved.
    const model = lightgbmModel(readLightgbmText(modelText));
    const margins = new Float64Array(valid.rows);
    const probs = new Float64Array(valid.rows);
    for (let r = 0; r < valid.rows; r++) {
      const p = model.predictSync(valid.x.subarray(r * d, (r + 1) * d));
      margins[r] = p.margin;
      probs[r] = p.probability ?? Number.NaN;
    }
    if (result.params.objective === 'binary') {
      validLoss = logloss(probs, valid.y);
      validAuc = auc(probs, valid.y);
    } else validLoss = rmse(margins, valid.y);
  }
  return {
    modelText,
    trees: result.trees.length,
    roundsRun: result.roundsRun,
    trainRows: rows,
    validRows: valid?.rows ?? 0,
    trainLoss: result.trainLoss,
    validLoss,
    validAuc,
    trainSeconds,
    trainCpuSeconds,
    params: result.params,
  };
}

export interface TrainInWorkerOptions {
  onRound?: (r: RoundInfo) => void;
  /** Aborting terminates the worker and rejects with an AbortError. */
  signal?: AbortSignal;
  workerUrl?: URL;
}

/** Runs `runTrainJob` in a new worker thread. */
export function trainInWorker(spec: TrainJobSpec, options: TrainInWorkerOptions = {}): Promise<TrainJobResult> {
  const url = options.workerUrl ?? distFile('ml/train-worker.js');
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new DOMException('training aborted', 'AbortError'));
      return;
    }
    // Copied into the thread (the caller keeps its arrays); a view is cut from its buffer first
    // so that cloning does not copy the whole underlying buffer.
    const own = (a: Float64Array) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice());
    const data: TrainJobSpec = { ...spec, x: own(spec.x), y: own(spec.y), ...(spec.validX ? { validX: own(spec.validX) } : {}), ...(spec.validY ? { validY: own(spec.validY) } : {}) };
    const worker = new Worker(url, { workerData: data });
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      fn();
    };
    const abort = () => {
      done(() => reject(new DOMException('training aborted', 'AbortError')));
      void worker.terminate();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'round') options.onRound?.(m.info);
      else if (m.type === 'result') done(() => resolve(m.result));
      else
        done(() => {
          const e = m.name === 'RangeError' ? new RangeError(m.message) : new Error(m.message);
          reject(e);
        });
    });
    worker.on('error', (e) => done(() => reject(e)));
    worker.on('exit', (code) => done(() => reject(new Error(`training worker exited (code ${code}) without a result`))));
  });
}
