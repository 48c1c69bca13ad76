// The market feed of a venue through ccxt (`feed.kind: ccxt`): loaded by market-feed.ts only when configured.
import { createCcxtClient, guardCcxtWebSocketSendRace } from '../adapters/ccxt-client.js';
import { hasExchange } from '../adapters/ccxt/library.js';
import { CcxtFeed } from '../adapters/feed-ccxt.js';
import type { TradewindConfig } from './config-schema.js';
import { ConfigError } from './config.js';
import type { ConfiguredFeed, FeedDeps } from './market-feed.js';

export async function createCcxtMarketFeed(deps: FeedDeps & { feed: TradewindConfig['feed'] }): Promise<ConfiguredFeed> {
  const { instruments, clock, scheduler, kernel, feed: f } = deps;
  const symbols = Object.keys(f.symbols);
  if (symbols.length === 0) throw new ConfigError('feed.symbols: a ccxt feed needs at least one symbol, e.g. {"BTC/USDT": "BTC/USDT:USDT"}');
  for (const s of symbols) if (!instruments.find(s)) throw new ConfigError(`feed.symbols: unknown symbol ${s} (the kernel's instruments are ${instruments.all().map((i) => i.symbol).join(', ')})`);
  if (!hasExchange(f.exchange, true)) throw new ConfigError(`feed.exchange: ccxt has no WebSocket exchange '${f.exchange}'`);
  if (f.reconnectMaxMs < f.reconnectMinMs) throw new ConfigError('feed.reconnectMaxMs must be at least feed.reconnectMinMs');
  const exchange = await createCcxtClient({ exchange: f.exchange, sandbox: f.sandbox, urls: f.urls });
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
