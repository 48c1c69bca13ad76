/**
 * One model server's application service (seed 004's model server API): predictions from
 * candles, health, trade feedback stored as training samples, and retraining in a worker thread
 * while the current model keeps serving. HTTP handlers (src/api/model-server-app.ts) only call it.
 */
import type { Clock } from '../core/clock.js';
import type { Model, Prediction, SyncModel } from '../core/model.js';
import type { FeedbackRecord, ModelServerStore } from '../adapters/store-sqlite/model-server-store.js';
import { candlesFromObjects, type CandleLike } from '../ml/candles.js';
import type { GbdtParams } from '../ml/gbdt/trainer.js';
import { RequestFeatures } from '../ml/request-features.js';
import { tradeSignal, type SignalOptions, type TradeSignal } from '../ml/trade-signal.js';
import type { TrainJobResult, TrainJobSpec } from '../ml/train-job.js';
import type { ModelServerMetrics } from './model-server-metrics.js';
import type { SeedModelHealth } from '../core/model-server.js';

export interface PredictRequest {
  symbol?: string;
  timeframe?: string;
  candles: CandleLike[];
  indicators?: Record<string, unknown>;
  /** `meta.trade_id`, when sent, joins a later POST /feedback of that trade to this prediction. */
  meta?: Record<string, unknown>;
  /** Model inputs by name (for inputs not computed from candles). */
  features?: Record<string, unknown>;
}

export interface PredictAnswer extends TradeSignal {
  model_name: string;
  latency_ms: number;
}

export interface FeedbackRequest {
  trade_id: string | number;
  entry_price: number;
  exit_price: number;
  pnl: number;
  outcome: string;
  duration_seconds?: number;
}

export interface ModelHealth extends SeedModelHealth {
  status: 'healthy';
  /** Beyond the seed: the server's name, feedback collected, and how the last retraining ended. */
  model_name: string;
  feedback_samples: number;
  last_retrain: { status: 'completed' | 'failed'; at: string; detail: string } | null;
}

export interface ProcessStats {
  memoryMb(): number;
  cpuPercent(): number;
}

export interface ModelServiceDeps {
  name: string;
  clock: Clock;
  model: Model;
  /** sha256 of the model file the server was started with (retrained models are kept under it). */
  baseSha: string;
  store: ModelServerStore;
  metrics: ModelServerMetrics;
  stats: ProcessStats;
  signal: SignalOptions;
  /** Runs one training job (a worker thread in production). */
  train: (spec: TrainJobSpec) => Promise<TrainJobResult>;
  /** Writes a retrained model's text and loads it; returns the file and the model. */
  install: (version: string, modelText: string) => Promise<{ file: string; model: Model }>;
  trainParams: Partial<GbdtParams>;
  /** Fewest matched feedback samples a retraining needs. */
  minSamples: number;
  /** Retrain by itself every this many new samples (0: only on POST /retrain). */
  continuousEvery: number;
  /** Feedback without a trade_id match is joined to a prediction this recent (ms) at this relative price distance. */
  matchWindowMs: number;
  matchTolerance: number;
  onError: (error: unknown, context: string) => void;
}

/** A request the service refuses; `field` names the request field (422) or null (409: state). */
export class ModelRequestError extends Error {
  override name = 'ModelRequestError';
  constructor(
    readonly status: 409 | 422,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** Next model version: "1" -> "2", "1.0" -> "2.0", anything else -> "2". */
export function nextVersion(v: string): string {
  const m = /^(\d+)(\.\d+)?$/.exec(v.trim());
  if (!m) return '2';
  return `${Number(m[1]) + 1}${m[2] ? '.0' : ''}`;
}

const isSync = (m: Model): m is SyncModel => typeof (m as Partial<SyncModel>).predictSync === 'function';

export class ModelService {
  private model: Model;
  private features: RequestFeatures;
  private version: string;
  private training: Promise<void> | null = null;
  private samplesAtLastTrain = 0;
  private lastRetrain: ModelHealth['last_retrain'] = null;
  private readonly startedAt: number;

  constructor(private readonly d: ModelServiceDeps) {
    this.model = d.model;
    this.version = d.model.metadata.version;
    this.features = new RequestFeatures(d.model.metadata.featureNames);
    this.startedAt = d.clock.now();
    this.samplesAtLastTrain = d.store.sampleCount();
    d.metrics.setSamples(this.samplesAtLastTrain);
  }

  get modelVersion(): string {
    return this.version;
  }

  /** Scores the request's last candle. Throws ModelRequestError (422) for input it cannot use. */
  async predict(req: PredictRequest): Promise<PredictAnswer> {
    const started = performance.now();
    req.candles.forEach((c, i) => {
      if (c.high < c.low) throw new ModelRequestError(422, `candles.${i}.high`, `candles[${i}]: high ${c.high} is below low ${c.low}`);
      if (c.close > c.high || c.close < c.low) throw new ModelRequestError(422, `candles.${i}.close`, `candles[${i}]: close ${c.close} is outside low..high`);
    });
    const candles = candlesFromObjects(req.candles);
    let row: Float64Array;
    try {
      row = this.features.row({ candles, ...(req.indicators ? { indicators: req.indicators } : {}), ...(req.features ? { features: req.features } : {}) });
    } catch (e) {
      const f = (e as { field?: string }).field;
      if (f) throw new ModelRequestError(422, f, (e as Error).message);
      throw e;
    }
    const model = this.model;
    const p: Prediction = isSync(model) ? model.predictSync(row) : await model.predict(row);
    const signal = tradeSignal(p, model.metadata.objective, candles, this.d.signal);
    const seconds = (performance.now() - started) / 1000;
    this.d.metrics.prediction(signal.action, seconds, signal.confidence);
    const tradeId = req.meta?.trade_id;
    this.d.store.recordPrediction({
      ts: this.d.clock.now(),
      tradeId: typeof tradeId === 'string' || typeof tradeId === 'number' ? String(tradeId) : null,
      close: candles.close[candles.close.length - 1] as number,
      features: row,
      action: signal.action,
      probability: signal.probability,
      modelVersion: this.version,
    });
    return { model_name: this.d.name, ...signal, latency_ms: seconds * 1000 };
  }

  health(): ModelHealth {
    const feedback = this.d.store.sampleCount();
    return {
      status: 'healthy',
      uptime_seconds: (this.d.clock.now() - this.startedAt) / 1000,
      memory_usage_mb: this.d.stats.memoryMb(),
      cpu_percent: this.d.stats.cpuPercent(),
      model_loaded: true,
      model_type: this.model.metadata.type,
      model_version: this.version,
      training_samples: this.model.metadata.trainingSamples ?? 0,
      continuous_learning: this.d.continuousEvery > 0,
      training: this.training !== null,
      // Every prediction's features are kept so that feedback becomes a training sample.
      data_collector_active: true,
      model_name: this.d.name,
      feedback_samples: feedback,
      last_retrain: this.lastRetrain,
    };
  }

  feedback(f: FeedbackRequest): { status: 'recorded'; trade_id: string; matched: boolean; samples_count: number } {
    const record: FeedbackRecord = {
      ts: this.d.clock.now(),
      tradeId: String(f.trade_id),
      entryPrice: f.entry_price,
      exitPrice: f.exit_price,
      pnl: f.pnl,
      outcome: f.outcome,
      durationSeconds: f.duration_seconds ?? null,
    };
    const { matched } = this.d.store.recordFeedback(record, this.d.matchWindowMs, this.d.matchTolerance);
    const samples = this.d.store.sampleCount();
    this.d.metrics.setSamples(samples);
    if (matched) void this.updateScore();
    if (this.d.continuousEvery > 0 && !this.training && samples - this.samplesAtLastTrain >= this.d.continuousEvery && samples >= this.d.minSamples) {
      try {
        this.retrain();
      } catch (e) {
        this.d.onError(e, 'continuous retrain');
      }
    }
    return { status: 'recorded', trade_id: record.tradeId, matched, samples_count: samples };
  }

  /** Starts a retraining in the background; refuses (409) while one runs or without enough samples. */
  retrain(): { status: 'started'; samples_count: number; estimated_duration: string } {
    if (this.training) throw new ModelRequestError(409, null, 'a retraining is already running');
    const samples = this.d.store.samples();
    if (samples.length < this.d.minSamples) {
      throw new ModelRequestError(409, null, `not enough samples: ${samples.length} feedback samples matched to predictions, at least ${this.d.minSamples} needed`);
    }
    const spec = this.trainSpec(samples);
    const rounds = spec.params.rounds ?? 100;
    // A rough figure: the trainer handles about a million row-rounds a second on one core.
    const seconds = Math.max(1, Math.ceil((samples.length * rounds) / 1_000_000));
    this.samplesAtLastTrain = samples.length;
    this.training = this.runTraining(spec, samples.length).finally(() => (this.training = null));
    return { status: 'started', samples_count: samples.length, estimated_duration: `${seconds} second${seconds === 1 ? '' : 's'}` };
  }

  /** Resolves when the running retraining (if any) has finished. */
  async idle(): Promise<void> {
    await this.training;
  }

  async close(): Promise<void> {
    await this.training;
    await this.model.close();
  }

  private trainSpec(samples: { features: number[]; forwardReturn: number }[]): TrainJobSpec {
    const names = [...this.model.metadata.featureNames];
    const d = names.length;
    const binary = this.model.metadata.objective === 'binary';
    const n = samples.length;
    const x = new Float64Array(n * d);
    const y = new Float64Array(n);
    samples.forEach((s, i) => {
      for (let j = 0; j < d; j++) x[i * d + j] = s.features[j] ?? Number.NaN;
      y[i] = binary ? (s.forwardReturn > 0 ? 1 : 0) : s.forwardReturn;
    });
    // The newest fifth validates (early stopping) once there are enough rows; time order is kept.
    const validRows = n >= 100 ? Math.floor(n / 5) : 0;
    const cut = n - validRows;
    const next = nextVersion(this.version);
    return {
      featureNames: names,
      x: x.slice(0, cut * d),
      y: y.slice(0, cut),
      ...(validRows > 0 ? { validX: x.slice(cut * d), validY: y.slice(cut) } : {}),
      params: { ...this.d.trainParams, objective: binary ? 'binary' : 'regression', ...(validRows > 0 ? {} : { earlyStoppingRounds: 0 }) },
      modelVersion: next,
    };
  }

  private async runTraining(spec: TrainJobSpec, samples: number): Promise<void> {
    const at = () => new Date(this.d.clock.now()).toISOString();
    try {
      const result = await this.d.train(spec);
      const version = spec.modelVersion as string;
      const { file, model } = await this.d.install(version, result.modelText);
      const old = this.model;
      this.model = model;
      this.features = new RequestFeatures(model.metadata.featureNames);
      this.version = version;
      this.d.store.recordModel({ version, file, createdAt: this.d.clock.now(), baseSha: this.d.baseSha, samples, validAuc: result.validAuc });
      this.d.metrics.retrained();
      this.lastRetrain = { status: 'completed', at: at(), detail: `version ${version}: ${result.trees} trees on ${result.trainRows} samples${result.validAuc !== null ? `, validation AUC ${result.validAuc.toFixed(4)}` : ''}` };
      await old.close();
      await this.updateScore();
    } catch (e) {
      this.lastRetrain = { status: 'failed', at: at(), detail: (e as Error).message };
      this.d.onError(e, 'retrain');
    }
  }

  /** model_score: the share of matched samples whose direction the served model predicts right. */
  private async updateScore(): Promise<void> {
    try {
      const samples = this.d.store.samples();
      if (samples.length === 0) return;
      const model = this.model;
      const preds = await model.predictBatch(samples.map((s) => Float64Array.from(s.features)));
      let right = 0;
      preds.forEach((p, i) => {
        const up = (samples[i] as { forwardReturn: number }).forwardReturn > 0;
        const saysUp = p.probability !== null ? p.probability >= 0.5 : p.margin > 0;
        if (up === saysUp) right++;
      });
      this.d.metrics.setScore(right / samples.length);
    } catch (e) {
      this.d.onError(e, 'model score');
    }
  }
}
