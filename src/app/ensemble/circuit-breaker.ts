/**
 * The coordinator's circuit breaker (config `safety`): while any condition holds it is `active`
 * and the coordinator opens no trade (positions already open keep their stop and target).
 * - daily loss: the UTC day's realised P&L of the coordinator's trades at or below
 *   -max_daily_loss_usd, or -max_daily_loss_percent of the day's starting equity (until the day ends);
 * - consecutive losses: that many losing trades in a row, for circuit_breaker_cooldown_seconds
 *   after the last of them (a win resets the count);
 * - error rate: failed model requests / all model requests over the last error_rate_window
 *   heartbeats at or above max_error_rate;
 * - too few models online: fewer than min_models_online.
 */
import type { Clock } from '../../core/clock.js';

export interface SafetyRules {
  maxDailyLossPercent: number;
  maxDailyLossUsd: number;
  consecutiveLosses: number;
  cooldownMs: number;
  maxErrorRate: number;
  errorWindow: number;
  minModelsOnline: number;
}

export interface BreakerInputs {
  /** Realised P&L of today's closed trades. */
  dailyPnl: number;
  /** Equity at the start of the UTC day (percent limit). */
  dayStartEquity: number;
  modelsOnline: number;
}

export interface BreakerState {
  active: boolean;
  reasons: string[];
}

export class CircuitBreaker {
  private lossesInRow = 0;
  private lossTripUntil = Number.NEGATIVE_INFINITY;
  private readonly window: { requests: number; failures: number }[] = [];

  constructor(
    private readonly rules: SafetyRules,
    private readonly clock: Clock,
  ) {}

  get consecutiveLosses(): number {
    return this.lossesInRow;
  }

  /** A closed trade's net P&L (0 is neither a win nor a loss). */
  recordTrade(pnl: number): void {
    if (pnl < 0) {
      this.lossesInRow += 1;
      if (this.rules.consecutiveLosses > 0 && this.lossesInRow >= this.rules.consecutiveLosses) this.lossTripUntil = this.clock.now() + this.rules.cooldownMs;
    } else if (pnl > 0) this.lossesInRow = 0;
  }

  /** One heartbeat's model requests and how many of them failed. */
  recordRequests(requests: number, failures: number): void {
    this.window.push({ requests, failures });
    while (this.window.length > this.rules.errorWindow) this.window.shift();
  }

  errorRate(): number {
    let requests = 0;
    let failures = 0;
    for (const w of this.window) {
      requests += w.requests;
      failures += w.failures;
    }
    return requests > 0 ? failures / requests : 0;
  }

  evaluate(inputs: BreakerInputs): BreakerState {
    const r = this.rules;
    const reasons: string[] = [];
    const loss = -inputs.dailyPnl;
    if (r.maxDailyLossUsd > 0 && loss >= r.maxDailyLossUsd) reasons.push(`daily loss ${loss.toFixed(2)} reached the limit of ${r.maxDailyLossUsd}`);
    else if (r.maxDailyLossPercent > 0 && inputs.dayStartEquity > 0 && loss >= inputs.dayStartEquity * r.maxDailyLossPercent) {
      reasons.push(`daily loss ${loss.toFixed(2)} reached ${(r.maxDailyLossPercent * 100).toFixed(2)}% of the day's starting equity`);
    }
    if (this.clock.now() < this.lossTripUntil) reasons.push(`${this.lossesInRow} consecutive losses (cooldown until ${new Date(this.lossTripUntil).toISOString()})`);
    const rate = this.errorRate();
    if (rate >= r.maxErrorRate && r.maxErrorRate < 1) reasons.push(`model error rate ${(rate * 100).toFixed(1)}% over the last ${this.window.length} heartbeat(s)`);
    if (inputs.modelsOnline < r.minModelsOnline) reasons.push(`too few models online (${inputs.modelsOnline} of at least ${r.minModelsOnline})`);
    return { active: reasons.length > 0, reasons };
  }
}
