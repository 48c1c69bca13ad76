import type { BotStore } from './bot-records.js';
import type { BridgeQueue } from './bridge.js';
import type { Clock } from './clock.js';
import type { EventOf, KernelEvent } from './events.js';
import type { Instrument } from './instruments.js';
import type { Bar, Quote, Tick } from './market.js';
import type { Fill, Order } from './orders.js';
import type { ManagedStop } from './managed-stops.js';
import type { Account, ClosedTrade, Position } from './portfolio-types.js';
import type { TradeHistoryStore } from './trade-history.js';
import type { RenkoBar, RenkoSize } from './renko.js';

export type { Clock };

/**
 * What a broker tells the kernel about an order. A `filled` report carries one execution: its
 * own quantity, price and fee (never the order's totals). The kernel adds it to the order's
 * cumulative quantity, average price and fees: a fill for less than the remainder leaves the
 * order partially filled and the remainder working, unless `done` says the broker will fill no
 * more of it (an immediate-or-cancel style answer, a bridge's FILLED for less than ordered): the
 * remainder is then cancelled. A fill's id is the broker's trade id: a replay changes nothing.
 */
export type ExecutionReport =
  | { kind: 'accepted'; orderId: string; brokerOrderId: string; ts: number }
  /**
   * `byVenue`: the venue itself answered no (its business refusal, e.g. Binance -2021 "would
   * immediately trigger"), not our connection or state; the same order would be refused again.
   */
  | { kind: 'rejected'; orderId: string; reason: string; ts: number; byVenue?: boolean }
  | { kind: 'cancelled'; orderId: string; reason: string; ts: number }
  | { kind: 'filled'; orderId: string; fill: Fill; done?: boolean };

export interface Broker {
  readonly name: string;
  /**
   * False when the venue cannot hold stop and take-profit orders (a bridge executes market
   * orders only): the kernel then keeps them itself (server-managed stops) and sends a market
   * exit when the price crosses. Absent means true.
   */
  readonly supportsProtectiveOrders?: boolean;
  /**
   * Sends an order already persisted by the kernel. Outcomes arrive as reports. The object is the
   * broker's own copy (the kernel keeps and changes its own): a broker may keep and change it.
   */
  submit(order: Order): void;
  cancel(orderId: string): void;
  /**
   * The journal transaction that held `submit` was rolled back (its commit failed): forget the
   * order without any report, as if it had never been submitted. Brokers that send only after
   * the commit (or write inside the same transaction) need nothing here.
   */
  discard?(orderId: string): void;
  onReport(listener: (report: ExecutionReport) => void): void;
  /**
   * After a restart: given the orders the store holds open, answer what the broker knows of
   * them (accepted orders stay working, unknown ones are reported). Never resends.
   */
  reconcile(openOrders: readonly Order[]): void;
  /** False while the broker cannot answer (REST then serves the last known state). */
  isAvailable(): boolean;
  /**
   * True when the venue itself can tell, after a crash, whether an order was accepted (the
   * reconciler asks it by client id and re-applies the acceptance): the journal then writes an
   * acceptance without waiting for the disk (TradingStore.saveOrderUnsynced). Absent means false.
   */
  readonly venueRestoresAcceptance?: boolean;
  /**
   * True when the venue can also tell its fills again after a crash (the reconciler fetches an
   * open order's trades and applies those the journal lacks, keyed by trade id): the journal then
   * writes a fill without waiting for the disk (TradingStore.recordFillUnsynced). Absent means false.
   */
  readonly venueRestoresFills?: boolean;
}

/** What a live feed reports besides ticks (the simulated feed only ticks). */
export interface FeedListeners {
  /** A closed bar of an interval the feed supplies itself (`externalBars`). */
  onBar?(bar: Bar): void;
  onQuote?(quote: Quote): void;
  /** Connection changes and gaps, as bus events. */
  onEvent?(event: EventOf<'feed-connection'> | EventOf<'feed-gap'>): void;
}

export interface MarketFeed {
  instruments(): Instrument[];
  start(onTick: (tick: Tick) => void, listeners?: FeedListeners): void;
  stop(): void | Promise<void>;
  /**
   * (symbol, interval) pairs whose closed bars come from the venue (`onBar`) rather than being
   * built from ticks: the data engine must not also build them. Absent: none.
   */
  externalBars?(): { symbol: string; intervalMs: number }[];
}

/** Cancels a scheduled callback. */
export type Cancel = () => void;

/** Timers, injected so feeds and jobs run on simulated time in tests. */
export interface Scheduler {
  every(ms: number, fn: () => void): Cancel;
  after(ms: number, fn: () => void): Cancel;
}

/** Everything that changes atomically when a fill is applied. */
export interface FillRecord {
  fill: Fill;
  order: Order;
  /** The position after the fill; `closed: true` when it went flat. */
  position: Position | null;
  positionClosed: Position | null;
  closedTrade: ClosedTrade | null;
  account: Account;
}

export interface RestoredState {
  account: Account | null;
  openOrders: Order[];
  positions: Position[];
  lastOrderSeq: number;
  lastPositionSeq: number;
  lastTradeSeq: number;
}

/**
 * The trading journal. Writes are synchronous and durable when they return: the execution
 * engine relies on an order being stored before it is sent, and on a write that throws having
 * changed nothing (it then keeps its memory as it was and halts the account).
 */
export interface TradingStore {
  saveAccount(account: Account): void;
  saveOrder(order: Order): void;
  /**
   * saveOrder without waiting for the disk: the write survives a process crash (it is in the
   * file) and becomes durable with the next write that syncs (every order placement does, before
   * its request is sent); a power failure before that can lose it. Only for what the venue can
   * restore (an acceptance: Broker.venueRestoresAcceptance). Inside a transaction it is a plain
   * write of that transaction. Stores without the distinction omit it (callers use saveOrder).
   */
  saveOrderUnsynced?(order: Order): void;
  /** Applies a fill and everything it changed in one transaction; false if the fill id was seen. */
  recordFill(record: FillRecord): boolean;
  /**
   * recordFill without waiting for the disk, on the terms of saveOrderUnsynced: in the file at once
   * (a process crash keeps it), durable with the next synced write; only for fills the venue can
   * restore (Broker.venueRestoresFills). Stores without the distinction omit it.
   */
  recordFillUnsynced?(record: FillRecord): boolean;
  /** Whether the journal already holds this fill id (a replayed report changes nothing). */
  hasFill(fillId: string): boolean;
  savePosition(position: Position): void;
  /** Inserts or updates a server-managed stop (keyed by its id). */
  saveManagedStop(stop: ManagedStop): void;
  /** An account's server-managed stops that are still armed or triggered. */
  managedStops(accountId: string): ManagedStop[];
  /** The event log (GET /api/state, the dashboard): not money, so a store may write it without a sync of its own. */
  appendEvents(events: readonly StoredEvent[]): void;
  restore(accountId: string): RestoredState;
  listOrders(query: { accountId?: string; limit: number; openOnly?: boolean }): Order[];
  getOrder(id: string): Order | null;
  recentFills(limit: number, accountId?: string): Fill[];
  recentTrades(limit: number, accountId?: string): ClosedTrade[];
  recentEvents(limit: number): StoredEvent[];
  /**
   * Runs `fn` in one transaction (one commit, one fsync): every write inside it, including a
   * broker's queue row in the same database, is durable together or not at all. Nested calls
   * join the outer transaction (a savepoint: an inner failure undoes only the inner writes).
   * Stores without transactions omit it; callers then run `fn` directly.
   */
  atomically?<T>(fn: () => T): T;
  close(): void;
}

export interface StoredEvent {
  type: string;
  ts: number;
  payload: unknown;
}

export type EventListener = (event: KernelEvent) => void;

/**
 * Operator sessions, keyed by a hash of the cookie token (a leaked table leaks no session). The
 * journal answers at once; the shared store of several instances (Redis) answers with promises.
 */
export interface SessionStore {
  createSession(session: { tokenHash: string; createdAt: number; expiresAt: number; client: string }): void | Promise<void>;
  findSession(tokenHash: string, now: number): SessionRecord | null | Promise<SessionRecord | null>;
  deleteSession(tokenHash: string): void | Promise<void>;
  purgeSessions(now: number): number | Promise<number>;
}

export interface SessionRecord {
  createdAt: number;
  expiresAt: number;
  client: string;
}

/**
 * The server's journal: the trading store, operator sessions, small key/value state, Renko bars
 * and the bridge queue in one database, so a kernel order row and its queue row commit
 * together. Implemented by SqliteStore (the default) and PgStore (`storage: postgres`).
 */
export interface JournalStore extends TradingStore, SessionStore, BotStore, TradeHistoryStore {
  createSession(session: { tokenHash: string; createdAt: number; expiresAt: number; client: string }): void;
  findSession(tokenHash: string, now: number): SessionRecord | null;
  deleteSession(tokenHash: string): void;
  purgeSessions(now: number): number;
  atomically<T>(fn: () => T): T;
  /** True while a transaction is open on the journal's connection (nothing written in it is durable yet). */
  readonly inTransaction: boolean;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  /** False when the bar was already stored. */
  recordRenkoBar(bar: RenkoBar): boolean;
  recentRenkoBars(asset: string, size: RenkoSize, limit: number): RenkoBar[];
  schemaVersion(): number;
  /** The execution-bridge queue on the journal's own connection (its rows commit with the journal's). */
  bridgeQueue(): BridgeQueue;
  /**
   * Cluster mode (docs/SCALE-OUT.md): trading writes from now on only under this fencing token;
   * throws StaleLeaderError when the journal already holds a newer one. PostgreSQL only.
   */
  fenceWrites?(scope: string, token: number): void;
}
