/**
 * `-1234567.891, 2` -> `-1,234,567.89`: the en-US grouping of `toLocaleString('en-US')`, written
 * by hand because the first use of Intl loads ICU's data, about 35 ms of every CLI run on the
 * project's machine (a warm backtest is under a second). Rounds as `toFixed` does (an exact tie
 * away from zero, where ICU would round to even); non-finite values print as `String` does.
 */
export function groupedNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return String(value);
  const fixed = Math.abs(value).toFixed(decimals);
  const dot = fixed.indexOf('.');
  const whole = dot < 0 ? fixed : fixed.slice(0, dot);
  const sign = value < 0 && /[1-9]/.test(fixed) ? '-' : '';
  return `${sign}${whole.replace(/\B(?=(\d{3})+$)/g, ',')}${dot < 0 ? '' : fixed.slice(dot)}`;
}
