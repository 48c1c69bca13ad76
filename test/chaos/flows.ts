// The order flows a chaos trial drives from outside while the server's own bots (the demo bot,
// a Max bot, the ensemble coordinator) trade: TradingView webhooks and operator entries on the
// Renko desk, bridge orders, and orders on the ccxt account at the fake venue. Each flow records
// the orders the server acknowledged (a 200 with the order's id): the audit must find every one.
import type { ChaosWorld } from './world.js';
import { TV_SECRET } from './world.js';

export type Source = 'desk' | 'bridge' | 'venue';
export interface Acknowledged { id: string; source: Source; account: string }

type Obj = Record<string, unknown>;
type Random = () => number;

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A POST that may die with the server: a lost answer is simply not an acknowledgement. */
async function tryPost(url: string, init: RequestInit): Promise<{ status: number; body: Obj } | null> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Obj) : {} };
  } catch {
    return null;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Flows {
  readonly acknowledged: Acknowledged[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private bar = 0;

  constructor(
    private readonly world: ChaosWorld,
    private readonly random: Random,
  ) {}

  /** Starts every flow; they run until stop() (or fail quietly once the server is gone). */
  start(): void {
    this.running = true;
    this.loops = [this.loop(() => this.deskStep(), 60, 200), this.loop(() => this.bridgeStep(), 80, 250), this.loop(() => this.venueStep(), 80, 250)];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Starts a Max bot (DEMO) once: it trades NQ on its own and must be running after every restart. */
  async startMaxBot(): Promise<string> {
    const f = new FormData();
    for (const [k, v] of Object.entries({ accountName: 'CHAOS_1', contract: 'NQ', trading_mode: 'both', trading_side: 'both', quantity: '1', environment: 'DEMO' })) f.append(k, v);
    const r = await tryPost(`${this.world.server.url}/api/v1/run-bot/max`, { method: 'POST', body: f });
    if (r?.status !== 200) throw new Error(`the Max bot did not start: ${JSON.stringify(r)}`);
    return String(r.body.bot_id);
  }

  private async loop(step: () => Promise<void>, minMs: number, maxMs: number): Promise<void> {
    while (this.running) {
      await step();
      await pause(minMs + this.random() * (maxMs - minMs));
    }
  }

  private record(source: Source, account: string, r: { status: number; body: Obj } | null, pick: (body: Obj) => unknown): void {
    if (r?.status !== 200 && r?.status !== 201) return;
    const order = pick(r.body) as { id?: unknown } | undefined;
    if (typeof order?.id === 'string') this.acknowledged.push({ id: order.id, source, account });
  }

  /** TradingView bars and heartbeats, then an operator entry when the desk allows one, or an exit. */
  private async deskStep(): Promise<void> {
    const url = this.world.server.url;
    const color = this.random() < 0.5 ? 'green' : 'red';
    const bar = `chaos-${Date.now()}-${this.bar++}`;
    const tv = (path: string, body: Obj) => tryPost(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ secret: TV_SECRET, ...body }) });
    await Promise.all([
      tv('/tv_heartbeat', { symbol: 'ES', price: 6000, timestamp: Math.floor(Date.now() / 1000) }),
      ...['/tv_renko_high', '/tv_renko_macro', '/tv_renko_main'].map((path) => tv(path, { asset: 'ES', color, bar_id: `${path}-${bar}` })),
    ]);
    const u = this.random();
    if (u < 0.6) this.record('desk', 'renko', await tryPost(`${url}/api/orders`, json({ asset: 'ES', trade_mode: 'RUNNER', order_type: 'market', entry_size_mode: '6pt' })), (b) => b.order);
    else if (u < 0.8) {
      const r = await tv('/tv_level_exit', { asset: 'ES' });
      for (const o of ((r?.status === 200 ? r.body.orders : []) ?? []) as Obj[]) this.record('desk', 'renko', { status: 200, body: o }, (b) => b);
    }
  }

  private async bridgeStep(): Promise<void> {
    const side = this.random() < 0.5 ? 'BUY' : 'SELL';
    this.record('bridge', 'bridge', await tryPost(`${this.world.server.url}/api/bridge/test-order`, json({ symbol: 'ES', side, qty: 1 + Math.floor(this.random() * 2) })), (b) => b.order);
  }

  private async venueStep(): Promise<void> {
    let price: number;
    try {
      price = Number(((await (await fetch(`${this.world.venue.url}/fapi/v1/ticker/price?symbol=BTCUSDT`)).json()) as { price: string }).price);
    } catch {
      return;
    }
    const side = this.random() < 0.5 ? 'buy' : 'sell';
    const qty = [0.001, 0.002, 0.003][Math.floor(this.random() * 3)];
    const limit = this.random() < 0.25;
    const body = limit
      ? { symbol: 'BTC/USDT', side, type: 'limit', qty, price: Math.round(price * (side === 'buy' ? 0.999 : 1.001) * 10) / 10 }
      : { symbol: 'BTC/USDT', side, type: 'market', qty, refPrice: price };
    this.record('venue', 'binance', await tryPost(`${this.world.server.url}/api/accounts/binance/orders`, json(body)), (b) => b.order);
  }
}
