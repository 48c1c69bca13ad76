import { DAY_MS, utcDay, utcDayStart } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import { roundToStep } from '../core/instruments.js';
import type { Fill, Order } from '../core/orders.js';
import type { Account, AccountView, ClosedTrade, Position, PositionSide } from '../core/portfolio-types.js';
import type { SequenceIds } from '../core/ids.js';
import { priceProblem } from '../core/money-checks.js';
import { closingReason } from '../core/exit-reason.js';

export interface FillOutcome {
  position: Position | null;
  positionClosed: Position | null;
  closedTrade: ClosedTrade | null;
  change: 'opened' | 'increased' | 'reduced' | 'closed';
}

/**
 * What a fill would do, computed on copies: the portfolio is unchanged until `commit`. The
 * execution engine writes the preview to the journal first and commits it only on success.
 */
export interface FillPreview extends FillOutcome {
  readonly symbol: string;
  readonly account: Account;
  /** Whether committing takes the next position id (a position opened) and the next trade id. */
  readonly opensPosition: boolean;
}

const round2 = (v: number): number => Math.round(v * 1e8) / 1e8;

/** A fill whose result would not be a finite number in the ledger: refused, the portfolio unchanged. */
export class LedgerGuardError extends Error {
  override name = 'LedgerGuardError';
}
/** As `nonFiniteField` judges a value: null passes, anything else must be a finite number. */
const nonFinite = (v: number | null): boolean => v !== null && !Number.isFinite(v);

const sign = (side: PositionSide): 1 | -1 => (side === 'long' ? 1 : -1);

/** Volume-weighted average of `qty` at `avg` and `add` at `price` (exactly `price` for the first). */
const vwap = (avg: number | null, qty: number, price: number, add: number): number =>
  avg === null || !(qty > 0) ? price : (avg * qty + price * add) / (qty + add);

function markTo(p: Position, price: number, pointValue: number): void {
  p.markPrice = price;
  p.unrealizedPnl = round2((price - p.avgPrice) * p.qty * pointValue * sign(p.side));
}

/**
 * One account's positions (netted per symbol), cash and PnL. USD-margined accounting: PnL is
 * settled into the balance when a position is reduced, fees are paid from it at each fill.
 */
export class Portfolio {
  private readonly positions = new Map<string, Position>();
  /** [dayStartAt, nextDayAt): the UTC day of `account.day` in ms, so rollDay formats no dates per tick. */
  private dayStartAt = Number.NaN;
  private nextDayAt = Number.NaN;

  constructor(
    private account: Account,
    private readonly instruments: InstrumentRegistry,
    private readonly positionIds: SequenceIds,
    private readonly tradeIds: SequenceIds,
  ) {}

  restore(positions: readonly Position[]): void {
    for (const p of positions) this.positions.set(p.symbol, { ...p });
  }

  get accountId(): string {
    return this.account.id;
  }

  position(symbol: string): Position | undefined {
    return this.positions.get(symbol);
  }

  openPositions(): Position[] {
    return [...this.positions.values()];
  }

  accountState(): Account {
    return { ...this.account };
  }

  /** Balance plus unrealised PnL, as `view().equity`, without building the view. */
  equity(): number {
    let unrealized = 0;
    for (const p of this.positions.values()) unrealized += p.unrealizedPnl;
    return round2(this.account.balance + unrealized);
  }

  view(): AccountView {
    let unrealized = 0;
    for (const p of this.positions.values()) unrealized += p.unrealizedPnl;
    const a = this.account;
    const equity = round2(a.balance + unrealized);
    // Spelled out rather than spread: built on every fill and risk check.
    return {
      id: a.id,
      currency: a.currency,
      leverage: a.leverage,
      startingBalance: a.startingBalance,
      balance: a.balance,
      realizedPnl: a.realizedPnl,
      fees: a.fees,
      dayStartEquity: a.dayStartEquity,
      day: a.day,
      updatedAt: a.updatedAt,
      equity,
      unrealizedPnl: round2(unrealized),
      dayPnl: round2(equity - a.dayStartEquity),
      openPositions: this.positions.size,
    };
  }

  /** Whether `now` is in the P/L day already started (then `rollDay(now)` has nothing to do). */
  inDay(now: number): boolean {
    return now >= this.dayStartAt && now < this.nextDayAt;
  }

  /** Starts a new P/L day when the clock crossed UTC midnight; true if it did. */
  rollDay(now: number): boolean {
    if (this.inDay(now)) return false;
    const day = utcDay(now);
    this.dayStartAt = utcDayStart(now);
    this.nextDayAt = this.dayStartAt + DAY_MS;
    if (day === this.account.day) return false;
    this.account = { ...this.account, day, dayStartEquity: this.view().equity, updatedAt: now };
    return true;
  }

  /** Marks a position to a new price; returns it when it changed. */
  mark(symbol: string, price: number): Position | undefined {
    const p = this.positions.get(symbol);
    // A price that is not a sane finite number never marks the ledger (money-checks).
    if (!p || p.markPrice === price || priceProblem(price) !== null) return undefined;
    markTo(p, price, this.instruments.get(symbol).pointValue);
    return p;
  }

  /** Applies a fill at once (preview and commit): for callers without a journal to write first. */
  applyFill(fill: Fill, order: Order): FillOutcome {
    return this.commit(this.previewFill(fill, order));
  }

  /**
   * The effect of a fill on copies of the account and the position: nothing changes here. Apply
   * it with `commit` (once the journal holds it) or drop it. A position keeps the total entered
   * and exited quantities and their volume-weighted prices, so a closed trade reports the whole
   * round trip (buy 2 @ 100, sell 1 @ 110, sell 1 @ 120: qty 2, entry 100, exit 115, gross 30).
   */
  previewFill(fill: Fill, order: Order): FillPreview {
    // Field by field rather than `nonFiniteField` of object literals: two objects per fill less.
    const bad = nonFinite(fill.price) ? 'price' : nonFinite(fill.qty) ? 'qty' : nonFinite(fill.fee) ? 'fee' : null;
    if (bad) throw new LedgerGuardError(`fill ${fill.id}: ${bad} ${String(fill[bad])} is not a finite number`);
    const preview = this.computePreview(fill, order);
    // The last-line guard of the ledger: no NaN, Infinity or null is ever committed or persisted.
    const a = preview.account;
    const p = preview.position;
    const field = nonFinite(a.balance)
      ? 'balance'
      : nonFinite(a.realizedPnl)
        ? 'realizedPnl'
        : nonFinite(a.fees)
          ? 'fees'
          : nonFinite(p?.qty ?? 0)
            ? 'positionQty'
            : nonFinite(p?.avgPrice ?? 0)
              ? 'avgPrice'
              : nonFinite(p?.fees ?? 0)
                ? 'positionFees'
                : nonFinite(p?.unrealizedPnl ?? 0)
                  ? 'unrealizedPnl'
                  : nonFinite(preview.closedTrade?.netPnl ?? 0)
                    ? 'tradePnl'
                    : null;
    if (field) throw new LedgerGuardError(`fill ${fill.id} at ${fill.price} x ${fill.qty} (fee ${fill.fee}) would make ${field} non-finite: refused`);
    return preview;
  }

  private computePreview(fill: Fill, order: Order): FillPreview {
    const inst = this.instruments.get(fill.symbol);
    const fillSide: PositionSide = fill.side === 'buy' ? 'long' : 'short';
    const live = this.positions.get(fill.symbol);
    const a = this.account;
    // Spelled out rather than spread (as the returned previews): built on every fill of a backtest.
    const account: Account = {
      id: a.id,
      currency: a.currency,
      leverage: a.leverage,
      startingBalance: a.startingBalance,
      balance: round2(a.balance - fill.fee),
      realizedPnl: a.realizedPnl,
      fees: round2(a.fees + fill.fee),
      dayStartEquity: a.dayStartEquity,
      day: a.day,
      updatedAt: fill.ts,
    };
    const symbol = fill.symbol;

    if (!live) {
      const position = this.newPosition(fill, order, fill.qty, fill.fee);
      return { symbol, account, position, positionClosed: null, closedTrade: null, change: 'opened', opensPosition: true };
    }
    const existing: Position = { ...live };
    if (existing.side === fillSide) {
      const qty = roundToStep(existing.qty + fill.qty, inst.qtyStep);
      const entered = existing.enteredQty ?? existing.qty;
      existing.avgPrice = (existing.avgPrice * existing.qty + fill.price * fill.qty) / qty;
      existing.avgEntryPrice = vwap(existing.avgEntryPrice ?? existing.avgPrice, entered, fill.price, fill.qty);
      existing.enteredQty = roundToStep(entered + fill.qty, inst.qtyStep);
      existing.qty = qty;
      existing.fees = round2(existing.fees + fill.fee);
      if (order.stopLoss !== null) existing.stopPrice = order.stopLoss;
      if (order.takeProfit !== null) existing.takeProfit = order.takeProfit;
      existing.initialRisk = this.riskOf(existing.avgPrice, existing.stopPrice, qty, inst.pointValue) ?? existing.initialRisk;
      markTo(existing, fill.price, inst.pointValue);
      return { symbol, account, position: existing, positionClosed: null, closedTrade: null, change: 'increased', opensPosition: false };
    }

    const reduceQty = Math.min(existing.qty, fill.qty);
    const feeShare = fill.fee * (reduceQty / fill.qty);
    const pnl = round2((fill.price - existing.avgPrice) * reduceQty * inst.pointValue * sign(existing.side));
    account.balance = round2(account.balance + pnl);
    account.realizedPnl = round2(account.realizedPnl + pnl);
    const remaining = roundToStep(existing.qty - reduceQty, inst.qtyStep);
    const exited = existing.exitedQty ?? 0;
    existing.avgExitPrice = vwap(existing.avgExitPrice ?? null, exited, fill.price, reduceQty);
    existing.exitedQty = roundToStep(exited + reduceQty, inst.qtyStep);

    if (remaining > 0) {
      existing.qty = remaining;
      existing.realizedPnl = round2(existing.realizedPnl + pnl);
      existing.fees = round2(existing.fees + feeShare);
      markTo(existing, fill.price, inst.pointValue);
      return { symbol, account, position: existing, positionClosed: null, closedTrade: null, change: 'reduced', opensPosition: false };
    }

    const grossPnl = round2(existing.realizedPnl + pnl);
    const fees = round2(existing.fees + feeShare);
    const risk = existing.initialRisk;
    const closedTrade: ClosedTrade = {
      id: this.tradeIds.peek(),
      positionId: existing.id,
      accountId: existing.accountId,
      botId: existing.botId,
      symbol: existing.symbol,
      side: existing.side,
      qty: existing.enteredQty ?? existing.qty,
      entryPrice: existing.avgEntryPrice ?? existing.avgPrice,
      exitPrice: existing.avgExitPrice,
      openedAt: existing.openedAt,
      closedAt: fill.ts,
      grossPnl,
      fees,
      netPnl: round2(grossPnl - fees),
      pnlR: risk && risk > 0 ? round2((grossPnl - fees) / risk) : null,
      mode: existing.mode,
      exitReason: closingReason(order),
    };
    const positionClosed: Position = { ...existing, qty: 0, unrealizedPnl: 0, markPrice: fill.price, fees };
    const flipQty = roundToStep(fill.qty - reduceQty, inst.qtyStep);
    const position = flipQty > 0 ? this.newPosition(fill, order, flipQty, fill.fee - feeShare) : null;
    return { symbol, account, position, positionClosed, closedTrade, change: 'closed', opensPosition: position !== null };
  }

  /**
   * Applies a preview of this portfolio's current state (nothing else may change in between).
   * A position that stays open keeps its object (updated in place); the returned outcome holds
   * the live objects.
   */
  commit(preview: FillPreview): FillOutcome {
    this.account = preview.account;
    if (preview.positionClosed) this.positions.delete(preview.symbol);
    let position = preview.position;
    if (position) {
      const live = this.positions.get(preview.symbol);
      if (live && live.id === position.id) position = Object.assign(live, position);
      else this.positions.set(preview.symbol, position);
    }
    if (preview.opensPosition) this.positionIds.next();
    if (preview.closedTrade) this.tradeIds.next();
    return { position, positionClosed: preview.positionClosed, closedTrade: preview.closedTrade, change: preview.change };
  }

  /** A copy of an open position with a new protective stop and/or target (null clears one). */
  previewProtection(symbol: string, levels: { stopPrice?: number | null; takeProfit?: number | null }): Position | null {
    const live = this.positions.get(symbol);
    if (!live) return null;
    return {
      ...live,
      ...(levels.stopPrice !== undefined ? { stopPrice: levels.stopPrice } : {}),
      ...(levels.takeProfit !== undefined ? { takeProfit: levels.takeProfit } : {}),
    };
  }

  /** Replaces an open position's fields with a committed copy of it (same id). */
  commitPosition(position: Position): Position | undefined {
    const live = this.positions.get(position.symbol);
    if (!live || live.id !== position.id) return undefined;
    return Object.assign(live, position);
  }

  private newPosition(fill: Fill, order: Order, qty: number, fee: number): Position {
    const inst = this.instruments.get(fill.symbol);
    return {
      id: this.positionIds.peek(),
      accountId: this.account.id,
      botId: order.botId,
      symbol: fill.symbol,
      side: fill.side === 'buy' ? 'long' : 'short',
      qty,
      avgPrice: fill.price,
      openedAt: fill.ts,
      stopPrice: order.stopLoss,
      takeProfit: order.takeProfit,
      initialRisk: this.riskOf(fill.price, order.stopLoss, qty, inst.pointValue),
      realizedPnl: 0,
      fees: round2(fee),
      markPrice: fill.price,
      unrealizedPnl: 0,
      mode: order.tag ?? order.botId,
      enteredQty: qty,
      avgEntryPrice: fill.price,
      exitedQty: 0,
      avgExitPrice: null,
    };
  }

  private riskOf(entry: number, stop: number | null, qty: number, pointValue: number): number | null {
    if (stop === null) return null;
    return round2(Math.abs(entry - stop) * qty * pointValue);
  }
}
