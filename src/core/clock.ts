/** Every component reads time from a Clock; only adapters touch the wall clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** A clock driven by data (backtests) or by tests. */
export class SimClock implements Clock {
  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  set(ms: number): void {
    if (ms < this.current) throw new Error(`SimClock cannot go backwards (${ms} < ${this.current})`);
    this.current = ms;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** The UTC day a timestamp belongs to, as YYYY-MM-DD (day P/L resets at UTC midnight). */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export const DAY_MS = 86_400_000;

/** Start of the UTC day `ms` belongs to (ms since the epoch); numeric, no date formatting. */
export const utcDayStart = (ms: number): number => ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
