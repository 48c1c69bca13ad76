import { InvalidTransitionError, nextState, type TransitionTable } from './fsm.js';
import type { OrderSide } from './orders.js';

/**
 * Server-managed stops: where a broker cannot hold stop or take-profit orders (a bridge executes
 * market orders only), the kernel keeps the position's protective levels itself and sends a
 * market exit when the price crosses one. One row per (account, symbol, purpose), updated in
 * place when the position is resized or the level moves.
 *
 *   cancelled ──arm──► active ──trigger──► triggered ──fail (exit not done)──► active
 *        ▲               │ arm (move/resize)   │ arm (new size, kept for a re-arm)
 *        └────cancel─────┴─────────cancel──────┘ (position closed)
 */
export type ManagedStopStatus = 'active' | 'triggered' | 'cancelled';
export type ManagedStopEvent = 'arm' | 'trigger' | 'fail' | 'cancel';

export const MANAGED_STOP_TRANSITIONS: TransitionTable<ManagedStopStatus, ManagedStopEvent> = {
  active: { arm: 'active', trigger: 'triggered', cancel: 'cancelled' },
  triggered: { arm: 'triggered', fail: 'active', cancel: 'cancelled' },
  cancelled: { arm: 'active' },
};

export function managedStopTransition(from: ManagedStopStatus, event: ManagedStopEvent): ManagedStopStatus {
  const r = nextState(MANAGED_STOP_TRANSITIONS, from, event);
  if (!r.ok) throw new InvalidTransitionError(from, event, 'managed stop');
  return r.to;
}

export type ManagedStopPurpose = 'stop_loss' | 'take_profit';

export interface ManagedStop {
  /** `${accountId}:${symbol}:${purpose}`: one per position side level. */
  id: string;
  accountId: string;
  botId: string;
  symbol: string;
  positionId: string;
  purpose: ManagedStopPurpose;
  /** The exit's side: sell protects a long, buy a short. */
  side: OrderSide;
  triggerPrice: number;
  /** The position's quantity when armed (the exit sends the position's quantity at the time). */
  qty: number;
  status: ManagedStopStatus;
  /** The market exit sent when it triggered. */
  exitOrderId: string | null;
  /** Prices from this time on are checked (a bar that started earlier was seen before it existed). */
  activeFrom: number;
  /** After a failed exit: no new exit before this time. */
  retryAt: number | null;
  tag: string | null;
  createdAt: number;
  updatedAt: number;
}

export const managedStopId = (accountId: string, symbol: string, purpose: ManagedStopPurpose): string => `${accountId}:${symbol}:${purpose}`;

/**
 * Whether a price range crossed the stop: a sell stop (long) when the low reached it, a sell
 * target when the high did; the other way round for a buy (short).
 */
export function crossed(stop: Pick<ManagedStop, 'side' | 'purpose' | 'triggerPrice'>, high: number, low: number): boolean {
  const below = stop.side === 'sell' ? stop.purpose === 'stop_loss' : stop.purpose === 'take_profit';
  return below ? low <= stop.triggerPrice : high >= stop.triggerPrice;
}
