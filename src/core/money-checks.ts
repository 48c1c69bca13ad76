import type { Instrument } from './instruments.js';

/**
 * Money-safe numbers: the pure checks every price, quantity, fee and market timestamp passes
 * before it reaches an account or the market-data store (bridge fill reports, orders of every
 * source through ExecutionEngine.place, TradingView webhooks, importers), and the last-line
 * check of the ledger itself. No I/O: the API handlers, the kernel and the adapters call the
 * same functions, so a number refused in one place is refused everywhere.
 *
 * Hand-written (a few comparisons): no validation library knows instruments or price bands.
 */

/** Prices at or above this are refused everywhere: no instrument we trade is near it. */
export const MAX_PRICE = 1e9;
/** Market data and fills must fall in [1990-01-01, 2100-01-01) UTC. */
export const MIN_MARKET_TS = Date.UTC(1990, 0, 1);
export const MAX_MARKET_TS = Date.UTC(2100, 0, 1);

export type MoneyField = 'price' | 'qty' | 'fee' | 'ts' | 'volume';
export type MoneyCode =
  | 'not_a_number'
  | 'not_positive'
  | 'negative'
  | 'too_large'
  | 'off_tick'
  | 'off_step'
  | 'below_min'
  | 'above_max'
  | 'out_of_band'
  | 'fee_too_large'
  | 'bad_timestamp';

export interface MoneyProblem {
  field: MoneyField;
  code: MoneyCode;
  value: unknown;
  message: string;
}

/** The market's limits on fills (config `risk.fillPriceBandPct`, `risk.maxFeePct`). */
export interface MoneyLimits {
  /** A fill more than this percentage away from the last price is refused; 0 turns the band off. */
  fillPriceBandPct: number;
  /** A fee larger than this percentage of the fill's notional value is refused. */
  maxFeePct: number;
}

export const DEFAULT_MONEY_LIMITS: Readonly<MoneyLimits> = Object.freeze({ fillPriceBandPct: 10, maxFeePct: 1 });

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const problem = (field: MoneyField, code: MoneyCode, value: unknown, message: string): MoneyProblem => ({ field, code, value, message });
const show = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v));

/** Whether `value` is a whole multiple of `step`, within floating-point noise. */
export function onGrid(value: number, step: number): boolean {
  if (!(step > 0)) return true;
  const k = value / step;
  return Math.abs(k - Math.round(k)) <= Math.max(1e-6, Math.abs(k) * 1e-12);
}

/** A price: a finite number in (0, MAX_PRICE), on the instrument's tick grid when one is given. */
export function priceProblem(value: unknown, inst?: Pick<Instrument, 'symbol' | 'tickSize'>, field: MoneyField = 'price'): MoneyProblem | null {
  if (!isFiniteNumber(value)) return problem(field, 'not_a_number', value, `${field} must be a finite number, got ${show(value)}`);
  if (value <= 0) return problem(field, 'not_positive', value, `${field} must be above 0, got ${value}`);
  if (value >= MAX_PRICE) return problem(field, 'too_large', value, `${field} ${value} is out of range (must be below ${MAX_PRICE})`);
  if (inst && !onGrid(value, inst.tickSize)) return problem(field, 'off_tick', value, `${field} ${value} is not a multiple of ${inst.symbol}'s tick size ${inst.tickSize}`);
  return null;
}

/** A quantity: finite, above 0, on the lot grid, within the instrument's minimum and maximum. */
export function qtyProblem(value: unknown, inst: Pick<Instrument, 'symbol' | 'qtyStep' | 'minQty' | 'maxQty'>): MoneyProblem | null {
  if (!isFiniteNumber(value)) return problem('qty', 'not_a_number', value, `qty must be a finite number, got ${show(value)}`);
  if (value <= 0) return problem('qty', 'not_positive', value, `qty must be above 0, got ${value}`);
  if (value > inst.maxQty) return problem('qty', 'above_max', value, `qty ${value} is above ${inst.symbol}'s maximum ${inst.maxQty}`);
  if (!onGrid(value, inst.qtyStep)) return problem('qty', 'off_step', value, `qty ${value} is not a multiple of ${inst.symbol}'s lot size ${inst.qtyStep}`);
  if (value < inst.minQty - 1e-12) return problem('qty', 'below_min', value, `qty ${value} is below ${inst.symbol}'s minimum ${inst.minQty}`);
  return null;
}

/**
 * A quantity an order asks for, before the kernel floors it to the lot grid: finite, above 0 and
 * not above the maximum (off-grid quantities are floored, never rounded up; see place()).
 */
export function requestedQtyProblem(value: unknown, inst: Pick<Instrument, 'symbol' | 'maxQty'>): MoneyProblem | null {
  if (!isFiniteNumber(value)) return problem('qty', 'not_a_number', value, `qty must be a finite number, got ${show(value)}`);
  if (value <= 0) return problem('qty', 'not_positive', value, `qty must be above 0, got ${value}`);
  if (value > inst.maxQty) return problem('qty', 'above_max', value, `qty ${value} is above ${inst.symbol}'s maximum ${inst.maxQty}`);
  return null;
}

/**
 * A fee: finite and at most `maxFeePct` of the notional value (price × qty × point value) in
 * absolute value; negative (a maker rebate) only when `allowNegative`.
 */
export function feeProblem(fee: unknown, notional: number, maxFeePct: number, allowNegative = true): MoneyProblem | null {
  if (!isFiniteNumber(fee)) return problem('fee', 'not_a_number', fee, `fee must be a finite number, got ${show(fee)}`);
  if (fee < 0 && !allowNegative) return problem('fee', 'negative', fee, `fee must not be negative, got ${fee}`);
  const cap = (Math.abs(notional) * maxFeePct) / 100;
  if (Math.abs(fee) > cap) return problem('fee', 'fee_too_large', fee, `fee ${fee} is more than ${maxFeePct}% of the fill's value ${round(notional)} (risk.maxFeePct)`);
  return null;
}

/** A fill price more than `bandPct` percent away from the last known price (no check without one or with 0). */
export function bandProblem(price: number, lastPrice: number | undefined | null, bandPct: number): MoneyProblem | null {
  if (!(bandPct > 0) || !isFiniteNumber(lastPrice) || !(lastPrice > 0)) return null;
  const away = (Math.abs(price - lastPrice) / lastPrice) * 100;
  if (away <= bandPct) return null;
  return problem('price', 'out_of_band', price, `fill price ${price} is ${round(away)}% away from the last price ${lastPrice}; the band is ${bandPct}% (risk.fillPriceBandPct)`);
}

export interface FillNumbers {
  price: unknown;
  qty: unknown;
  fee: unknown;
}

/**
 * Everything about a fill's numbers, in order: price (range, tick), quantity (range, lot,
 * min/max), fee (finite, at most maxFeePct of the notional), then the band around the last price.
 */
export function fillProblem(
  fill: FillNumbers,
  inst: Pick<Instrument, 'symbol' | 'tickSize' | 'qtyStep' | 'minQty' | 'maxQty' | 'pointValue'>,
  o: { lastPrice?: number | null; limits?: MoneyLimits; allowNegativeFee?: boolean } = {},
): MoneyProblem | null {
  const limits = o.limits ?? DEFAULT_MONEY_LIMITS;
  const p = priceProblem(fill.price, inst) ?? qtyProblem(fill.qty, inst);
  if (p) return p;
  const price = fill.price as number;
  const notional = price * (fill.qty as number) * inst.pointValue;
  return feeProblem(fill.fee, notional, limits.maxFeePct, o.allowNegativeFee ?? true) ?? bandProblem(price, o.lastPrice, limits.fillPriceBandPct);
}

/** A market timestamp (ms since the epoch) inside [1990, 2100). */
export function timestampProblem(ms: unknown): MoneyProblem | null {
  if (!isFiniteNumber(ms)) return problem('ts', 'not_a_number', ms, `timestamp must be a finite number, got ${show(ms)}`);
  if (ms < MIN_MARKET_TS || ms >= MAX_MARKET_TS) {
    const when = Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms);
    return problem('ts', 'bad_timestamp', ms, `timestamp ${when} is outside 1990-01-01..2100-01-01`);
  }
  return null;
}

/** Why an imported tick is out of range (price ≤ 0, ≥ 1e9 or not finite; time outside 1990..2100; negative volume), or null. */
export function tickRowProblem(ts: number, price: number, size: number): string | null {
  return timestampProblem(ts)?.message ?? priceProblem(price)?.message ?? volumeProblem(size);
}

/** The same for an imported bar's start, prices and volume. */
export function barRowProblem(start: number, prices: readonly number[], volume: number): string | null {
  const t = timestampProblem(start);
  if (t) return t.message;
  for (const p of prices) {
    const bad = priceProblem(p);
    if (bad) return bad.message;
  }
  return volumeProblem(volume);
}

function volumeProblem(v: number): string | null {
  if (!isFiniteNumber(v)) return `volume must be a finite number, got ${show(v)}`;
  if (v < 0) return `volume must not be negative, got ${v}`;
  return null;
}

/** The first ledger value that is not a finite number (the portfolio's last-line guard), or null. */
export function nonFiniteField(values: Readonly<Record<string, number | null>>): string | null {
  // for-in rather than Object.entries: called twice per fill, no arrays made.
  for (const k in values) {
    const v = values[k];
    if (v !== null && !Number.isFinite(v)) return k;
  }
  return null;
}

const round = (v: number): number => Math.round(v * 100) / 100;

/** A limit's price or a stop's trigger that is not a money-safe number: the refusal's message. */
export function orderPriceProblem(request: { type: string; price?: number | null; stopPrice?: number | null }): string | null {
  const field = request.type === 'limit' ? 'price' : request.type === 'stop' ? 'stopPrice' : null;
  const v = field === null ? null : request[field];
  const p = v == null ? null : priceProblem(v, undefined, 'price');
  return p ? `${field}: ${p.message}` : null;
}
