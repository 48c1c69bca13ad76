import Type, { type Static } from 'typebox';
import { ENSEMBLE_SECTIONS } from './config-ensemble.js';

const FeeSchedule = Type.Object(
  {
    takerRate: Type.Number({ minimum: 0, maximum: 0.01 }),
    makerRate: Type.Number({ minimum: -0.001, maximum: 0.01 }),
    perContract: Type.Number({ minimum: 0, maximum: 100 }),
  },
  { additionalProperties: false },
);

const SimInstrument = Type.Object(
  {
    symbol: Type.String({ minLength: 1 }),
    startPrice: Type.Number({ exclusiveMinimum: 0 }),
    annualVol: Type.Number({ exclusiveMinimum: 0, maximum: 5 }),
    meanSize: Type.Number({ exclusiveMinimum: 0 }),
    meanTrades: Type.Number({ minimum: 1 }),
  },
  { additionalProperties: false },
);

const strict = { additionalProperties: false } as const;

// The kinds of src/app/notifications.ts NOTIFY_KINDS.
const NotifyKind = Type.Union([
  Type.Literal('fills'),
  Type.Literal('risk'),
  Type.Literal('kill-switch'),
  Type.Literal('daily-stop'),
  Type.Literal('venue'),
  Type.Literal('reconciliation'),
  Type.Literal('halts'),
]);
const ChatId = Type.Union([Type.Integer(), Type.String({ pattern: '^-?[0-9]+$' })]);

const BarSourceSchema = Type.Union([Type.Literal('tradingview'), Type.Literal('feed'), Type.Literal('both')]);
const BarSourceOrAuto = Type.Union([Type.Literal('auto'), Type.Literal('tradingview'), Type.Literal('feed'), Type.Literal('both')]);
/** One rate-limit group: `max` requests per `windowMs` per client, and at most `burstPerSecond` in one second (0 = no burst cap). */
const RateGroup = Type.Object(
  {
    max: Type.Integer({ minimum: 1 }),
    windowMs: Type.Integer({ minimum: 100, maximum: 86_400_000 }),
    burstPerSecond: Type.Integer({ minimum: 0 }),
  },
  strict,
);

const AccountId = Type.String({ minLength: 1, maxLength: 16, pattern: '^[A-Za-z0-9_-]+$' });
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });
/** Per-account overrides of the `risk` block. */
const RiskOverride = Type.Partial(
  Type.Object(
    {
      riskPerTrade: Type.Number({ exclusiveMinimum: 0, maximum: 0.1 }),
      maxOpenPositions: Type.Integer({ minimum: 1, maximum: 100 }),
      maxLeverage: Type.Number({ exclusiveMinimum: 0, maximum: 125 }),
      fillPriceBandPct: Type.Number({ minimum: 0, maximum: 1000 }),
      maxFeePct: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    },
    strict,
  ),
);
const PaperAccountEntry = Type.Object(
  {
    id: AccountId,
    kind: Type.Literal('paper'),
    currency: Type.Optional(Type.String({ minLength: 1 })),
    startingBalance: Type.Number({ exclusiveMinimum: 0 }),
    risk: Type.Optional(RiskOverride),
  },
  strict,
);
/** The seed 003 bridge account: listing it here switches the `bridge` block on under this id. */
const BridgeAccountEntry = Type.Object({ id: AccountId, kind: Type.Literal('bridge') }, strict);
const CcxtInstrument = Type.Object(
  {
    /** The venue's ccxt symbol (BTC/USDT:USDT); default: the kernel symbol with its settle currency. */
    market: Type.Optional(Type.String({ minLength: 1 })),
    /** Set at the venue when the account connects (POST /fapi/v1/leverage). */
    leverage: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
    /** Set at the venue when the account connects (POST /fapi/v1/marginType). */
    marginType: Type.Optional(Type.Union([Type.Literal('isolated'), Type.Literal('cross')])),
  },
  strict,
);
/**
 * An exchange account through ccxt. Credentials are read from the environment variables named
 * here, never from the file (a key named apiKey or secret in the file is refused).
 */
const CcxtAccountEntry = Type.Object(
  {
    id: AccountId,
    kind: Type.Literal('ccxt'),
    /** A ccxt exchange id: binanceusdm (first-class), or any other ccxt supports. */
    exchange: Type.String({ minLength: 1, pattern: '^[a-z0-9]+$' }),
    /** ccxt's defaultType: swap (perpetual futures), future, spot, margin. */
    marketType: Type.Union([Type.Literal('swap'), Type.Literal('future'), Type.Literal('spot'), Type.Literal('margin')]),
    /** testnet = ccxt's sandbox URLs (DEMO); mainnet = real money (LIVE). */
    environment: Type.Union([Type.Literal('testnet'), Type.Literal('mainnet')]),
    apiKeyEnv: EnvName,
    secretEnv: EnvName,
    /** Some exchanges need a passphrase too (OKX, KuCoin). */
    passwordEnv: Type.Optional(EnvName),
    currency: Type.String({ minLength: 1 }),
    /** The journal's starting balance; the venue's wallet is compared with it by reconciliation. */
    startingBalance: Type.Number({ exclusiveMinimum: 0 }),
    /** Kernel symbol (BTC/USDT) -> venue market, leverage and margin type. */
    instruments: Type.Record(Type.String({ minLength: 1 }), CcxtInstrument),
    risk: Type.Optional(RiskOverride),
    /** A venue order no journal order stands for: report it, adopt it into the journal, or cancel it. */
    unknownOrders: Type.Union([Type.Literal('report'), Type.Literal('adopt'), Type.Literal('cancel')]),
    /** How often open orders, positions, balances and recent fills are reconciled (besides start and reconnects). */
    reconcileSeconds: Type.Number({ minimum: 1, maximum: 86_400 }),
    /** Wallet differences up to this much are not reported. */
    balanceTolerance: Type.Number({ minimum: 0 }),
    /** ccxt's request timeout. */
    timeoutMs: Type.Integer({ minimum: 500, maximum: 120_000 }),
    /** Binance's recvWindow: a request older than this is refused by the venue, so a lost order is known lost after it. */
    recvWindowMs: Type.Integer({ minimum: 1000, maximum: 60_000 }),
    /** Network errors and 5xx: attempts per request, exponential backoff from backoffMs. */
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
    backoffMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
    /**
     * ccxt's rate limiter (always on) as a rolling window of this length: the requests of any such
     * window cost at most windowMs / ccxt's rateLimit of ccxt's cost units (binanceusdm: 1,200 a
     * minute; a market order costs 4). Idle time is credited, a burst over the budget is spaced.
     */
    rateLimitWindowMs: Type.Integer({ minimum: 1000, maximum: 600_000 }),
    /** Fills from the user-data stream (watchMyTrades/watchOrders); REST polling always backs it up. */
    userStream: Type.Boolean(),
    /** Advanced: ccxt `urls.api` override (a test venue on loopback). Empty: ccxt's own URLs. */
    urls: Type.Record(Type.String(), Type.Unknown()),
  },
  strict,
);
const AccountEntry = Type.Union([PaperAccountEntry, BridgeAccountEntry, CcxtAccountEntry]);
/** Each kind's own schema: a union's errors name no key, so entries are also checked one by one. */
export const ACCOUNT_SCHEMAS = { paper: PaperAccountEntry, bridge: BridgeAccountEntry, ccxt: CcxtAccountEntry } as const;
export type PaperAccountConfig = Static<typeof PaperAccountEntry>;
export type CcxtAccountConfig = Static<typeof CcxtAccountEntry>;
export type AccountEntryConfig = Static<typeof AccountEntry>;

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        /** How many ports after `port` to try when it is taken (8000-8009 by default). */
        portSearch: Type.Integer({ minimum: 1, maximum: 100 }),
        /**
         * Origins besides the server's own that browsers may call from (CORS, with credentials)
         * and that may make cookie-authenticated state changes. Empty: same origin only.
         */
        corsOrigins: Type.Array(Type.String({ pattern: '^https?://[^/]+$' })),
        /**
         * Fastify's trustProxy: behind a TLS reverse proxy, true (or the proxy's addresses) makes
         * X-Forwarded-For/-Proto/-Host count, so client addresses, https and the origin are right.
         */
        trustProxy: Type.Union([Type.Boolean(), Type.String({ minLength: 1 }), Type.Integer({ minimum: 1 }), Type.Array(Type.String({ minLength: 1 }))]),
      },
      strict,
    ),
    dataDir: Type.String({ minLength: 1 }),
    /** Where the journal and market data live: SQLite files in dataDir (default) or PostgreSQL (docs/STORAGE.md). */
    storage: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
    /** PostgreSQL, used when storage is postgres: the connection URL (DATABASE_URL) and the schema holding Tradewind's tables. */
    database: Type.Object({ url: Type.String(), schema: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' }) }, strict),
    /**
     * Redis (README "Redis (optional)"): the seed 002 caches shared between API instances, the
     * health check's Redis probe and the /ws event fan-out between instances. url '' (default) = no
     * Redis; instanceId '' = generated at start (host:pid:random).
     */
    redis: Type.Object(
      {
        url: Type.String(),
        keyPrefix: Type.String({ maxLength: 64 }),
        instanceId: Type.String({ pattern: '^[A-Za-z0-9_.:-]{0,64}$' }),
        streamMaxLen: Type.Integer({ minimum: 100 }),
      },
      strict,
    ),
    /**
     * One leader per account over several instances (docs/SCALE-OUT.md): needs storage postgres and
     * redis.url. The instance holding the Redis lease runs the kernels; the others serve reads from
     * the store and forward commands to it. advertiseUrl '' = http://127.0.0.1:<port>.
     */
    cluster: Type.Object(
      {
        enabled: Type.Boolean(),
        advertiseUrl: Type.String({ pattern: '^(https?://[^/]+)?$' }),
        leaseTtlMs: Type.Integer({ minimum: 1_000, maximum: 60_000 }),
      },
      strict,
    ),
    /** Preset JSON files; empty means DATA_DIR/presets (seeded from the shipped presets/). */
    presetsDir: Type.String(),
    /** Rate limits per route group (src/api/rate-limits.ts; README "Rate limits"). */
    rateLimit: Type.Object(
      {
        enabled: Type.Boolean(),
        /** Client addresses never limited. */
        allowList: Type.Array(Type.String()),
        groups: Type.Object(
          {
            control: RateGroup,
            reads: RateGroup,
            batch: RateGroup,
            uploads: RateGroup,
            login: RateGroup,
            open: RateGroup,
            operator: RateGroup,
            bridge: RateGroup,
            webhook: RateGroup,
          },
          strict,
        ),
      },
      strict,
    ),
    tradingView: Type.Object(
      {
        /** TV_WEBHOOK_SECRET: required in every webhook body; empty disables the webhooks. */
        secret: Type.String(),
        assets: Type.Array(Type.String({ minLength: 1 })),
        /**
         * Where the desk's Renko bars and heartbeats come from (src/app/tradingview-desk.ts
         * BarSource): 'auto' = 'tradingview' when a webhook secret is set, else 'feed'.
         */
        barSource: BarSourceOrAuto,
        /** Per-asset override of barSource, e.g. { NQ: both }. */
        barSourceByAsset: Type.Record(Type.String({ minLength: 1 }), BarSourceSchema),
        /** 'both': seconds TradingView may be silent for an asset before the feed fills in. */
        fallbackAfterSeconds: Type.Number({ minimum: 1, maximum: 86_400 }),
      },
      strict,
    ),
    engine: Type.Object(
      {
        /** Start the primary bot with this preset at launch ('' = stay IDLE). */
        autoStartPreset: Type.String(),
        heartbeatMs: Type.Integer({ minimum: 1000 }),
      },
      strict,
    ),
    log: Type.Object(
      {
        level: Type.Union([Type.Literal('trace'), Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('silent')]),
        file: Type.Boolean(),
        /** DATA_DIR/logs/tradewind.log is rotated past this many MB (0 = never). */
        maxFileMb: Type.Number({ minimum: 0, maximum: 100_000 }),
        /** Rotated log files kept (tradewind.log.1 ... .N). */
        keepFiles: Type.Integer({ minimum: 1, maximum: 100 }),
      },
      strict,
    ),
    auth: Type.Object(
      {
        /** Bearer tokens accepted on /api and /ws; none means open routes (loopback only). */
        apiTokens: Type.Array(Type.String({ minLength: 16 })),
        /** Operator password (env DASHBOARD_PASSWORD); hashed with scrypt at start, never stored. */
        password: Type.String(),
        /** Or its scrypt hash (`tradewind hash-password`), so the file holds no secret. */
        passwordHash: Type.String(),
        sessionTtlHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90 }),
        maxLoginFailures: Type.Integer({ minimum: 1, maximum: 1000 }),
      },
      strict,
    ),
    /**
     * Market data: `sim` (default) the seeded simulated feed (seed, tickIntervalMs, instruments);
     * `ccxt` a venue's live data through ccxt (README "Live market data"; the other keys).
     */
    feed: Type.Object(
      {
        kind: Type.Union([Type.Literal('sim'), Type.Literal('ccxt')]),
        /** Null: a new path on each start (the start time); a number: the same ticks every start. */
        seed: Type.Union([Type.Null(), Type.Integer()]),
        tickIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
        /** Closed bars each account's kernel keeps in memory per symbol and interval (strategies, /api/bars, the charts). */
        historyBars: Type.Integer({ minimum: 50, maximum: 100_000 }),
        instruments: Type.Array(SimInstrument, { minItems: 1 }),
        /** ccxt exchange id (ccxt.pro for WebSocket streams), e.g. binanceusdm. */
        exchange: Type.String({ minLength: 1 }),
        /** Kernel symbol -> the venue's ccxt symbol, e.g. {"BTC/USDT": "BTC/USDT:USDT"}. */
        symbols: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 })),
        /** The venue's testnet (ccxt sandbox mode). */
        sandbox: Type.Boolean(),
        /** Replacement for ccxt's `urls.api` (a loopback venue in tests); empty = the venue's own. */
        urls: Type.Record(Type.String(), Type.Unknown()),
        channels: Type.Array(Type.Union([Type.Literal('trades'), Type.Literal('ohlcv'), Type.Literal('ticker')]), { minItems: 1, uniqueItems: true }),
        /** The venue candles' timeframe (channel ohlcv), e.g. 1m. */
        timeframe: Type.String({ pattern: '^[0-9]+[smhdwM]$' }),
        pollIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
        reconnectMinMs: Type.Integer({ minimum: 10, maximum: 600_000 }),
        reconnectMaxMs: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
        /** WebSocket failures in a row after which a channel polls REST. */
        pollAfterFailures: Type.Integer({ minimum: 1, maximum: 100 }),
        /** While polling, how often the WebSocket is tried again. */
        wsRetryMs: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
      },
      strict,
    ),
    account: Type.Object(
      {
        id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_-]+$' }),
        currency: Type.String({ minLength: 1 }),
        startingBalance: Type.Number({ exclusiveMinimum: 0 }),
        leverage: Type.Number({ minimum: 1, maximum: 125 }),
      },
      strict,
    ),
    paper: Type.Object(
      {
        fees: Type.Object({ crypto: FeeSchedule, futures: FeeSchedule }, strict),
        slippageTicks: Type.Integer({ minimum: 0, maximum: 100 }),
        /**
         * Volume cap of the paper accounts' simulated fills: a tick (or bar) fills at most this
         * share of its volume, the rest of an order stays working (partial fills). Null: no cap.
         */
        maxVolumeShare: Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0, maximum: 1 })]),
      },
      strict,
    ),
    risk: Type.Object(
      {
        riskPerTrade: Type.Number({ exclusiveMinimum: 0, maximum: 0.1 }),
        maxOpenPositions: Type.Integer({ minimum: 1, maximum: 100 }),
        maxLeverage: Type.Number({ exclusiveMinimum: 0, maximum: 125 }),
        /** A reported fill more than this percentage from the last price is refused (0 = no band). */
        fillPriceBandPct: Type.Number({ minimum: 0, maximum: 1000 }),
        /** A reported fill whose fee is more than this percentage of its notional value is refused. */
        maxFeePct: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
        // Account-wide checks (every order of every source; README "Risk checks").
        maxGrossLeverage: Type.Number({ exclusiveMinimum: 0, maximum: 125 }),
        maxNetLeverage: Type.Number({ exclusiveMinimum: 0, maximum: 125 }),
        maxOpenPositionsPerAccount: Type.Integer({ minimum: 1, maximum: 1000 }),
        dailyLossLimitPct: Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0, maximum: 100 })]),
        maxOrdersPerMinute: Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 100_000 })]),
        allowedInstruments: Type.Array(Type.String({ minLength: 1 })),
        marginCheck: Type.Boolean(),
        /** Per account id: overrides of the account-wide limits above (a futures desk's leverage). */
        accounts: Type.Record(
          Type.String(),
          Type.Object(
            {
              maxGrossLeverage: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 125 })),
              maxNetLeverage: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 125 })),
              maxOpenPositionsPerAccount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              dailyLossLimitPct: Type.Optional(Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0, maximum: 100 })])),
              maxOrdersPerMinute: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 100_000 })])),
              allowedInstruments: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
              marginCheck: Type.Optional(Type.Boolean()),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    /** Seed 002's Max bots (paper, on the engine's account). */
    maxBot: Type.Object({ barIntervalMs: Type.Integer({ minimum: 100 }) }, strict),
    demoBot: Type.Object(
      {
        enabled: Type.Boolean(),
        /** The demo bot's own paper account (not the engine's). */
        accountId: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$' }),
        symbols: Type.Array(Type.String(), { minItems: 1 }),
        barIntervalMs: Type.Integer({ minimum: 100 }),
        fast: Type.Integer({ minimum: 1 }),
        slow: Type.Integer({ minimum: 2 }),
        stopAtr: Type.Number({ exclusiveMinimum: 0 }),
        targetAtr: Type.Number({ minimum: 0 }),
        longOnly: Type.Boolean(),
      },
      strict,
    ),
    marketData: Type.Object(
      {
        /** Directory `file_path` uploads must be inside; empty means DATA_DIR/imports. */
        importDir: Type.String(),
        /** Largest uploaded file in bytes (seed 002: 300 MB). */
        maxUploadBytes: Type.Integer({ minimum: 1 }),
        /** Rows per import batch (one transaction and one progress event each); 0 = the store's own (SQLite 10,000, PostgreSQL ticks 50,000). */
        batchSize: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
      },
      strict,
    ),
    /** Seed 003 execution bridge: a second account whose orders an external process executes. */
    bridge: Type.Object(
      {
        enabled: Type.Boolean(),
        accountId: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_-]+$' }),
        /** BRIDGE_HEARTBEAT_SECRET; empty disables the bridge routes (403). */
        secret: Type.String(),
        /** How long a claim holds an order before another bridge may take it. */
        leaseSeconds: Type.Number({ minimum: 1, maximum: 3600 }),
        /** The bridge is offline (orders refused) when its last heartbeat is older than this. */
        heartbeatTimeoutSeconds: Type.Number({ minimum: 1, maximum: 3600 }),
        /** A WORKING order whose owner has not renewed its lease for this long past its expiry is flagged stale. */
        staleGraceSeconds: Type.Number({ minimum: 0, maximum: 86_400 }),
        env: Type.Union([Type.Literal('DEMO'), Type.Literal('LIVE')]),
        startingBalance: Type.Number({ exclusiveMinimum: 0 }),
        /** Kernel symbol -> the bridge's contract and exchange, e.g. ES: {contract: MESM6, exchange: CME}. */
        contracts: Type.Record(Type.String({ minLength: 1 }), Type.Object({ contract: Type.String({ minLength: 1 }), exchange: Type.String({ minLength: 1 }) }, strict)),
        /** POST /api/bridge/test-order (operator) places market orders on the bridge account. */
        allowTestOrders: Type.Boolean(),
      },
      strict,
    ),
    /**
     * Further accounts, each with its own kernel, risk limits and journal rows: paper, the bridge,
     * or exchange accounts through ccxt (README "Exchange accounts (ccxt)").
     */
    accounts: Type.Array(AccountEntry),
    /** Seed 003 Renko operator desk: its own paper account trading the assets' contracts. */
    renkoDesk: Type.Object(
      {
        enabled: Type.Boolean(),
        /**
         * Where the desk's orders go: 'paper' (its own paper account `accountId`) or 'bridge' (the
         * bridge account is the desk's account: its orders wait in the bridge queue; needs
         * bridge.enabled, a bridge secret and bridge.contracts for the desk's symbols).
         */
        broker: Type.Union([Type.Literal('paper'), Type.Literal('bridge')]),
        accountId: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_-]+$' }),
        startingBalance: Type.Number({ exclusiveMinimum: 0 }),
        /** Asset (TradingView name, priced by the feed symbol of that name) -> kernel instrument traded and its contract name. */
        assets: Type.Record(Type.String({ minLength: 1 }), Type.Object({ symbol: Type.String({ minLength: 1 }), contract: Type.String({ minLength: 1 }) }, strict)),
        /** Realised net loss of the UTC day that stops entries (account currency). */
        dailyStopUsd: Type.Number({ exclusiveMinimum: 0 }),
        dailyTradeLimit: Type.Integer({ minimum: 1, maximum: 1000 }),
        cooldownMinutes: Type.Number({ minimum: 0, maximum: 1440 }),
        exitLockSeconds: Type.Number({ minimum: 0, maximum: 3600 }),
        heartbeatMaxAgeMinutes: Type.Number({ exclusiveMinimum: 0, maximum: 1440 }),
        /** Contracts per entry for entry_size_mode 6pt and 9pt. */
        sizes: Type.Object({ '6pt': Type.Integer({ minimum: 1 }), '9pt': Type.Integer({ minimum: 1 }) }, strict),
        scalpTargetPoints: Type.Number({ exclusiveMinimum: 0 }),
        signalTpTarget: Type.Integer({ minimum: 1, maximum: 50 }),
        maxScaleIns: Type.Integer({ minimum: 0, maximum: 10 }),
        /** The bridge's P&L snapshots count unrealized P&L toward the daily stop (else realized only). */
        pnlSnapshotIncludesUnrealized: Type.Boolean(),
      },
      strict,
    ),
    /** Seed 004 model servers run and supervised by `tradewind start` (src/cli/model-servers.ts; README "Model servers"). */
    modelServers: Type.Object(
      {
        /** `auto` (the default): run them when the ensemble coordinator runs (`ensemble.enabled`). */
        enabled: Type.Union([Type.Boolean(), Type.Literal('auto')]),
        /** Address the model servers bind (loopback unless `token` is set). */
        host: Type.String({ minLength: 1 }),
        /** One child process each; an empty `model` serves the shipped models/model-N.txt (N = its position, 1-4). */
        servers: Type.Array(Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), port: Type.Integer({ minimum: 1, maximum: 65535 }), model: Type.String() }, strict), { minItems: 1, maxItems: 16 }),
        healthIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
        /** Per-request timeout of the health checks (and of the coordinator's predictions). */
        timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000 }),
        /** Restart backoff: first delay, doubled per quick death up to the max; reset after a run of resetAfterMs. */
        restartMinMs: Type.Integer({ minimum: 50 }),
        restartMaxMs: Type.Integer({ minimum: 50 }),
        resetAfterMs: Type.Integer({ minimum: 1000 }),
        /** Bearer token the model servers require on /predict, /feedback, /retrain (empty: none, loopback only). */
        token: Type.String(),
      },
      strict,
    ),
    /** Operator notifications and commands over a Telegram bot (README "Telegram notifications"; seed 004's `telegram` keys too). */
    telegram: Type.Object(
      {
        enabled: Type.Boolean(),
        /** The environment variable holding the bot token (never the file: the token is a password). */
        tokenEnv: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
        /** Bot API root; a loopback fake in tests. Plain http only on a loopback host. */
        apiBaseUrl: Type.String({ pattern: '^https?://' }),
        /** Chats notified and obeyed (private chat = the user's id; groups are negative). Others are ignored. */
        chatIds: Type.Array(ChatId),
        /** Seed 004's name for a single chat; joins chatIds. */
        chat_id: Type.Union([ChatId, Type.Literal('')]),
        /** Seed 004's name for the token: refused when set (use the environment variable `tokenEnv`). */
        bot_token: Type.String(),
        /** Which events are sent (README "Telegram notifications"). */
        notify: Type.Array(NotifyKind, { uniqueItems: true }),
        /** Obey /status, /positions, /pause and /emergency_stop from the chats (getUpdates long polling). */
        commands: Type.Boolean(),
        /** How long a /emergency_stop waits for its /confirm. */
        confirmTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 3600 }),
        pollTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 50 }),
        /** Least time between two messages to one chat (Telegram allows about one a second). */
        perChatIntervalMs: Type.Integer({ minimum: 100, maximum: 60_000 }),
        /** Most messages a second over all chats (Telegram: 30). */
        globalPerSecond: Type.Integer({ minimum: 1, maximum: 30 }),
        /** Seed 004's names: the environment variables of the token and of the chat id (empty: tokenEnv / chatIds). */
        bot_token_env: Type.Union([Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Literal('')]),
        chat_id_env: Type.Union([Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Literal('')]),
        /** Seed 004: which of the ensemble coordinator's alerts are sent. */
        alert_levels: Type.Array(
          Type.Union([Type.Literal('TRADE'), Type.Literal('ERROR'), Type.Literal('CIRCUIT_BREAKER'), Type.Literal('WARNING'), Type.Literal('DAILY_SUMMARY')]),
          { uniqueItems: true },
        ),
      },
      strict,
    ),
    stream: Type.Object(
      {
        refreshMs: Type.Integer({ minimum: 50, maximum: 60_000 }),
        scanIntervalMs: Type.Integer({ minimum: 100 }),
        /** A client whose unsent data passes this is skipped; ten times this, disconnected. */
        maxClientBufferBytes: Type.Integer({ minimum: 1024 }),
        pingIntervalMs: Type.Integer({ minimum: 1000 }),
        /** Messages a client may send per second (pings, subscribes) before it is disconnected. */
        maxClientMessagesPerSecond: Type.Integer({ minimum: 1, maximum: 10_000 }),
      },
      strict,
    ),
    /** Seed 004's coordinator sections: trading, ensemble, safety, timing, binance, telegram (src/cli/config-ensemble.ts). */
    ...ENSEMBLE_SECTIONS,
  },
  strict,
);

export type TradewindConfig = Static<typeof ConfigSchema>;
