import type { Clock } from '../core/clock.js';
import type { ManagedStopChange } from '../core/events.js';
import {
  crossed,
  managedStopId,
  managedStopTransition,
  type ManagedStop,
  type ManagedStopEvent,
  type ManagedStopPurpose,
} from '../core/managed-stops.js';
import { isOrderOpen, type Order, type OrderRequest } from '../core/orders.js';
import { closingSide, type Position } from '../core/portfolio-types.js';
import type { TradingStore } from '../core/ports.js';
import type { MessageBus } from './message-bus.js';
import type { Portfolio } from './portfolio.js';

export interface ManagedStopsDeps {
  clock: Clock;
  bus: MessageBus;
  store: TradingStore;
  portfolio: Portfolio;
  /** Sends the market exit through the execution engine (journal first, then the broker). */
  placeExit(request: OrderRequest): Order;
  /** Runs a journal write; throws, and halts the account, when it fails. */
  write<T>(context: string, fn: () => T): T;
  /** True once the account halted: nothing is checked or sent any more. */
  halted(): boolean;
  /** Whether an exit of the symbol's position is already working (a bot's, an operator's, a managed one). */
  exitWorking(symbol: string): boolean;
  /** After an exit that did not close the position (refused, cancelled): wait this long before the next. */
  retryMs: number;
}

const PURPOSES: readonly ManagedStopPurpose[] = ['stop_loss', 'take_profit'];
const LABEL: Record<ManagedStopPurpose, string> = { stop_loss: 'stop loss', take_profit: 'take profit' };

/**
 * The stops and targets of an account whose broker cannot hold them (a bridge): kept by the
 * kernel, journaled (managed_stops) before they change in memory, checked against every tick
 * and bar the kernel is fed, and turned into a market exit for the position's quantity when the
 * price crosses one. A stop is checked before its target when one range crosses both.
 */
export class ManagedStops {
  private readonly stops = new Map<string, ManagedStop>();

  constructor(private readonly deps: ManagedStopsDeps) {
    deps.bus.on('tick', ({ tick }) => this.onPrice(tick.symbol, tick.price, tick.price, tick.ts));
    // A bar is checked only by stops that existed when it opened (bars built from ticks were seen tick by tick).
    deps.bus.on('bar', ({ bar }) => this.onPrice(bar.symbol, bar.high, bar.low, bar.start));
  }

  /** The armed and triggered stops, oldest first. */
  list(): ManagedStop[] {
    return [...this.stops.values()].filter((s) => s.status !== 'cancelled').map((s) => ({ ...s }));
  }

  /** Loads the journal's stops (no writes: reconcile() settles them once the broker replayed what it knows). */
  restore(stops: readonly ManagedStop[]): void {
    for (const s of stops) this.stops.set(s.id, { ...s });
  }

  /**
   * After a restart and the broker's reconciliation: stops of closed positions are cancelled,
   * a triggered stop whose exit is no longer working is re-armed, and every open position's
   * levels are armed (a position opened before its levels were managed is protected too).
   */
  reconcile(isOrderWorking: (orderId: string) => boolean): void {
    for (const s of [...this.stops.values()]) {
      if (s.status === 'cancelled') continue;
      const position = this.deps.portfolio.position(s.symbol);
      if (!position) this.change(s, 'cancel', {}, 'cancelled');
      else if (s.status === 'triggered' && (s.exitOrderId === null || !isOrderWorking(s.exitOrderId))) this.fail(s, position);
    }
    for (const p of this.deps.portfolio.openPositions()) this.arm(p, p.mode);
  }

  /** Arms, moves or resizes the stop and target of a position to its current levels and size. */
  arm(position: Position, tag: string | null): void {
    const now = this.deps.clock.now();
    for (const purpose of PURPOSES) {
      const level = purpose === 'stop_loss' ? position.stopPrice : position.takeProfit;
      const id = managedStopId(position.accountId, position.symbol, purpose);
      const existing = this.stops.get(id);
      if (level === null) {
        if (existing && existing.status !== 'cancelled') this.change(existing, 'cancel', {}, 'cancelled');
        continue;
      }
      const side = closingSide(position.side);
      const current = existing ?? newStop(id, position, purpose, side, level, tag, now);
      const same = existing && existing.status !== 'cancelled' && existing.positionId === position.id;
      if (same && existing.qty === position.qty && existing.triggerPrice === level && existing.side === side) continue;
      this.change(
        current,
        'arm',
        {
          positionId: position.id,
          botId: position.botId,
          side,
          qty: position.qty,
          triggerPrice: level,
          tag,
          // A new position's stop checks prices from now on; a moved one keeps checking.
          ...(same ? {} : { activeFrom: now, exitOrderId: null, retryAt: null }),
        },
        same ? 'moved' : 'armed',
      );
    }
  }

  /** Cancels every stop of a symbol (its position closed). */
  cancelAll(symbol: string): void {
    for (const s of [...this.stops.values()]) if (s.symbol === symbol && s.status !== 'cancelled') this.change(s, 'cancel', {}, 'cancelled');
  }

  /** Told of every committed order change: a triggered stop whose exit ended without closing the position re-arms. */
  onOrder(order: Order): void {
    if (isOrderOpen(order)) return;
    for (const s of this.stops.values()) {
      if (s.status !== 'triggered' || s.exitOrderId !== order.id) continue;
      const position = this.deps.portfolio.position(s.symbol);
      if (position) this.fail(s, position);
      else this.change(s, 'cancel', {}, 'cancelled');
    }
  }

  private onPrice(symbol: string, high: number, low: number, ts: number): void {
    if (this.stops.size === 0 || this.deps.halted()) return;
    let due: ManagedStop[] | null = null;
    for (const s of this.stops.values()) {
      if (s.symbol !== symbol || s.status === 'cancelled') continue;
      if (s.status === 'triggered') return; // an exit is already working for this position
      due ??= [];
      due.push(s);
    }
    if (!due) return;
    const position = this.deps.portfolio.position(symbol);
    if (!position || this.deps.exitWorking(symbol)) return;
    const now = this.deps.clock.now();
    due.sort((a, b) => PURPOSES.indexOf(a.purpose) - PURPOSES.indexOf(b.purpose));
    for (const s of due) {
      if (ts < s.activeFrom || (s.retryAt !== null && now < s.retryAt)) continue;
      if (!crossed(s, high, low)) continue;
      this.fire(s, position);
      return;
    }
  }

  private fire(s: ManagedStop, position: Position): void {
    const { clock, portfolio } = this.deps;
    const order = this.deps.placeExit({
      accountId: portfolio.accountId,
      botId: position.botId,
      symbol: s.symbol,
      side: s.side,
      type: 'market',
      purpose: s.purpose,
      qty: position.qty,
      reason: `server-managed ${LABEL[s.purpose]} at ${s.triggerPrice} for ${position.id}`,
      tag: s.tag,
    });
    const now = this.stops.get(s.id) ?? s;
    if (now.status === 'cancelled') return; // the exit filled at once and closed the position
    if (!isOrderOpen(order)) {
      // Refused at once (bridge offline): stays armed, tried again after retryMs.
      this.change(now, 'arm', { retryAt: clock.now() + this.deps.retryMs }, 're-armed');
      return;
    }
    this.change(now, 'trigger', { exitOrderId: order.id, retryAt: null }, 'triggered');
  }

  private fail(s: ManagedStop, position: Position): void {
    this.change(s, 'fail', { exitOrderId: null, qty: position.qty, retryAt: this.deps.clock.now() + this.deps.retryMs }, 're-armed');
  }

  /** Journal first; memory and the event follow only when the write succeeded. */
  private change(s: ManagedStop, event: ManagedStopEvent, fields: Partial<ManagedStop>, change: ManagedStopChange): void {
    const now = this.deps.clock.now();
    const next: ManagedStop = { ...s, ...fields, status: managedStopTransition(s.status, event), updatedAt: now };
    this.deps.write(`managed ${s.purpose} ${s.id} ${event}`, () => this.deps.store.saveManagedStop(next));
    this.stops.set(next.id, next);
    this.deps.bus.publish({ type: 'managed-stop', stop: { ...next }, change });
  }
}

function newStop(id: string, p: Position, purpose: ManagedStopPurpose, side: 'buy' | 'sell', level: number, tag: string | null, now: number): ManagedStop {
  return {
    id,
    accountId: p.accountId,
    botId: p.botId,
    symbol: p.symbol,
    positionId: p.id,
    purpose,
    side,
    triggerPrice: level,
    qty: p.qty,
    status: 'cancelled', // armed by the first change
    exitOrderId: null,
    activeFrom: now,
    retryAt: null,
    tag,
    createdAt: now,
    updatedAt: now,
  };
}
