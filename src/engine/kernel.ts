import { utcDay, type Clock } from '../core/clock.js';
import { SequenceIds } from '../core/ids.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Bar, Tick } from '../core/market.js';
import type { Account, Position } from '../core/portfolio-types.js';
import type { Broker, TradingStore } from '../core/ports.js';
import { Bot } from './bot.js';
import { DataEngine } from './data-engine.js';
import { AccountHaltedError, ExecutionEngine, OrderValidationError } from './execution-engine.js';
import { AccountRisk, isReducing, type AccountRiskLimits, type OrderSource, type RiskCode } from './account-risk.js';
import type { Order, OrderRequest } from '../core/orders.js';
import { orderPriceProblem, requestedQtyProblem } from '../core/money-checks.js';
import { MessageBus } from './message-bus.js';
import { Portfolio } from './portfolio.js';
import { DEFAULT_ACCOUNT_LIMITS, KillSwitchGate, RiskEngine, type RiskConfig, type RiskGate } from './risk-engine.js';
import type { Strategy } from './strategy.js';

export interface AccountConfig {
  id: string;
  currency: string;
  startingBalance: number;
  leverage: number;
}

export interface KernelDeps {
  clock: Clock;
  store: TradingStore;
  broker: Broker;
  instruments: InstrumentRegistry;
  account: AccountConfig;
  risk: RiskConfig;
  /** Account-wide limits every order passes (defaults: DEFAULT_ACCOUNT_LIMITS, the live ones). */
  limits?: Partial<AccountRiskLimits>;
  /** A reference price for symbols this kernel gets no ticks for (a desk contract priced by its asset). */
  lastPrice?: (symbol: string) => number | undefined;
  gates?: readonly RiskGate[];
  scanIntervalMs?: number;
  /** Closed bars kept per symbol and interval (BAR_HISTORY_CAPACITY by default). */
  historyBars?: number;
  onError?: (error: unknown, context: string) => void;
  /**
   * A simulated venue's matching on a closed bar's range (the paper broker's onPrice with the
   * bar's open, high and low). Called by `onBar` before strategies hear of the bar, so orders
   * working before the bar fill inside it and orders placed on its close meet the next bar.
   * Leave unset when the broker matches elsewhere (ticks, a real exchange).
   */
  matchBar?: (bar: Bar) => void;
  /**
   * Prefix of this kernel's order, position and trade ids ('' by default: O-, P-, T-). Give
   * each kernel that shares a store its own (e.g. 'bridge-'), so their sequences never collide.
   */
  idPrefix?: string;
}

export interface BotOptions {
  risk?: RiskConfig;
  /** The source its orders are submitted with (default `bot`; the Max bots use `max`). */
  source?: OrderSource;
  timer?: () => number;
  onCycle?: (durationMs: number) => void;
}

/**
 * What a caller asks for: an order request without the account (the kernel's own) and, for an
 * entry sized by a bot's risk engine, without a quantity (then `refPrice` and `stopLoss` size it).
 */
export interface OrderIntent extends Omit<OrderRequest, 'accountId' | 'qty'> {
  accountId?: string;
  qty?: number;
  /** The price the caller expects (a bot's last price): sizing, when the kernel knows no price yet. */
  refPrice?: number;
}

export interface SubmitOptions {
  /** The bot's risk engine: its gates, sizing and own limits (slots, daily loss in R). */
  risk?: RiskEngine;
  /** Called once every check passed, before the order goes to the execution engine. */
  onAccepted?: (request: OrderRequest) => void;
}

export type SubmitOutcome = { ok: true; order: Order } | { ok: false; code: RiskCode; message: string };

/** A refusal by `Kernel.placeOrder`: the risk engine's or validation's, with its reason code. */
export class OrderRefusedError extends OrderValidationError {
  override name = 'OrderRefusedError';
  constructor(
    readonly code: RiskCode,
    message: string,
  ) {
    super(message);
  }
}

/** The execution engine as the kernel shares it: everything but placing an order (that is `Kernel.submit`). */
export type ExecutionControls = Omit<ExecutionEngine, 'place'>;

/** One account's trading kernel: data, strategies, risk, execution and portfolio on one bus. */
export class Kernel {
  readonly bus: MessageBus;
  readonly data: DataEngine;
  readonly portfolio: Portfolio;
  readonly risk: RiskEngine;
  /** Engaged by an emergency stop: every bot's entries are refused until released. */
  readonly killSwitch = new KillSwitchGate();
  /** Working orders, cancels and protection; orders are placed only through `submit`. */
  readonly execution: ExecutionControls;
  /** Account-wide checks, refusal counters and the order rate window. */
  readonly accountRisk: AccountRisk;
  private readonly exec: ExecutionEngine;
  private readonly bots = new Map<string, Bot>();

  constructor(private readonly deps: KernelDeps) {
    const onError = deps.onError ?? (() => {});
    this.bus = new MessageBus((error, event) => onError(error, `bus handler for ${event.type}`));
    this.data = new DataEngine(this.bus, deps.instruments, deps.historyBars);
    const restored = deps.store.restore(deps.account.id);
    const account = restored.account ?? this.newAccount();
    if (!restored.account) deps.store.saveAccount(account);
    this.portfolio = new Portfolio(
      account,
      deps.instruments,
      new SequenceIds(`${deps.idPrefix ?? ''}P-`, restored.lastPositionSeq),
      new SequenceIds(`${deps.idPrefix ?? ''}T-`, restored.lastTradeSeq),
    );
    this.portfolio.restore(restored.positions);
    this.risk = new RiskEngine(deps.risk, [this.killSwitch, ...(deps.gates ?? [])]);
    this.accountRisk = new AccountRisk({ ...DEFAULT_ACCOUNT_LIMITS, ...definedOnly(deps.limits ?? {}) }, (symbol) => deps.instruments.find(symbol)?.pointValue ?? 1);
    this.exec = new ExecutionEngine({
      clock: deps.clock,
      bus: this.bus,
      store: deps.store,
      broker: deps.broker,
      portfolio: this.portfolio,
      instruments: deps.instruments,
      orderIds: new SequenceIds(`${deps.idPrefix ?? ''}O-`, restored.lastOrderSeq),
      onError,
    });
    this.exec.restore(restored.openOrders);
    this.execution = this.exec;
  }

  get accountId(): string {
    return this.portfolio.accountId;
  }

  /**
   * The one way into the market for every order of this account, whatever its source (bots,
   * the Max bots, the desk, TradingView, manual, test orders, closes, the emergency stop): the
   * bot's gates and sizing (entries of a bot), then the account-wide checks, then the execution
   * engine (journal first, then the broker). Orders that only reduce a position pass every limit.
   * A refusal is counted and published as a `risk-rejected` event with its code and source.
   */
  submit(intent: OrderIntent, source: OrderSource, options: SubmitOptions = {}): SubmitOutcome {
    const now = this.deps.clock.now();
    const request = requestOf(intent, this.portfolio.accountId);
    if (intent.accountId !== undefined && intent.accountId !== this.portfolio.accountId) {
      return this.refuse('invalid', `order for account ${intent.accountId} sent to account ${this.portfolio.accountId}`, source, intent, now);
    }
    const instrument = this.deps.instruments.find(intent.symbol);
    if (!instrument) return this.refuse('invalid', `unknown symbol ${intent.symbol}`, source, intent, now);
    if (this.exec.isHalted()) return this.refuse('halted', `account ${this.portfolio.accountId} is halted: ${this.exec.halted()?.reason}; restart to resume from the journal`, source, intent, now);
    const positions = this.portfolio.openPositions();
    const price = this.referencePrice(intent.symbol) ?? intent.refPrice;
    const account = this.portfolio.view();
    const botRisk = intent.purpose === 'entry' ? options.risk : undefined;
    if (botRisk) {
      const side = intent.side === 'buy' ? ('long' as const) : ('short' as const);
      const d = botRisk.decide(
        { symbol: intent.symbol, side, price: intent.refPrice ?? price ?? 0, stopPrice: intent.stopLoss ?? null, takeProfit: intent.takeProfit ?? null, qty: intent.qty, reason: intent.reason ?? '' },
        { botId: intent.botId, account, instrument, openPositions: positions, position: this.portfolio.position(intent.symbol) },
      );
      if (!d.ok) return this.refuse(d.code as RiskCode, d.reason, source, intent, now);
      request.qty = d.qty;
    }
    // Money-safe numbers first: a quantity of 1e308 is invalid input, not an exposure question.
    const bad = requestedQtyProblem(request.qty, instrument);
    if (bad) return this.refuse('invalid', bad.message, source, intent, now, request.qty);
    const badPrice = orderPriceProblem(request);
    if (badPrice) return this.refuse('invalid', badPrice, source, intent, now, request.qty);
    const reducing = intent.purpose !== 'entry' && isReducing(request, positions);
    const verdict = this.accountRisk.check(
      request,
      {
        account,
        instrument,
        openPositions: positions,
        workingOrders: this.exec.openOrders(),
        price,
        priceOf: this.priceOf,
        now,
        killSwitch: this.killSwitch.reason,
        bot: botRisk ? { maxOpenPositions: botRisk.settings.maxOpenPositions, dailyLossLimitR: botRisk.settings.dailyLossLimitR ?? null, riskPerTrade: botRisk.settings.riskPerTrade } : undefined,
      },
      reducing,
    );
    if (!verdict.ok) return this.refuse(verdict.code, verdict.message, source, intent, now, request.qty);
    options.onAccepted?.(request);
    try {
      const order = this.exec.place(request);
      this.accountRisk.accepted(now);
      return { ok: true, order };
    } catch (error) {
      if (error instanceof AccountHaltedError) return this.refuse('halted', error.message, source, intent, now, request.qty);
      if (error instanceof OrderValidationError) return this.refuse('invalid', error.message, source, intent, now, request.qty);
      throw error;
    }
  }

  /** Any symbol's reference price, made once (the account checks take it with every order). */
  private readonly priceOf = (symbol: string): number | undefined => this.referencePrice(symbol);

  /**
   * A refusal: counted and published with the request as the intent asked for it (its own keys,
   * the account's id, the quantity so far: the sized one once the bot's risk engine sized it).
   */
  private refuse(code: RiskCode, message: string, source: OrderSource, intent: OrderIntent, now: number, qty = intent.qty ?? 0): SubmitOutcome {
    this.accountRisk.refused(code, source);
    if (this.bus.hasListeners('risk-rejected')) {
      const { refPrice: _refPrice, ...fields } = intent;
      const request: OrderRequest = { ...fields, accountId: this.portfolio.accountId, qty };
      this.bus.publish({ type: 'risk-rejected', accountId: this.portfolio.accountId, source, code, request, reason: message, ts: now });
    }
    return { ok: false, code, message };
  }

  /** `submit` for callers that work with exceptions: the order, or an OrderRefusedError (AccountHaltedError when halted). */
  placeOrder(source: OrderSource, intent: OrderIntent, options?: SubmitOptions): Order {
    const r = this.submit(intent, source, options);
    if (r.ok) return r.order;
    if (r.code === 'halted') throw new AccountHaltedError(r.message);
    throw new OrderRefusedError(r.code, r.message);
  }

  /** The last price the kernel knows for a symbol: its last tick or bar, the position's mark, or the fallback. */
  referencePrice(symbol: string): number | undefined {
    return this.data.lastPrice(symbol) ?? this.portfolio.position(symbol)?.markPrice ?? this.deps.lastPrice?.(symbol);
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  get instruments(): InstrumentRegistry {
    return this.deps.instruments;
  }

  get broker(): Broker {
    return this.deps.broker;
  }

  /** Adds a bot; `options.risk` gives it its own sizing and slots (a preset's risk block). */
  addBot(id: string, strategy: Strategy, options: BotOptions = {}): Bot {
    if (this.bots.has(id)) throw new Error(`bot ${id} already exists`);
    for (const s of strategy.symbols) {
      this.deps.instruments.get(s);
      this.data.subscribeBars(s, strategy.barIntervalMs);
    }
    const bot = new Bot(id, strategy, {
      clock: this.deps.clock,
      data: this.data,
      bus: this.bus,
      execution: this.execution,
      submit: (intent, options) => this.submit(intent, options.source ?? 'bot', options),
      source: options.source ?? 'bot',
      portfolio: this.portfolio,
      risk: options.risk ? new RiskEngine(options.risk, [this.killSwitch, ...(this.deps.gates ?? [])]) : this.risk,
      timer: options.timer,
      onCycle: options.onCycle,
      instruments: this.deps.instruments,
      scanIntervalMs: this.deps.scanIntervalMs ?? 5_000,
    });
    this.bots.set(id, bot);
    return bot;
  }

  removeBot(id: string): void {
    this.bots.get(id)?.stop();
    this.bots.delete(id);
  }

  bot(id: string): Bot | undefined {
    return this.bots.get(id);
  }

  allBots(): Bot[] {
    return [...this.bots.values()];
  }

  /** Entry point for market data: bars, strategies, marks, then the broker's matching. */
  onTick(tick: Tick): void {
    this.rollDay(tick.ts);
    const marked = this.portfolio.mark(tick.symbol, tick.price);
    this.data.onTick(tick);
    if (marked) this.publishMark(marked);
  }

  /**
   * Entry point for a closed bar from a bar feed (exchange klines, stored history, backtests),
   * for consumers that get bars rather than ticks; do not also feed that symbol's ticks.
   * Call it with the clock at the bar's close (start + intervalMs). In order: the UTC day
   * rolls at the bar's open; the venue matches working orders on the bar's range (`matchBar`,
   * fills stamped with the bar's open time); positions are marked at the close; the bar goes
   * into the history and to the strategies (the same `onBar` they get from bars built from
   * ticks), whose market orders then fill at the next bar's open.
   */
  onBar(bar: Bar): void {
    this.rollDay(bar.start);
    this.deps.matchBar?.(bar);
    const marked = this.portfolio.mark(bar.symbol, bar.close);
    this.data.onBar(bar);
    if (marked) this.publishMark(marked);
  }

  private rollDay(ts: number): void {
    // The usual case, answered by a small method V8 inlines: no number boxed for a call per bar.
    if (this.portfolio.inDay(ts)) return;
    if (this.portfolio.rollDay(ts)) {
      this.deps.store.saveAccount(this.portfolio.accountState());
      this.bus.publish({ type: 'account', account: this.portfolio.view(), material: true });
    }
  }

  /** Mark-to-market events are built only when someone listens: a backtest has no listener. */
  private publishMark(marked: Position): void {
    if (this.markListenersAt !== this.bus.subscriptions) {
      this.markListenersAt = this.bus.subscriptions;
      this.positionListened = this.bus.hasListeners('position');
      this.accountListened = this.bus.hasListeners('account');
    }
    if (this.positionListened) this.bus.publish({ type: 'position', position: { ...marked }, change: 'marked' });
    if (this.accountListened) this.bus.publish({ type: 'account', account: this.portfolio.view(), material: false });
  }

  /** Whether position and account events have listeners, as of the bus's `subscriptions` count `markListenersAt`. */
  private markListenersAt = -1;
  private positionListened = false;
  private accountListened = false;

  private newAccount(): Account {
    const { id, currency, startingBalance, leverage } = this.deps.account;
    const now = this.deps.clock.now();
    return {
      id,
      currency,
      leverage,
      startingBalance,
      balance: startingBalance,
      realizedPnl: 0,
      fees: 0,
      dayStartEquity: startingBalance,
      day: utcDay(now),
      updatedAt: now,
    };
  }
}

/**
 * The order request of an intent: the kernel's account, a quantity (0 until sized), no `refPrice`.
 * One literal of every field rather than rest and spread (a runtime call each, per order); an
 * intent's own extra keys are not part of a request.
 */
function requestOf(intent: OrderIntent, accountId: string): OrderRequest {
  return {
    accountId,
    botId: intent.botId,
    symbol: intent.symbol,
    side: intent.side,
    type: intent.type,
    purpose: intent.purpose,
    qty: intent.qty ?? 0,
    price: intent.price,
    stopPrice: intent.stopPrice,
    reason: intent.reason,
    stopLoss: intent.stopLoss,
    takeProfit: intent.takeProfit,
    tag: intent.tag,
  };
}

/** Drops undefined values, so a partial override keeps the defaults of the keys it leaves out. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
