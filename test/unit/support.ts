// Shared fixtures for the unit tests: temp dirs, orders, fills and a wired kernel.
// Not a test file itself (no `.test.` in the name), so the runner does not execute it.
import type { AccountRiskLimits } from '../../src/engine/account-risk.js';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PaperBroker } from '../../src/adapters/broker-paper.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { SimClock } from '../../src/core/clock.js';
import type { KernelEvent } from '../../src/core/events.js';
import { BUILTIN_INSTRUMENTS, InstrumentRegistry } from '../../src/core/instruments.js';
import type { Fill, Order, OrderRequest } from '../../src/core/orders.js';
import type { Broker, ExecutionReport, TradingStore } from '../../src/core/ports.js';
import { Kernel } from '../../src/engine/kernel.js';
import type { RiskConfig } from '../../src/engine/risk-engine.js';
import { ScheduleFeeModel, TickSlippage, type FeeSchedule } from '../../src/sim/fees.js';

export const registry = (): InstrumentRegistry => new InstrumentRegistry(BUILTIN_INSTRUMENTS);

export interface TempDir {
  dir: string;
  file(name: string): string;
  cleanup(): void;
}

export function tempDir(prefix = 'tw-unit-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** SQLite's plan for a statement's SQL, one line per step; each `?` is bound to `fill`. */
export function queryPlan(db: Database.Database, sql: string, fill: unknown = 'x'): string {
  const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => fill);
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
}

/** Floating-point comparison with an absolute tolerance. */
export function near(actual: number | null | undefined, expected: number, eps = 1e-6): boolean {
  return typeof actual === 'number' && Math.abs(actual - expected) <= eps;
}

export function makeOrder(fields: Partial<Order> & Pick<Order, 'id' | 'symbol' | 'side' | 'type'>): Order {
  return {
    accountId: 'acc',
    botId: 'bot',
    purpose: 'entry',
    qty: 1,
    price: null,
    stopPrice: null,
    status: 'accepted',
    filledQty: 0,
    avgFillPrice: null,
    fees: 0,
    brokerOrderId: null,
    reason: null,
    stopLoss: null,
    takeProfit: null,
    tag: null,
    createdAt: 0,
    updatedAt: 0,
    filledAt: null,
    ...fields,
  };
}

export function makeFill(fields: Partial<Fill> & Pick<Fill, 'id' | 'symbol' | 'side' | 'qty' | 'price'>): Fill {
  return { orderId: fields.id.replace(/-F\d+$/, ''), accountId: 'acc', fee: 0, ts: 0, ...fields };
}

/** A market entry for the harness's paper account (0.5 BTC/USDT unless overridden). */
export function paperRequest(over: Partial<OrderRequest> = {}): OrderRequest {
  return { accountId: 'paper', botId: 'bot', symbol: 'BTC/USDT', side: 'buy', type: 'market', purpose: 'entry', qty: 0.5, ...over };
}

export const CRYPTO_FEES: FeeSchedule = { takerRate: 0.0004, makerRate: 0.0002, perContract: 0 };
export const FUTURES_FEES: FeeSchedule = { takerRate: 0, makerRate: 0, perContract: 2.25 };

export interface HarnessOptions {
  file: string;
  clock?: SimClock;
  crypto?: FeeSchedule;
  futures?: FeeSchedule;
  slippageTicks?: number;
  risk?: RiskConfig;
  startingBalance?: number;
  scanIntervalMs?: number;
  /** The paper broker's volume cap (partial fills); none by default. */
  maxVolumeShare?: number;
  /** What the kernel writes through (a failing wrapper around the real store); the store itself by default. */
  wrapStore?: (store: SqliteStore) => TradingStore;
  /** Account-wide risk limits (default: the live defaults). */
  limits?: Partial<AccountRiskLimits>;
  /** The kernel's reference price before any tick (default: REFERENCE_PRICES). */
  lastPrice?: (symbol: string) => number | undefined;
}

/** Plausible market prices, the kernels' reference before the first tick (exposure checks need one). */
export const REFERENCE_PRICES: Record<string, number> = { 'BTC/USDT': 50_000, 'ETH/USDT': 3_000, ES: 6_000, NQ: 21_000, MES: 6_000, MNQ: 21_000 };
export const referencePrice = (symbol: string): number | undefined => REFERENCE_PRICES[symbol];

/**
 * Limits that never bind, for kernels whose tests are about execution mechanics (bridge
 * reports, partial fills, journal failures) with sizes beyond what the live limits allow.
 */
export const OPEN_LIMITS: Partial<AccountRiskLimits> = { maxGrossLeverage: 1_000_000, maxNetLeverage: 1_000_000, maxOrdersPerMinute: null, dailyLossLimitPct: null, maxOpenPositionsPerAccount: 1000, marginCheck: false };

export interface Harness {
  clock: SimClock;
  store: SqliteStore;
  broker: PaperBroker;
  kernel: Kernel;
  /** Every event the kernel published, in order. */
  events: KernelEvent[];
  /** Every report the broker emitted, in order. */
  reports: ExecutionReport[];
  /** Errors the kernel reported through onError. */
  errors: { error: unknown; context: string }[];
  /** Delivers a report to every listener the broker has (the execution engine among them). */
  replay(report: ExecutionReport): void;
  /** Sets the clock to ts and feeds one trade print (of `size`, default 1) to the kernel. */
  tick(symbol: string, price: number, ts: number, size?: number): void;
}

/** A kernel wired as the composition root wires it: SQLite store, paper broker fed by ticks. */
export function buildHarness(options: HarnessOptions): Harness {
  const clock = options.clock ?? new SimClock(0);
  const instruments = registry();
  const store = new SqliteStore({ file: options.file });
  const crypto = options.crypto ?? CRYPTO_FEES;
  const futures = options.futures ?? FUTURES_FEES;
  const broker = new PaperBroker({
    clock,
    instruments,
    fees: new ScheduleFeeModel({ spot: crypto, perpetual: crypto, future: futures }),
    slippage: new TickSlippage(options.slippageTicks ?? 1),
    maxVolumeShare: options.maxVolumeShare ?? null,
  });
  const listeners: ((r: ExecutionReport) => void)[] = [];
  const reports: ExecutionReport[] = [];
  const originalOnReport = broker.onReport.bind(broker);
  broker.onReport = (listener) => {
    listeners.push(listener);
    originalOnReport(listener);
  };
  broker.onReport((r) => reports.push(r));
  const errors: { error: unknown; context: string }[] = [];
  const kernel = new Kernel({
    clock,
    store: options.wrapStore ? options.wrapStore(store) : store,
    broker,
    instruments,
    account: { id: 'paper', currency: 'USD', startingBalance: options.startingBalance ?? 100_000, leverage: 10 },
    risk: options.risk ?? { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
    limits: options.limits,
    lastPrice: options.lastPrice ?? referencePrice,
    scanIntervalMs: options.scanIntervalMs ?? 1_000,
    onError: (error, context) => errors.push({ error, context }),
  });
  kernel.bus.on('tick', ({ tick }) => broker.onPrice({ symbol: tick.symbol, ts: tick.ts, open: tick.price, high: tick.price, low: tick.price, volume: tick.size }));
  const events: KernelEvent[] = [];
  kernel.bus.onAny((e) => events.push(e));
  return {
    clock,
    store,
    broker,
    kernel,
    events,
    reports,
    errors,
    replay: (report) => {
      for (const l of listeners) l(report);
    },
    tick: (symbol, price, ts, size = 1) => {
      clock.set(ts);
      kernel.onTick({ symbol, ts, price, size, trades: 1 });
    },
  };
}

/**
 * A broker like a bridge: market orders only, executions reported by the test (several per
 * order), no protective orders (the kernel manages them).
 */
export class ScriptedBroker implements Broker {
  readonly name = 'scripted';
  readonly supportsProtectiveOrders = false;
  readonly submitted: Order[] = [];
  private listener: (r: ExecutionReport) => void = () => {};
  submit(order: Order): void {
    this.submitted.push({ ...order });
  }
  cancel(orderId: string): void {
    this.listener({ kind: 'cancelled', orderId, reason: 'cancelled at the venue', ts: 0 });
  }
  onReport(listener: (r: ExecutionReport) => void): void {
    this.listener = listener;
  }
  reconcile(): void {}
  isAvailable(): boolean {
    return true;
  }
  report(r: ExecutionReport): void {
    this.listener(r);
  }
}
