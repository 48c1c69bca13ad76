// Decimal helpers for the fake venue, written by hand (a few lines; no decimal library is a
// dependency of the project): Binance sends and receives every number as a decimal string.
// Prices and quantities are validated on their strings (precision, tick and step multiples)
// and kept as numbers rounded to their precision; money is rounded to 8 decimals.

const DECIMAL = /^-?(\d{1,20})(\.\d{1,20})?$/;

/** Number of decimals written in a decimal string ("93576.10" → 2). */
export function decimals(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/** `value` is an integer multiple of `unit` (both within floating-point noise). */
export function isMultiple(value: number, unit: number): boolean {
  const ratio = value / unit;
  return Math.abs(ratio - Math.round(ratio)) < 1e-7;
}

export function roundTo(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round((value + Number.EPSILON * Math.sign(value)) * f) / f;
}

export const round8 = (value: number): number => roundTo(value, 8);

/** Fixed-point text with `places` decimals; never "-0.00". */
export function fixed(value: number, places: number): string {
  const text = roundTo(value, places).toFixed(places);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

export const money = (value: number): string => fixed(value, 8);

/** Rounds a price down (floor) or up (ceil) to a multiple of tick. */
export function toTick(value: number, tick: number, mode: 'round' | 'floor' | 'ceil' = 'round'): number {
  const places = Math.max(0, decimals(String(tick)));
  const units = mode === 'floor' ? Math.floor(value / tick + 1e-9) : mode === 'ceil' ? Math.ceil(value / tick - 1e-9) : Math.round(value / tick);
  return roundTo(units * tick, places);
}
