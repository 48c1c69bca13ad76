import { Command, InvalidArgumentError } from 'commander';
import type { PendingOrderView } from '../adapters/broker-bridge.js';

/**
 * The reference execution bridge (`tradewind bridge`): what an MT5 expert advisor or a
 * Rithmic/Tradovate process does, against its own local paper simulation, so the whole loop
 * runs on one machine.
 *
 * Protocol, per order: claim it (GET /api/orders/pending), confirm it (report WORKING) and only
 * once the server acknowledged the confirmation execute it, then report FILLED. A report that
 * cannot be delivered (server down) stays in an outbox and is retried until the server answers;
 * an order whose confirmation is refused (409: another bridge holds it) is never executed.
 */

/** What a poll hands out: the server's own view, read defensively (older servers omit fields). */
export type PendingOrder = Pick<PendingOrderView, 'id' | 'asset' | 'exchange' | 'side' | 'qty' | 'mode' | 'env' | 'kind'> &
  Partial<Pick<PendingOrderView, 'cancel' | 'symbol' | 'ref_price'>>;

export interface BridgeClientOptions {
  url: string;
  secret: string;
  owner: string;
  pollMs: number;
  /** > 0: long-poll (GET /api/orders/pending?wait_ms=N) and re-poll at once instead of sleeping pollMs. */
  waitMs?: number;
  heartbeatMs: number;
  limit: number;
  /** Simulated execution latency between the confirmation and the fill. */
  execDelayMs: number;
  /** Operator bearer token for GET /api/scanner/market-data when the server has a password. */
  token?: string;
  log: (line: string) => void;
}

interface OutboxItem {
  orderId: string;
  body: Record<string, unknown>;
}

interface BookPosition {
  qty: number;
  avgPrice: number;
  lastPrice: number;
}

type Sent = { kind: 'ok'; body: Record<string, unknown> } | { kind: 'refused'; status: number; body: Record<string, unknown> } | { kind: 'unreachable'; error: string };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class BridgeClient {
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly outbox: OutboxItem[] = [];
  /** Orders this bridge executed: never executed twice, whatever the server sends. */
  private readonly executed = new Map<string, { price: number; qty: number; side: 'BUY' | 'SELL'; contract: string }>();
  /** Claimed orders whose WORKING confirmation has not been acknowledged yet. */
  private readonly unconfirmed = new Map<string, PendingOrder>();
  private readonly book = new Map<string, BookPosition>();
  private realized = 0;
  private lastHeartbeat = 0;
  private serverUp = true;
  private readonly pollAbort = new AbortController();

  constructor(private readonly o: BridgeClientOptions) {}

  async run(): Promise<void> {
    this.o.log(`bridge ${this.o.owner} polling ${this.o.url} every ${this.o.pollMs} ms`);
    while (!this.stopping) {
      try {
        await this.cycle();
      } catch (error) {
        this.o.log(`cycle failed: ${(error as Error).message}`);
      }
      if (this.stopping) break;
      // A long poll already waited on the server: poll again at once (a short pause after errors).
      const pause = (this.o.waitMs ?? 0) > 0 ? (this.serverUp ? 0 : this.o.pollMs) : this.o.pollMs;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
    // Deliver what we owe the server before leaving (a few tries).
    for (let i = 0; i < 5 && this.outbox.length > 0; i += 1) {
      await this.flush();
      if (this.outbox.length > 0) await sleep(200);
    }
    if (this.outbox.length > 0) this.o.log(`exiting with ${this.outbox.length} undelivered report(s): ${this.outbox.map((i) => `${i.orderId}:${String(i.body.status)}`).join(', ')}`);
    this.o.log(`bridge ${this.o.owner} stopped`);
  }

  stop(): void {
    this.stopping = true;
    this.pollAbort.abort(); // ends a waiting long poll (the server claims nothing for it after that)
    this.wake?.();
  }

  private async cycle(): Promise<void> {
    if (Date.now() - this.lastHeartbeat >= this.o.heartbeatMs) await this.heartbeat();
    await this.flush();
    for (const order of [...this.unconfirmed.values()]) {
      if (this.stopping) return;
      await this.execute(order);
    }
    const q = new URLSearchParams({ secret: this.o.secret, owner: this.o.owner, limit: String(this.o.limit) });
    // Long poll: never wait past the next heartbeat; an idle answer comes back after waitMs.
    const waitMs = Math.min(this.o.waitMs ?? 0, this.o.heartbeatMs);
    if (waitMs > 0) q.set('wait_ms', String(waitMs));
    const r = await this.call('GET', `/api/orders/pending?${q.toString()}`, undefined, undefined, waitMs + 5_000, this.pollAbort.signal);
    if (r.kind !== 'ok') {
      if (r.kind === 'refused') this.o.log(`poll refused (${r.status}): ${String(r.body.error ?? '')}`);
      return;
    }
    for (const order of (r.body.orders ?? []) as PendingOrder[]) {
      if (order.cancel) {
        await this.onCancelRequest(order);
      } else if (this.executed.has(order.id)) {
        this.resendFill(order.id);
      } else {
        this.o.log(`CLAIMED ${order.id} ${order.side} ${order.qty} ${order.asset}`);
        this.unconfirmed.set(order.id, order);
        if (this.stopping) continue; // leave it: the lease expires and another bridge takes it
        await this.execute(order);
      }
    }
    await this.flush();
  }

  private async onCancelRequest(order: PendingOrder): Promise<void> {
    if (this.executed.has(order.id)) return this.resendFill(order.id);
    this.unconfirmed.delete(order.id);
    this.o.log(`CANCELLED ${order.id} at the server's request`);
    this.outbox.push({ orderId: order.id, body: { status: 'CANCELLED', extra: { reason: 'cancelled at the server request', symbol: order.asset, side: order.side, qty: order.qty } } });
  }

  private resendFill(orderId: string): void {
    const e = this.executed.get(orderId);
    if (!e || this.outbox.some((i) => i.orderId === orderId)) return;
    this.outbox.push({ orderId, body: { status: 'FILLED', extra: { fill_price: e.price, symbol: e.contract, side: e.side, qty: e.qty } } });
  }

  private async execute(order: PendingOrder): Promise<void> {
    // 1. Confirm: WORKING renews our lease; executing before the ack could double an order.
    const working = await this.report(order.id, { status: 'WORKING', extra: { symbol: order.asset, side: order.side, qty: order.qty } });
    if (working.kind === 'unreachable') return; // retried next cycle, still unexecuted
    this.unconfirmed.delete(order.id);
    if (working.kind === 'refused' || working.body.ignored) {
      this.o.log(`SKIPPED ${order.id}: ${working.kind === 'refused' ? `${working.status} ${String(working.body.error ?? '')}` : `already ${String(working.body.status)}`}`);
      return;
    }
    // 2. Execute on the local simulation.
    const price = await this.priceOf(order);
    if (price === null) {
      this.outbox.push({ orderId: order.id, body: { status: 'REJECTED', extra: { reason: 'no market price', symbol: order.asset, side: order.side, qty: order.qty } } });
      this.o.log(`REJECTED ${order.id}: no market price`);
      return;
    }
    if (this.o.execDelayMs > 0) await sleep(this.o.execDelayMs);
    this.apply(order, price);
    this.executed.set(order.id, { price, qty: order.qty, side: order.side, contract: order.asset });
    this.o.log(`EXECUTED ${order.id} ${order.side} ${order.qty} ${order.asset} @ ${price}`);
    // 3. Report the fill (kept in the outbox until the server answers).
    this.outbox.push({ orderId: order.id, body: { status: 'FILLED', extra: { fill_price: price, symbol: order.asset, side: order.side, qty: order.qty } } });
    await this.flush();
  }

  private async priceOf(order: PendingOrder): Promise<number | null> {
    if (order.symbol) {
      const r = await this.call('GET', `/api/scanner/market-data/${encodeURIComponent(order.symbol)}`, undefined, this.o.token);
      const p = r.kind === 'ok' ? Number(r.body.price) : Number.NaN;
      if (p > 0) return p;
    }
    const ref = Number(order.ref_price);
    return ref > 0 ? ref : null;
  }

  private apply(order: PendingOrder, price: number): void {
    const signed = order.side === 'BUY' ? order.qty : -order.qty;
    const p = this.book.get(order.asset) ?? { qty: 0, avgPrice: 0, lastPrice: price };
    if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signed)) {
      p.avgPrice = (p.avgPrice * Math.abs(p.qty) + price * Math.abs(signed)) / (Math.abs(p.qty) + Math.abs(signed));
    } else {
      const closed = Math.min(Math.abs(p.qty), Math.abs(signed));
      this.realized += closed * (price - p.avgPrice) * Math.sign(p.qty);
      if (Math.abs(signed) > Math.abs(p.qty)) p.avgPrice = price;
    }
    p.qty += signed;
    p.lastPrice = price;
    this.book.set(order.asset, p);
  }

  private async heartbeat(): Promise<void> {
    const r = await this.call('POST', '/api/bridge/heartbeat', {
      secret: this.o.secret,
      tsConnected: true,
      mdConnected: true,
      repoOk: true,
      account: `SIM-${this.o.owner}`,
      tradeRoute: 'PAPER',
      lastRapiEventUtc: new Date().toISOString(),
      owner: this.o.owner,
    });
    if (r.kind === 'refused') this.o.log(`heartbeat refused (${r.status}): ${String(r.body.error ?? '')}`);
    if (r.kind !== 'ok') return;
    this.lastHeartbeat = Date.now();
    const symbols = [...this.book].map(([symbol, p]) => ({ symbol, position: p.qty, openPnl: 0 }));
    await this.call('POST', '/api/rithmic/pnl-snapshot', { secret: this.o.secret, realized: this.realized, unrealized: 0, accountBalance: this.realized, symbols });
  }

  private async report(orderId: string, body: Record<string, unknown>): Promise<Sent> {
    return this.call('POST', `/api/orders/${encodeURIComponent(orderId)}/execution-report`, { ...body, secret: this.o.secret, owner: this.o.owner });
  }

  /** Sends the outbox in order; an undeliverable report stays, a refused one is dropped. */
  private async flush(): Promise<void> {
    while (this.outbox.length > 0) {
      const item = this.outbox[0] as OutboxItem;
      const r = await this.report(item.orderId, item.body);
      if (r.kind === 'unreachable') return;
      this.outbox.shift();
      const what = `${String(item.body.status)} ${item.orderId}`;
      if (r.kind === 'refused') this.o.log(`REPORT REFUSED ${what} (${r.status}): ${String(r.body.error ?? '')}`);
      else this.o.log(`REPORTED ${what}${r.body.ignored ? ' (ignored: already done)' : ''}`);
    }
  }

  private async call(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>, token?: string, timeoutMs = 5_000, abort?: AbortSignal): Promise<Sent> {
    const headers: Record<string, string> = {};
    if (body) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      const res = await fetch(`${this.o.url}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined, signal: abort ? AbortSignal.any([AbortSignal.timeout(timeoutMs), abort]) : AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { error: text.slice(0, 200) };
      }
      if (!this.serverUp) this.o.log('server reachable again');
      this.serverUp = true;
      if (res.status >= 500 || res.status === 429) return { kind: 'unreachable', error: `HTTP ${res.status}` };
      return res.ok ? { kind: 'ok', body: parsed } : { kind: 'refused', status: res.status, body: parsed };
    } catch (error) {
      if (this.serverUp) this.o.log(`server unreachable: ${(error as Error).message}`);
      this.serverUp = false;
      return { kind: 'unreachable', error: (error as Error).message };
    }
  }
}

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
};

/** `tradewind bridge`: the reference bridge client. */
export function registerBridgeCommand(program: Command): void {
  program
    .command('bridge')
    .description('run a reference execution bridge: poll pending orders, execute them on a local paper simulation, report fills (seed 003)')
    .requiredOption('--url <url>', 'the Tradewind server, e.g. http://127.0.0.1:8000')
    .option('--secret <secret>', 'the bridge secret (env BRIDGE_HEARTBEAT_SECRET)')
    .option('--owner <name>', 'this bridge\'s name: the owner of its claims', 'bridge')
    .option('--poll-ms <ms>', 'poll interval', positiveInt, 500)
    .option('--wait-ms <ms>', 'long-poll: the server holds each poll up to this long (≤ 25000; capped at the heartbeat interval) and answers as soon as an order is queued; 0 = plain polls', positiveInt, 0)
    .option('--heartbeat-ms <ms>', 'heartbeat interval', positiveInt, 5_000)
    .option('--limit <n>', 'orders claimed per poll', positiveInt, 20)
    .option('--exec-delay-ms <ms>', 'simulated execution latency', positiveInt, 0)
    .option('--token <token>', 'operator API token for market data (env TRADEWIND_API_TOKEN)')
    .action(async (opts: { url: string; secret?: string; owner: string; pollMs: number; waitMs: number; heartbeatMs: number; limit: number; execDelayMs: number; token?: string }) => {
      const secret = opts.secret ?? process.env.BRIDGE_HEARTBEAT_SECRET ?? '';
      if (!secret) {
        process.stderr.write('tradewind bridge: a bridge secret is required (--secret or BRIDGE_HEARTBEAT_SECRET)\n');
        process.exitCode = 2;
        return;
      }
      const client = new BridgeClient({
        url: opts.url.replace(/\/+$/, ''),
        secret,
        owner: opts.owner,
        pollMs: Math.max(50, opts.pollMs),
        waitMs: Math.min(25_000, opts.waitMs),
        heartbeatMs: Math.max(100, opts.heartbeatMs),
        limit: Math.min(100, Math.max(1, opts.limit)),
        execDelayMs: opts.execDelayMs,
        token: opts.token ?? process.env.TRADEWIND_API_TOKEN,
        log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
      });
      process.once('SIGINT', () => client.stop());
      process.once('SIGTERM', () => client.stop());
      await client.run();
    });
}
