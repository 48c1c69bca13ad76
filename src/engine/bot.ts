import type { Clock } from '../core/clock.js';
import type { Cancel } from '../core/ports.js';
import { closingSide } from '../core/portfolio-types.js';
import type { ExecutionControls, OrderIntent, SubmitOptions, SubmitOutcome } from './kernel.js';
import type { OrderSource } from './account-risk.js';
import type { MessageBus } from './message-bus.js';
import type { Portfolio } from './portfolio.js';
import type { RiskEngine } from './risk-engine.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { EntryResult, Strategy, StrategyContext } from './strategy.js';
import type { EntryIntent } from './risk-engine.js';
import type { DataEngine } from './data-engine.js';
import type { BotPhase } from '../core/scanner.js';

export interface BotDeps {
  clock: Clock;
  data: DataEngine;
  bus: MessageBus;
  execution: ExecutionControls;
  /** The kernel's one order entry (Kernel.submit): risk, then execution. */
  submit: (intent: OrderIntent, options: SubmitOptions & { source?: OrderSource }) => SubmitOutcome;
  source: OrderSource;
  portfolio: Portfolio;
  risk: RiskEngine;
  instruments: InstrumentRegistry;
  /** Minimum time between two scan summaries. */
  scanIntervalMs: number;
  /** A monotonic timer in ms (performance.now) to measure strategy cycles; metrics only. */
  timer?: () => number;
  onCycle?: (durationMs: number) => void;
}

/** A strategy bound to an account: feeds it bars, turns its intents into orders. */
export class Bot {
  private readonly statuses = new Map<string, string | (() => string)>();
  private statusesChanged = false;
  private lastScanAt = Number.NEGATIVE_INFINITY;
  private unsubscribe: Cancel[] = [];
  private running = false;
  readonly context: StrategyContext;

  constructor(
    readonly id: string,
    readonly strategy: Strategy,
    private readonly deps: BotDeps,
  ) {
    this.context = this.buildContext();
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const symbols = new Set(this.strategy.symbols);
    this.unsubscribe.push(
      this.deps.bus.on('bar', ({ bar }) => {
        if (!symbols.has(bar.symbol) || bar.intervalMs !== this.strategy.barIntervalMs) return;
        const started = this.deps.timer?.();
        this.strategy.onBar(bar, this.context);
        this.maybePublishScan();
        if (started !== undefined) this.deps.onCycle?.((this.deps.timer?.() ?? started) - started);
      }),
    );
    const onTick = this.strategy.onTick?.bind(this.strategy);
    if (onTick) {
      this.unsubscribe.push(this.deps.bus.on('tick', ({ tick }) => symbols.has(tick.symbol) && onTick(tick, this.context)));
    }
  }

  stop(): void {
    this.running = false;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** The working phase the strategy last reported. */
  phase: BotPhase | null = null;

  private setPhase(phase: BotPhase, reason: string): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.deps.bus.publish({ type: 'bot-phase', botId: this.id, phase, reason, ts: this.deps.clock.now() });
  }

  /** The bot sees only positions it opened; another bot's position on the symbol is not its. */
  private ownPosition(symbol: string) {
    const p = this.deps.portfolio.position(symbol);
    return p && p.botId === this.id ? p : undefined;
  }

  /** Whether the bus has scan listeners, as of its `subscriptions` count `scanListenersAt`. */
  private scanListenersAt = -1;
  private scanListened = false;

  private maybePublishScan(): void {
    if (!this.statusesChanged) return;
    const bus = this.deps.bus;
    if (this.scanListenersAt !== bus.subscriptions) {
      this.scanListenersAt = bus.subscriptions;
      this.scanListened = bus.hasListeners('scan');
    }
    if (!this.scanListened) return;
    const now = this.deps.clock.now();
    if (now - this.lastScanAt < this.deps.scanIntervalMs) return;
    this.lastScanAt = now;
    this.statusesChanged = false;
    const symbols: Record<string, string> = {};
    for (const [symbol, status] of this.statuses) symbols[symbol] = typeof status === 'function' ? status() : status;
    this.deps.bus.publish({ type: 'scan', scan: { timestamp: now, symbols, count: this.statuses.size } });
  }

  private enter(intent: EntryIntent): EntryResult {
    const { risk, clock, bus, source } = this.deps;
    const r = this.deps.submit(
      {
        botId: this.id,
        symbol: intent.symbol,
        side: intent.side === 'long' ? 'buy' : 'sell',
        type: 'market',
        purpose: 'entry',
        qty: intent.qty,
        refPrice: intent.price,
        stopLoss: intent.stopPrice ?? null,
        takeProfit: intent.takeProfit ?? null,
        reason: intent.reason,
        tag: this.strategy.mode,
      },
      {
        source,
        risk,
        // The signal is built only for listeners (no closure per entry in a backtest).
        onAccepted: bus.hasListeners('signal')
          ? () =>
              bus.publish({
                type: 'signal',
                signal: { botId: this.id, symbol: intent.symbol, side: intent.side, price: intent.price, stopPrice: intent.stopPrice ?? null, reason: intent.reason, ts: clock.now() },
              })
          : undefined,
      },
    );
    return r.ok ? { ok: true, orderId: r.order.id, qty: r.order.qty } : { ok: false, reason: r.message };
  }

  private exit(symbol: string, reason: string): boolean {
    const { execution, source } = this.deps;
    const position = this.ownPosition(symbol);
    if (!position || execution.hasOpenOrder(symbol, ['exit'])) return false;
    const r = this.deps.submit(
      { botId: this.id, symbol, side: closingSide(position.side), type: 'market', purpose: 'exit', qty: position.qty, reason, tag: this.strategy.mode },
      { source },
    );
    return r.ok;
  }

  private buildContext(): StrategyContext {
    const d = this.deps;
    return {
      botId: this.id,
      now: () => d.clock.now(),
      instrument: (s) => d.instruments.get(s),
      position: (s) => this.ownPosition(s),
      hasWorkingOrder: (s) => d.execution.hasOpenOrder(s, ['entry', 'exit']),
      account: () => d.portfolio.view(),
      enter: (intent) => this.enter(intent),
      exit: (symbol, reason) => this.exit(symbol, reason),
      setStatus: (symbol, status) => {
        if (this.statuses.get(symbol) === status) {
          // The same text: nothing new. The same function may render new text: a summary is due.
          if (typeof status === 'function') this.statusesChanged = true;
          return;
        }
        this.statuses.set(symbol, status);
        this.statusesChanged = true;
      },
      history: (symbol) => d.data.history(symbol, this.strategy.barIntervalMs),
      marketStats: (symbol) => d.data.marketStats(symbol),
      setPhase: (phase, reason) => this.setPhase(phase, reason),
      publishScan: (snapshot) => d.bus.publish({ type: 'scan-result', botId: this.id, snapshot }),
    };
  }
}
