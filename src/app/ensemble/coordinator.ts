/**
 * Seed 004's ensemble coordinator: every `heartbeat_interval` it builds the prediction request
 * from the kernel's candles, asks every enabled model server at once (each with its timeout),
 * aggregates the answers (src/core/ensemble.ts, the same rule the ensemble backtest runs),
 * checks its circuit breaker and sends the entry through `submitOrder` (the kernel's order
 * entry: the risk engine decides and sizes within its limits) with stop loss and take profit.
 * Its trades and events go to its own journal; closed trades go back to the models as feedback.
 */
import { isoTime, utcDayStart, type Clock } from '../../core/clock.js';
import type { CoordinatorJournal, EventSeverity } from '../../core/coordinator-journal.js';
import { decideEnsemble, nextStep, planEntry, type EnsembleDecision, type EnsembleRules, type ModelVote, type SizingRules } from '../../core/ensemble.js';
import type { KernelEvent } from '../../core/events.js';
import type { ModelServerPort, PredictRequest } from '../../core/model-server.js';
import type { Bar } from '../../core/market.js';
import type { AccountView, Position } from '../../core/portfolio-types.js';
import type { Cancel, Scheduler } from '../../core/ports.js';
import type { EntryIntent } from '../../engine/risk-engine.js';
import type { EntryResult } from '../../engine/strategy.js';
import { CircuitBreaker, type BreakerState, type SafetyRules } from './circuit-breaker.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import { predictRequest } from './predict-request.js';

export interface CoordinatorSettings {
  botId: string;
  /** Kernel symbol traded (BTC/USDT). */
  symbol: string;
  /** As sent to the models (BTCUSDT). */
  requestSymbol: string;
  timeframe: string;
  candles: number;
  dryRun: boolean;
  testnet: boolean;
  maxOpenPositions: number;
  ensemble: EnsembleRules;
  sizing: SizingRules;
  safety: SafetyRules;
  heartbeatMs: number;
  healthCheckMs: number;
}

export interface WeightedModel {
  client: ModelServerPort;
  weight: number;
}

export interface CoordinatorDeps {
  clock: Clock;
  scheduler: Scheduler;
  settings: CoordinatorSettings;
  models: readonly WeightedModel[];
  journal: CoordinatorJournal;
  metrics: CoordinatorMetrics;
  /** Closed bars of the coordinator's timeframe, oldest first. */
  candles(): readonly Bar[];
  lastPrice(): number | undefined;
  volume24h(): number | null;
  account(): AccountView;
  /** The coordinator's own open position on its symbol. */
  position(): Position | undefined;
  /** The kernel's order entry (risk engine, then execution): one line to rewire. */
  submitOrder(intent: EntryIntent): EntryResult;
  closePosition(reason: string): boolean;
  /** Subscribes to the kernel's events (fills, closed trades, order changes). */
  onEvent(listener: (e: KernelEvent) => void): Cancel;
  /** Monotonic ms (performance.now) for the models' latency histogram. */
  timer?: () => number;
  /** Alerts (Telegram through the notifier), by the seed's alert levels. */
  notify?: (level: 'TRADE' | 'ERROR' | 'CIRCUIT_BREAKER' | 'WARNING', text: string) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export interface LastDecision {
  at: number;
  decision: EnsembleDecision;
  /** The risk checks passed: breaker normal, and the kernel accepted the order (or dry run). */
  riskApproved: boolean;
  /** What was done: an order id, a dry-run note, or why nothing was sent. */
  outcome: string;
  votes: ModelVote[];
  errors: string[];
}

export class EnsembleCoordinator {
  readonly breaker: CircuitBreaker;
  private running = false;
  private startedAt: number | null = null;
  private cancels: Cancel[] = [];
  private busy = false;
  private last: LastDecision | null = null;
  private breakerState: BreakerState = { active: false, reasons: [] };
  /** Entry orders refused or cancelled before their trade was journaled (order id -> how). */
  private readonly endedBeforeJournal = new Map<string, string>();
  private readonly timer: () => number;

  constructor(private readonly d: CoordinatorDeps) {
    this.breaker = new CircuitBreaker(d.settings.safety, d.clock);
    this.timer = d.timer ?? (() => performance.now());
  }

  get isRunning(): boolean {
    return this.running;
  }

  get settings(): CoordinatorSettings {
    return this.d.settings;
  }

  get models(): readonly WeightedModel[] {
    return this.d.models;
  }

  get lastDecision(): LastDecision | null {
    return this.last;
  }

  get circuitBreaker(): BreakerState {
    return this.breakerState;
  }

  uptimeSeconds(): number {
    return this.startedAt === null ? 0 : Math.max(0, (this.d.clock.now() - this.startedAt) / 1000);
  }

  /** Subscribes to the kernel's trade events; `start` also runs the heartbeat and health loops. */
  attach(): void {
    if (this.cancels.length > 0) return;
    this.cancels.push(this.d.onEvent((e) => this.onKernelEvent(e)));
  }

  start(): void {
    if (this.running) return;
    this.attach();
    this.running = true;
    this.startedAt = this.d.clock.now();
    this.event('COORDINATOR_STARTED', 'INFO', `coordinator started on ${this.d.settings.symbol} (${this.d.models.length} model server(s), ${this.d.settings.ensemble.method}${this.d.settings.dryRun ? ', dry run' : ''})`);
    void this.checkHealth();
    this.cancels.push(this.d.scheduler.every(this.d.settings.healthCheckMs, () => void this.checkHealth()));
    this.cancels.push(this.d.scheduler.every(this.d.settings.heartbeatMs, () => void this.heartbeat()));
  }

  stop(): void {
    for (const c of this.cancels) c();
    this.cancels = [];
    if (this.running) this.event('COORDINATOR_STOPPED', 'INFO', 'coordinator stopped');
    this.running = false;
  }

  /** GET /health of every model server at once; a server that does not answer is offline. */
  async checkHealth(): Promise<void> {
    await Promise.allSettled(this.d.models.map((m) => m.client.health()));
    this.refreshBreaker();
  }

  /** One decision cycle; a cycle still running when the next is due is not overlapped. */
  async heartbeat(): Promise<LastDecision | null> {
    if (this.busy) return null;
    this.busy = true;
    try {
      return await this.cycle();
    } catch (error) {
      this.d.metrics.errors.inc();
      this.event('HEARTBEAT_ERROR', 'ERROR', `heartbeat failed: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    } finally {
      this.busy = false;
    }
  }

  private async cycle(): Promise<LastDecision> {
    const s = this.d.settings;
    this.d.metrics.heartbeats.inc();
    const bars = this.d.candles().slice(-s.candles);
    const request: PredictRequest | null = bars.length > 0 ? predictRequest(bars, s.requestSymbol, s.timeframe) : null;
    const votes: ModelVote[] = [];
    const errors: string[] = [];
    let asked = 0;
    if (request) {
      const enabled = this.d.models;
      asked = enabled.length;
      const answers = await Promise.allSettled(
        enabled.map(async (m) => {
          const t0 = this.timer();
          const p = await m.client.predict(request);
          this.d.metrics.modelLatency.observe((this.timer() - t0) / 1000);
          return { m, p };
        }),
      );
      for (const a of answers) {
        if (a.status === 'fulfilled') votes.push({ name: a.value.m.client.name, action: a.value.p.action, confidence: a.value.p.confidence, probability: a.value.p.probability, weight: a.value.m.weight });
        else errors.push(a.reason instanceof Error ? a.reason.message : String(a.reason));
      }
    }
    if (errors.length > 0) this.d.metrics.errors.inc(errors.length);
    this.breaker.recordRequests(asked, errors.length);
    const decision = request ? decideEnsemble(votes, s.ensemble) : { action: 'hold' as const, lean: 'hold' as const, confidence: 0, responding: 0, agreement: 0, reason: 'no candles yet' };
    this.refreshBreaker();
    const { riskApproved, outcome, acted } = this.act(decision);
    this.d.metrics.trades.inc({ action: acted });
    this.d.metrics.confidence.set(decision.confidence);
    this.updateMoneyGauges();
    this.last = { at: this.d.clock.now(), decision, riskApproved, outcome, votes, errors };
    this.d.log?.('info', `ensemble ${decision.action}: ${outcome}`, { lean: decision.lean, confidence: decision.confidence, responding: decision.responding, errors: errors.length });
    return this.last;
  }

  private act(decision: EnsembleDecision): { riskApproved: boolean; outcome: string; acted: 'long' | 'short' | 'hold' } {
    const s = this.d.settings;
    const position = this.d.position();
    const step = nextStep(decision, position);
    if (step.kind === 'hold') return { riskApproved: !this.breakerState.active, outcome: step.why, acted: 'hold' };
    if (step.kind === 'exit') {
      const sent = s.dryRun ? false : this.d.closePosition(`ensemble turned ${decision.action}`);
      return { riskApproved: !this.breakerState.active, outcome: sent ? `closing the ${step.side} position` : `would close the ${step.side} position`, acted: 'hold' };
    }
    if (this.breakerState.active) return { riskApproved: false, outcome: `circuit breaker active: ${this.breakerState.reasons.join('; ')}`, acted: 'hold' };
    if (this.d.journal.openTrades().length >= s.maxOpenPositions) return { riskApproved: false, outcome: `max open positions (${s.maxOpenPositions})`, acted: 'hold' };
    const price = this.d.lastPrice();
    if (price === undefined) return { riskApproved: false, outcome: 'no price yet', acted: 'hold' };
    const account = this.d.account();
    const plan = planEntry(step.side, price, account.equity, s.sizing);
    if (s.dryRun) {
      const text = `[DRY RUN] would place ${plan.side} ${plan.qty.toPrecision(6)} ${s.symbol} at ~${price}, stop ${plan.stopPrice.toFixed(2)}, target ${plan.takeProfit.toFixed(2)}`;
      this.event('DRY_RUN_ORDER', 'INFO', text);
      return { riskApproved: true, outcome: text, acted: decision.action };
    }
    this.endedBeforeJournal.clear();
    const result = this.d.submitOrder({
      symbol: s.symbol,
      side: plan.side,
      price,
      qty: plan.qty,
      stopPrice: plan.stopPrice,
      takeProfit: plan.takeProfit,
      reason: `ensemble ${decision.action} ${decision.confidence.toFixed(3)} (${decision.responding} models)`,
    });
    const early = result.ok ? this.endedBeforeJournal.get(result.orderId) : undefined;
    // Only this call's orders can end before their trade is journaled: nothing is kept past it.
    this.endedBeforeJournal.clear();
    if (!result.ok) {
      this.event('ORDER_REFUSED', 'WARNING', `entry ${plan.side} refused: ${result.reason}`);
      return { riskApproved: false, outcome: `refused: ${result.reason}`, acted: 'hold' };
    }
    const tradeId = this.d.journal.openTrade(
      { timestamp: isoTime(this.d.clock.now()), symbol: s.requestSymbol, side: plan.side === 'long' ? 'LONG' : 'SHORT', entry_price: price, quantity: result.qty, ensemble_confidence: decision.confidence, model_count: decision.responding },
      result.orderId,
    );
    if (early !== undefined) {
      // Accepted by the risk engine, then refused by the broker within the same call (a venue that
      // is disconnected): without this, the open trade would block every later entry.
      this.d.journal.cancelTrade(tradeId);
      this.event('TRADE_CANCELLED', 'WARNING', `entry order ${result.orderId} ${early}`);
      return { riskApproved: false, outcome: `entry order ${result.orderId} ${early}`, acted: 'hold' };
    }
    const text = `${plan.side} ${result.qty} ${s.symbol} at ~${price} (order ${result.orderId}), stop ${plan.stopPrice.toFixed(2)}, target ${plan.takeProfit.toFixed(2)}`;
    this.event('TRADE_OPENED', 'INFO', text);
    this.d.notify?.('TRADE', text);
    return { riskApproved: true, outcome: `order ${result.orderId}`, acted: decision.action };
  }

  private onKernelEvent(e: KernelEvent): void {
    const botId = this.d.settings.botId;
    if (e.type === 'fill' && e.order.botId === botId && e.order.purpose === 'entry') {
      const t = this.d.journal.tradeOfOrder(e.order.id);
      if (t && t.status === 'OPEN' && e.order.avgFillPrice !== null) this.d.journal.setEntryPrice(t.id, e.order.avgFillPrice, e.order.filledQty);
    } else if (e.type === 'order' && e.order.botId === botId && e.order.purpose === 'entry' && (e.order.status === 'rejected' || e.order.status === 'cancelled') && e.order.filledQty === 0) {
      const t = this.d.journal.tradeOfOrder(e.order.id);
      const how = `${e.order.status}${e.order.reason ? `: ${e.order.reason}` : ''}`;
      if (t && t.status === 'OPEN') {
        this.d.journal.cancelTrade(t.id);
        this.event('TRADE_CANCELLED', 'WARNING', `entry order ${e.order.id} ${how}`);
      } else if (!t) {
        // Still inside submitOrder: act() cancels the trade once it is journaled.
        this.endedBeforeJournal.set(e.order.id, how);
      }
    } else if (e.type === 'trade-closed' && e.trade.botId === botId) {
      this.onTradeClosed(e.trade.exitPrice, e.trade.netPnl, e.trade.closedAt, e.trade.openedAt);
    }
  }

  private onTradeClosed(exitPrice: number, pnl: number, closedAt: number, openedAt: number): void {
    const open = this.d.journal.openTrades();
    const t = open[0];
    if (t) this.d.journal.closeTrade(t.id, exitPrice, pnl, isoTime(closedAt));
    this.breaker.recordTrade(pnl);
    const text = `trade closed at ${exitPrice}: P&L ${pnl.toFixed(2)} (${this.breaker.consecutiveLosses} loss(es) in a row)`;
    this.event('TRADE_CLOSED', pnl < 0 ? 'WARNING' : 'INFO', text);
    this.d.notify?.('TRADE', text);
    this.updateMoneyGauges();
    this.refreshBreaker();
    if (t) {
      const body = { trade_id: String(t.id), entry_price: t.entry_price, exit_price: exitPrice, pnl, outcome: pnl > 0 ? 'win' : 'loss', duration_seconds: Math.max(0, Math.round((closedAt - openedAt) / 1000)) };
      for (const m of this.d.models) void m.client.feedback(body).catch(() => this.d.metrics.errors.inc());
    }
  }

  private refreshBreaker(): void {
    const now = this.d.clock.now();
    const perf = this.d.journal.performance(isoTime(utcDayStart(now)));
    const account = this.d.account();
    const next = this.breaker.evaluate({ dailyPnl: perf.daily_pnl, dayStartEquity: account.dayStartEquity, modelsOnline: this.d.models.filter((m) => m.client.isOnline).length });
    const was = this.breakerState;
    this.breakerState = next;
    if (next.active !== was.active || (next.active && next.reasons.join() !== was.reasons.join())) {
      const text = next.active ? `circuit breaker active: ${next.reasons.join('; ')}` : 'circuit breaker back to normal';
      this.event('CIRCUIT_BREAKER', next.active ? 'CRITICAL' : 'INFO', text);
      this.d.notify?.('CIRCUIT_BREAKER', text);
    }
  }

  private updateMoneyGauges(): void {
    const perf = this.d.journal.performance(isoTime(utcDayStart(this.d.clock.now())));
    this.d.metrics.pnl.set(perf.total_pnl);
    this.d.metrics.balance.set(this.d.account().balance);
  }

  private event(type: string, severity: EventSeverity, message: string): void {
    this.d.journal.addEvent({ timestamp: isoTime(this.d.clock.now()), event_type: type, severity, component: 'coordinator', message });
    this.d.log?.(severity === 'INFO' ? 'info' : severity === 'WARNING' ? 'warn' : 'error', message, { event: type });
  }
}
