import { SimClock, type Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Tick } from '../core/market.js';
import type { Broker, TradingStore } from '../core/ports.js';
import { Kernel, type AccountConfig } from '../engine/kernel.js';
import type { RiskConfig } from '../engine/risk-engine.js';
import type { Strategy } from '../engine/strategy.js';
import type { MaxTrade } from './max-report.js';

/** A simulated venue: a broker port plus the price updates its matching runs on. */
export interface SimVenue {
  broker: Broker;
  onPrice(update: { symbol: string; ts: number; open: number; high: number; low: number }): void;
}

/** What a tick replay needs; concrete adapters come from the composition root. */
export interface TickReplayDeps {
  instruments: InstrumentRegistry;
  account: AccountConfig;
  venue(clock: Clock): SimVenue;
  store(): TradingStore;
}

export interface TickReplayOptions {
  botId: string;
  risk: RiskConfig;
  /** Ticks outside [fromMs, toMs) are skipped. */
  fromMs?: number;
  toMs?: number;
  signal?: AbortSignal;
}

export interface TickReplayResult {
  trades: MaxTrade[];
  ticks: number;
  firstTs: number | null;
  lastTs: number | null;
  /** A position still open after the last tick was closed at the last price ("end of data"). */
  closedAtEnd: boolean;
}

/** Ticks out of time order; `index` is the 0-based tick number in the input. */
export class TickOrderError extends Error {
  constructor(
    readonly index: number,
    readonly ts: number,
    readonly previous: number,
  ) {
    super(`ticks must be in time order: tick ${index + 1} at ${new Date(ts).toISOString()} is before ${new Date(previous).toISOString()}`);
    this.name = 'TickOrderError';
  }
}

/**
 * Runs one strategy over ticks on a fresh kernel (SimClock, in-memory store, simulated
 * matching): the kernel, risk engine and execution engine are the live ones. Interim runner
 * for the Max endpoints until the backtester's runBacktest/job API is wired here.
 */
export async function replayTicks(deps: TickReplayDeps, strategy: Strategy, batches: AsyncIterable<Tick[]>, options: TickReplayOptions): Promise<TickReplayResult> {
  const clock = new SimClock(0);
  const venue = deps.venue(clock);
  const kernel = new Kernel({
    clock,
    store: deps.store(),
    broker: venue.broker,
    instruments: deps.instruments,
    account: deps.account,
    risk: options.risk,
  });
  kernel.bus.on('tick', ({ tick }) => venue.onPrice({ symbol: tick.symbol, ts: tick.ts, open: tick.price, high: tick.price, low: tick.price }));
  const trades: MaxTrade[] = [];
  const closing = new Map<string, string>();
  kernel.bus.on('fill', ({ order }) => {
    if (order.purpose === 'entry') return;
    const how = order.purpose === 'stop_loss' ? 'stop loss' : order.purpose === 'take_profit' ? 'exit target' : (order.reason ?? 'exit');
    closing.set(order.symbol, how);
  });
  kernel.bus.on('trade-closed', ({ trade }) => trades.push({ ...trade, exitReason: closing.get(trade.symbol) ?? 'exit' }));
  const bot = kernel.addBot(options.botId, strategy, { risk: options.risk });
  bot.start();

  let count = 0;
  let index = 0;
  let last: Tick | null = null;
  let first: number | null = null;
  const from = options.fromMs ?? Number.NEGATIVE_INFINITY;
  const to = options.toMs ?? Number.POSITIVE_INFINITY;
  for await (const batch of batches) {
    if (options.signal?.aborted) break;
    for (const tick of batch) {
      if (last && tick.ts < last.ts) throw new TickOrderError(index, tick.ts, last.ts);
      index += 1;
      if (tick.ts < from || tick.ts >= to) continue;
      if (tick.ts > clock.now()) clock.set(tick.ts);
      kernel.onTick(tick);
      first ??= tick.ts;
      last = tick;
      count += 1;
    }
  }
  bot.stop();
  let closedAtEnd = false;
  if (last && bot.context.exit(last.symbol, 'end of data')) {
    closedAtEnd = true;
    // The market exit meets one more print at the last price and time (the bot no longer listens).
    kernel.onTick({ ...last, size: 0, trades: 0 });
  }
  return { trades, ticks: count, firstTs: first, lastTs: last?.ts ?? null, closedAtEnd };
}
