import type { Logger } from 'pino';
import { BridgeBroker } from '../adapters/broker-bridge.js';
import type { JournalStore } from '../core/ports.js';
import { BridgeDesk } from '../app/bridge-desk.js';
import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Cancel, Scheduler } from '../core/ports.js';
import { Kernel } from '../engine/kernel.js';
import type { TradewindConfig } from './config-schema.js';
import { ConfigError } from './config.js';
import { accountKernel } from './accounts.js';

export interface BridgeAccount {
  broker: BridgeBroker;
  kernel: Kernel;
  /** Stops the periodic stale-order check. */
  stop: Cancel;
}

/** How often WORKING orders are checked for a silent owner: a few times per lease, at most every 5 s. */
export const staleCheckMs = (leaseSeconds: number): number => Math.min(5_000, Math.max(250, (leaseSeconds * 1000) / 4));

/**
 * The bridge account (seed 003, DESIGN.md §1 `bridge:<name>`): a second kernel on the same store
 * whose broker is the bridge queue. Its ids carry the account id as a prefix (bridge-O-00000001),
 * so its sequences never collide with the paper kernel's.
 */
export function createBridgeAccount(o: {
  config: TradewindConfig;
  store: JournalStore;
  clock: Clock;
  instruments: InstrumentRegistry;
  log: Logger;
  lastPrice: (symbol: string) => number | undefined;
  /** Runs the stale-order check; none without it (tests drive checkStale themselves). */
  scheduler?: Scheduler;
}): { account: BridgeAccount | null; desk: BridgeDesk } {
  const c = o.config.bridge;
  if (!c.enabled) return { account: null, desk: new BridgeDesk({ secret: c.secret, bridge: null, allowTestOrders: false }) };
  if (c.accountId === o.config.account.id) throw new ConfigError(`bridge.accountId: '${c.accountId}' is the paper account's id; give the bridge account its own`);
  for (const s of Object.keys(c.contracts)) {
    if (!o.instruments.find(s)) throw new ConfigError(`bridge.contracts: unknown symbol ${s}`);
  }
  if (!c.secret) o.log.warn({ component: 'bridge' }, 'bridge account enabled without BRIDGE_HEARTBEAT_SECRET: the bridge routes answer 403 until one is set');
  const log = o.log.child({ component: 'bridge', account: c.accountId });
  let kernel: Kernel | null = null;
  const broker = new BridgeBroker({
    clock: o.clock,
    queue: o.store.bridgeQueue(),
    accountId: c.accountId,
    contracts: c.contracts,
    env: c.env,
    leaseMs: c.leaseSeconds * 1000,
    heartbeatTimeoutMs: c.heartbeatTimeoutSeconds * 1000,
    lastPrice: o.lastPrice,
    // Same database file: a report's queue row and the kernel's records commit together.
    atomically: (fn) => o.store.atomically(fn),
    // Money-safe fills: tick, lot and min/max of the instrument, the band around the last price.
    instrument: (s) => o.instruments.find(s),
    limits: { fillPriceBandPct: o.config.risk.fillPriceBandPct, maxFeePct: o.config.risk.maxFeePct },
    staleGraceMs: c.staleGraceSeconds * 1000,
    serverPositions: () => signedPositions(kernel),
  });
  kernel = accountKernel({ ...o, broker, accountId: c.accountId, startingBalance: c.startingBalance, log, label: 'bridge' });
  const k = kernel;
  k.bus.on('order', ({ order, previous }) =>
    log.info({ orderId: order.id, symbol: order.symbol, side: order.side, qty: order.qty, from: previous, to: order.status, reason: order.reason }, 'bridge order'),
  );
  k.bus.on('fill', ({ fill }) => log.info({ fillId: fill.id, orderId: fill.orderId, price: fill.price, qty: fill.qty }, 'bridge fill'));
  // The operator's notification: a warning in the log, and a typed event on the account's bus
  // (the server forwards it to GET /api/state's events, the WebSocket and the dashboard).
  broker.onAlert((alert) => {
    log.warn({ alert: alert.kind, orderId: 'orderId' in alert ? alert.orderId : undefined }, `bridge alert: ${alert.message}`);
    k.bus.publish({ type: 'bridge-alert', alert });
  });
  k.bus.on('fill-refused', ({ reason }) => log.error({ halted: true }, `bridge account halted: ${reason}`));
  const stop = o.scheduler ? o.scheduler.every(staleCheckMs(c.leaseSeconds), () => broker.checkStale()) : () => {};
  return { account: { broker, kernel: k, stop }, desk: new BridgeDesk({ secret: c.secret, bridge: { broker, kernel: k }, allowTestOrders: c.allowTestOrders }) };
}

/** A kernel's open positions as signed quantities per symbol (long +, short -). */
export function signedPositions(kernel: Kernel | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of kernel?.portfolio.openPositions() ?? []) out[p.symbol] = (out[p.symbol] ?? 0) + (p.side === 'long' ? p.qty : -p.qty);
  return out;
}
