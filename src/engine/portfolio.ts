import { DAY_MS, utcDay, utcDayStart } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import { roundToStep } from '../core/instruments.js';
import type { Fill, Order } from '../core/orders.js';
import type { Account, AccountView, ClosedTrade, Position, PositionSide } from '../core/portfolio-types.js';
import type { SequenceIds } from '../core/ids.js';
import { nonFiniteField, priceProblem } from '../core/money-checks.js';

export interface FillOutcome {
  position: Position | null;
  positionClosed: Position | null;
  closedTrade: ClosedTrade | null;
  change: 'opened' | 'increased' | 'reduced' | 'closed';
}

const round2 = (v: number): number => Math.round(v * 1e8) / 1e8;

/** A fill whose result would not be a finite number in the ledger: refused, the portfolio unchanged. */
export class LedgerGuardError extends Error {
  override name = 'LedgerGuardError';
}
const sign = (side: PositionSide): 1 | -1 => (side === 'long' ? 1 : -1);

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

  /** Starts a new P/L day when the clock crossed UTC midnight; true if it did. */
  rollDay(now: number): boolean {
    if (now >= this.dayStartAt && now < this.nextDayAt) return false;
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
    const pv = this.instruments.get(symbol).pointValue;
    p.markPrice = price;
    p.unrealizedPnl = round2((price - p.avgPrice) * p.qty * pv * sign(p.side));
    return p;
  }

  /**
   * Applies a fill. The last-line guard of the ledger: if the fill's numbers or any result
   * (balance, PnL, fees, the position's average price) is not a finite number, the portfolio is
   * put back as it was and LedgerGuardError is thrown, so no NaN, Infinity or null is persisted.
   */
  applyFill(fill: Fill, order: Order): FillOutcome {
    const bad = nonFiniteField({ price: fill.price, qty: fill.qty, fee: fill.fee });
    if (bad) throw new LedgerGuardError(`fill ${fill.id}: ${bad} ${String(fill[bad as 'price'])} is not a finite number`);
    const account = { ...this.account };
    const existing = this.positions.get(fill.symbol);
    const before = existing ? { ...existing } : undefined;
    const outcome = this.applyFillUnchecked(fill, order);
    const a = this.account;
    const p = outcome.position;
    const field = nonFiniteField({
      balance: a.balance,
      realizedPnl: a.realizedPnl,
      fees: a.fees,
      positionQty: p?.qty ?? 0,
      avgPrice: p?.avgPrice ?? 0,
      positionFees: p?.fees ?? 0,
      unrealizedPnl: p?.unrealizedPnl ?? 0,
      tradePnl: outcome.closedTrade?.netPnl ?? 0,
    });
    if (field) {
      this.account = account;
      if (before) this.positions.set(fill.symbol, Object.assign(existing as Position, before));
      else this.positions.delete(fill.symbol);
      throw new LedgerGuardError(`fill ${fill.id} at ${fill.price} x ${fill.qty} (fee ${fill.fee}) would make ${field} non-finite: refused`);
    }
    return outcome;
  }

  private applyFillUnchecked(fill: Fill, order: Order): FillOutcome {
    const inst = this.instruments.get(fill.symbol);
    const fillSide: PositionSide = fill.side === 'buy' ? 'long' : 'short';
    const existing = this.positions.get(fill.symbol);
    this.account.fees = round2(this.account.fees + fill.fee);
    this.account.balance = round2(this.account.balance - fill.fee);
    this.account.updatedAt = fill.ts;

    if (!existing) {
      const position = this.open(fill, order, fill.qty, fill.fee);
      return { position, positionClosed: null, closedTrade: null, change: 'opened' };
    }
    if (existing.side === fillSide) {
      const qty = roundToStep(existing.qty + fill.qty, inst.qtyStep);
      existing.avgPrice = (existing.avgPrice * existing.qty + fill.price * fill.qty) / qty;
      existing.qty = qty;
      existing.fees = round2(existing.fees + fill.fee);
      if (order.stopLoss !== null) existing.stopPrice = order.stopLoss;
      if (order.takeProfit !== null) existing.takeProfit = order.takeProfit;
      existing.initialRisk = this.riskOf(existing.avgPrice, existing.stopPrice, qty, inst.pointValue) ?? existing.initialRisk;
      this.mark(fill.symbol, fill.price);
      return { position: existing, positionClosed: null, closedTrade: null, change: 'increased' };
    }

    const reduceQty = Math.min(existing.qty, fill.qty);
    const feeShare = fill.fee * (reduceQty / fill.qty);
    const pnl = round2((fill.price - existing.avgPrice) * reduceQty * inst.pointValue * sign(existing.side));
    this.account.balance = round2(this.account.balance + pnl);
    this.account.realizedPnl = round2(this.account.realizedPnl + pnl);
    const remaining = roundToStep(existing.qty - reduceQty, inst.qtyStep);

    if (remaining > 0) {
      existing.qty = remaining;
      existing.realizedPnl = round2(existing.realizedPnl + pnl);
      existing.fees = round2(existing.fees + feeShare);
      this.mark(fill.symbol, fill.price);
      return { position: existing, positionClosed: null, closedTrade: null, change: 'reduced' };
    }

    this.positions.delete(fill.symbol);
    const grossPnl = round2(existing.realizedPnl + pnl);
    const fees = round2(existing.fees + feeShare);
    const risk = existing.initialRisk;
    const closedTrade: ClosedTrade = {
      id: this.tradeIds.next(),
      positionId: existing.id,
      accountId: existing.accountId,
      botId: existing.botId,
      symbol: existing.symbol,
      side: existing.side,
      qty: existing.qty,
      entryPrice: existing.avgPrice,
      exitPrice: fill.price,
      openedAt: existing.openedAt,
      closedAt: fill.ts,
      grossPnl,
      fees,
      netPnl: round2(grossPnl - fees),
      pnlR: risk && risk > 0 ? round2((grossPnl - fees) / risk) : null,
      mode: existing.mode,
    };
    const positionClosed: Position = { ...existing, qty: 0, unrealizedPnl: 0, markPrice: fill.price, fees };
    const flipQty = roundToStep(fill.qty - reduceQty, inst.qtyStep);
    const position = flipQty > 0 ? this.open(fill, order, flipQty, fill.fee - feeShare) : null;
    return { position, positionClosed, closedTrade, change: 'closed' };
  }

  private open(fill: Fill, order: Order, qty: number, fee: number): Position {
    const inst = this.instruments.get(fill.symbol);
    const position: Position = {
      id: this.positionIds.next(),
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
    };
    this.positions.set(fill.symbol, position);
    return position;
  }

  private riskOf(entry: number, stop: number | null, qty: number, pointValue: number): number | null {
    if (stop === null) return null;
    return round2(Math.abs(entry - stop) * qty * pointValue);
  }
}
