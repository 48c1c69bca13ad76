/** Renko brick sizes in instrument points, with the seed 003 webhook that carries each. */
export const RENKO_SIZES = [1, 2.5, 4, 6, 8, 12] as const;
export type RenkoSize = (typeof RENKO_SIZES)[number];

export const RENKO_ROLES: Readonly<Record<RenkoSize, string>> = {
  1: 'visual',
  2.5: 'two_half',
  4: 'invalidation',
  6: 'main (tempo)',
  8: 'high (structure)',
  12: 'macro (structure)',
};

export type RenkoColor = 'green' | 'red';

export interface RenkoBar {
  asset: string;
  size: RenkoSize;
  color: RenkoColor;
  /** Unique per (asset, size): TradingView's bar_id, or a sequence for bricks built here. */
  barId: string;
  /** Brick bounds for bricks built from ticks; null for TradingView bars (colour only). */
  open: number | null;
  close: number | null;
  ts: number;
  source: 'tradingview' | 'ticks';
}
