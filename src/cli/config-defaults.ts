import { DEFAULT_SIM_INSTRUMENTS } from '../adapters/feed-sim.js';
import type { TradewindConfig } from './config-schema.js';

/** Embedded defaults: SQLite in ./data, simulated market, paper account, demo bot on. */
export const defaultConfig = (): TradewindConfig => ({
  server: { host: '127.0.0.1', port: 8000, portSearch: 10, corsOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'] },
  dataDir: './data',
  presetsDir: '',
  // Seed 001's recommendation: 100 requests a minute and 10 a second per address.
  rateLimit: { enabled: true, max: 100, windowMs: 60_000, burstPerSecond: 10, allowList: [] },
  tradingView: { secret: '', assets: ['ES', 'NQ'], barSource: 'auto', barSourceByAsset: {}, fallbackAfterSeconds: 60 },
  engine: { autoStartPreset: '', heartbeatMs: 10_000 },
  log: { level: 'info', file: true },
  auth: { apiTokens: [], password: '', passwordHash: '', sessionTtlHours: 12, maxLoginFailures: 5 },
  feed: { kind: 'sim', seed: 20260101, tickIntervalMs: 250, instruments: DEFAULT_SIM_INSTRUMENTS.map((i) => ({ ...i })) },
  account: { id: 'paper', currency: 'USD', startingBalance: 100_000, leverage: 10 },
  paper: {
    fees: {
      crypto: { takerRate: 0.0004, makerRate: 0.0002, perContract: 0 },
      futures: { takerRate: 0, makerRate: 0, perContract: 2.25 },
    },
    slippageTicks: 1,
    maxVolumeShare: null,
  },
  risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5, fillPriceBandPct: 10, maxFeePct: 1 },
  demoBot: {
    enabled: true,
    symbols: ['BTC/USDT', 'ETH/USDT', 'ES', 'NQ'],
    barIntervalMs: 2_000,
    fast: 5,
    slow: 12,
    stopAtr: 4,
    targetAtr: 0,
    longOnly: false,
  },
  marketData: { importDir: '', maxUploadBytes: 300 * 1024 * 1024, batchSize: 10_000 },
  bridge: {
    enabled: false,
    accountId: 'bridge',
    secret: '',
    leaseSeconds: 30,
    heartbeatTimeoutSeconds: 60,
    staleGraceSeconds: 30,
    env: 'DEMO',
    startingBalance: 50_000,
    // Set these to the contracts your bridge trades (front month).
    contracts: { ES: { contract: 'ESM6', exchange: 'CME' }, NQ: { contract: 'NQM6', exchange: 'CME' }, MES: { contract: 'MESM6', exchange: 'CME' }, MNQ: { contract: 'MNQM6', exchange: 'CME' } },
    allowTestOrders: false,
  },
  renkoDesk: {
    enabled: true,
    broker: 'paper',
    accountId: 'renko',
    startingBalance: 50_000,
    // The micro contracts, priced by the feed's ES and NQ (same index, 1/10 of the multiplier).
    assets: { ES: { symbol: 'MES', contract: 'MESM6' }, NQ: { symbol: 'MNQ', contract: 'MNQM6' } },
    dailyStopUsd: 500,
    dailyTradeLimit: 6,
    cooldownMinutes: 3,
    exitLockSeconds: 30,
    heartbeatMaxAgeMinutes: 10,
    // About 30 point-contracts of risk: 5 contracts for a 6-point stop, 3 for a 9-point one.
    sizes: { '6pt': 5, '9pt': 3 },
    scalpTargetPoints: 6,
    signalTpTarget: 3,
    maxScaleIns: 1,
    pnlSnapshotIncludesUnrealized: true,
  },
  stream: { refreshMs: 1_000, scanIntervalMs: 5_000, maxClientBufferBytes: 1_048_576, pingIntervalMs: 30_000 },
});
