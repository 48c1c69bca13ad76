import type { Logger } from 'pino';
import type { PaperBroker } from '../adapters/broker-paper.js';
import { accountKernel, matchOnTicks, paperBroker } from './accounts.js';
import type { JournalStore } from '../core/ports.js';
import { RenkoDesk, type RenkoDeskDeps } from '../app/renko-desk/desk.js';
import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Tick } from '../core/market.js';
import type { Broker } from '../core/ports.js';
import { Kernel } from '../engine/kernel.js';
import type { MessageBus } from '../engine/message-bus.js';
import type { TradewindConfig } from './config-schema.js';
import { ConfigError } from './config.js';

export interface RenkoDeskAccount {
  desk: RenkoDesk;
  kernel: Kernel;
  /** Forwards a feed tick of a desk asset (ES) to the desk's account as its instrument (MES). */
  onFeedTick(tick: Tick): void;
}

/**
 * `renkoDesk.broker: bridge` makes the bridge account the desk's account. Checked when the
 * server starts, before anything is opened: the bridge must be on, have a secret (its routes
 * answer 403 without one, so no bridge could ever take the desk's orders), and route every desk
 * symbol to the contract the desk names (MES -> MESM6).
 */
export function checkRenkoDeskBroker(config: TradewindConfig): void {
  const c = config.renkoDesk;
  if (!c.enabled || c.broker !== 'bridge') return;
  const why = "renkoDesk.broker: 'bridge' sends the desk's orders to the execution bridge";
  if (!config.bridge.enabled) throw new ConfigError(`${why}; it needs bridge.enabled: true`);
  if (!config.bridge.secret) throw new ConfigError(`${why}; it needs a bridge secret: set BRIDGE_HEARTBEAT_SECRET (or bridge.secret)`);
  for (const [asset, a] of Object.entries(c.assets)) {
    const routed = config.bridge.contracts[a.symbol];
    if (!routed) throw new ConfigError(`${why}; bridge.contracts has no entry for ${a.symbol} (renkoDesk.assets.${asset}.symbol); add ${a.symbol}: { contract: ${a.contract}, exchange: CME }`);
    if (routed.contract !== a.contract) {
      throw new ConfigError(`${why}; bridge.contracts.${a.symbol}.contract is ${routed.contract} but renkoDesk.assets.${asset}.contract is ${a.contract}: name the same contract in both`);
    }
  }
}

/**
 * The Renko desk's account. With `renkoDesk.broker: paper` (the default) a kernel on the shared
 * store with its own id prefix (renko-O-...) whose broker is a PaperBroker (DEMO), unless
 * `broker` is given. With `renkoDesk.broker: bridge` the desk trades `bridgeKernel`, the bridge
 * account's kernel (its broker is the BridgeBroker; ids bridge-O-...): one account, one id
 * sequence, one queue, so the desk's orders are exactly what GET /api/orders/pending hands out.
 */
export function createRenkoDesk(o: {
  config: TradewindConfig;
  store: JournalStore;
  clock: Clock;
  instruments: InstrumentRegistry;
  signals: MessageBus;
  heartbeat: (asset: string) => number | null;
  /** An asset's last price from its bar source (TradingView's heartbeat). */
  assetPrice?: (asset: string) => number | null;
  /** Where the asset's bars and its last heartbeat come from (shown in the desk state). */
  heartbeatSource?: RenkoDeskDeps['heartbeatSource'];
  heartbeatRevision?: RenkoDeskDeps['heartbeatRevision'];
  log: Logger;
  broker?: Broker;
  /** POST /api/env: the exchange account of an environment (see RenkoDeskDeps.envAccount). */
  envAccount?: RenkoDeskDeps['envAccount'];
  /** The bridge account's kernel; required (and only used) with renkoDesk.broker: bridge. */
  bridgeKernel?: Kernel | null;
}): RenkoDeskAccount {
  const c = o.config.renkoDesk;
  checkRenkoDeskBroker(o.config);
  const onBridge = c.broker === 'bridge';
  if (onBridge && !o.bridgeKernel) throw new ConfigError("renkoDesk.broker: 'bridge' needs the bridge account (bridge.enabled: true)");
  if (!onBridge && (c.accountId === o.config.account.id || (o.config.bridge.enabled && c.accountId === o.config.bridge.accountId))) {
    throw new ConfigError(`renkoDesk.accountId: '${c.accountId}' is already another account's id`);
  }
  for (const [asset, a] of Object.entries(c.assets)) {
    if (!o.instruments.find(a.symbol)) throw new ConfigError(`renkoDesk.assets.${asset}.symbol: unknown instrument ${a.symbol}`);
  }
  const accountId = onBridge ? o.config.bridge.accountId : c.accountId;
  const log = o.log.child({ component: 'renko-desk', account: accountId });
  const paper = o.broker || onBridge ? null : paperBroker(o.config, o.clock, o.instruments);
  const broker = o.broker ?? (paper as PaperBroker);
  const kernel = onBridge
    ? (o.bridgeKernel as Kernel)
    : accountKernel({ ...o, broker, accountId: c.accountId, startingBalance: c.startingBalance, log, label: 'renko desk' });
  if (paper) matchOnTicks(kernel, paper);
  // The bridge account logs its own orders.
  if (!onBridge) {
    kernel.bus.on('order', ({ order, previous }) =>
      log.info({ orderId: order.id, symbol: order.symbol, side: order.side, qty: order.qty, purpose: order.purpose, from: previous, to: order.status, reason: order.reason }, 'renko desk order'),
    );
  }
  const desk = new RenkoDesk({
    clock: o.clock,
    kernel,
    signals: o.signals,
    store: o.store,
    config: c,
    heartbeat: o.heartbeat,
    ...(o.assetPrice ? { lastPrice: o.assetPrice } : {}),
    heartbeatSource: o.heartbeatSource,
    heartbeatRevision: o.heartbeatRevision,
    ...(o.envAccount ? { envAccount: o.envAccount } : {}),
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
