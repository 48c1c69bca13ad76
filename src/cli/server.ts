import { mkdirSync } from 'node:fs';
import { assertWritableDataDir } from './data-dir.js';
import { nowUs } from '../adapters/broker-bridge.js';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { TimerScheduler, WallClock } from '../adapters/clock-wall.js';
import { TradingFacade } from '../app/facade.js';
import { LiveStream } from '../app/live-stream.js';
import { StreamProjector } from '../app/stream-projector.js';
import { DESK_CHECK_MS, DESK_TICK_MS, DeskStream } from '../app/desk-stream.js';
import { StreamState } from '../app/stream-state.js';
import { buildApp } from '../api/app.js';
import { TradeHistory } from '../app/trade-history.js';
import { chartOverlays } from '../app/chart-overlays.js';
import { chartOverlaySource } from './chart-overlay-source.js';
import { BUILTIN_INSTRUMENTS, InstrumentRegistry } from '../core/instruments.js';
import { Kernel } from '../engine/kernel.js';
import { SmaCrossStrategy } from '../strategies/sma-cross/sma-cross.js';
import { ConfigError } from './config.js';
import type { TradewindConfig } from './config-schema.js';
import { createLogging } from './logger.js';
import { accountLimits, demoAccount, matchOnTicks, paperBroker } from './accounts.js';
import { KillSwitch, type TradingAccount } from '../app/kill-switch.js';
import type { EventOf } from '../core/events.js';
import { PresetFiles } from '../adapters/preset-files.js';
import { EngineController, PRIMARY_BOT_ID, type PresetRuntime } from '../app/engine-controller.js';
import { MetricsService } from '../app/metrics-service.js';
import { SystemMetrics } from '../app/system-metrics.js';
import { BreakoutStrategy } from '../strategies/breakout/breakout.js';
import { presetProblems, type Preset } from '../strategies/breakout/preset.js';
import { collectScanInputs, scanMarkets } from '../strategies/breakout/scanner.js';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { LogRing } from '../app/log-ring.js';
import { resolveBarSources, TradingViewDesk } from '../app/tradingview-desk.js';
import { RENKO_SIZES } from '../core/renko.js';
import { RenkoBuilder } from '../engine/renko-builder.js';
import { hashPassword, isPasswordHash, OperatorAuth } from '../app/operator-auth.js';
import { packageVersion } from './version.js';
import { createBridgeAccount } from './bridge-account.js';
import { MaxService } from '../app/max-service.js';
import { JobRunner } from '../backtest/job-runner.js';
import { BacktestJobs } from '../app/backtest-jobs.js';
import { availableParallelism, tmpdir } from 'node:os';
import { openStorage } from './storage.js';
import type { JournalStore } from '../core/ports.js';
import { checkRenkoDeskBroker, createRenkoDesk } from './renko-desk.js';
import { deskEnvAccounts } from '../app/renko-desk/env-accounts.js';
import { ServerPrometheus } from '../app/server-prometheus.js';
import { tradingApi } from './trading-api.js';
import { startRedis } from './redis.js';
import { openSweepQueue, sweepService } from './sweeps.js';
import { kernelAccount } from '../app/kernel-account.js';
import { wireVenueAccounts } from './venue-accounts.js';
import { AccountOrders } from '../app/account-orders.js';
import type { RunningCoordinator } from './coordinator.js';
import { createMarketFeed } from './market-feed.js';
import { createTelegram } from './telegram.js';
import type { ClusterStatus } from '../api/routes-cluster.js';

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  kernel: Kernel;
  store: JournalStore;
  logger: Logger;
  /** Seed 004's ensemble coordinator (ensemble.enabled) and the ports it listens on. */
  coordinator: (RunningCoordinator & { wsPort: number | null; metricsPort: number | null }) | null;
  close(): Promise<void>;
}

const LAST_PRICES_KEY = 'feed.lastPrices';

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** What cluster mode (src/cli/cluster.ts) gives the leader's server. */
export interface LeaderOptions {
  /** The lease's fencing scope and token: the journal refuses trading writes under an older token. */
  fence: { scope: string; token: number };
  status: ClusterStatus;
  /** The ring of the logger passed in (GET /api/logs). */
  ring: LogRing;
}

/** The composition root: picks the concrete adapters and starts everything. */
export async function startServer(config: TradewindConfig, logger?: Logger, leader?: LeaderOptions): Promise<RunningServer> {
  const hasPassword = config.auth.password !== '' || config.auth.passwordHash !== '';
  if (!isLoopback(config.server.host) && config.auth.apiTokens.length === 0 && !hasPassword) {
    throw new ConfigError(
      `Refusing to bind ${config.server.host} without authentication: set a password (DASHBOARD_PASSWORD or auth.passwordHash) or API tokens (TRADEWIND_API_TOKENS), or bind a loopback address such as 127.0.0.1`,
    );
  }
  if (config.auth.passwordHash && !isPasswordHash(config.auth.passwordHash)) {
    throw new ConfigError('auth.passwordHash: not a scrypt hash made by `tradewind hash-password`');
  }
  checkRenkoDeskBroker(config);
  const passwordHash = config.auth.passwordHash || (config.auth.password ? await hashPassword(config.auth.password) : null);
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  assertWritableDataDir(dataDir);
  const logging = logger ? { logger, ring: leader?.ring ?? new LogRing() } : createLogging({ level: config.log.level, dataDir, toFile: config.log.file, maxFileBytes: config.log.maxFileMb * 1e6, keepFiles: config.log.keepFiles });
  const log = logging.logger;
  const clock = new WallClock();
  const scheduler = new TimerScheduler((err) => log.error({ err }, 'a periodic task failed (it runs again on its next tick)'));
  const instruments = new InstrumentRegistry(BUILTIN_INSTRUMENTS);
  const tvc = config.tradingView;
  const tvAssets = tvc.assets.filter((a) => instruments.find(a));
  const barSources = resolveBarSources({ assets: tvAssets, secret: tvc.secret || null, barSource: tvc.barSource, byAsset: tvc.barSourceByAsset });
  if (typeof barSources === 'string') throw new ConfigError(barSources);

  const storage = await openStorage(config, dataDir);
  const { journal: store, market: marketStore } = storage;
  if (leader) {
    // Before any kernel restores or reconciles: every write from here on is under this token.
    if (!store.fenceWrites) throw new ConfigError('cluster mode needs storage: postgres (the fencing token lives in the journal)');
    try {
      store.fenceWrites(leader.fence.scope, leader.fence.token);
    } catch (error) {
      store.close();
      storage.market.close();
      throw error;
    }
  }
  log.info({ component: 'storage', engine: config.storage }, `storage: ${storage.describe}`);
  const broker = paperBroker(config, clock, instruments);
  // Each module logs under its own component (GET /api/logs?component=...).
  const kernelLog = log.child({ component: 'kernel', account: config.account.id });
  const onError = (error: unknown, context: string) => kernelLog.error({ err: error }, `kernel error in ${context}`);
  const kernel = new Kernel({
    clock,
    store,
    broker,
    instruments,
    account: config.account,
    risk: config.risk,
    limits: accountLimits(config, config.account.id),
    scanIntervalMs: config.stream.scanIntervalMs,
    historyBars: config.feed.historyBars,
    onError,
  });
  matchOnTicks(kernel, broker);
  const market = await createMarketFeed({ config, kernel, instruments, clock, scheduler, log, startPrices: JSON.parse(store.getMeta(LAST_PRICES_KEY) ?? '{}') as Record<string, number> });
  const feedSymbols = market.symbols;
  if (config.demoBot.enabled) {
    const where = config.feed.kind === 'sim' ? 'feed.instruments' : 'feed.symbols';
    for (const s of config.demoBot.symbols) if (!feedSymbols.includes(s)) throw new ConfigError(`demoBot.symbols: ${s} is not in ${where}`);
  }
  // The demo bot's own paper account (ids demo-O-..., its own day P/L and limits), fed the same
  // ticks; loaded with the bot off too, so what it holds stays visible, closable and flattened.
  const demoKernel = demoAccount(config, store, clock, instruments, log);
  if (demoKernel) kernel.bus.on('tick', ({ tick }) => demoKernel.onTick(tick));
  const executionLog = log.child({ component: 'execution' });
  const portfolioLog = log.child({ component: 'portfolio' });
  const riskLog = log.child({ component: 'risk' });
  const logOrder = ({ order, previous }: EventOf<'order'>) =>
    executionLog.info({ orderId: order.id, account: order.accountId, symbol: order.symbol, side: order.side, type: order.type, purpose: order.purpose, qty: order.qty, from: previous, to: order.status }, 'order');
  kernel.bus.on('order', logOrder);
  demoKernel?.bus.on('order', logOrder);
  demoKernel?.bus.on('trade-closed', ({ trade }) => portfolioLog.info({ trade, account: trade.accountId }, 'trade closed'));
  kernel.bus.on('trade-closed', ({ trade }) => portfolioLog.info({ trade, account: trade.accountId }, 'trade closed'));
  const logRefusal = ({ accountId, source, code, request, reason }: EventOf<'risk-rejected'>) =>
    riskLog.info({ account: accountId, source, code, symbol: request.symbol, side: request.side, qty: request.qty, purpose: request.purpose }, `order refused by risk: ${reason}`);
  kernel.bus.on('risk-rejected', logRefusal);
  demoKernel?.bus.on('risk-rejected', logRefusal);
  // Seed 003 execution bridge: an optional second account, its orders executed by an external process.
  // A desk contract (MES) is priced by its asset's feed symbol (ES): the bridge's ref_price.
  const deskAssetOf = new Map(Object.entries(config.renkoDesk.assets).map(([asset, a]) => [a.symbol, asset]));
  const lastPrice = (s: string) => kernel.data.lastPrice(s) ?? kernel.data.lastPrice(deskAssetOf.get(s) ?? s);
  const bridge = createBridgeAccount({ config, store, clock, instruments, log, lastPrice, scheduler });
  const bridgeKernel = bridge.account?.kernel;
  if (bridgeKernel) {
    bridgeKernel.bus.on('risk-rejected', logRefusal);
    kernel.bus.on('tick', ({ tick }) => bridgeKernel.onTick(tick));
    // Its operator alerts join the server's event log (GET /api/state, /ws, the dashboard).
    bridgeKernel.bus.on('bridge-alert', (e) => kernel.bus.publish(e));
    bridgeKernel.bus.on('fill-refused', (e) => kernel.bus.publish(e));
  }
  // The `accounts` list: further paper accounts and exchange accounts through ccxt, each on its own kernel.
  const venues = await wireVenueAccounts({
    config, store, clock, scheduler, instruments, log, env: process.env, primary: kernel,
    bridgeStatus: () => (bridge.account ? { id: config.bridge.accountId, kind: 'bridge', state: bridge.account.broker.isAvailable() ? 'online' : 'offline', detail: `seed 003 bridge (${config.bridge.env})` } : null),
  });

  const presets = new PresetFiles(config.presetsDir ? resolve(config.presetsDir) : join(dataDir, 'presets'), presetProblems, fileURLToPath(new URL('../../../presets', import.meta.url)));
  for (const e of presets.loadErrors()) log.warn({ component: 'presets', file: e.file }, `invalid preset ignored: ${e.message}`);
  const runtime: PresetRuntime = {
    strategy: (p, session) => new BreakoutStrategy(p as unknown as Preset, { sessionId: session.id }),
    risk: (p) => {
      const r = (p as unknown as Preset).risk;
      return { riskPerTrade: r.risk_per_trade, maxOpenPositions: r.max_concurrent_positions, maxLeverage: r.max_leverage, dailyLossLimitR: r.daily_risk_limit_r };
    },
    slots: (p) => (p as unknown as Preset).risk.max_concurrent_positions,
    scan: (p, options) => {
      const preset = p as unknown as Preset;
      const inputs = collectScanInputs(preset.symbols, {
        instrument: (s) => instruments.find(s),
        history: (s) => kernel.data.history(s, preset.bar_interval_ms),
        marketStats: (s) => kernel.data.marketStats(s, clock.now()),
      });
      return scanMarkets(preset, inputs, options, clock.now());
    },
  };
  const system = new SystemMetrics({ dataDir });
  const metrics = new MetricsService({
    clock,
    system,
    closedTrades: () => store.recentTrades(5_000),
    startingBalance: () => kernel.portfolio.accountState().startingBalance,
    openPositions: () => kernel.portfolio.openPositions().length,
  });
  kernel.bus.onAny((e) => metrics.observe(e));
  // Seed 004 model servers (child processes, started once the server listens) and Prometheus.
  // Seed 004: with the ensemble on, its four model servers run too (unless modelServers.enabled is false).
  const runModelServers = config.modelServers.enabled === true || (config.modelServers.enabled === 'auto' && config.ensemble.enabled);
  // The supervisor and its clients are loaded only when model servers run.
  const modelServers = runModelServers ? (await import('./model-servers.js')).createModelSupervisor({ config, dataDir, log, clock, scheduler }) : null;
  const prometheus = new ServerPrometheus(modelServers ? { modelServersOnline: () => modelServers.clients().filter((c) => c.isOnline).length } : {});
  kernel.bus.onAny((e) => prometheus.observe(e));
  // Every other account's orders, fills and refusals count too (the demo bot's, the desk's, the bridge's, the exchange accounts').
  const observed = new Set([kernel]);
  const observeAccounts = () => {
    for (const a of accounts) if (!observed.has(a.kernel)) {
      observed.add(a.kernel);
      a.kernel.bus.onAny((e) => prometheus.observe(e));
    }
  };
  // Every trading account, for the kill switch, ?account= and GET /api/accounts (the desk's joins once built).
  const accounts: TradingAccount[] = [{ id: kernel.accountId, role: 'primary', kernel }];
  if (demoKernel) accounts.push({ id: demoKernel.accountId, role: 'demo', kernel: demoKernel });
  if (bridgeKernel) accounts.push({ id: bridgeKernel.accountId, role: 'bridge', kernel: bridgeKernel });
  // The `accounts` list (further paper accounts, exchange accounts): one kill switch over them too.
  for (const a of venues.accounts) accounts.push({ id: a.id, role: a.kind === 'ccxt' ? 'exchange' : 'paper', kernel: a.kernel });
  const killSwitch = new KillSwitch({
    clock,
    accounts: () => accounts,
    restartable: (account, botId) => !(account === kernel.accountId && botId === PRIMARY_BOT_ID),
    publish: (engaged, reason) => kernel.bus.publish({ type: 'kill-switch', engaged, reason, ts: clock.now() }),
  });
  kernel.bus.on('kill-switch', ({ engaged, reason }) => log.warn({ component: 'risk', engaged }, `kill switch ${engaged ? 'engaged' : 're-armed'}: ${reason}`));
  const engine = new EngineController({
    kernel,
    store,
    presets,
    runtime,
    clock,
    timer: () => performance.now(),
    liveCredentials: false,
    live: venues.live,
    onCycle: (seconds) => metrics.recordCycle(seconds),
    killSwitch,
    bots: store,
  });
  kernel.bus.on('engine-state', ({ transition }) =>
    log.info({ component: 'engine', from: transition.from, to: transition.to, event: transition.event }, `engine ${transition.from} -> ${transition.to}: ${transition.reason}`),
  );
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  const state = new StreamState();
  const stream = new LiveStream();
  const redis = await startRedis(config.redis, stream, scheduler, log);
  const mode = 'paper' as const;
  const facade = new TradingFacade({ kernel, state, stream, store, clock, version: packageVersion(), mode, startedAt: clock.now(), accounts: () => accounts });
  facade.hydrate();
  // The dashboard's chart intervals (bar history below); those of a second or more are streamed as BAR.
  const chartIntervals = [...new Set([config.demoBot.barIntervalMs, 5_000, 60_000])].sort((a, b) => a - b);
  const projector = new StreamProjector({
    kernel,
    // The demo bot's and the `accounts` list's (paper and exchange): their fills and orders stream like the engine's.
    alsoShow: [...(demoKernel ? [demoKernel] : []), ...venues.accounts.map((a) => a.kernel)],
    state,
    stream,
    store,
    clock,
    scheduler,
    mode,
    refreshMs: config.stream.refreshMs,
    barIntervals: chartIntervals.filter((ms) => ms >= 1000),
    heartbeat: {
      everyMs: config.engine.heartbeatMs,
      payload: () => {
        const payload = {
          latencyMs: Math.round((loopDelay.mean / 1e6) * 100) / 100,
          latencyP99Ms: Math.round((loopDelay.percentile(99) / 1e6) * 100) / 100,
          state: engine.state,
          clients: stream.subscriberCount,
        };
        loopDelay.reset();
        return payload;
      },
    },
  });
  projector.start();

  if (config.demoBot.enabled) {
    const { enabled: _enabled, accountId: _account, ...params } = config.demoBot;
    demoKernel.addBot('demo-sma', new SmaCrossStrategy(params)).start();
  }

  const feed = market.feed;
  const savePrices = () => {
    const prices: Record<string, number> = {};
    for (const i of feed.instruments()) {
      const p = kernel.data.lastPrice(i.symbol);
      if (p !== undefined) prices[i.symbol] = p;
    }
    store.setMeta(LAST_PRICES_KEY, JSON.stringify(prices));
  };
  const stopSavingPrices = scheduler.every(5_000, savePrices);

  if (config.engine.autoStartPreset) {
    const started = engine.start(config.engine.autoStartPreset, 'paper');
    if (!started.ok) throw new ConfigError(`engine.autoStartPreset: ${started.detail}`);
  } else {
    // The engine was running when the server stopped (or died): it runs again with its preset.
    const resumed = engine.resumeFromRegistry();
    if (resumed) log.info({ component: 'engine', preset: resumed }, `engine resumed with preset ${resumed} after restart`);
  }
  const positionSampler = scheduler.every(1_000, () => metrics.recordPositions(kernel.portfolio.openPositions().length));

  const auth = new OperatorAuth({
    // With Redis, sessions are shared by every instance on it (a login on one is valid on all).
    sessions: redis?.sessions ?? store,
    clock,
    passwordHash,
    apiTokens: config.auth.apiTokens,
    sessionTtlMs: config.auth.sessionTtlHours * 3_600_000,
    maxFailures: config.auth.maxLoginFailures,
    failureWindowMs: 15 * 60_000,
  });
  void auth.purgeExpired();

  // Backtests run in worker threads (the backtester on its own kernel), off the API's event loop.
  const jobs = new JobRunner({ now: () => clock.now(), maxRunning: Math.max(2, availableParallelism() - 1) });
  const importDir = config.marketData.importDir ? resolve(config.marketData.importDir) : join(dataDir, 'imports');
  const backtests = new BacktestJobs({ jobs, importDir, marketDb: join(dataDir, 'market.db'), cacheDir: join(dataDir, 'cache', 'columnar'), instruments: BUILTIN_INSTRUMENTS, series: () => marketStore.series() });
  // Parameter sweeps: on `tradewind worker` processes through Redis, or on threads here without it.
  const sweepQueue = await openSweepQueue(config.redis, { cacheDir: join(dataDir, 'cache', 'columnar'), threads: Math.max(1, availableParallelism() - 1), now: () => clock.now() });
  const sweeps = sweepService(sweepQueue, importDir);
  // Seed 002's Max bot: paper bots on this kernel; backtests as jobs on the paper venue's terms.
  const max = new MaxService({
    kernel,
    clock,
    feedSymbols,
    liveCredentials: false,
    live: venues.live,
    backtests: jobs,
    venue: { cash: config.account.startingBalance, fees: config.paper.fees.futures, slippageTicks: config.paper.slippageTicks },
    marketDb: join(dataDir, 'market.db'),
    barIntervalMs: config.maxBot.barIntervalMs,
    bots: store,
    onRestoreError: (botId, message) => log.warn({ botId }, `Max bot ${botId} not restarted: ${message}`),
  });

  // TradingView webhooks and the same Renko bricks built from the server's own ticks.
  const tradingView = new TradingViewDesk({
    clock,
    store,
    barSources,
    fallbackAfterMs: config.tradingView.fallbackAfterSeconds * 1000,
    secret: config.tradingView.secret || null,
    assets: tvAssets,
    instrument: (asset) => kernel.instruments.find(asset),
    onBar: (bar) => kernel.bus.publish({ type: 'renko', bar }),
    onLevelExit: (asset, receivedAtUs) => {
      // The desk places its exit synchronously while the event is delivered, in one transaction
      // with its state: when publish returns, the order and its queue row are committed. Answer its id.
      const orders: string[] = [];
      const stop = renko?.kernel.bus.on('order', ({ order, previous }) => {
        if (previous === null && order.purpose === 'exit') orders.push(order.id);
      });
      try {
        kernel.bus.publish({ type: 'level-exit', asset, ts: clock.now() });
      } finally {
        stop?.();
      }
      // Latency probe: webhook arrival -> queue row committed (claimable), shown in the pending order.
      if (receivedAtUs !== undefined && orders.length > 0 && !store.inTransaction && bridge.account && renko?.kernel === bridge.account.kernel) {
        const queuedAtUs = nowUs();
        for (const id of orders) bridge.account.broker.noteTiming(id, receivedAtUs, queuedAtUs);
      }
      return { received: true, orders };
    },
  });
  const renkoBuilders = tvAssets.flatMap((asset) => RENKO_SIZES.map((size) => new RenkoBuilder(asset, size, (bar) => tradingView.acceptBar(bar))));
  kernel.bus.on('tick', ({ tick }) => {
    if (!tvAssets.includes(tick.symbol)) return;
    tradingView.onTick(tick.symbol, tick.price, tick.ts);
    for (const b of renkoBuilders) if (b.asset === tick.symbol) b.onPrice(tick.price, tick.ts);
  });

  // Seed 003 Renko operator desk: its own paper account (DEMO) fed by the feed's ES/NQ ticks, or
  // (renkoDesk.broker: bridge) the bridge account, its orders executed by the bridge.
  const renko = config.renkoDesk.enabled
    ? createRenkoDesk({
        config,
        store,
        clock,
        instruments,
        signals: kernel.bus,
        heartbeat: (asset) => tradingView.lastHeartbeat(asset),
        assetPrice: (asset) => tradingView.lastPrice(asset),
        heartbeatSource: (asset) => ({ bars: tradingView.barSource(asset), heartbeat: tradingView.heartbeatSource(asset) }),
        heartbeatRevision: () => tradingView.revision,
        log,
        bridgeKernel: bridgeKernel ?? null,
        // POST /api/env: LIVE on the mainnet exchange account trading the desk's symbols, DEMO on a testnet one (else its own).
        envAccount: deskEnvAccounts(venues.live, Object.values(config.renkoDesk.assets).map((a) => a.symbol)),
      })
    : null;
  if (renko) kernel.bus.on('tick', ({ tick }) => renko.onFeedTick(tick));
  // DESK_UPDATE on /ws: the desk's state as it changes, so the Desk page need not poll it.
  const deskStream = renko
    ? new DeskStream({ view: () => renko.desk.stateView(), revision: () => renko.desk.stateRevision, stream, clock, scheduler, checkMs: DESK_CHECK_MS, tickMs: DESK_TICK_MS })
    : null;
  deskStream?.start();
  // Seed 003: the bridge's P&L snapshots drive the desk's daily stop and auto-exit.
  const bridgeAccount = bridge.account;
  if (renko && bridgeAccount) {
    const deskLog = log.child({ component: 'renko-desk' });
    let stopped = false;
    bridgeAccount.broker.onPnlSnapshot((snapshot) => {
      const r = renko.desk.pnlSnapshot(snapshot.data);
      if (r.exits.length > 0 || r.daily_stop_triggered !== stopped) deskLog.info({ dayPnl: r.day_pnl, exits: r.exits, dailyStop: r.daily_stop_triggered }, 'P&L snapshot: daily stop and auto-exit');
      stopped = r.daily_stop_triggered;
    });
  }
  if (renko && renko.kernel !== bridgeKernel) {
    renko.kernel.bus.on('fill-refused', (e) => kernel.bus.publish(e));
    renko.kernel.bus.on('risk-rejected', logRefusal);
    accounts.push({ id: renko.kernel.accountId, role: 'desk', kernel: renko.kernel });
  }

  // Seed 004's ensemble coordinator: a bot on the configured account's kernel.
  // Loaded only with the ensemble on (its coordinator, model clients and journal).
  const ensemble = config.ensemble.enabled ? (await import('./coordinator.js')).createCoordinator({ config, kernels: new Map([[config.account.id, kernel], ...venues.accounts.map((a) => [a.id, a.kernel] as const)]), dataDir, clock, scheduler, log, notify: (level, text) => telegram?.alert(level, text) }) : null;

  // Bar history for the dashboard's charts: every fed symbol at the demo bot's interval, 5 s and 1 min.
  for (const s of feedSymbols) for (const ms of chartIntervals) kernel.data.subscribeBars(s, ms);

  observeAccounts();
  const overlaySource = chartOverlaySource({ config, accounts: () => accounts, history: (s, ms) => kernel.data.history(s, ms), store, renkoAssets: tvAssets });
  const { app } = await buildApp({
    bars: {
      symbols: () => feedSymbols.map((symbol) => ({ symbol, intervals: chartIntervals })),
      history: (s, ms) => kernel.data.history(s, ms),
      overlays: (s, ms, limit) => chartOverlays(overlaySource, s, ms, limit),
    },
    history: { history: new TradeHistory({ store, pointValue: (s) => instruments.find(s)?.pointValue }), accountIds: () => facade.accountIds() },
    dashboardDir: fileURLToPath(new URL('../../../web/dist', import.meta.url)),
    tradingView,
    facade,
    engine,
    presets,
    metrics,
    logs: logging.ring,
    marketStats: (s) => kernel.data.marketStats(s, clock.now()),
    version: packageVersion(),
    // With Redis, the counters are shared: a client's budget is the same whichever instance it hits.
    rateLimit: redis ? { ...config.rateLimit, shared: redis.rateLimit } : config.rateLimit,
    // The HTTP layer's lines (request/response, errors, uploads, WebSocket) under component api.
    logger: log.child({ component: 'api' }),
    corsOrigins: config.server.corsOrigins,
    trustProxy: config.server.trustProxy,
    webhookSecret: (s) => tradingView.authorize(s),
    serverPaths: [
      { path: importDir, label: '<import dir>' },
      { path: dataDir, label: '<data dir>' },
      { path: tmpdir(), label: '<temp dir>' },
      { path: fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, ''), label: '<install dir>' },
    ],
    auth,
    ws: { maxBufferedBytes: config.stream.maxClientBufferBytes, pingIntervalMs: config.stream.pingIntervalMs, maxMessagesPerSecond: config.stream.maxClientMessagesPerSecond },
    production: process.env.NODE_ENV === 'production',
    bridge: bridge.desk,
    upload: {
      store: marketStore,
      importDir,
      maxBytes: config.marketData.maxUploadBytes,
      instruments: BUILTIN_INSTRUMENTS.map((i) => i.symbol),
      batchSize: config.marketData.batchSize || undefined,
    },
    max,
    desk: renko?.desk,
    backtests,
    sweeps,
    prometheus,
    ...(modelServers ? { ensembleModels: () => modelServers.models() } : {}),
    tradingApi: tradingApi({
      clock,
      scheduler,
      kernel,
      bridge: bridge.account,
      renkoKernel: renko?.kernel ?? null,
      redis,
      // The demo bot's own paper account, and the configured accounts (paper and ccxt), each connected as its venue connection says.
      extra: [
        ...(demoKernel ? [kernelAccount(demoKernel, { kind: 'paper' })] : []),
        ...venues.accounts.map((a) =>
          kernelAccount(a.kernel, { id: a.id, kind: a.kind, offlineReason: () => { const st = a.status(); return `${st.state}: ${st.detail}`; } }),
        ),
      ],
    }),
    accounts: {
      statuses: () => venues.statuses(),
      view: () => facade.accountsView(),
      orders: new AccountOrders((id) => {
        const a = venues.accounts.find((x) => x.id === id);
        return a ? { kernel: a.kernel, available: () => a.kernel.broker.isAvailable() } : null;
      }, store),
    },
    ...(ensemble ? { coordinatorStream: { path: ensemble.path, add: (socket) => ensemble.stream.add(socket) } } : {}),
    ...(leader ? { cluster: leader.status } : {}),
    // Read in one turn of the event loop: the snapshot holds exactly the events published so far.
    ...(leader && redis ? { clusterStream: () => `{"origin":${JSON.stringify(redis.instanceId)},"token":${leader.fence.token},"seq":${redis.relay.sequence},"snapshot":${facade.snapshotJson()}}` } : {}),
  });
  const telegram = createTelegram({
    config,
    env: process.env,
    engine,
    kernels: [kernel, ...(demoKernel ? [demoKernel] : []), ...(bridgeKernel ? [bridgeKernel] : []), ...(renko && renko.kernel !== bridgeKernel ? [renko.kernel] : []), ...venues.accounts.map((a) => a.kernel)],
    clock,
    scheduler,
    log,
  });
  const ensemblePorts = ensemble ? await ensemble.start() : null;
  const port = await listenOnFreePort(app, config.server.host, config.server.port, config.server.portSearch);
  const hostForUrl = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${hostForUrl}:${port}`;
  market.start();
  telegram?.start();
  modelServers?.start();

  let closed = false;
  return {
    url,
    port,
    app,
    kernel,
    store,
    logger: log,
    coordinator: ensemble && ensemblePorts ? Object.assign(ensemble, ensemblePorts) : null,
    async close() {
      if (closed) return;
      closed = true;
      await feed.stop();
      await telegram?.stop();
      await modelServers?.stop();
      await ensemble?.close();
      bridge.account?.stop();
      await venues.stop();
      stopSavingPrices();
      positionSampler();
      loopDelay.disable();
      savePrices();
      for (const a of accounts) for (const bot of a.kernel.allBots()) bot.stop();
      projector.stop();
      deskStream?.stop();
      await redis?.close();
      await jobs.close();
      await sweepQueue.close();
      await app.close();
      store.close();
      marketStore.close();
    },
  };
}

async function listenOnFreePort(app: FastifyInstance, host: string, first: number, tries: number): Promise<number> {
  if (first === 0) {
    await app.listen({ host, port: 0 });
    return (app.server.address() as { port: number }).port;
  }
  for (let port = first; port < first + tries; port += 1) {
    try {
      await app.listen({ host, port });
      return port;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new ConfigError(`No free port between ${first} and ${first + tries - 1} on ${host}`);
}
