import Type from 'typebox';

/*
 * Seed 004's configuration sections (the ensemble coordinator): `trading`, `ensemble`, `safety`,
 * `timing`, `binance`, `telegram`. Keys inside them are snake_case as in the seed project's
 * config.yaml, so such a file is accepted as it is; config.yaml.example at the repository root
 * annotates every key. Times in these sections are in seconds, as there.
 */

const strict = { additionalProperties: false } as const;
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });
const Fraction = (o: { exclusiveMinimum?: number; minimum?: number; maximum?: number }) => Type.Number(o);

const ModelEndpoint = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** Its vote's weight in the ensemble (0 counts it as online but without a say). */
    weight: Type.Number({ minimum: 0, maximum: 100 }),
    enabled: Type.Boolean(),
  },
  strict,
);

export const ENSEMBLE_SECTIONS = {
  trading: Type.Object(
    {
      /** The traded market as the seed writes it (BTCUSDT) or a Tradewind symbol (BTC/USDT). */
      symbol: Type.String({ minLength: 1 }),
      /** Account the coordinator trades on; '' = the main paper account (`account.id`). */
      account: Type.String({ pattern: '^([A-Za-z0-9_-]+)?$' }),
      /** Candle length sent to the model servers (and of the features), e.g. 1m, 5m. */
      timeframe: Type.String({ pattern: '^[0-9]+[smhd]$' }),
      leverage: Type.Number({ minimum: 1, maximum: 125 }),
      /** Notional of one entry as a share of equity (times leverage). */
      position_size_fraction: Fraction({ exclusiveMinimum: 0, maximum: 1 }),
      max_open_positions: Type.Integer({ minimum: 1, maximum: 10 }),
      /** Stop loss and take profit distances from the entry price, as fractions (0.02 = 2%). */
      stop_loss_percent: Fraction({ exclusiveMinimum: 0, maximum: 0.5 }),
      take_profit_percent: Fraction({ exclusiveMinimum: 0, maximum: 5 }),
      /** Decide and report, but send no order. */
      dry_run: Type.Boolean(),
    },
    strict,
  ),
  ensemble: Type.Object(
    {
      /** Run the coordinator with `tradewind start`. */
      enabled: Type.Boolean(),
      method: Type.Union([Type.Literal('weighted_average'), Type.Literal('majority_vote'), Type.Literal('confidence_weighted')]),
      /** Smallest ensemble confidence (0-1) that opens a trade. */
      confidence_threshold: Fraction({ minimum: 0, maximum: 1 }),
      /** Fewer answering models than this: hold. */
      min_responding_models: Type.Integer({ minimum: 1, maximum: 64 }),
      /** Candles sent with each prediction request (at least what the models' features need). */
      candles: Type.Integer({ minimum: 2, maximum: 2000 }),
      model_endpoints: Type.Array(ModelEndpoint, { maxItems: 64 }),
      /** The coordinator's own WebSocket (welcome + status_update); loopback only, 0 = none. */
      websocket_host: Type.String({ minLength: 1 }),
      websocket_port: Type.Integer({ minimum: 0, maximum: 65535 }),
      /** The same stream on the main port (operator access). */
      websocket_path: Type.String({ pattern: '^/[A-Za-z0-9/_-]*$' }),
      /** Prometheus text of the coordinator's metrics at http://metrics_host:metrics_port/metrics; 0 = none. */
      metrics_host: Type.String({ minLength: 1 }),
      metrics_port: Type.Integer({ minimum: 0, maximum: 65535 }),
    },
    strict,
  ),
  safety: Type.Object(
    {
      /** Realised loss of the UTC day, as a share of the day's starting equity, that trips the breaker (0 = off). */
      max_daily_loss_percent: Fraction({ minimum: 0, maximum: 1 }),
      /** The same in account currency (0 = off). */
      max_daily_loss_usd: Type.Number({ minimum: 0 }),
      /** Losing trades in a row that trip the breaker (0 = off). */
      circuit_breaker_consecutive_losses: Type.Integer({ minimum: 0, maximum: 1000 }),
      /** How long the consecutive-loss trip lasts. */
      circuit_breaker_cooldown_seconds: Type.Number({ minimum: 0, maximum: 7 * 86_400 }),
      /** Share of failed model requests over the last `error_rate_window` heartbeats that trips it (1 = off). */
      max_error_rate: Fraction({ exclusiveMinimum: 0, maximum: 1 }),
      error_rate_window: Type.Integer({ minimum: 1, maximum: 10_000 }),
      /** Fewer model servers online than this trips it. */
      min_models_online: Type.Integer({ minimum: 0, maximum: 64 }),
    },
    strict,
  ),
  timing: Type.Object(
    {
      /** Seconds between decision cycles. */
      heartbeat_interval: Type.Number({ minimum: 0.05, maximum: 86_400 }),
      /** Seconds a model server has to answer one request. */
      model_timeout: Type.Number({ minimum: 0.01, maximum: 120 }),
      /** Seconds between GET /health of every model server. */
      health_check_interval: Type.Number({ minimum: 0.05, maximum: 86_400 }),
      /** Seconds between two status_update messages. */
      status_interval: Type.Number({ minimum: 0.05, maximum: 86_400 }),
    },
    strict,
  ),
  binance: Type.Object(
    {
      /** Binance USD-M testnet (the seed's default) rather than mainnet; shown as `testnet` in status_update. */
      testnet: Type.Boolean(),
      testnet_base_url: Type.String({ pattern: '^https?://' }),
      production_base_url: Type.String({ pattern: '^https?://' }),
      /** Names of the environment variables holding the credentials (never the keys themselves). */
      api_key_env: EnvName,
      api_secret_env: EnvName,
      rate_limit_per_minute: Type.Integer({ minimum: 1, maximum: 100_000 }),
    },
    strict,
  ),
};

export const defaultEnsembleSections = () => ({
  trading: {
    symbol: 'BTCUSDT',
    account: '',
    timeframe: '1m',
    leverage: 1,
    position_size_fraction: 0.1,
    max_open_positions: 1,
    stop_loss_percent: 0.02,
    take_profit_percent: 0.05,
    dry_run: false,
  },
  ensemble: {
    enabled: false,
    method: 'weighted_average' as const,
    confidence_threshold: 0.6,
    min_responding_models: 2,
    candles: 100,
    model_endpoints: [1, 2, 3, 4].map((n) => ({ name: `model-${n}`, host: '127.0.0.1', port: 8000 + n, weight: 1, enabled: true })),
    websocket_host: '127.0.0.1',
    websocket_port: 8765,
    websocket_path: '/ws/coordinator',
    metrics_host: '127.0.0.1',
    metrics_port: 9090,
  },
  safety: {
    max_daily_loss_percent: 0.05,
    max_daily_loss_usd: 0,
    circuit_breaker_consecutive_losses: 5,
    circuit_breaker_cooldown_seconds: 3600,
    max_error_rate: 0.5,
    error_rate_window: 20,
    min_models_online: 2,
  },
  timing: { heartbeat_interval: 60, model_timeout: 5, health_check_interval: 30, status_interval: 60 },
  binance: {
    testnet: true,
    testnet_base_url: 'https://testnet.binancefuture.com',
    production_base_url: 'https://fapi.binance.com',
    api_key_env: 'BINANCE_API_KEY',
    api_secret_env: 'BINANCE_API_SECRET',
    rate_limit_per_minute: 1200,
  },
});
