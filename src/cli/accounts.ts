import type { Logger } from 'pino';
import { PaperBroker } from '../adapters/broker-paper.js';
import type { JournalStore } from '../core/ports.js';
import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Broker } from '../core/ports.js';
import { Kernel } from '../engine/kernel.js';
import type { AccountRiskLimits } from '../engine/account-risk.js';
import { ScheduleFeeModel, TickSlippage } from '../sim/fees.js';
import type { TradewindConfig } from './config-schema.js';
import { ConfigError } from './config.js';

/** A paper broker with the configured fees and slippage. */
export function paperBroker(config: TradewindConfig, clock: Clock, instruments: InstrumentRegistry): PaperBroker {
  return new PaperBroker({
    clock,
    instruments,
    fees: new ScheduleFeeModel({ spot: config.paper.fees.crypto, perpetual: config.paper.fees.crypto, future: config.paper.fees.futures }),
    slippage: new TickSlippage(config.paper.slippageTicks),
    maxVolumeShare: config.paper.maxVolumeShare,
  });
}

/** The paper broker matches its working orders on every tick the kernel publishes (the tick's size is the volume cap's base). */
export function matchOnTicks(kernel: Kernel, broker: PaperBroker): void {
  kernel.bus.on('tick', ({ tick }) => broker.onPrice({ symbol: tick.symbol, ts: tick.ts, open: tick.price, high: tick.price, low: tick.price, volume: tick.size }));
}

/** The account-wide risk limits of one account: the `risk` block with `risk.accounts.<id>` over it. */
export function accountLimits(config: TradewindConfig, accountId: string): Partial<AccountRiskLimits> {
  const { maxGrossLeverage, maxNetLeverage, maxOpenPositionsPerAccount, dailyLossLimitPct, maxOrdersPerMinute, allowedInstruments, marginCheck } = config.risk;
  return { maxGrossLeverage, maxNetLeverage, maxOpenPositionsPerAccount, dailyLossLimitPct, maxOrdersPerMinute, allowedInstruments, marginCheck, ...(config.risk.accounts[accountId] ?? {}) };
}

/**
 * A further account on the shared journal (bridge, Renko desk): its own kernel, with an id
 * prefix so its order, position and trade ids never collide with another account's.
 */
export function accountKernel(o: {
  config: TradewindConfig;
  store: JournalStore;
  clock: Clock;
  instruments: InstrumentRegistry;
  broker: Broker;
  accountId: string;
  startingBalance: number;
  log: Logger;
  label: string;
  /** A reference price for symbols the account gets no ticks for. */
  lastPrice?: (symbol: string) => number | undefined;
}): Kernel {
  return new Kernel({
    clock: o.clock,
    store: o.store,
    broker: o.broker,
    instruments: o.instruments,
    account: { id: o.accountId, currency: 'USD', startingBalance: o.startingBalance, leverage: o.config.account.leverage },
    risk: o.config.risk,
    limits: accountLimits(o.config, o.accountId),
    lastPrice: o.lastPrice,
    scanIntervalMs: o.config.stream.scanIntervalMs,
    historyBars: o.config.feed.historyBars,
    idPrefix: `${o.accountId}-`,
    onError: (error, context) => o.log.error({ err: error }, `${o.label} kernel error in ${context}`),
  });
}

/** The demo bot's paper account: its own kernel and paper broker on the shared journal (ids demo-O-...). */
export function demoAccount(config: TradewindConfig, store: JournalStore, clock: Clock, instruments: InstrumentRegistry, log: Logger): Kernel {
  const accountId = config.demoBot.accountId;
  const others = [config.account.id, config.renkoDesk.enabled ? config.renkoDesk.accountId : null, config.bridge.enabled ? config.bridge.accountId : null];
  if (others.includes(accountId)) throw new ConfigError(`demoBot.accountId: '${accountId}' is already another account's id`);
  const broker = paperBroker(config, clock, instruments);
  const kernel = accountKernel({ config, store, clock, instruments, broker, accountId, startingBalance: config.account.startingBalance, log: log.child({ component: 'demo', account: accountId }), label: 'demo' });
  matchOnTicks(kernel, broker);
  return kernel;
}
