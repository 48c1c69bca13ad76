/**
 * An HTTP client of one seed 004 model server, with the bookkeeping a caller of several needs:
 * every call has a timeout; `offlineAfter` consecutive failures (a timeout, a refused
 * connection, a 5xx) mark the server offline, any success marks it online again; latency is an
 * exponential average of successful calls; the last prediction and the last health answer are
 * kept for status views (the seed's `models[]` entry: `seedView()`). The supervisor and the
 * ensemble coordinator use it; it holds no state beyond its own server's.
 */
import type { Clock } from '../core/clock.js';

export interface ModelPrediction {
  model_name: string;
  action: 'long' | 'short' | 'hold';
  confidence: number;
  probability: number;
  expected_return: number;
  stop_loss: number;
  take_profit: number;
  raw_score: number;
  latency_ms: number;
}

/** GET /health's answer (the seed's fields; others pass through). */
export interface ModelServerHealth {
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
  feedback_samples?: number;
  [key: string]: unknown;
}

export interface ModelClientOptions {
  name: string;
  /** Base URL, e.g. http://127.0.0.1:8001 */
  url: string;
  clock: Clock;
  /** Per-request timeout (default 2000 ms). */
  timeoutMs?: number;
  /** Consecutive failures before the server counts as offline (default 1). */
  offlineAfter?: number;
  /** Bearer token of the model server, when it has one. */
  token?: string;
  /** Monotonic milliseconds for latency (default performance.now). */
  timer?: () => number;
  fetch?: typeof fetch;
}

/** A call that failed: `status` is the HTTP status, or null when no answer came (timeout, refused). */
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

/** The seed 004 status_update `models[]` entry. */
export interface ModelSeedView {
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

export class ModelServerClient {
  private online = false;
  private failures = 0;
  private latency: number | null = null;
  private lastPrediction: { at: number; prediction: ModelPrediction } | null = null;
  private lastHealth: ModelServerHealth | null = null;
  private lastError: string | null = 'not contacted yet';
  private lastSeen: number | null = null;
  private readonly timeoutMs: number;
  private readonly offlineAfter: number;
  private readonly timer: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly o: ModelClientOptions) {
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.offlineAfter = o.offlineAfter ?? 1;
    this.timer = o.timer ?? (() => performance.now());
    this.fetchFn = o.fetch ?? fetch;
  }

  get name(): string {
    return this.o.name;
  }

  get isOnline(): boolean {
    return this.online;
  }

  async predict(body: unknown): Promise<ModelPrediction> {
    const p = await this.call<ModelPrediction>('POST', '/predict', body, true);
    this.lastPrediction = { at: this.o.clock.now(), prediction: p };
    return p;
  }

  async health(): Promise<ModelServerHealth> {
    const h = await this.call<ModelServerHealth>('GET', '/health', undefined, false);
    this.lastHealth = h;
    return h;
  }

  feedback(body: unknown): Promise<unknown> {
    return this.call('POST', '/feedback', body, false);
  }

  retrain(): Promise<{ status: string; samples_count: number; estimated_duration: string }> {
    return this.call('POST', '/retrain', {}, false);
  }

  /** Marks the server offline at once (its process is known to be gone). */
  markOffline(reason: string): void {
    this.online = false;
    this.failures = Math.max(this.failures, this.offlineAfter);
    this.lastError = reason;
    this.lastHealth = null;
  }

  status() {
    return { name: this.o.name, url: this.o.url, online: this.online, consecutive_failures: this.failures, last_error: this.online ? null : this.lastError, last_seen: this.lastSeen === null ? null : new Date(this.lastSeen).toISOString() };
  }

  seedView(): ModelSeedView {
    const h = this.online ? this.lastHealth : null;
    const p = this.lastPrediction;
    return {
      name: this.o.name,
      status: this.online ? 'online' : 'offline',
      online: this.online,
      training: h?.training ?? false,
      continuous_learning: h?.continuous_learning ?? false,
      data_collector_active: h?.data_collector_active ?? false,
      confidence: p?.prediction.confidence ?? null,
      latency_ms: this.latency === null ? null : Math.round(this.latency * 1000) / 1000,
      last_prediction: p ? new Date(p.at).toISOString() : null,
      version: h?.model_version ?? null,
      model_type: h?.model_type ?? null,
      samples_trained: h?.training_samples ?? 0,
      training_samples: h?.feedback_samples ?? 0,
      uptime_seconds: h?.uptime_seconds ?? 0,
      memory_usage_mb: h?.memory_usage_mb ?? 0,
      cpu_percent: h?.cpu_percent ?? 0,
    };
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: unknown, timed: boolean): Promise<T> {
    const started = this.timer();
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(`${this.o.url}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const err = e as Error;
      const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${this.timeoutMs} ms` : `unreachable (${(err.cause as Error | undefined)?.message ?? err.message})`;
      this.failed(why);
      throw new ModelServerError(this.o.name, null, `${this.o.name}: ${why}`);
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (res.status >= 500) {
      this.failed(`answered ${res.status}`);
      throw new ModelServerError(this.o.name, res.status, `${this.o.name}: answered ${res.status}`, parsed);
    }
    // A 4xx is our request's fault, not the server's: it stays online.
    this.succeeded(timed ? this.timer() - started : null);
    if (res.status >= 400) throw new ModelServerError(this.o.name, res.status, `${this.o.name}: ${res.status} ${JSON.stringify(parsed)}`, parsed);
    return parsed as T;
  }

  private failed(why: string): void {
    this.failures++;
    this.lastError = why;
    if (this.failures >= this.offlineAfter) this.online = false;
  }

  private succeeded(ms: number | null): void {
    this.failures = 0;
    this.online = true;
    this.lastError = null;
    this.lastSeen = this.o.clock.now();
    if (ms !== null) this.latency = this.latency === null ? ms : 0.8 * this.latency + 0.2 * ms;
  }
}
