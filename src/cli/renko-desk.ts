import type { Logger } from 'pino';
import { PaperBroker } from '../adapters/broker-paper.js';
import type { SqliteStore } from '../adapters/store-sqlite/sqlite-store.js';
import { RenkoDesk } from '../app/renko-desk/desk.js';
import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Tick } from '../core/market.js';
import type { Broker } from '../core/ports.js';
import { Kernel } from '../engine/kernel.js';
import type { MessageBus } from '../engine/message-bus.js';
import { ScheduleFeeModel, TickSlippage } from '../sim/fees.js';
import type { TradewindConfig } from './config-schema.js';
import { ConfigError } from './config.js';

export interface RenkoDeskAccount {
  desk: RenkoDesk;
  kernel: Kernel;
  /** Forwards a feed tick of a desk asset (ES) to the desk's account as its instrument (MES). */
  onFeedTick(tick: Tick): void;
}

/**
 * The Renko desk's account: a kernel on the shared store with its own id prefix, whose broker
 * is a PaperBroker (DEMO) unless `broker` is given. That parameter (or handing RenkoDesk any
 * other Kernel) is where the execution bridge plugs in.
 */
export function createRenkoDesk(o: {
  config: TradewindConfig;
  store: SqliteStore;
  clock: Clock;
  instruments: InstrumentRegistry;
  signals: MessageBus;
  heartbeat: (asset: string) => number | null;
  log: Logger;
  broker?: Broker;
}): RenkoDeskAccount {
  const c = o.config.renkoDesk;
  if (c.accountId === o.config.account.id || (o.config.bridge.enabled && c.accountId === o.config.bridge.accountId)) {
    throw new ConfigError(`renkoDesk.accountId: '${c.accountId}' is already another account's id`);
  }
  for (const [asset, a] of Object.entries(c.assets)) {
    if (!o.instruments.find(a.symbol)) throw new ConfigError(`renkoDesk.assets.${asset}.symbol: unknown instrument ${a.symbol}`);
  }
  const log = o.log.child({ component: 'renko-desk', account: c.accountId });
  const paper = o.broker
    ? null
    : new PaperBroker({
        clock: o.clock,
        instruments: o.instruments,
        fees: new ScheduleFeeModel({ spot: o.config.paper.fees.crypto, perpetual: o.config.paper.fees.crypto, future: o.config.paper.fees.futures }),
        slippage: new TickSlippage(o.config.paper.slippageTicks),
      });
  const broker = o.broker ?? (paper as PaperBroker);
  const kernel = new Kernel({
    clock: o.clock,
    store: o.store,
    broker,
    instruments: o.instruments,
    account: { id: c.accountId, currency: 'USD', startingBalance: c.startingBalance, leverage: o.config.account.leverage },
    risk: o.config.risk,
    scanIntervalMs: o.config.stream.scanIntervalMs,
    idPrefix: `${c.accountId}-`,
    onError: (error, context) => log.error({ err: error }, `renko desk kernel error in ${context}`),
  });
  if (paper) kernel.bus.on('tick', ({ tick }) => paper.onPrice({ symbol: tick.symbol, ts: tick.ts, open: tick.price, high: tick.price, low: tick.price }));
  kernel.bus.on('order', ({ order, previous }) =>
    log.info({ orderId: order.id, symbol: order.symbol, side: order.side, qty: order.qty, purpose: order.purpose, from: previous, to: order.status, reason: order.reason }, 'renko desk order'),
  );
  const desk = new RenkoDesk({
    clock: o.clock,
    kernel,
    signals: o.signals,
    store: o.store,
    config: c,
    heartbeat: o.heartbeat,
    liveCredentials: false,
  });
  const symbolOf = new Map(Object.entries(c.assets).map(([asset, a]) => [asset, a.symbol]));
  return {
    desk,
    kernel,
    onFeedTick: (tick) => {
      const symbol = symbolOf.get(tick.symbol);
      if (symbol) kernel.onTick({ ...tick, symbol });
    },
  };
}
