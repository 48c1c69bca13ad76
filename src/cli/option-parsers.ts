import { InvalidArgumentError } from 'commander';

/** Commander option parsers shared by the commands. */
export const positiveInteger = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

/** YYYY-MM-DD (UTC midnight), an ISO time, or epoch milliseconds. */
export const dateOption = (v: string): number => {
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`not a date: ${v} (use YYYY-MM-DD, an ISO time or ms)`);
  return ms;
};
