import type { ManagedStop } from '../core/managed-stops.js';
import { isOrderOpen, type Fill, type Order } from '../core/orders.js';
import { sequenceOf } from '../core/ids.js';
import type { Account, ClosedTrade, Position } from '../core/portfolio-types.js';
import type { FillRecord, RestoredState, StoredEvent, TradingStore } from '../core/ports.js';
import { OrderRows } from './order-rows.js';
import { StringSet } from './string-set.js';

/**
 * The TradingStore port in memory, for backtests: the same calls as the SQLite journal, no
 * I/O and no serialisation (values are copied on write, so later mutations by the kernel do
 * not leak in). Nothing survives the process; live trading keeps the SQLite journal.
 */
export class MemoryStore implements TradingStore {
  private readonly accounts = new Map<string, Account>();
  /** Every order's last journaled values, as rows in creation order (no object per order). */
  private readonly orders = new OrderRows();
  private readonly openPositions = new Map<string, Position>();
  private readonly fills: Fill[] = [];
  /** Every fill id recorded (a table of hashes: see StringSet). */
  private readonly fillIds = new StringSet();
  private readonly trades: ClosedTrade[] = [];
  private events: StoredEvent[] = [];
  private readonly stops = new Map<string, ManagedStop>();
  /** Highest sequence of a closed position (restore's id sequence). */
  private closedPositionSeq = 0;

  /** At most this many events are kept (the oldest are dropped). */
  constructor(private readonly maxEvents = 10_000) {}

  saveAccount(account: Account): void {
    this.accounts.set(account.id, { ...account });
  }

  saveOrder(order: Order): void {
    // The values are copied into the order's row (an order is written three times or more:
    // new, accepted, filled...), no object is kept.
    this.orders.save(order);
  }

  hasFill(fillId: string): boolean {
    return this.fillIds.has(fillId);
  }

  recordFill(record: FillRecord): boolean {
    if (!this.fillIds.add(record.fill.id)) return false;
    // Fills and closed trades are never mutated after they are reported: kept as they are.
    this.fills.push(record.fill);
    this.saveOrder(record.order);
    if (record.positionClosed) this.savePosition(record.positionClosed);
    if (record.position) this.savePosition(record.position);
    if (record.closedTrade) this.trades.push(record.closedTrade);
    this.saveAccount(record.account);
    return true;
  }

  savePosition(position: Position): void {
    if (position.qty > 0) this.openPositions.set(position.id, { ...position });
    else {
      this.openPositions.delete(position.id);
      this.closedPositionSeq = Math.max(this.closedPositionSeq, sequenceOf(position.id));
    }
  }

  saveManagedStop(stop: ManagedStop): void {
    this.stops.set(stop.id, { ...stop });
  }

  managedStops(accountId: string): ManagedStop[] {
    return [...this.stops.values()].filter((s) => s.accountId === accountId && s.status !== 'cancelled').map((s) => ({ ...s }));
  }

  appendEvents(events: readonly StoredEvent[]): void {
    for (const e of events) this.events.push(e);
    if (this.events.length > 2 * this.maxEvents) this.events = this.events.slice(-this.maxEvents);
  }

  restore(accountId: string): RestoredState {
    const account = this.accounts.get(accountId);
    // Sequences are worked out here, once, rather than on every write.
    let lastOrderSeq = 0;
    for (const id of this.orders.ids()) lastOrderSeq = Math.max(lastOrderSeq, sequenceOf(id));
    let lastPositionSeq = this.closedPositionSeq;
    let lastTradeSeq = 0;
    for (const t of this.trades) {
      lastTradeSeq = Math.max(lastTradeSeq, sequenceOf(t.id));
      lastPositionSeq = Math.max(lastPositionSeq, sequenceOf(t.positionId));
    }
    for (const id of this.openPositions.keys()) lastPositionSeq = Math.max(lastPositionSeq, sequenceOf(id));
    return {
      account: account ? { ...account } : null,
      openOrders: this.openOrders(accountId),
      positions: [...this.openPositions.values()].filter((p) => p.accountId === accountId).map((p) => ({ ...p })),
      lastOrderSeq,
      lastPositionSeq,
      lastTradeSeq,
    };
  }

  private openOrders(accountId: string): Order[] {
    const rows = this.orders;
    const out: Order[] = [];
    for (let i = 0; i < rows.size; i += 1) {
      if (rows.accountIdAt(i) === accountId && isOrderOpen({ status: rows.statusAt(i) })) out.push(rows.orderAt(i));
    }
    return out;
  }

  /** How many orders the journal holds (every account). */
  get orderCount(): number {
    return this.orders.size;
  }

  listOrders(query: { accountId?: string; limit: number; openOnly?: boolean }): Order[] {
    const rows = this.orders;
    const out: Order[] = [];
    for (let i = rows.size - 1; i >= 0 && out.length < query.limit; i -= 1) {
      if (query.accountId && rows.accountIdAt(i) !== query.accountId) continue;
      if (query.openOnly && !isOrderOpen({ status: rows.statusAt(i) })) continue;
      out.push(rows.orderAt(i));
    }
    return out;
  }

  getOrder(id: string): Order | null {
    const row = this.orders.find(id);
    return row < 0 ? null : this.orders.orderAt(row);
  }

  recentFills(limit: number, accountId?: string): Fill[] {
    return newestFirst(this.fills, limit, (f) => !accountId || f.accountId === accountId);
  }

  recentTrades(limit: number, accountId?: string): ClosedTrade[] {
    return newestFirst(this.trades, limit, (t) => !accountId || t.accountId === accountId);
  }

  recentEvents(limit: number): StoredEvent[] {
    return newestFirst(this.events, limit, () => true);
  }

  /** Every closed trade, oldest first. */
  allTrades(): readonly ClosedTrade[] {
    return this.trades;
  }

  /** Every fill, oldest first. */
  allFills(): readonly Fill[] {
    return this.fills;
  }

  close(): void {}
}

function newestFirst<T extends object>(items: readonly T[], limit: number, keep: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (let i = items.length - 1; i >= 0 && out.length < limit; i -= 1) {
    const item = items[i] as T;
    if (keep(item)) out.push({ ...item });
  }
  return out;
}
