import type { BacktestJobSpec, JobReport } from '../backtest/job.js';
import { isoTime, type Clock } from '../core/clock.js';
import type { Bot } from '../engine/bot.js';
import type { Kernel } from '../engine/kernel.js';
import { accountIdsOf, unpricedReason, type LiveAccounts } from './live-accounts.js';
import type { BotStore } from '../core/bot-records.js';
import type { Cancel } from '../core/ports.js';
import type { RiskConfig } from '../engine/risk-engine.js';
import { MaxKeyError, parseMaxMode, type MaxMode } from '../strategies/max/keys.js';
import { MAX_CONTRACTS, MaxStrategy, type MaxSnapshot } from '../strategies/max/max.js';
import { summarize, tradeView, type MaxTrade } from './max-report.js';

/** A refusal with its HTTP status; the message is the `detail`. */
export class MaxRequestError extends Error {
  constructor(
    /** 499: the client went away (its backtest was cancelled); nobody reads the answer. */
    readonly status: 400 | 404 | 422 | 499 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'MaxRequestError';
  }
}

/** Runs backtest jobs (worker threads in the server, see JobRunner.run); an abort cancels the job. */
export interface BacktestRunner {
  run(spec: BacktestJobSpec, signal?: AbortSignal): Promise<JobReport>;
}

/** The simulated venue of Max backtests: the paper account's cash, futures fees and slippage. */
export interface MaxBacktestVenue {
  cash: number;
  fees: { takerRate: number; makerRate: number; perContract: number };
  slippageTicks: number;
}

export interface MaxServiceDeps {
  kernel: Kernel;
  clock: Clock;
  /** Contracts the live (simulated) feed carries. */
  feedSymbols: readonly string[];
  liveCredentials: boolean;
  /** Exchange accounts (ccxt) that LIVE runs on (and DEMO, when accounts_ids names a testnet account). */
  live?: LiveAccounts;
  /** Backtests run through the backtester, off the main event loop. */
  backtests: BacktestRunner;
  venue: MaxBacktestVenue;
  /** The market data store file (DATA_DIR/market.db) for dateFrom/dateTo backtests; absent: none configured. */
  marketDb?: string;
  /** The Max bot's own risk block (sizing when no quantity, one position per bot). */
  risk?: RiskConfig;
  barIntervalMs?: number;
  /** The bot registry's store: bots and their strategy state survive restarts; none: in memory only. */
  bots?: BotStore;
  /** A registry bot that cannot run any more (its account no longer trades its contract, a key now invalid). */
  onRestoreError?: (botId: string, message: string) => void;
}

export interface MaxBacktestInput {
  accountName: string;
  mode: string;
  contract: string;
  maxMode: string;
  point_key: string;
  exit_strategy_key: string;
  notes: string | null;
  quantity: number;
  dateFrom: string | null;
  dateTo: string | null;
  /** A spooled upload. */
  file: { path: string; name: string } | null;
}

export interface MaxRunInput {
  accountName: string;
  contract: string;
  maxMode: string | null;
  trading_mode: string;
  trading_side: string;
  point_strategy_key: string;
  exit_strategy_key: string;
  quantity: number;
  environment: string;
  accounts_ids: unknown;
  notes: string | null;
}

interface BotRecord {
  id: string;
  /** The account's kernel it runs on: the paper account's, or a venue account's (LIVE, or DEMO on a testnet account). */
  kernel: Kernel;
  bot: Bot;
  strategy: MaxStrategy;
  config: Record<string, unknown>;
  startedAt: number;
  stoppedAt: number | null;
  trades: MaxTrade[];
  /** Stops saving its strategy state. */
  unwatch: Cancel[];
}

/** What the registry stores to rebuild a Max bot's strategy. */
interface MaxParams {
  contract: string;
  direction: MaxMode;
  pointKey: string;
  exitKey: string;
  qty: number;
  config: Record<string, unknown>;
}

/** The strategy state without what follows the market (the position's mark), to tell a real change. */
const durableState = (s: MaxSnapshot): string => JSON.stringify({ ...s, trade: s.trade && { ...s.trade, last: s.trade.last.id } });

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DEFAULT_RISK: RiskConfig = { riskPerTrade: 0.01, maxOpenPositions: 1, maxLeverage: 25 };

/** YYYY-MM-DD to the UTC midnight it starts, or a 422 naming the field. */
export function parseDay(field: string, value: string): number {
  const m = DAY.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new MaxRequestError(422, `${field} must be a date formatted YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return ms;
}

const keyError = (error: unknown): never => {
  if (error instanceof MaxKeyError) throw new MaxRequestError(422, error.message);
  throw error;
};

/** The sides left by maxMode, trading_mode and trading_side together (each long|short|both). */
export function resolveDirection(maxMode: string | null, tradingMode: string, tradingSide: string): MaxMode {
  const modes = [
    ['maxMode', maxMode],
    ['trading_mode', tradingMode],
    ['trading_side', tradingSide],
  ] as const;
  let long = true;
  let short = true;
  for (const [field, value] of modes) {
    if (value === null) continue;
    const m = (() => {
      try {
        return parseMaxMode(value, field);
      } catch (error) {
        return keyError(error);
      }
    })();
    long &&= m !== 'short';
    short &&= m !== 'long';
  }
  if (!long && !short) {
    throw new MaxRequestError(422, `maxMode=${maxMode ?? '-'}, trading_mode=${tradingMode} and trading_side=${tradingSide} leave no side to trade`);
  }
  return long && short ? 'both' : long ? 'long' : 'short';
}

/** The Max bot's application service: backtests on a private kernel, paper bots on the live one. */
export class MaxService {
  private readonly records = new Map<string, BotRecord>();
  private seq = 0;

  private readonly closing = new Map<string, string>();
  private readonly listening = new Set<Kernel>();

  constructor(private readonly deps: MaxServiceDeps) {
    this.listen(deps.kernel);
    this.restoreBots();
  }

  /** Follows a kernel's fills and closed trades for the Max bots running on it. */
  private listen(kernel: Kernel): void {
    if (this.listening.has(kernel)) return;
    this.listening.add(kernel);
    kernel.bus.on('fill', ({ order }) => {
      if (order.purpose === 'entry' || !this.records.has(order.botId)) return;
      this.closing.set(`${order.botId}|${order.symbol}`, order.purpose === 'stop_loss' ? 'stop loss' : order.purpose === 'take_profit' ? 'exit target' : (order.reason ?? 'exit'));
    });
    kernel.bus.on('trade-closed', ({ trade }) => {
      const r = this.records.get(trade.botId);
      if (!r || r.kernel !== kernel) return;
      r.trades.push({ ...trade, exitReason: this.closing.get(`${trade.botId}|${trade.symbol}`) ?? 'exit' });
      if (r.trades.length > 1_000) r.trades.shift();
    });
  }

  /** `contracts`: what the run may trade (the index futures on paper; an exchange account's instruments). */
  private strategy(contract: string, maxMode: string, pointKey: string, exitKey: string, qty: number, fields = { point: 'point_key' }, contracts: readonly string[] = MAX_CONTRACTS): MaxStrategy {
    if (!contracts.includes(contract)) {
      throw new MaxRequestError(422, `contract must be one of ${contracts.join(', ')}; got ${JSON.stringify(contract)}`);
    }
    try {
      return new MaxStrategy({ symbol: contract, contracts, maxMode, pointKey, exitKey, qty, barIntervalMs: this.deps.barIntervalMs }, this.deps.kernel.instruments.get(contract));
    } catch (error) {
      if (error instanceof MaxKeyError && error.field === 'point_key' && fields.point !== 'point_key') {
        throw new MaxRequestError(422, error.message.replaceAll('point_key', fields.point));
      }
      return keyError(error);
    }
  }

  // ---- backtests -----------------------------------------------------------------------------

  async backtest(input: MaxBacktestInput, signal?: AbortSignal) {
    if (input.mode !== 'backtesting') throw new MaxRequestError(422, `mode must be "backtesting", got ${JSON.stringify(input.mode)}`);
    const strategy = this.strategy(input.contract, input.maxMode, input.point_key, input.exit_strategy_key, input.quantity);
    if ((input.dateFrom === null) !== (input.dateTo === null)) {
      throw new MaxRequestError(422, `dateFrom and dateTo go together: give both (YYYY-MM-DD) or neither with a file`);
    }
    if (!input.file && input.dateFrom === null) throw new MaxRequestError(422, 'Provide either a tick data file (file) or both dateFrom and dateTo (YYYY-MM-DD)');
    let fromMs: number | undefined;
    let toMs: number | undefined;
    if (input.dateFrom !== null && input.dateTo !== null) {
      fromMs = parseDay('dateFrom', input.dateFrom);
      toMs = parseDay('dateTo', input.dateTo) + 86_400_000;
      if (toMs <= fromMs) throw new MaxRequestError(422, `dateFrom (${input.dateFrom}) must not be after dateTo (${input.dateTo})`);
    }
    let data: BacktestJobSpec['data'];
    if (input.file) data = { kind: 'tick-file', path: input.file.path };
    else {
      if (!this.deps.marketDb) throw new MaxRequestError(503, 'Backtests over dateFrom/dateTo need the market data store, which is not configured on this server; upload a tick file instead');
      data = { kind: 'store-ticks', file: this.deps.marketDb, from: fromMs, to: toMs };
    }
    const { venue } = this.deps;
    const spec: BacktestJobSpec = {
      config: {
        instrument: input.contract,
        strategy: {
          name: 'max',
          contract: input.contract,
          maxMode: input.maxMode,
          point_key: input.point_key,
          exit_strategy_key: input.exit_strategy_key,
          quantity: input.quantity,
          ...(this.deps.barIntervalMs ? { barIntervalMs: this.deps.barIntervalMs } : {}),
        },
        cash: venue.cash,
        feeRate: venue.fees.takerRate,
        makerRate: venue.fees.makerRate,
        perContract: venue.fees.perContract,
        slippageTicks: venue.slippageTicks,
        risk: this.deps.risk ?? DEFAULT_RISK,
        // Seed semantics: a position still open after the last tick is closed at the last price.
        closeAtEnd: true,
        equityPoints: 2,
      },
      data,
    };
    let run: JobReport;
    try {
      run = await this.deps.backtests.run(spec, signal);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const message = error instanceof Error ? error.message : String(error);
      if (name === 'TickOrderError' || name === 'BacktestSpecError') throw new MaxRequestError(422, message);
      if (name === 'ImportFormatError') throw new MaxRequestError(422, `file: ${message}`);
      if (name === 'JobCancelledError') throw new MaxRequestError(499, 'backtest cancelled: the client closed the request');
      if (name === 'JobLimitError') throw new MaxRequestError(503, `${message} (GET /api/backtests lists them)`);
      throw error;
    }
    if (!input.file && run.ticks === 0) {
      throw new MaxRequestError(
        404,
        `No stored ${input.contract} ticks between ${input.dateFrom} and ${input.dateTo} (UTC, inclusive): import them with POST /api/upload-tick-data, or send a file`,
      );
    }
    const stats = run.input;
    if (input.file && (stats?.valid ?? 0) === 0) {
      const why = stats?.malformedExamples[0];
      throw new MaxRequestError(422, `file holds no valid ticks (timestamp,price,volume)${why ? `: line ${why.line}: ${why.reason}` : ''}`);
    }
    const trades = run.trades.map(tradeView);
    const inst = this.deps.kernel.instruments.get(input.contract);
    return {
      result: summarize(trades),
      trades,
      meta: {
        source: input.file ? ('file' as const) : ('date_range' as const),
        dateFrom: input.dateFrom,
        dateTo: input.dateTo,
        accountName: input.accountName,
        mode: input.mode,
        notes: input.notes,
        contract: input.contract,
        maxMode: strategy.maxMode,
        point_key: input.point_key,
        exit_strategy_key: input.exit_strategy_key,
        quantity: input.quantity,
        tick_size: inst.tickSize,
        point_value: inst.pointValue,
        currency: inst.currency,
        bar_interval_ms: strategy.barIntervalMs,
        ticks: run.ticks,
        first_tick: run.from === null ? null : isoTime(run.from),
        last_tick: run.to === null ? null : isoTime(run.to),
        closed_at_end: run.closedAtEnd,
        file: input.file ? { name: input.file.name, rows: stats?.rows ?? 0, malformed_rows: stats?.malformed ?? 0, malformed_examples: stats?.malformedExamples ?? [] } : null,
      },
    };
  }

  // ---- paper bots ----------------------------------------------------------------------------

  start(input: MaxRunInput) {
    const env = input.environment.trim().toUpperCase();
    if (env !== 'DEMO' && env !== 'LIVE') throw new MaxRequestError(422, `environment must be DEMO or LIVE, got ${JSON.stringify(input.environment)}`);
    const direction = resolveDirection(input.maxMode, input.trading_mode, input.trading_side);
    // Paper by default; LIVE (or DEMO naming a testnet account in accounts_ids) runs on an exchange account.
    const named = accountIdsOf(input.accounts_ids).filter((id) => this.deps.live?.has(id));
    let kernel = this.deps.kernel;
    let broker = 'paper';
    let contracts: readonly string[] = MAX_CONTRACTS;
    if (env === 'LIVE' || named.length > 0) {
      const pick = this.deps.live?.pick(env as 'LIVE' | 'DEMO', named);
      if (!pick?.ok) {
        throw new MaxRequestError(400, `${env} refused: ${pick?.reason ?? 'no live broker credentials are configured on this server'}; Max bots run on the paper account (environment=DEMO)`);
      }
      if (!pick.account.symbols.includes(input.contract)) {
        throw new MaxRequestError(400, `${env} refused: account ${pick.account.id} does not trade ${input.contract} (it trades ${pick.account.symbols.join(', ') || 'nothing'})`);
      }
      const unpriced = unpricedReason(pick.account, [input.contract]);
      if (unpriced) throw new MaxRequestError(400, `${env} refused: ${unpriced}`);
      kernel = pick.account.kernel;
      broker = `ccxt:${pick.account.id}`;
      contracts = pick.account.symbols;
    }
    // Validated before anything changes: a refused run leaves no listener or bot behind.
    const strategy = this.strategy(input.contract, direction, input.point_strategy_key, input.exit_strategy_key, input.quantity, { point: 'point_strategy_key' }, contracts);
    if (broker !== 'paper') {
      this.listen(kernel);
    } else if (!this.deps.feedSymbols.includes(input.contract)) {
      throw new MaxRequestError(
        400,
        `contract ${input.contract} is not carried by the simulated feed (it trades ${this.deps.feedSymbols.join(', ') || 'nothing'}); choose one of those or add it to feed.instruments`,
      );
    }
    let id: string;
    do {
      this.seq += 1;
      id = `max-${String(this.seq).padStart(3, '0')}`;
    } while (kernel.bot(id) || this.records.has(id) || this.orphanOwner(id, kernel));
    const bot = kernel.addBot(id, strategy, { risk: this.deps.risk ?? DEFAULT_RISK, source: 'max' });
    const config = {
      accountName: input.accountName,
      contract: input.contract,
      maxMode: input.maxMode ?? direction,
      trading_mode: input.trading_mode,
      trading_side: input.trading_side,
      direction,
      point_strategy_key: input.point_strategy_key,
      exit_strategy_key: input.exit_strategy_key,
      quantity: input.quantity,
      environment: env,
      accounts_ids: input.accounts_ids,
      notes: input.notes,
      account: kernel.portfolio.accountId,
      broker,
      feed: broker === 'paper' ? 'simulated' : 'venue',
      bar_interval_ms: strategy.barIntervalMs,
      points: strategy.points,
      exit: strategy.exit,
    };
    const record: BotRecord = { id, kernel, bot, strategy, config, startedAt: this.deps.clock.now(), stoppedAt: null, trades: [], unwatch: [] };
    this.records.set(id, record);
    const params: MaxParams = { contract: input.contract, direction, pointKey: input.point_strategy_key, exitKey: input.exit_strategy_key, qty: input.quantity, config };
    this.persist(record, params);
    bot.start();
    this.watch(record);
    return { status: 'running' as const, bot_id: id, config, message: 'Max bot started successfully' };
  }

  status(id: string) {
    const r = this.records.get(id);
    if (!r) throw new MaxRequestError(404, `Max bot '${id}' not found`);
    const contract = r.config.contract as string;
    const p = r.kernel.portfolio.position(contract);
    const mine = p && p.botId === id ? p : undefined;
    const trades = r.trades.map(tradeView);
    return {
      bot_id: id,
      status: r.stoppedAt !== null ? 'stopped' : r.bot.isRunning ? 'running' : 'halted',
      phase: r.strategy.currentPhase,
      config: r.config,
      started_at: isoTime(r.startedAt),
      stopped_at: r.stoppedAt === null ? null : isoTime(r.stoppedAt),
      triggers: r.strategy.triggers(),
      position: mine
        ? {
            side: mine.side,
            qty: mine.qty,
            entry_price: mine.avgPrice,
            stop_price: mine.stopPrice,
            take_profit: mine.takeProfit,
            trail_stop: r.strategy.trailStop(),
            mark_price: mine.markPrice,
            unrealized_pnl: Math.round(mine.unrealizedPnl * 100) / 100,
          }
        : null,
      result: summarize(trades),
      trades: trades.slice(-50),
    };
  }

  list() {
    return [...this.records.keys()].map((id) => this.status(id));
  }

  /** Stops the bot and closes its open position at market. */
  stop(id: string) {
    const r = this.records.get(id);
    if (!r) throw new MaxRequestError(404, `Max bot '${id}' not found`);
    if (r.stoppedAt !== null) return { status: 'stopped' as const, bot_id: id, message: 'Max bot already stopped', closing_position: false };
    r.bot.stop();
    for (const u of r.unwatch) u();
    const closing = r.bot.context.exit(r.config.contract as string, 'max bot stopped');
    r.kernel.removeBot(id);
    r.stoppedAt = this.deps.clock.now();
    this.markStopped(r);
    return {
      status: 'stopped' as const,
      bot_id: id,
      message: closing ? 'Max bot stopped; its open position is being closed at market' : 'Max bot stopped',
      closing_position: closing,
    };
  }

  /** Stops every running Max bot in memory (server shutdown); the registry keeps them running for the next start. */
  stopAll(): void {
    for (const r of this.records.values()) {
      if (r.stoppedAt !== null) continue;
      r.bot.stop();
      for (const u of r.unwatch) u();
    }
  }

  // ---- the registry across restarts -----------------------------------------------------------

  /**
   * Brings back the bots the registry holds: ids continue after the highest ever given (a new
   * bot never gets an old id, so never an old bot's position); running bots restart with their
   * strategy state (working entry, open trade, best price and armed trail).
   */
  private restoreBots(): void {
    const store = this.deps.bots;
    if (!store) return;
    for (const row of store.listBots('max')) {
      const n = Number(/^max-(\d+)$/.exec(row.id)?.[1] ?? 0);
      if (n > this.seq) this.seq = n;
      if (row.status !== 'running') continue;
      const home = this.kernelOf(row.accountId);
      // A bot of an exchange account that is not configured (or has no credentials) now stays stopped in the registry.
      if (!home) continue;
      const { kernel, contracts } = home;
      this.listen(kernel);
      const p = row.params as unknown as MaxParams;
      let strategy: MaxStrategy;
      try {
        strategy = this.strategy(p.contract, p.direction, p.pointKey, p.exitKey, p.qty, { point: 'point_strategy_key' }, contracts);
      } catch (error) {
        // One bot the configuration no longer allows must not keep the server from starting.
        this.deps.onRestoreError?.(row.id, (error as Error).message);
        continue;
      }
      strategy.restore(row.state as MaxSnapshot | null);
      const bot = kernel.addBot(row.id, strategy, { risk: this.deps.risk ?? DEFAULT_RISK, source: 'max' });
      const record: BotRecord = { id: row.id, kernel, bot, strategy, config: p.config, startedAt: row.createdAt, stoppedAt: null, trades: [], unwatch: [] };
      this.records.set(row.id, record);
      bot.start();
      this.watch(record);
    }
  }

  /** The kernel of a registry row's account: the paper account's or a configured exchange account's. */
  private kernelOf(accountId: string): { kernel: Kernel; contracts: readonly string[] } | null {
    if (accountId === this.deps.kernel.accountId) return { kernel: this.deps.kernel, contracts: MAX_CONTRACTS };
    for (const env of ['LIVE', 'DEMO'] as const) {
      const pick = this.deps.live?.pick(env, [accountId]);
      if (pick?.ok && pick.account.id === accountId) return { kernel: pick.account.kernel, contracts: pick.account.symbols };
    }
    return null;
  }

  /** True when a position already carries this id (never reuse one). */
  private orphanOwner(id: string, kernel: Kernel): boolean {
    return [this.deps.kernel, kernel].some((k) => k.portfolio.openPositions().some((p) => p.botId === id));
  }

  private persist(r: BotRecord, params: MaxParams): void {
    const now = this.deps.clock.now();
    this.deps.bots?.saveBot({
      id: r.id,
      kind: 'max',
      accountId: r.kernel.accountId,
      strategy: 'max',
      params: params as unknown as Record<string, unknown>,
      status: 'running',
      state: r.strategy.snapshot(),
      createdAt: r.startedAt,
      updatedAt: now,
      stoppedAt: null,
    });
  }

  private markStopped(r: BotRecord): void {
    const store = this.deps.bots;
    const row = store?.listBots('max').find((b) => b.id === r.id);
    if (!store || !row) return;
    store.saveBot({ ...row, status: 'stopped', state: r.strategy.snapshot(), updatedAt: this.deps.clock.now(), stoppedAt: r.stoppedAt });
  }

  /** Saves the strategy's state whenever it changes (after the bot has seen the tick, bar or fill). */
  private watch(r: BotRecord): void {
    const store = this.deps.bots;
    if (!store) return;
    let last = durableState(r.strategy.snapshot());
    const save = () => {
      const snap = r.strategy.snapshot();
      const key = durableState(snap);
      if (key === last) return;
      last = key;
      store.saveBotState(r.id, snap, this.deps.clock.now());
    };
    const contract = r.config.contract as string;
    const bus = r.kernel.bus;
    r.unwatch.push(
      bus.on('tick', ({ tick }) => tick.symbol === contract && save()),
      bus.on('bar', ({ bar }) => bar.symbol === contract && save()),
      bus.on('fill', ({ fill }) => fill.symbol === contract && save()),
    );
  }
}
