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
