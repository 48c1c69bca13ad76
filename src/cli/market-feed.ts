import type { Logger } from 'pino';
import { SimulatedFeed } from '../adapters/feed-sim.js';
import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { MarketFeed, Scheduler } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import { ConfigError } from './config.js';
import type { TradewindConfig } from './config-schema.js';

export interface FeedDeps {
  config: TradewindConfig;
  kernel: Kernel;
  instruments: InstrumentRegistry;
  clock: Clock;
  scheduler: Scheduler;
  log: Logger;
  startPrices: Record<string, number>;
}

export interface ConfiguredFeed {
  feed: MarketFeed;
  /** The kernel symbols the feed prices. */
  symbols: string[];
  /** Starts the feed into the kernel: ticks, venue candles, quotes and connection events. */
  start(): void;
}

/**
 * The market feed `config.feed.kind` names: the simulated one (default) or a venue's through ccxt.
 * Call before bots subscribe to bars: the venue's candle intervals are declared to the data engine.
 */
export async function createMarketFeed(deps: FeedDeps): Promise<ConfiguredFeed> {
  const { config, instruments, clock, scheduler, kernel } = deps;
  const f = config.feed;
  if (f.kind === 'sim') {
    for (const i of f.instruments) if (!instruments.find(i.symbol)) throw new ConfigError(`feed.instruments: unknown symbol ${i.symbol}`);
    // TRADEWIND_SEED (feed.seed) set: the same ticks on every start, from the configured start
    // prices, stepping by the nominal interval; unset: a new path each start, from the last prices stored.
    const seeded = f.seed !== null;
    const feed = new SimulatedFeed(
      { seed: f.seed ?? clock.now(), tickIntervalMs: f.tickIntervalMs, instruments: f.instruments, fixedStep: seeded },
      instruments,
      clock,
      scheduler,
      seeded ? {} : deps.startPrices,
    );
    return { feed, symbols: f.instruments.map((i) => i.symbol), start: () => feed.start((tick) => kernel.onTick(tick)) };
  }
  // A venue's feed through ccxt: loaded only when configured (a simulated start loads no ccxt module).
  const { createCcxtMarketFeed } = await import('./market-feed-ccxt.js');
  return createCcxtMarketFeed({ ...deps, feed: f });
}
