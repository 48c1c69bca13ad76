import type { Order } from './orders.js';
import type { AccountView, Position } from './portfolio-types.js';

/**
 * The application's view of one configured trading account (DESIGN.md §6), whatever its venue:
 * the paper simulator, an execution bridge, an exchange through ccxt. Seed 002's trading API
 * (accounts, positions, pending orders, balances, health) reads every account through this one
 * port, so a new kind of account plugs in by implementing it and joining the registry.
 *
 * Reads are asynchronous: a venue adapter may answer a fresh read by asking the venue.
 */
export interface TradingAccount {
  /** The account's id (journal rows, `account_ids` of seed 002). */
  readonly id: string;
  /** Its display name (seed 002 `name`, `account_name`); the id when nothing better exists. */
  readonly name: string;
  /** `paper`, `bridge`, `ccxt`, ... */
  readonly kind: string;
  /** Whether its venue can take orders now; `reason` says why not. Cheap and synchronous. */
  connection(): AccountConnection;
  positions(): Promise<readonly Position[]>;
  /** Orders still working at (or on their way to) the venue. */
  workingOrders(): Promise<readonly Order[]>;
  balance(): Promise<AccountView>;
}

export interface AccountConnection {
  connected: boolean;
  /** Why it is not connected (null while connected). Never holds a secret. */
  reason: string | null;
}

/** Every configured account, in configuration order. */
export interface TradingAccountRegistry {
  list(): readonly TradingAccount[];
}

/**
 * A cache with a time to live per entry (in-memory by default; Redis can replace it). Values
 * are JSON-serialisable answers.
 */
export interface TtlCache {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
}

/** A dependency the health check pings (Redis when configured). */
export interface HealthProbe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  ping(): Promise<void>;
}
