/**
 * Wiring of seed 004's ensemble coordinator (config `ensemble.enabled`): a bot on the kernel of
 * the configured account (its orders go through that kernel's risk engine and execution), the
 * model servers of `ensemble.model_endpoints` over HTTP, its journal DATA_DIR/coordinator.db,
 * its WebSocket (own port and a path on the main port) and its metrics on their own port.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { HttpModelServerClient } from '../adapters/model-server-client.js';
import { SqliteCoordinatorStore } from '../adapters/store-sqlite/coordinator-store.js';
import { listenCoordinatorWs, listenMetrics, type Listening } from '../api/coordinator-servers.js';
import { EnsembleCoordinator, type CoordinatorSettings } from '../app/ensemble/coordinator.js';
import { CoordinatorMetrics } from '../app/ensemble/coordinator-metrics.js';
import { ProcessSampler, statusUpdate, welcomeMessage } from '../app/ensemble/coordinator-status.js';
import { CoordinatorStream } from '../app/ensemble/coordinator-stream.js';
import type { Clock } from '../core/clock.js';
import { matchInstrumentSymbol } from '../core/market-data.js';
import type { Scheduler } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import type { Strategy } from '../engine/strategy.js';
import { parseTimeframe } from '../ml/candles.js';
import { ConfigError } from './config.js';
import type { TradewindConfig } from './config-schema.js';
import { isLoopback } from './server.js';

export const COORDINATOR_BOT_ID = 'ensemble';

/** The coordinator's settings from the seed 004 sections; ConfigError names the key at fault. */
export function coordinatorSettings(config: TradewindConfig, symbols: readonly string[]): CoordinatorSettings {
  const { trading, ensemble, safety, timing, binance } = config;
  const symbol = matchInstrumentSymbol(trading.symbol, symbols);
  if (!symbol) throw new ConfigError(`trading.symbol: ${trading.symbol} is not a fed instrument (${symbols.join(', ')})`);
  try {
    parseTimeframe(trading.timeframe);
  } catch (e) {
    throw new ConfigError(`trading.timeframe: ${(e as Error).message}`);
  }
  const names = new Set<string>();
  for (const [i, m] of ensemble.model_endpoints.entries()) {
    if (names.has(m.name)) throw new ConfigError(`ensemble.model_endpoints[${i}].name: ${m.name} is used twice`);
    names.add(m.name);
  }
  const enabled = ensemble.model_endpoints.filter((m) => m.enabled).length;
  if (ensemble.enabled && enabled === 0) throw new ConfigError('ensemble.model_endpoints: no enabled model server');
  if (ensemble.min_responding_models > Math.max(enabled, 1)) {
    throw new ConfigError(`ensemble.min_responding_models: ${ensemble.min_responding_models} is more than the ${enabled} enabled model server(s)`);
  }
  if (trading.stop_loss_percent >= 1) throw new ConfigError('trading.stop_loss_percent: must be below 1 (a fraction: 0.02 = 2%)');
  return {
    botId: COORDINATOR_BOT_ID,
    symbol,
    requestSymbol: trading.symbol.replace(/[/_-]/g, '').toUpperCase(),
    timeframe: trading.timeframe,
    candles: ensemble.candles,
    dryRun: trading.dry_run,
    testnet: binance.testnet,
    maxOpenPositions: trading.max_open_positions,
    ensemble: { method: ensemble.method, threshold: ensemble.confidence_threshold, minResponding: ensemble.min_responding_models },
    sizing: { positionSizeFraction: trading.position_size_fraction, leverage: trading.leverage, stopLossPercent: trading.stop_loss_percent, takeProfitPercent: trading.take_profit_percent },
    safety: {
      maxDailyLossPercent: safety.max_daily_loss_percent,
      maxDailyLossUsd: safety.max_daily_loss_usd,
      consecutiveLosses: safety.circuit_breaker_consecutive_losses,
      cooldownMs: safety.circuit_breaker_cooldown_seconds * 1000,
      maxErrorRate: safety.max_error_rate,
      errorWindow: safety.error_rate_window,
      minModelsOnline: safety.min_models_online,
    },
    heartbeatMs: Math.round(timing.heartbeat_interval * 1000),
    healthCheckMs: Math.round(timing.health_check_interval * 1000),
  };
}

/** A strategy that only holds the coordinator's place on the kernel: its bar history and its orders' bot id. */
const placeholder = (symbol: string, barIntervalMs: number): Strategy => ({ name: 'ensemble', mode: 'ensemble', symbols: [symbol], barIntervalMs, onBar: () => {} });

export interface RunningCoordinator {
  coordinator: EnsembleCoordinator;
  stream: CoordinatorStream;
  metrics: CoordinatorMetrics;
  /** The main port's path of the stream. */
  path: string;
  /** Starts the loops and opens the own ports (after the main server listens). */
  start(): Promise<{ wsPort: number | null; metricsPort: number | null }>;
  close(): Promise<void>;
}

export function createCoordinator(o: {
  config: TradewindConfig;
  kernels: ReadonlyMap<string, Kernel>;
  dataDir: string;
  clock: Clock;
  scheduler: Scheduler;
  log: Logger;
  /** Its alerts (trades, circuit breaker) to the operator's chat (telegram.alert_levels). */
  notify?: (level: 'TRADE' | 'ERROR' | 'CIRCUIT_BREAKER' | 'WARNING', text: string) => void;
}): RunningCoordinator {
  const { config } = o;
  const e = config.ensemble;
  for (const [key, host] of [['ensemble.websocket_host', e.websocket_host], ['ensemble.metrics_host', e.metrics_host]] as const) {
    if (!isLoopback(host)) throw new ConfigError(`${key}: ${host} is not a loopback address; the coordinator's own ports have no authentication (use ${e.websocket_path} on the main port, behind operator access)`);
  }
  const accountId = config.trading.account || config.account.id;
  const kernel = o.kernels.get(accountId);
  if (!kernel) throw new ConfigError(`trading.account: no account ${accountId} (known: ${[...o.kernels.keys()].join(', ')})`);
  const settings = coordinatorSettings(config, config.feed.instruments.map((i) => i.symbol));
  const timeframeMs = parseTimeframe(config.trading.timeframe);
  const bot = kernel.addBot(COORDINATOR_BOT_ID, placeholder(settings.symbol, timeframeMs));
  const log = o.log.child({ component: 'coordinator' });
  const journal = new SqliteCoordinatorStore(join(o.dataDir, 'coordinator.db'));
  const metrics = new CoordinatorMetrics();
  // The model servers `tradewind start` runs (loopback, a configured port) get their API token; it is never sent elsewhere.
  const supervisedPorts = new Set(config.modelServers.servers.map((s) => s.port));
  const tokenFor = (host: string, port: number) => (config.modelServers.token && isLoopback(host) && supervisedPorts.has(port) ? { token: config.modelServers.token } : {});
  const models = e.model_endpoints
    .filter((m) => m.enabled)
    .map((m) => ({
      client: new HttpModelServerClient({ name: m.name, url: `http://${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}`, clock: o.clock, timeoutMs: Math.round(config.timing.model_timeout * 1000), ...tokenFor(m.host, m.port) }),
      weight: m.weight,
    }));
  const candles = () => kernel.data.history(settings.symbol, timeframeMs);
  const lastPrice = () => kernel.data.lastPrice(settings.symbol);
  const volume24h = () => kernel.data.marketStats(settings.symbol, o.clock.now())?.volume_24h_usd ?? null;
  const coordinator = new EnsembleCoordinator({
    clock: o.clock,
    scheduler: o.scheduler,
    settings,
    models,
    journal,
    metrics,
    candles,
    lastPrice,
    volume24h,
    account: () => kernel.portfolio.view(),
    position: () => bot.context.position(settings.symbol),
    // The kernel's order entry (Kernel.submit, source bot): the bot's risk check, the account-wide checks, then execution.
    submitOrder: (intent) => bot.context.enter(intent),
    ...(o.notify ? { notify: o.notify } : {}),
    closePosition: (reason) => bot.context.exit(settings.symbol, reason),
    onEvent: (listener) => kernel.bus.onAny(listener),
    log: (level, message, fields) => log[level](fields ?? {}, message),
  });
  const sampler = new ProcessSampler();
  const stream = new CoordinatorStream({
    clock: o.clock,
    scheduler: o.scheduler,
    everyMs: Math.round(config.timing.status_interval * 1000),
    welcome: () => welcomeMessage(o.clock),
    status: (clients) => statusUpdate({ clock: o.clock, coordinator, journal, candles, lastPrice, volume24h, process: sampler }, clients),
    maxBufferedBytes: config.stream.maxClientBufferBytes,
  });
  const listening: Listening[] = [];
  return {
    coordinator,
    stream,
    metrics,
    path: e.websocket_path,
    async start() {
      coordinator.start();
      stream.start();
      const ws = e.websocket_port > 0 ? await listenCoordinatorWs(stream, e.websocket_host, e.websocket_port) : null;
      if (ws) listening.push(ws);
      const m = e.metrics_port > 0 ? await listenMetrics(metrics, e.metrics_host, e.metrics_port) : null;
      if (m) listening.push(m);
      log.info({ ws: ws?.port ?? null, metrics: m?.port ?? null }, 'coordinator listening');
      return { wsPort: ws?.port ?? null, metricsPort: m?.port ?? null };
    },
    async close() {
      coordinator.stop();
      stream.close();
      for (const l of listening.splice(0)) await l.close();
      for (const m of models) m.client.close();
      journal.close();
    },
  };
}
