import type { Logger } from 'pino';
import { createCcxtClient, guardCcxtWebSocketSendRace, hasProExchange } from '../adapters/ccxt-client.js';
import { CcxtFeed } from '../adapters/feed-ccxt.js';
import { SimulatedFeed } from '../adapters/feed-sim.js';
import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { MarketFeed, Scheduler } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import { ConfigError } from './config.js';
import type { TradewindConfig } from './config-schema.js';

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
export function createMarketFeed(deps: {
  config: TradewindConfig;
  kernel: Kernel;
  instruments: InstrumentRegistry;
  clock: Clock;
  scheduler: Scheduler;
  log: Logger;
  startPrices: Record<string, number>;
}): ConfiguredFeed {
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
  const symbols = Object.keys(f.symbols);
  if (symbols.length === 0) throw new ConfigError('feed.symbols: a ccxt feed needs at least one symbol, e.g. {"BTC/USDT": "BTC/USDT:USDT"}');
  for (const s of symbols) if (!instruments.find(s)) throw new ConfigError(`feed.symbols: unknown symbol ${s} (the kernel's instruments are ${instruments.all().map((i) => i.symbol).join(', ')})`);
  if (!hasProExchange(f.exchange)) throw new ConfigError(`feed.exchange: ccxt has no WebSocket exchange '${f.exchange}'`);
  if (f.reconnectMaxMs < f.reconnectMinMs) throw new ConfigError('feed.reconnectMaxMs must be at least feed.reconnectMinMs');
  const exchange = createCcxtClient({ exchange: f.exchange, sandbox: f.sandbox, urls: f.urls });
  const log = deps.log.child({ component: 'feed', venue: f.exchange });
  guardCcxtWebSocketSendRace(log);
  const feed = new CcxtFeed(f, exchange, instruments, clock, scheduler, log);
  const ticksToo = f.channels.includes('trades');
  for (const { symbol, intervalMs } of feed.externalBars()) kernel.data.useExternalBars(symbol, intervalMs, { ticksToo });
  return {
    feed,
    symbols,
    start() {
      feed.start((tick) => kernel.onTick(tick), {
        // Without trades the candles are the symbol's only prices: the kernel's bar-feed path (marks, matching).
        onBar: (bar) => (ticksToo ? kernel.data.onBar(bar) : kernel.onBar(bar)),
        onQuote: (quote) => kernel.bus.publish({ type: 'quote', quote }),
        onEvent: (event) => kernel.bus.publish(event),
      });
    },
  };
}
