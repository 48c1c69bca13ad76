/** Seed 001's scanner snapshot (POST /api/scanner/scan/{preset}, GET /api/scanner/last). */
export interface ScanLevel {
  type: 'support' | 'resistance';
  price: number;
  /** 0..1: more touches, more recent and tighter clusters are stronger. */
  strength: number;
  touches: number;
}

export interface ScanCandidate {
  symbol: string;
  /** Weighted score in 0..1 from the preset's score_weights. */
  score: number;
  rank: number;
  filters: Record<string, boolean>;
  metrics: Record<string, number>;
  levels: ScanLevel[];
}

export interface ScannerSnapshot {
  timestamp: string;
  candidates: ScanCandidate[];
  totalScanned: number;
  passedFilters: number;
  summary: Record<string, unknown>;
}

/** Rolling market statistics per symbol (GET /api/scanner/market-data/{symbol}). */
export interface MarketStatsView {
  symbol: string;
  price: number;
  volume_24h_usd: number;
  trades_per_minute: number;
  atr_5m: number | null;
  atr_15m: number | null;
  timestamp: number;
}

/** The working phases of a bot, as seed 001's lifecycle names them. */
export type BotPhase = 'SCANNING' | 'LEVEL_BUILDING' | 'SIGNAL_WAIT' | 'SIZING' | 'EXECUTION' | 'MANAGING';
