import { DEFAULT_SIM_INSTRUMENTS } from '../adapters/feed-sim.js';
import { NOTIFY_KINDS } from '../app/notifications.js';
import type { TradewindConfig } from './config-schema.js';
import { defaultEnsembleSections } from './config-ensemble.js';
import { BAR_HISTORY_CAPACITY } from '../engine/bar-history.js';
import { DEFAULT_ACCOUNT_LEVERAGE, DEFAULT_ACCOUNT_LIMITS, DEFAULT_RISK } from '../engine/risk-engine.js';

/** Embedded defaults: SQLite in ./data, simulated market, paper account, demo bot on. */
export const defaultConfig = (): TradewindConfig => ({
  // Same origin only (the Vite dev server proxies /api and /ws, so its pages are same-origin too).
  server: { host: '127.0.0.1', port: 8000, portSearch: 10, corsOrigins: [], trustProxy: false },
  dataDir: './data',
  storage: 'sqlite',
  database: { url: '', schema: 'public' },
  redis: { url: '', keyPrefix: 'tradewind:', instanceId: '', streamMaxLen: 10_000 },
  cluster: { enabled: false, advertiseUrl: '', leaseTtlMs: 5_000 },
  presetsDir: '',
  rateLimit: { enabled: true, allowList: [], groups: defaultRateGroups() },
  tradingView: { secret: '', assets: ['ES', 'NQ'], barSource: 'auto', barSourceByAsset: {}, fallbackAfterSeconds: 60 },
  engine: { autoStartPreset: '', heartbeatMs: 10_000 },
  log: { level: 'info', file: true, maxFileMb: 50, keepFiles: 5 },
  auth: { apiTokens: [], password: '', passwordHash: '', sessionTtlHours: 12, maxLoginFailures: 5 },
  feed: {
    kind: 'sim',
    seed: null,
    tickIntervalMs: 250,
    historyBars: BAR_HISTORY_CAPACITY,
    instruments: DEFAULT_SIM_INSTRUMENTS.map((i) => ({ ...i })),
    // kind: ccxt (README "Live market data").
    exchange: 'binanceusdm',
    symbols: {},
    sandbox: false,
    urls: {},
    channels: ['trades', 'ohlcv'],
    timeframe: '1m',
    pollIntervalMs: 2_000,
    reconnectMinMs: 500,
    reconnectMaxMs: 30_000,
    pollAfterFailures: 3,
    wsRetryMs: 60_000,
  },
  account: { id: 'paper', currency: 'USD', startingBalance: 100_000, leverage: DEFAULT_ACCOUNT_LEVERAGE },
  paper: {
    fees: {
      crypto: { takerRate: 0.0004, makerRate: 0.0002, perContract: 0 },
      futures: { takerRate: 0, makerRate: 0, perContract: 2.25 },
    },
    slippageTicks: 1,
    maxVolumeShare: null,
  },
  // The live defaults are the backtests' too (src/engine/risk-engine.ts DEFAULT_RISK, DEFAULT_ACCOUNT_LIMITS).
  risk: {
    ...DEFAULT_RISK,
    ...DEFAULT_ACCOUNT_LIMITS,
    allowedInstruments: [],
    fillPriceBandPct: 10,
    maxFeePct: 1,
    // The futures desk and bridge accounts trade index futures on day margin: more leverage.
    accounts: { renko: { maxGrossLeverage: 20, maxNetLeverage: 20 }, bridge: { maxGrossLeverage: 20, maxNetLeverage: 20 } },
  },
  maxBot: { barIntervalMs: 60_000 },
  demoBot: {
    enabled: true,
    accountId: 'demo',
    symbols: ['BTC/USDT', 'ETH/USDT', 'ES', 'NQ'],
    barIntervalMs: 2_000,
    fast: 5,
    slow: 12,
    stopAtr: 4,
    targetAtr: 0,
    longOnly: false,
  },
  marketData: { importDir: '', maxUploadBytes: 300 * 1024 * 1024, batchSize: 0 },
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
  accounts: [],
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
  modelServers: {
    enabled: 'auto',
    host: '127.0.0.1',
    servers: [1, 2, 3, 4].map((n) => ({ name: `model-${n}`, port: 8000 + n, model: '' })),
    healthIntervalMs: 2_000,
    timeoutMs: 1_000,
    restartMinMs: 500,
    restartMaxMs: 30_000,
    resetAfterMs: 60_000,
    token: '',
  },
  ...defaultEnsembleSections(),
  telegram: {
    enabled: false,
    tokenEnv: 'TELEGRAM_BOT_TOKEN',
    apiBaseUrl: 'https://api.telegram.org',
    chatIds: [],
    chat_id: '',
    bot_token: '',
    notify: [...NOTIFY_KINDS],
    commands: true,
    confirmTimeoutSeconds: 60,
    pollTimeoutSeconds: 25,
    perChatIntervalMs: 1_000,
    globalPerSecond: 30,
    bot_token_env: '',
    chat_id_env: '',
    alert_levels: ['TRADE', 'ERROR', 'CIRCUIT_BREAKER', 'WARNING'],
  },
  stream: { refreshMs: 1_000, scanIntervalMs: 5_000, maxClientBufferBytes: 1_048_576, pingIntervalMs: 30_000, maxClientMessagesPerSecond: 20 },
});

/**
 * Rate-limit groups (README "Rate limits"). Anonymous callers are counted per address in the group
 * of the route; an operator's session or token has its own budget (`operator`), keyed by the
 * session or token, sized for several dashboard tabs; bridge and webhook routes have theirs.
 * test/unit/rate-budget.test.ts checks these against the dashboard's, a bridge's and TradingView's
 * demand per minute.
 */
export const defaultRateGroups = (): TradewindConfig['rateLimit']['groups'] => ({
  // Seed 001: 100 requests a minute with a 10 a second burst (state-changing operator routes).
  control: { max: 100, windowMs: 60_000, burstPerSecond: 10 },
  // Seed 002 HFT reads: 1000 a minute (every operator GET, the /ws upgrade included).
  reads: { max: 1_000, windowMs: 60_000, burstPerSecond: 0 },
  // Seed 002 batch: 100 a minute (backtests, Max backtests and bot starts).
  batch: { max: 100, windowMs: 60_000, burstPerSecond: 0 },
  // Seed 002 uploads: 10 an hour.
  uploads: { max: 10, windowMs: 3_600_000, burstPerSecond: 0 },
  // Login and logout, on top of the failed-login throttle (auth.maxLoginFailures in 15 minutes).
  login: { max: 100, windowMs: 60_000, burstPerSecond: 10 },
  // Health, docs, the dashboard's files, auth status.
  open: { max: 1_200, windowMs: 60_000, burstPerSecond: 0 },
  // An operator's session or API token: every control and read route.
  operator: { max: 6_000, windowMs: 60_000, burstPerSecond: 0 },
  // The execution bridge's routes (bridge secret), per address.
  bridge: { max: 1_200, windowMs: 60_000, burstPerSecond: 0 },
  // TradingView webhooks (webhook secret), per address: 20 a second sustained.
  webhook: { max: 1_200, windowMs: 60_000, burstPerSecond: 0 },
});
