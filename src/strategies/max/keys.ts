/**
 * The Max bot's keys (seed 002 `point_key` / `point_strategy_key` and `exit_strategy_key`).
 *
 * Every number is in instrument POINTS (index points for NQ/ES/MNQ/MES: one point is
 * 1 / tickSize ticks, 4 ticks of 0.25 on all four contracts). A distance of n points is n in
 * price; it must land on the tick grid (a multiple of the contract's tick size). Money per
 * contract is points x point value: NQ $20, ES $50, MNQ $2, MES $5 per point.
 *
 * point_key = "trigger_stop_target1_trail", e.g. "15_7_5_2":
 *   trigger  (> 0)  enter when a print trades `trigger` points beyond the reference: above the
 *                   previous closed bar's high (long) or below its low (short). The print's
 *                   price is the signal price every other distance is measured from.
 *   stop     (> 0)  protective stop `stop` points against the signal price; it rides with the
 *                   entry order as a broker-side stop and sizes the entry when no fixed
 *                   quantity is given.
 *   target1  (> 0)  when the best price since entry is `target1` points in profit, the trail
 *                   arms for the whole position.
 *   trail    (>= 0, <= target1)  once armed, the position is closed at market when price comes
 *                   back `trail` points from its best; the trailing stop never sits below the
 *                   initial stop and, because trail <= target1, never below the signal price:
 *                   an armed trade keeps at least target1 - trail points (before slippage).
 *                   trail 0 = take the whole profit at target1 (market exit on the touch).
 * exit_strategy_key = "target_timeout", e.g. "15_15":
 *   target   (>= 0) hard take-profit `target` points from the signal price, a broker-side limit
 *                   that rides with the entry; 0 = none. When set it must exceed target1 (the
 *                   trail arms before the cap).
 *   timeout  (>= 0, whole minutes) close at market once the position has been open that long;
 *                   0 = no time limit.
 * So "15_7_5_2" + "15_15" on NQ: a long enters on a print 15 points above the last bar's high,
 * risks 7 points ($140 a contract), arms a 2-point trail at +5 (locks +3 = $60), is capped at
 * +15 ($300) and is closed after 15 minutes at the latest.
 */

export type MaxMode = 'long' | 'short' | 'both';
export const MAX_MODES: readonly MaxMode[] = ['long', 'short', 'both'];

export interface PointKey {
  trigger: number;
  stop: number;
  target1: number;
  trail: number;
}

export interface ExitKey {
  /** Hard take-profit in points; 0 = none. */
  target: number;
  /** Time stop in minutes; 0 = none. */
  timeoutMinutes: number;
}

/** A key that does not parse or is incoherent; `field` names the form field. */
export class MaxKeyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'MaxKeyError';
  }
}

const POINT_PARTS = ['trigger', 'stop', 'target1', 'trail'] as const;
const EXIT_PARTS = ['target', 'timeout'] as const;
const NUMBER = /^\d+(\.\d+)?$/;
const MAX_POINTS = 10_000;

function splitKey(field: string, key: unknown, names: readonly string[]): number[] {
  const shape = names.join('_');
  if (typeof key !== 'string' || key.trim() === '') throw new MaxKeyError(field, `${field} is required, formatted ${shape} (points), e.g. ${field === 'exit_strategy_key' ? '"15_15"' : '"15_7_5_2"'}`);
  const parts = key.trim().split('_');
  if (parts.length !== names.length) {
    throw new MaxKeyError(field, `${field} "${key}" must have ${names.length} parts ${shape} separated by "_", got ${parts.length}`);
  }
  return parts.map((raw, i) => {
    const name = names[i] as string;
    if (!NUMBER.test(raw)) throw new MaxKeyError(field, `${field} "${key}": part ${i + 1} (${name}) "${raw}" is not a non-negative number`);
    const value = Number(raw);
    if (value > MAX_POINTS) throw new MaxKeyError(field, `${field} "${key}": part ${i + 1} (${name}) ${raw} is above ${MAX_POINTS}`);
    return value;
  });
}

/** Parses "trigger_stop_target1_trail"; throws MaxKeyError naming the bad part. */
export function parsePointKey(key: unknown, field = 'point_key'): PointKey {
  const [trigger, stop, target1, trail] = splitKey(field, key, POINT_PARTS) as [number, number, number, number];
  const positive = { trigger, stop, target1 };
  for (const [name, v] of Object.entries(positive)) {
    if (!(v > 0)) throw new MaxKeyError(field, `${field} "${String(key)}": ${name} must be greater than 0`);
  }
  if (trail > target1) throw new MaxKeyError(field, `${field} "${String(key)}": trail (${trail}) must not exceed target1 (${target1})`);
  return { trigger, stop, target1, trail };
}

/** Parses "target_timeout"; throws MaxKeyError naming the bad part. */
export function parseExitKey(key: unknown, field = 'exit_strategy_key'): ExitKey {
  const [target, timeoutMinutes] = splitKey(field, key, EXIT_PARTS) as [number, number];
  if (!Number.isInteger(timeoutMinutes)) throw new MaxKeyError(field, `${field} "${String(key)}": part 2 (timeout) must be whole minutes, got ${timeoutMinutes}`);
  return { target, timeoutMinutes };
}

export function parseMaxMode(value: unknown, field = 'maxMode'): MaxMode {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (v === 'long' || v === 'short' || v === 'both') return v;
  throw new MaxKeyError(field, `${field} must be one of long, short, both; got ${JSON.stringify(value ?? null)}`);
}

/** Checks the keys against each other and the contract's tick grid. */
export function checkKeys(points: PointKey, exit: ExitKey, tickSize: number, symbol: string, fields = { point: 'point_key', exit: 'exit_strategy_key' }): void {
  if (exit.target > 0 && !(exit.target > points.target1)) {
    throw new MaxKeyError(fields.exit, `${fields.exit}: target (${exit.target}) must exceed point_key target1 (${points.target1}), or be 0 for no hard target`);
  }
  const onGrid = (v: number) => Math.abs(v / tickSize - Math.round(v / tickSize)) < 1e-9;
  for (const name of POINT_PARTS) {
    if (!onGrid(points[name])) throw new MaxKeyError(fields.point, `${fields.point}: ${name} ${points[name]} is not a multiple of ${symbol}'s tick size ${tickSize}`);
  }
  if (!onGrid(exit.target)) throw new MaxKeyError(fields.exit, `${fields.exit}: target ${exit.target} is not a multiple of ${symbol}'s tick size ${tickSize}`);
}

/** Price distance (the same number: prices are quoted in points) and ticks of a point count. */
export const pointsToTicks = (points: number, tickSize: number): number => Math.round(points / tickSize);
/** Money of a point move for `qty` contracts. */
export const pointsToMoney = (points: number, pointValue: number, qty = 1): number => points * pointValue * qty;
