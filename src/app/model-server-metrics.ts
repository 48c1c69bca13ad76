/**
 * A model server's Prometheus metrics, exactly seed 004's names, labels and types (prom-client,
 * one registry per server: no global registry), plus prom-client's default process metrics.
 *
 * | name | type | meaning |
 * |---|---|---|
 * | model_predictions_total{action="long|short|hold"} | counter | answered predictions |
 * | model_prediction_latency_seconds | histogram | inference latency (features + model) |
 * | model_prediction_confidence | histogram | confidence of each answer |
 * | model_retrains_total | counter | completed retrainings |
 * | model_training_samples | gauge | feedback samples collected (matched to a prediction) |
 * | model_score | gauge | share of those samples whose direction the served model gets right |
 *
 * and prom-client's process metrics (prometheus-defaults.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Action } from '../ml/trade-signal.js';
import { processMetrics } from './prometheus-defaults.js';

export class ModelServerMetrics {
  readonly registry = new Registry();
  private readonly predictions: Counter<'action'>;
  private readonly latency: Histogram;
  private readonly confidence: Histogram;
  private readonly retrains: Counter;
  private readonly samples: Gauge;
  private readonly score: Gauge;

  /** No extra labels: Prometheus tells the four servers apart by their target (instance). */
  constructor(defaults = true) {
    const registers = [this.registry];
    this.predictions = new Counter({ name: 'model_predictions_total', help: 'Predictions answered, by action', labelNames: ['action'], registers });
    for (const a of ['long', 'short', 'hold'] as const) this.predictions.labels(a).inc(0);
    this.latency = new Histogram({
      name: 'model_prediction_latency_seconds',
      help: 'Inference latency (features and model) of POST /predict',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.confidence = new Histogram({ name: 'model_prediction_confidence', help: 'Confidence of each prediction (0.5-1)', buckets: [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1], registers });
    this.retrains = new Counter({ name: 'model_retrains_total', help: 'Completed retrainings', registers });
    this.samples = new Gauge({ name: 'model_training_samples', help: 'Feedback samples collected for retraining', registers });
    this.score = new Gauge({ name: 'model_score', help: 'Share of the feedback samples whose direction the served model predicts right (0-1)', registers });
    if (defaults) processMetrics(this.registry);
  }

  prediction(action: Action, latencySeconds: number, confidence: number): void {
    this.predictions.labels(action).inc();
    this.latency.observe(latencySeconds);
    this.confidence.observe(confidence);
  }

  retrained(): void {
    this.retrains.inc();
  }

  setSamples(n: number): void {
    this.samples.set(n);
  }

  setScore(score: number): void {
    this.score.set(score);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
