import { Command, InvalidArgumentError } from 'commander';
import { join, resolve } from 'node:path';
import type { PendingOrderView } from '../adapters/broker-bridge.js';
import { BridgeJournal } from './bridge-journal.js';

/**
 * The reference execution bridge (`tradewind bridge`): what an MT5 expert advisor or a
 * Rithmic/Tradovate process does, against its own local paper simulation, so the whole loop
 * runs on one machine.
 *
 * Protocol, per order: claim it (GET /api/orders/pending), confirm it (report WORKING) and only
 * once the server acknowledged the confirmation execute it, then report FILLED. While it
 * executes it renews its lease (WORKING again, every third of the lease) so the server never
 * flags the order stale; a renewal that is refused (the order was resolved or is someone
 * else's) stops the execution. Everything it takes on is journaled on disk first
 * (bridge-journal.ts, `--state-dir`): an order it confirmed, an execution (with its book and its
 * FILLED report, one transaction) and every report until the server answers it. Killed at any
 * point and restarted, it delivers the reports it still owes and never executes an order twice;
 * an order whose confirmation is refused (409: another bridge holds it) is never executed.
 */

/** What a poll hands out: the server's own view, read defensively (older servers omit fields). */
export type PendingOrder = Pick<PendingOrderView, 'id' | 'asset' | 'exchange' | 'side' | 'qty' | 'mode' | 'env' | 'kind'> &
  Partial<Pick<PendingOrderView, 'cancel' | 'symbol' | 'ref_price' | 'created_at'>>;

export interface BridgeClientOptions {
  url: string;
  secret: string;
  owner: string;
  /** Directory of the journal (bridge-journal.db). */
  stateDir: string;
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

interface BookPosition {
  qty: number;
  avgPrice: number;
  lastPrice: number;
}

type Sent = { kind: 'ok'; body: Record<string, unknown> } | { kind: 'refused'; status: number; body: Record<string, unknown> } | { kind: 'unreachable'; error: string };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The journal key of an order: its id and creation time, so a server whose database was reset (ids start again) is not confused with the old one. */
export const orderKey = (o: Pick<PendingOrder, 'id' | 'created_at'>): string => `${o.id}@${o.created_at ?? ''}`;

export class BridgeClient {
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly journal: BridgeJournal<PendingOrder>;
  private readonly book = new Map<string, BookPosition>();
  private realized: number;
  private lastHeartbeat = 0;
  private serverUp = true;
  private readonly pollAbort = new AbortController();

  constructor(private readonly o: BridgeClientOptions) {
    this.journal = new BridgeJournal<PendingOrder>(o.stateDir);
    for (const b of this.journal.book()) this.book.set(b.contract, { qty: b.qty, avgPrice: b.avgPrice, lastPrice: b.lastPrice });
    this.realized = this.journal.realized();
  }

  async run(): Promise<void> {
    this.o.log(`bridge ${this.o.owner} polling ${this.o.url} every ${this.o.pollMs} ms`);
    const unfinished = this.journal.unfinished().length;
    const owed = this.journal.outbox().length;
    if (unfinished + owed > 0) this.o.log(`RECOVERED ${unfinished} unfinished order(s) and ${owed} undelivered report(s) from ${this.journal.file}`);
    try {
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
      // Deliver what we owe the server before leaving (a few tries); what is left stays journaled.
      for (let i = 0; i < 5 && this.journal.outbox().length > 0; i += 1) {
        await this.flush();
        if (this.journal.outbox().length > 0) await sleep(200);
      }
      const left = this.journal.outbox();
      if (left.length > 0) this.o.log(`exiting with ${left.length} undelivered report(s), kept in ${this.journal.file}: ${left.map((i) => `${i.orderId}:${String(i.body.status)}`).join(', ')}`);
      this.o.log(`bridge ${this.o.owner} stopped`);
    } finally {
      this.journal.close();
    }
  }

  stop(): void {
    this.stopping = true;
    this.pollAbort.abort(); // ends a waiting long poll (the server claims nothing for it after that)
    this.wake?.();
  }

  private async cycle(): Promise<void> {
    if (Date.now() - this.lastHeartbeat >= this.o.heartbeatMs) await this.heartbeat();
    await this.flush();
    // Orders taken on but not executed (confirmation not acknowledged yet, or a restart).
    for (const j of this.journal.unfinished()) {
      if (this.stopping) return;
      await this.execute(j.order);
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
      const known = this.journal.get(orderKey(order));
      if (order.cancel) {
        this.onCancelRequest(order);
      } else if (known && (known.state === 'executed' || (known.state === 'done' && known.price !== null))) {
        this.resendFill(order);
      } else if (known?.state === 'done') {
        this.o.log(`SKIPPED ${order.id}: already finished here`);
      } else {
        this.o.log(`CLAIMED ${order.id} ${order.side} ${order.qty} ${order.asset}`);
        this.journal.setState(orderKey(order), order.id, order, 'claimed', Date.now());
        if (this.stopping) continue; // journaled: taken up after a restart (or the lease expires and another bridge takes it)
        await this.execute(order);
      }
    }
    await this.flush();
  }

  private onCancelRequest(order: PendingOrder): void {
    const key = orderKey(order);
    const known = this.journal.get(key);
    if (known && known.price !== null) return this.resendFill(order);
    this.o.log(`CANCELLED ${order.id} at the server's request`);
    this.journal.queueReport(key, order.id, known?.order ?? order, { status: 'CANCELLED', extra: { reason: 'cancelled at the server request', symbol: order.asset, side: order.side, qty: order.qty } }, 'done', Date.now());
  }

  private resendFill(order: PendingOrder): void {
    const key = orderKey(order);
    const e = this.journal.get(key);
    if (!e || e.price === null || this.journal.hasReport(key)) return;
    this.journal.requeue(key, order.id, { status: 'FILLED', extra: { fill_price: e.price, symbol: order.asset, side: order.side, qty: e.qty ?? order.qty } }, Date.now());
  }

  private async execute(order: PendingOrder): Promise<void> {
    const key = orderKey(order);
    // 1. Confirm: WORKING (also the lease renewal after a restart); executing before the ack could double an order.
    const working = await this.report(order.id, { status: 'WORKING', extra: { symbol: order.asset, side: order.side, qty: order.qty } });
    if (working.kind === 'unreachable') return; // journaled: retried next cycle, still unexecuted
    if (working.kind === 'refused' || working.body.ignored) {
      this.journal.finish(key, Date.now());
      this.o.log(`SKIPPED ${order.id}: ${working.kind === 'refused' ? `${working.status} ${String(working.body.error ?? '')}` : `already ${String(working.body.status)}`}`);
      return;
    }
    this.journal.setState(key, order.id, order, 'confirmed', Date.now());
    // 2. Execute on the local simulation, renewing the lease while it takes.
    const price = await this.priceOf(order);
    if (price === null) {
      this.journal.queueReport(key, order.id, order, { status: 'REJECTED', extra: { reason: 'no market price', symbol: order.asset, side: order.side, qty: order.qty } }, 'done', Date.now());
      this.o.log(`REJECTED ${order.id}: no market price`);
      return;
    }
    const leaseMs = Number(working.body.lease_seconds) * 1000;
    if (!(await this.hold(order, this.o.execDelayMs, leaseMs > 0 ? leaseMs : 30_000))) {
      this.journal.finish(key, Date.now());
      return;
    }
    // 3. The execution, its book and its FILLED report: one durable transaction.
    const book = this.apply(order, price);
    this.journal.recordExecution({
      key,
      id: order.id,
      order,
      price,
      qty: order.qty,
      book: { contract: order.asset, ...book },
      realized: this.realized,
      report: { status: 'FILLED', extra: { fill_price: price, symbol: order.asset, side: order.side, qty: order.qty } },
      now: Date.now(),
    });
    this.o.log(`EXECUTED ${order.id} ${order.side} ${order.qty} ${order.asset} @ ${price}`);
    await this.flush();
  }

  /**
   * Waits `ms` (the simulated execution), renewing the lease every third of it with WORKING.
   * False when a renewal is refused or the order ended at the server (resolved, cancelled):
   * then it is not executed. An unreachable server does not stop it (the order is ours).
   */
  private async hold(order: PendingOrder, ms: number, leaseMs: number): Promise<boolean> {
    const every = Math.max(100, Math.floor(leaseMs / 3));
    let left = ms;
    while (left > 0) {
      const step = Math.min(left, every);
      await sleep(step);
      left -= step;
      if (left <= 0) break;
      const r = await this.report(order.id, { status: 'WORKING', extra: { symbol: order.asset, side: order.side, qty: order.qty } });
      if (r.kind === 'refused' || (r.kind === 'ok' && r.body.ignored)) {
        this.o.log(`ABANDONED ${order.id} before executing it: ${r.kind === 'refused' ? `${r.status} ${String(r.body.error ?? '')}` : `already ${String(r.body.status)}`}`);
        return false;
      }
      if (r.kind === 'ok') this.o.log(`RENEWED ${order.id} until ${String(r.body.lease_expires_at ?? '?')}`);
    }
    return true;
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

  private apply(order: PendingOrder, price: number): BookPosition {
    const signed = order.side === 'BUY' ? order.qty : -order.qty;
    const p = { ...(this.book.get(order.asset) ?? { qty: 0, avgPrice: 0, lastPrice: price }) };
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
    return p;
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
    // The book as the broker has it: the server compares it with its own positions.
    const symbols = [...this.book].map(([symbol, p]) => ({ symbol, position: p.qty, openPnl: 0 }));
    await this.call('POST', '/api/rithmic/pnl-snapshot', { secret: this.o.secret, realized: this.realized, unrealized: 0, accountBalance: this.realized, symbols });
  }

  private async report(orderId: string, body: Record<string, unknown>): Promise<Sent> {
    return this.call('POST', `/api/orders/${encodeURIComponent(orderId)}/execution-report`, { ...body, secret: this.o.secret, owner: this.o.owner });
  }

  /** Sends the outbox in order; an undeliverable report stays (on disk), an answered one (even refused) leaves it. */
  private async flush(): Promise<void> {
    for (const item of this.journal.outbox()) {
      const r = await this.report(item.orderId, item.body);
      if (r.kind === 'unreachable') return;
      this.journal.delivered(item, Date.now());
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

/** Where a bridge keeps its journal by default: DATA_DIR/bridge/<owner>. */
export const defaultStateDir = (dataDir: string, owner: string): string => join(resolve(dataDir), 'bridge', owner.replace(/[^A-Za-z0-9_.-]/g, '_'));

interface BridgeFlags {
  url: string;
  secret?: string;
  owner: string;
  stateDir?: string;
  dataDir?: string;
  config?: string;
  pollMs: number;
  waitMs: number;
  heartbeatMs: number;
  limit: number;
  execDelayMs: number;
  token?: string;
}

/** `tradewind bridge`: the reference bridge client; `dataDirOf` resolves the data directory from --config/--data-dir/env. */
export function registerBridgeCommand(program: Command, dataDirOf: (opts: { config?: string; dataDir?: string }) => string = (o) => o.dataDir ?? process.env.DATA_DIR ?? './data'): void {
  program
    .command('bridge')
    .description('run a reference execution bridge: poll pending orders, execute them on a local paper simulation, report fills (seed 003)')
    .requiredOption('--url <url>', 'the Tradewind server, e.g. http://127.0.0.1:8000')
    .option('--secret <secret>', 'the bridge secret (env BRIDGE_HEARTBEAT_SECRET)')
    .option('--owner <name>', 'this bridge\'s name: the owner of its claims', 'bridge')
    .option('--state-dir <dir>', 'where its journal (orders taken on, executions, undelivered reports, book) is kept; default DATA_DIR/bridge/<owner>')
    .option('-d, --data-dir <dir>', 'data directory for the default --state-dir (env DATA_DIR)')
    .option('-c, --config <file>', 'YAML or JSON configuration file, for dataDir (env TRADEWIND_CONFIG)')
    .option('--poll-ms <ms>', 'poll interval', positiveInt, 500)
    .option('--wait-ms <ms>', 'long-poll: the server holds each poll up to this long (≤ 25000; capped at the heartbeat interval) and answers as soon as an order is queued; 0 = plain polls', positiveInt, 0)
    .option('--heartbeat-ms <ms>', 'heartbeat interval', positiveInt, 5_000)
    .option('--limit <n>', 'orders claimed per poll', positiveInt, 20)
    .option('--exec-delay-ms <ms>', 'simulated execution latency (the lease is renewed meanwhile)', positiveInt, 0)
    .option('--token <token>', 'operator API token for market data (env TRADEWIND_API_TOKEN)')
    .action(async (opts: BridgeFlags) => {
      const secret = opts.secret ?? process.env.BRIDGE_HEARTBEAT_SECRET ?? '';
      if (!secret) {
        process.stderr.write('tradewind bridge: a bridge secret is required (--secret or BRIDGE_HEARTBEAT_SECRET)\n');
        process.exitCode = 2;
        return;
      }
      const stateDir = opts.stateDir ? resolve(opts.stateDir) : defaultStateDir(dataDirOf({ config: opts.config, dataDir: opts.dataDir }), opts.owner);
      const client = new BridgeClient({
        url: opts.url.replace(/\/+$/, ''),
        secret,
        owner: opts.owner,
        stateDir,
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
