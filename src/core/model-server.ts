/**
 * The model-server port: what the ensemble coordinator and the model-server supervisor need of
 * one seed 004 model server (POST /predict, GET /health, POST /feedback, POST /retrain) and the
 * bookkeeping a caller of several keeps per server (online or offline, latency, the last
 * prediction and health for status views). One HTTP adapter implements it
 * (src/adapters/model-server-client.ts); the in-process models of backtests do not need it.
 */
import type { EnsembleAction } from './ensemble.js';

/** Seed 004's POST /predict body, as the coordinator sends it. */
export interface PredictRequest {
  symbol: string;
  timeframe: string;
  candles: { open: number; high: number; low: number; close: number; volume: number; timestamp: number }[];
  indicators: Record<string, number>;
  meta: Record<string, unknown>;
}

/** Seed 004's POST /predict answer. */
export interface ModelPrediction {
  model_name: string;
  action: EnsembleAction;
  confidence: number;
  /** P(up); null when the server gives none (a regression model's answer may lack it). */
  probability: number | null;
  expected_return: number;
  stop_loss: number;
  take_profit: number;
  raw_score: number;
  latency_ms: number;
}

/** The seed 004 fields of a model server's GET /health (what the server sends, what clients read). */
export interface SeedModelHealth {
  status: string;
  uptime_seconds: number;
  memory_usage_mb: number;
  cpu_percent: number;
  model_loaded: boolean;
  model_type: string;
  model_version: string;
  training_samples: number;
  continuous_learning: boolean;
  training: boolean;
  data_collector_active: boolean;
}

/** GET /health's answer as a client reads it (the seed's fields; others pass through). */
export interface ModelServerHealth extends SeedModelHealth {
  /** Feedback samples collected for retraining, when the server reports them. */
  feedback_samples?: number;
  [key: string]: unknown;
}

/** The seed 004 status_update `models[]` entry. */
export interface ModelStatusView {
  name: string;
  status: 'online' | 'offline';
  online: boolean;
  training: boolean;
  continuous_learning: boolean;
  data_collector_active: boolean;
  confidence: number | null;
  latency_ms: number | null;
  last_prediction: string | null;
  version: string | null;
  model_type: string | null;
  samples_trained: number;
  training_samples: number;
  uptime_seconds: number;
  memory_usage_mb: number;
  cpu_percent: number;
}

/** Connection bookkeeping of one server (the supervisor's view). */
export interface ModelServerState {
  name: string;
  url: string;
  online: boolean;
  consecutive_failures: number;
  last_error: string | null;
  last_seen: string | null;
}

export interface ModelServerPort {
  readonly name: string;
  readonly isOnline: boolean;
  /** Rejects with ModelServerError; a server that does not answer (or answers 5xx or a non-prediction) turns offline. */
  predict(body: PredictRequest): Promise<ModelPrediction>;
  health(): Promise<ModelServerHealth>;
  feedback(body: unknown): Promise<unknown>;
  retrain(): Promise<{ status: string; samples_count: number; estimated_duration: string }>;
  /** Marks the server offline at once (its process is known to be gone). */
  markOffline(reason: string): void;
  status(): ModelServerState;
  seedView(): ModelStatusView;
  /** Releases its connections (idle keep-alive sockets). */
  close(): void;
}

/** A call that failed: `status` is the HTTP status, or null when no usable answer came (timeout, refused, not a prediction). */
export class ModelServerError extends Error {
  override name = 'ModelServerError';
  constructor(
    readonly server: string,
    readonly status: number | null,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}
