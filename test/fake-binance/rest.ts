// The REST front of the fake: raw request in, Binance answer out. Order of work per request:
// faults (before) → route → parameters → API key / signature / timestamp → rate limits →
// handler → faults (after) → JSON answer with Binance's headers. Written on node:http rather
// than a web framework because faults need the raw socket (to drop an answer) and signatures
// need the raw query and body bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiKeyOf, verifySignature, verifyTimestamp } from './auth.js';
import { BinanceError, E } from './errors.js';
import type { FaultAction, Faults } from './faults.js';
import type { Params } from './params.js';
import type { RateLimiter } from './rate-limit.js';
import type { Route } from './route.js';
import type { Venue } from './venue.js';

export interface RequestLogEntry {
  time: number;
  method: string;
  path: string;
  status: number;
  code?: number;
  apiKey?: string;
  /** The fault applied to this request, if any. */
  fault?: string;
  /** newClientOrderId / clientAlgoId of order requests. */
  clientId?: string;
  /**
   * Where the request's time went in this process (epoch ms, sub-ms, `performance` clock): the
   * request seen, its body read, its handler done (matching and user-stream events sent), the
   * answer written. bench/roundtrip-hops lines these up with the client's own timestamps.
   */
  hops?: { arrived: number; read: number; handled: number; answered: number };
}

const hiResNow = (): number => performance.timeOrigin + performance.now();

const MAX_BODY = 1 << 20;
const MAX_LOG = 10_000;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new BinanceError(413, -1000, 'Request body too large.'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Query and body parameters merged; a parameter sent twice is -1101 as on Binance. */
export function parseParams(rawQuery: string, rawBody: string): Params {
  const out: Params = {};
  for (const raw of [rawQuery, rawBody]) {
    for (const [k, v] of new URLSearchParams(raw)) {
      if (Object.hasOwn(out, k)) throw E.duplicateParam();
      out[k] = v;
    }
  }
  return out;
}

export class RestFront {
  readonly log: RequestLogEntry[] = [];
  private readonly routes = new Map<string, Route>();

  constructor(
    private readonly venue: Venue,
    routes: Route[],
    private readonly faults: Faults,
    private readonly limiter: RateLimiter,
    /** Holds the WebSocket frames a handler sends until it returns (StreamHub.batch). */
    private readonly events: { batch<T>(fn: () => T): T } = { batch: (fn) => fn() },
  ) {
    for (const r of routes) this.routes.set(`${r.method} ${r.path}`, r);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
    const header = req.headers['x-mbx-apikey'];
    const apiKey = typeof header === 'string' ? header : undefined;
    const entry: RequestLogEntry = { time: this.venue.now(), method, path, status: 0, ...(apiKey ? { apiKey } : {}) };
    const hops = { arrived: hiResNow(), read: 0, handled: 0, answered: 0 };
    entry.hops = hops;
    this.record(entry);
    const info = { method, path, apiKey };
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch {
      res.socket?.destroy();
      return;
    }
    hops.read = hiResNow();

    const before = this.faults.take(info, 'before');
    if (before.latencyMs > 0) await sleep(before.latencyMs);
    if (before.terminal) {
      entry.fault = `${before.terminal.kind} before`;
      return this.applyTerminal(before.terminal, res, entry);
    }

    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      const route = this.routes.get(`${method} ${path}`);
      if (!route) throw E.invalidPath(path, method);
      const params = parseParams(rawQuery, rawBody);
      entry.clientId = params.newClientOrderId ?? params.clientAlgoId;
      const now = this.venue.now();
      const account = this.authenticate(route, req, params, rawQuery, rawBody, now);
      const weight = typeof route.weight === 'function' ? route.weight(params) : route.weight;
      headers['X-MBX-USED-WEIGHT-1M'] = String(this.limiter.addWeight(weight, now));
      if (route.orders && account) {
        const counts = this.limiter.addOrder(account.apiKey, now);
        headers['X-MBX-ORDER-COUNT-10S'] = String(counts.tenSeconds);
        headers['X-MBX-ORDER-COUNT-1M'] = String(counts.minute);
      }
      body = this.events.batch(() => route.handle({ venue: this.venue, params, account: account as never, now }));
    } catch (e) {
      const err = e instanceof BinanceError ? e : E.unknown();
      if (!(e instanceof BinanceError)) console.error('fake-binance: handler failed', e);
      status = err.status;
      body = err.body();
      headers = { ...headers, ...err.headers };
      entry.code = err.code;
    }
    headers['X-MBX-USED-WEIGHT-1M'] ??= String(this.limiter.usedWeight(this.venue.now()));
    hops.handled = hiResNow();

    const after = this.faults.take(info, 'after');
    if (after.latencyMs > 0) await sleep(after.latencyMs);
    if (after.terminal) {
      entry.fault = `${after.terminal.kind} after`;
      return this.applyTerminal(after.terminal, res, entry);
    }
    this.send(res, status, body, headers, entry);
    hops.answered = hiResNow();
  }

  private authenticate(route: Route, req: IncomingMessage, params: Params, rawQuery: string, rawBody: string, now: number) {
    if (route.security === 'NONE') return undefined;
    const key = apiKeyOf(req.headers['x-mbx-apikey']);
    const account = this.venue.accounts.get(key);
    if (!account) throw E.rejectedApiKey();
    if (route.security === 'SIGNED') {
      verifySignature(account.secret, rawQuery, rawBody);
      verifyTimestamp(params, now);
    }
    return account;
  }

  private applyTerminal(action: FaultAction, res: ServerResponse, entry: RequestLogEntry): void {
    if (action.kind === 'drop') {
      entry.status = -1;
      res.socket?.destroy();
      return;
    }
    if (action.kind !== 'status') return;
    const headers: Record<string, string> = {};
    if (action.retryAfter !== undefined) headers['Retry-After'] = String(action.retryAfter);
    headers['X-MBX-USED-WEIGHT-1M'] = String(this.limiter.usedWeight(this.venue.now()));
    if (action.rawBody !== undefined) {
      entry.status = action.status;
      res.writeHead(action.status, { 'Content-Type': 'text/html', ...headers });
      res.end(action.rawBody);
      return;
    }
    const code = action.code ?? (action.status === 429 || action.status === 418 ? -1003 : action.status >= 500 ? -1001 : -1000);
    const msg = action.msg ?? (action.status === 429 ? 'Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.'
      : action.status === 418 ? 'Way too many requests; IP(127.0.0.1) banned. Please use the websocket for live updates to avoid bans.'
      : action.status >= 500 ? 'Internal error; unable to process your request. Please try again.' : 'An unknown error occured while processing the request.');
    entry.code = code;
    this.send(res, action.status, { code, msg }, headers, entry);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, entry: RequestLogEntry): void {
    entry.status = status;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private record(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }
}
