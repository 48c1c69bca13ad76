import type { Bar, Quote, Tick } from './market.js';
import type { Fill, Order, OrderRequest, OrderStatus } from './orders.js';
import type { AccountView, ClosedTrade, Position, PositionSide } from './portfolio-types.js';
import type { BotPhase, ScannerSnapshot } from './scanner.js';
import type { StateTransition } from './lifecycle.js';
import type { RenkoBar } from './renko.js';
import type { ManagedStop } from './managed-stops.js';
import type { BridgeAlert } from './bridge.js';
import type { ReconcileReason, VenueConnectionState, VenueDifference } from './venue.js';

export interface ScanSummary {
  timestamp: number;
  /** Symbol to a short human-readable status or reason. */
  symbols: Record<string, string>;
  count: number;
}

export interface Signal {
  botId: string;
  symbol: string;
  side: PositionSide;
  price: number;
  stopPrice: number | null;
  reason: string;
  ts: number;
}

/** `protection`: its stop or target moved (trailing, a desk's update). */
export type PositionChange = 'opened' | 'increased' | 'reduced' | 'closed' | 'marked' | 'protection';

/** Everything that travels on the message bus: one discriminated union. */
export type KernelEvent =
  | { type: 'tick'; tick: Tick }
  | { type: 'bar'; bar: Bar }
  | { type: 'order'; order: Order; previous: OrderStatus | null }
  | { type: 'fill'; fill: Fill; order: Order }
  | { type: 'position'; position: Position; change: PositionChange }
  | { type: 'trade-closed'; trade: ClosedTrade }
  | { type: 'account'; account: AccountView; material: boolean }
  | { type: 'scan'; scan: ScanSummary }
  | { type: 'signal'; signal: Signal }
  /**
   * An order refused before it reached the execution engine (Kernel.submit): by a risk check
   * (`code` one of the risk engine's reason codes) or by validation (`invalid`, `halted`).
   */
  | { type: 'risk-rejected'; accountId: string; source: string; code: string; request: OrderRequest; reason: string; ts: number }
  /** The kill switch over every account engaged (emergency stop) or was re-armed (reset). */
  | { type: 'kill-switch'; engaged: boolean; reason: string; ts: number }
  | { type: 'scan-result'; botId: string; snapshot: ScannerSnapshot }
  | { type: 'bot-phase'; botId: string; phase: BotPhase; reason: string; ts: number }
  | { type: 'engine-state'; botId: string; transition: StateTransition }
  | { type: 'renko'; bar: RenkoBar }
  | { type: 'level-exit'; asset: string; ts: number }
  /**
   * A journal write failed: the account stopped trading with its memory as the journal holds it
   * (nothing of the failed change was applied). Restart to resume from the journal.
   */
  | { type: 'account-halted'; accountId: string; context: string; reason: string; ts: number }
  | { type: 'managed-stop'; stop: ManagedStop; change: ManagedStopChange }
  /** The execution bridge flags something for the operator: stale orders, late or refused fills, position mismatches. */
  | { type: 'bridge-alert'; alert: BridgeAlert }
  /** A fill whose numbers could not enter the ledger (not finite, out of range): not applied; the account halts. */
  | { type: 'fill-refused'; accountId: string; fill: Fill; reason: string; halted: boolean; ts: number }
  /** A venue account's connection changed (ccxt accounts). */
  | { type: 'venue-connection'; accountId: string; state: VenueConnectionState; detail: string; ts: number }
  /** A reconciliation found the venue's books and the journal differing (one event per difference). */
  | { type: 'venue-difference'; accountId: string; reason: ReconcileReason; difference: VenueDifference; ts: number }
  /** A reconciliation ended: how many differences, and whether every query answered. */
  | { type: 'venue-reconciled'; accountId: string; reason: ReconcileReason; differences: number; complete: boolean; ts: number }
  /** Best bid/ask and last price from a venue's ticker stream (live feed, `feed.channels: ticker`). */
  | { type: 'quote'; quote: Quote }
  /** A live market data channel went down, came back or fell back to REST polling (venue accounts' own connections are `venue-connection`). */
  | { type: 'feed-connection'; venue: string; channel: string; state: FeedConnectionState; detail: string; ts: number }
  /**
   * The live feed saw missing trade ids or bars: `backfilled` of `missing` were fetched by REST and
   * fed in order; the rest are lost (`missing - backfilled`). `from`/`to` are ids (trades) or bar starts.
   */
  | { type: 'feed-gap'; venue: string; symbol: string; kind: 'trades' | 'bars'; from: number; to: number; missing: number; backfilled: number; ts: number }
  /** A desk's or account's daily loss stop triggered: entries refused until the next UTC day. */
  | { type: 'daily-stop'; accountId: string; pnl: number; limit: number; source: string; ts: number };

export type FeedConnectionState = 'connected' | 'disconnected' | 'polling';

export type ManagedStopChange = 'armed' | 'moved' | 'triggered' | 're-armed' | 'cancelled';

export type KernelEventType = KernelEvent['type'];
export type EventOf<T extends KernelEventType> = Extract<KernelEvent, { type: T }>;
