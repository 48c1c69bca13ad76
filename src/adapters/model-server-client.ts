/**
 * The HTTP adapter of the model-server port (src/core/model-server.ts), used by the ensemble
 * coordinator and the model-server supervisor. Every call has a timeout; `offlineAfter`
 * consecutive failures (a timeout, a refused connection, a 5xx, an answer to /predict that is not
 * a prediction) mark the server offline, any good answer marks it online again (a 4xx is our
 * request's fault and keeps it online); latency is an exponential average of the answered
 * predictions; the last prediction and health answer feed the status views.
 *
 * Transport: node:http with a keep-alive agent rather than the global fetch: fetch (undici's
 * WHATWG layer: Request/Response objects, streams, abort plumbing) measured about 0.35-0.4 ms
 * more CPU per request, more than the model server spends on the prediction itself; a plain
 * request over one kept-alive socket (Nagle off, the node default) is what keeps a prediction's
 * round trip small (README "Model server benchmark").
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { ModelPrediction, ModelServerHealth, ModelServerPort, ModelServerState, ModelStatusView, PredictRequest } from '../core/model-server.js';
import { ModelServerError } from '../core/model-server.js';

export interface HttpModelServerClientOptions {
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
}

const MAX_ANSWER_CHARS = 4 * 1_048_576;
const ACTIONS = new Set(['long', 'short', 'hold']);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

interface Answer {
  status: number;
  text: string;
}

export class HttpModelServerClient implements ModelServerPort {
  private online = false;
  private failures = 0;
  private latency: number | null = null;
  private lastPrediction: { at: number; prediction: ModelPrediction } | null = null;
  private lastHealth: ModelServerHealth | null = null;
  private lastError: string | null = 'not contacted yet';
  private lastSeen: number | null = null;
  private feedbackSent = 0;
  private readonly timeoutMs: number;
  private readonly offlineAfter: number;
  private readonly timer: () => number;
  private readonly base: URL;
  // Idle sockets are unref'd by the agent, so an open connection never keeps a process alive.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(private readonly o: HttpModelServerClientOptions) {
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.offlineAfter = o.offlineAfter ?? 1;
    this.timer = o.timer ?? (() => performance.now());
    this.base = new URL(o.url);
    if (this.base.protocol !== 'http:') throw new Error(`${o.name}: model server URL must be http:// (${o.url})`);
  }

  get name(): string {
    return this.o.name;
  }

  get isOnline(): boolean {
    return this.online;
  }

  async predict(body: PredictRequest): Promise<ModelPrediction> {
    const started = this.timer();
    const r = (await this.call('POST', '/predict', body)) as Partial<ModelPrediction> | null;
    if (!r || typeof r !== 'object' || !ACTIONS.has(r.action as string) || !isNum(r.confidence)) {
      this.failed('answered something that is not a prediction');
      throw new ModelServerError(this.o.name, null, `${this.o.name}: answered something that is not a prediction`, r);
    }
    const ms = this.timer() - started;
    this.latency = this.latency === null ? ms : 0.8 * this.latency + 0.2 * ms;
    const prediction = { ...r, probability: isNum(r.probability) ? r.probability : null } as ModelPrediction;
    this.lastPrediction = { at: this.o.clock.now(), prediction };
    return prediction;
  }

  async health(): Promise<ModelServerHealth> {
    const h = (await this.call('GET', '/health')) as ModelServerHealth;
    this.lastHealth = h;
    return h;
  }

  async feedback(body: unknown): Promise<unknown> {
    const r = await this.call('POST', '/feedback', body);
    this.feedbackSent += 1;
    return r;
  }

  async retrain(): Promise<{ status: string; samples_count: number; estimated_duration: string }> {
    return (await this.call('POST', '/retrain', {})) as { status: string; samples_count: number; estimated_duration: string };
  }

  markOffline(reason: string): void {
    this.online = false;
    this.failures = Math.max(this.failures, this.offlineAfter);
    this.lastError = reason;
    this.lastHealth = null;
  }

  status(): ModelServerState {
    return {
      name: this.o.name,
      url: this.o.url,
      online: this.online,
      consecutive_failures: this.failures,
      last_error: this.online ? null : this.lastError,
      last_seen: this.lastSeen === null ? null : new Date(this.lastSeen).toISOString(),
    };
  }

  seedView(): ModelStatusView {
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
      training_samples: h?.feedback_samples ?? this.feedbackSent,
      uptime_seconds: h?.uptime_seconds ?? 0,
      memory_usage_mb: h?.memory_usage_mb ?? 0,
      cpu_percent: h?.cpu_percent ?? 0,
    };
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let answer: Answer;
    try {
      answer = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body));
    } catch (e) {
      const err = e as Error & { code?: string };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : `unreachable (${err.code ?? err.message})`;
      this.failed(why);
      throw new ModelServerError(this.o.name, null, `${this.o.name}: ${why}`);
    }
    let parsed: unknown;
    try {
      parsed = answer.text ? JSON.parse(answer.text) : null;
    } catch {
      parsed = answer.text;
    }
    if (answer.status >= 500) {
      this.failed(`answered ${answer.status}`);
      throw new ModelServerError(this.o.name, answer.status, `${this.o.name}: answered ${answer.status}`, parsed);
    }
    this.succeeded();
    if (answer.status >= 400) throw new ModelServerError(this.o.name, answer.status, `${this.o.name}: ${answer.status} ${answer.text.slice(0, 300)}`, parsed);
    if (typeof parsed === 'string') {
      this.failed('answered invalid JSON');
      throw new ModelServerError(this.o.name, answer.status, `${this.o.name}: answered invalid JSON`);
    }
    return parsed;
  }

  /** One request; a keep-alive socket the server closed just before we wrote is retried once on a fresh one. */
  private async send(method: 'GET' | 'POST', path: string, payload: string | undefined): Promise<Answer> {
    try {
      return await this.once(method, path, payload);
    } catch (e) {
      if ((e as { reusedSocketReset?: boolean }).reusedSocketReset) return this.once(method, path, payload);
      throw e;
    }
  }

  private once(method: 'GET' | 'POST', path: string, payload: string | undefined): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
      const req = request({ host: this.base.hostname.replace(/^\[|\]$/g, ''), port: this.base.port || 80, path, method, headers, agent: this.agent });
      const timedOut = Object.assign(new Error('timeout'), { name: 'TimeoutError' });
      let late = false;
      let responded = false;
      const timeout = setTimeout(() => {
        late = true;
        req.destroy(timedOut);
      }, this.timeoutMs);
      const fail = (e: Error & { code?: string }) => {
        clearTimeout(timeout);
        if (late) reject(timedOut);
        else reject(!responded && req.reusedSocket && e.code === 'ECONNRESET' ? Object.assign(e, { reusedSocketReset: true }) : e);
      };
      req.once('error', fail);
      req.once('response', (res: IncomingMessage) => {
        responded = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text.length > MAX_ANSWER_CHARS) req.destroy(new Error(`answer larger than ${MAX_ANSWER_CHARS} characters`));
        });
        res.once('end', () => {
          clearTimeout(timeout);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.once('error', fail);
      });
      req.end(payload);
    });
  }

  private failed(why: string): void {
    this.failures++;
    this.lastError = why;
    if (this.failures >= this.offlineAfter) this.online = false;
  }

  private succeeded(): void {
    this.failures = 0;
    this.online = true;
    this.lastError = null;
    this.lastSeen = this.o.clock.now();
  }
}
