/** A trade print from a feed. */
export interface Tick {
  symbol: string;
  ts: number;
  price: number;
  /** Traded volume of this print (units or contracts). */
  size: number;
  /** Number of exchange trades aggregated into this print. */
  trades: number;
}

/** A venue's top of book and last price (a ticker update); null where the venue sent none. */
export interface Quote {
  symbol: string;
  ts: number;
  bid: number | null;
  ask: number | null;
  last: number | null;
}

/** A time bar; `start` is the bar's open time, `intervalMs` its length. */
export interface Bar {
  symbol: string;
  start: number;
  intervalMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}
