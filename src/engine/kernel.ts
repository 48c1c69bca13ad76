import { utcDay, type Clock } from '../core/clock.js';
import { SequenceIds } from '../core/ids.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { Bar, Tick } from '../core/market.js';
import type { Account, Position } from '../core/portfolio-types.js';
import type { Broker, TradingStore } from '../core/ports.js';
import { Bot } from './bot.js';
import { DataEngine } from './data-engine.js';
import { ExecutionEngine } from './execution-engine.js';
import { MessageBus } from './message-bus.js';
import { Portfolio } from './portfolio.js';
import { KillSwitchGate, RiskEngine, type RiskConfig, type RiskGate } from './risk-engine.js';
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
  gates?: readonly RiskGate[];
  scanIntervalMs?: number;
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
  timer?: () => number;
  onCycle?: (durationMs: number) => void;
}

/** One account's trading kernel: data, strategies, risk, execution and portfolio on one bus. */
export class Kernel {
  readonly bus: MessageBus;
  readonly data: DataEngine;
  readonly portfolio: Portfolio;
  readonly risk: RiskEngine;
  /** Engaged by an emergency stop: every bot's entries are refused until released. */
  readonly killSwitch = new KillSwitchGate();
  readonly execution: ExecutionEngine;
  private readonly bots = new Map<string, Bot>();

  constructor(private readonly deps: KernelDeps) {
    const onError = deps.onError ?? (() => {});
    this.bus = new MessageBus((error, event) => onError(error, `bus handler for ${event.type}`));
    this.data = new DataEngine(this.bus, deps.instruments);
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
    this.execution = new ExecutionEngine({
      clock: deps.clock,
      bus: this.bus,
      store: deps.store,
      broker: deps.broker,
      portfolio: this.portfolio,
      instruments: deps.instruments,
      orderIds: new SequenceIds(`${deps.idPrefix ?? ''}O-`, restored.lastOrderSeq),
      onError,
    });
    this.execution.restore(restored.openOrders);
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
    if (this.portfolio.rollDay(ts)) {
      this.deps.store.saveAccount(this.portfolio.accountState());
      this.bus.publish({ type: 'account', account: this.portfolio.view(), material: true });
    }
  }

  /** Mark-to-market events are built only when someone listens: a backtest has no listener. */
  private publishMark(marked: Position): void {
    if (this.bus.hasListeners('position')) this.bus.publish({ type: 'position', position: { ...marked }, change: 'marked' });
    if (this.bus.hasListeners('account')) this.bus.publish({ type: 'account', account: this.portfolio.view(), material: false });
  }

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
