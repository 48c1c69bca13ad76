/**
 * What the coordinator needs of one seed 004 model server, and an HTTP implementation of it.
 * Any failure to answer (timeout, refused connection, a 5xx, a body that is not a prediction)
 * marks the server offline until its next good answer; latency is the mean of the answered
 * predictions (the seed's "average response time"). The supervised model servers' own clients
 * (`tradewind start` with model servers) fit this interface as well.
 */
import type { Clock } from '../../core/clock.js';
import type { EnsembleAction } from '../../core/ensemble.js';

export interface PredictRequest {
  symbol: string;
  timeframe: string;
  candles: { open: number; high: number; low: number; close: number; volume: number; timestamp: number }[];
  indicators: Record<string, number>;
  meta: Record<string, unknown>;
}

export interface ModelPrediction {
  model_name: string;
  action: EnsembleAction;
  confidence: number;
  probability: number;
  expected_return: number;
  stop_loss: number;
  take_profit: number;
  raw_score: number;
  latency_ms: number;
}

export interface ModelHealth {
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
  /** Feedback samples collected for retraining, when the server reports them. */
  feedback_samples?: number;
}

/** status_update's `models[]` entry. */
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

export interface EnsembleModelClient {
  readonly name: string;
  readonly isOnline: boolean;
  predict(body: PredictRequest): Promise<ModelPrediction>;
  health(): Promise<ModelHealth>;
  feedback(body: unknown): Promise<unknown>;
  seedView(): ModelStatusView;
}

export interface HttpModelClientOptions {
  name: string;
  /** e.g. http://127.0.0.1:8001 */
  url: string;
  clock: Clock;
  timeoutMs: number;
  /** Monotonic ms for latency (default performance.now). */
  timer?: () => number;
}

const ACTIONS = new Set(['long', 'short', 'hold']);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export class HttpModelClient implements EnsembleModelClient {
  private online = false;
  private latencySum = 0;
  private latencyCount = 0;
  private last: { at: number; p: ModelPrediction } | null = null;
  private lastHealth: ModelHealth | null = null;
  private feedbackSent = 0;
  lastError: string | null = 'not contacted yet';

  constructor(private readonly o: HttpModelClientOptions) {}

  get name(): string {
    return this.o.name;
  }

  get isOnline(): boolean {
    return this.online;
  }

  async predict(body: PredictRequest): Promise<ModelPrediction> {
    const started = (this.o.timer ?? performance.now.bind(performance))();
    const p = await this.call('POST', '/predict', body);
    const r = p as Partial<ModelPrediction> | null;
    if (!r || !ACTIONS.has(r.action as string) || !isNum(r.confidence)) {
      this.fail('answered something that is not a prediction');
      throw new Error(`${this.name}: answered something that is not a prediction`);
    }
    this.latencySum += (this.o.timer ?? performance.now.bind(performance))() - started;
    this.latencyCount += 1;
    const prediction = { ...r, probability: isNum(r.probability) ? r.probability : null } as ModelPrediction;
    this.last = { at: this.o.clock.now(), p: prediction };
    return prediction;
  }

  async health(): Promise<ModelHealth> {
    const h = (await this.call('GET', '/health')) as ModelHealth;
    this.lastHealth = h;
    return h;
  }

  async feedback(body: unknown): Promise<unknown> {
    const r = await this.call('POST', '/feedback', body);
    this.feedbackSent += 1;
    return r;
  }

  seedView(): ModelStatusView {
    const h = this.online ? this.lastHealth : null;
    return {
      name: this.name,
      status: this.online ? 'online' : 'offline',
      online: this.online,
      training: h?.training ?? false,
      continuous_learning: h?.continuous_learning ?? false,
      data_collector_active: h?.data_collector_active ?? false,
      confidence: this.last?.p.confidence ?? null,
      latency_ms: this.latencyCount ? Math.round((this.latencySum / this.latencyCount) * 1000) / 1000 : null,
      last_prediction: this.last ? new Date(this.last.at).toISOString() : null,
      version: h?.model_version ?? null,
      model_type: h?.model_type ?? null,
      samples_trained: h?.training_samples ?? 0,
      training_samples: h?.feedback_samples ?? this.feedbackSent,
      uptime_seconds: h?.uptime_seconds ?? 0,
      memory_usage_mb: h?.memory_usage_mb ?? 0,
      cpu_percent: h?.cpu_percent ?? 0,
    };
  }

  private fail(why: string): void {
    this.online = false;
    this.lastError = why;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.o.url}${path}`, {
        method,
        ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const err = e as Error;
      const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${this.o.timeoutMs} ms` : `unreachable (${(err.cause as Error | undefined)?.message ?? err.message})`;
      this.fail(why);
      throw new Error(`${this.name}: ${why}`, { cause: e });
    }
    if (res.status >= 500) {
      this.fail(`answered ${res.status}`);
      throw new Error(`${this.name}: answered ${res.status}`);
    }
    this.online = true;
    this.lastError = null;
    if (res.status >= 400) throw new Error(`${this.name}: ${res.status} ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      this.fail('answered invalid JSON');
      throw new Error(`${this.name}: answered invalid JSON`);
    }
  }
}
