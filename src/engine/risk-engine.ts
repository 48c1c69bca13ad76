import type { Instrument } from '../core/instruments.js';
import { floorToStep } from '../core/instruments.js';
import type { AccountView, Position, PositionSide } from '../core/portfolio-types.js';
import type { AccountRiskLimits } from './account-risk.js';

/** What a strategy asks for when it wants to open or add to a position. */
export interface EntryIntent {
  symbol: string;
  side: PositionSide;
  /** Expected entry price (last price for market entries, the limit for limit entries). */
  price: number;
  /**
   * The protective stop; null or absent for an entry without one (then `qty` is required, the
   * stop-side gate does not apply, no stop order is attached and the trade's pnlR is null).
   */
  stopPrice?: number | null;
  takeProfit?: number | null;
  /** A fixed quantity; when absent the risk engine sizes from the stop distance. */
  qty?: number;
  reason: string;
}

export interface RiskContext {
  /** The bot asking. */
  botId: string;
  account: AccountView;
  instrument: Instrument;
  openPositions: readonly Position[];
  position: Position | undefined;
}

/** A pluggable check: null lets the intent pass, a string is the reason to refuse it. */
export interface RiskGate {
  readonly name: string;
  check(intent: EntryIntent, ctx: RiskContext): string | null;
}

/** A bot's sizing and own limits (the account-wide ones are `AccountRiskLimits`). */
export interface RiskConfig {
  /** Fraction of equity risked per trade (0.01 = 1%). */
  riskPerTrade: number;
  /** This bot's open positions plus working entries. */
  maxOpenPositions: number;
  /** Cap on one entry's notional as a multiple of equity (sizing). */
  maxLeverage: number;
  /** The bot's daily loss stop in R of the account's day P/L (a breakout preset's daily_risk_limit_r); absent: none. */
  dailyLossLimitR?: number | null;
}

export type SizingDecision = { ok: true; qty: number } | { ok: false; reason: string };
type CodedDecision = { ok: true; qty: number } | { ok: false; code: string; reason: string };

/**
 * The live defaults, also the backtests' (so a backtest trades under the limits live trading
 * would apply); `src/cli/config-defaults.ts` embeds them.
 */
export const DEFAULT_RISK: RiskConfig = { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 };
export const DEFAULT_ACCOUNT_LEVERAGE = 10;
export const DEFAULT_ACCOUNT_LIMITS: AccountRiskLimits = {
  maxGrossLeverage: 5,
  maxNetLeverage: 5,
  maxOpenPositionsPerAccount: 10,
  dailyLossLimitPct: 5,
  maxOrdersPerMinute: 120,
  allowedInstruments: [],
  marginCheck: true,
};

export class MaxOpenPositionsGate implements RiskGate {
  readonly name = 'max_open_positions';
  constructor(private readonly max: number) {}

  check(_intent: EntryIntent, ctx: RiskContext): string | null {
    if (ctx.position) return null; // adding to an open position does not open a new one
    // The limit is per bot: each bot has its own slots on the shared account.
    const mine = ctx.openPositions.filter((p) => p.botId === ctx.botId).length;
    return mine >= this.max ? `max open positions reached (${mine}/${this.max})` : null;
  }
}

/** One bot per symbol: a bot may not trade into a position another bot holds. */
export class SymbolOwnershipGate implements RiskGate {
  readonly name = 'symbol_owner';
  check(_intent: EntryIntent, ctx: RiskContext): string | null {
    return ctx.position && ctx.position.botId !== ctx.botId ? `${ctx.position.symbol} is held by bot ${ctx.position.botId}` : null;
  }
}

export class StopSideGate implements RiskGate {
  readonly name = 'stop_side';
  check(intent: EntryIntent): string | null {
    const stop = intent.stopPrice;
    if (stop == null) return null; // no stop: nothing to be on the wrong side (sizing needs a qty)
    const wrong = intent.side === 'long' ? stop >= intent.price : stop <= intent.price;
    return wrong ? `stop ${stop} is on the wrong side of entry ${intent.price} for a ${intent.side}` : null;
  }
}

export class KillSwitchGate implements RiskGate {
  readonly name = 'kill_switch';
  private why: string | null = null;

  /** Why it is engaged, or null while trading is allowed. */
  get reason(): string | null {
    return this.why;
  }

  engage(reason: string): void {
    this.why = reason;
  }

  release(): void {
    this.why = null;
  }

  check(): string | null {
    return this.why ? `trading halted: ${this.why}` : null;
  }
}

/** Sizes entries by risk per trade and runs every gate; the first refusal wins. */
export class RiskEngine {
  private readonly gates: RiskGate[];

  constructor(
    private readonly config: RiskConfig,
    extraGates: readonly RiskGate[] = [],
  ) {
    if (!(config.riskPerTrade > 0 && config.riskPerTrade <= 0.1)) {
      throw new Error(`riskPerTrade must be in (0, 0.1], got ${config.riskPerTrade}`);
    }
    this.gates = [new StopSideGate(), new SymbolOwnershipGate(), new MaxOpenPositionsGate(config.maxOpenPositions), ...extraGates];
  }

  addGate(gate: RiskGate): void {
    this.gates.push(gate);
  }

  get settings(): RiskConfig {
    return this.config;
  }

  evaluate(intent: EntryIntent, ctx: RiskContext): SizingDecision {
    const d = this.decide(intent, ctx);
    return d.ok ? d : { ok: false, reason: d.reason };
  }

  /**
   * The bot's gates and sizing; the code is the refusing gate's name (`max_open_positions` is
   * reported as `max_positions_bot`); the account-wide limits follow in `AccountRisk`.
   */
  decide(intent: EntryIntent, ctx: RiskContext): CodedDecision {
    for (const gate of this.gates) {
      const reason = gate.check(intent, ctx);
      if (reason) return { ok: false, code: gate.name === 'max_open_positions' ? 'max_positions_bot' : gate.name, reason: `${gate.name}: ${reason}` };
    }
    const inst = ctx.instrument;
    if (intent.qty == null && intent.stopPrice == null) {
      return { ok: false, code: 'sizing', reason: 'sizing: an entry without a stop needs a fixed qty' };
    }
    let qty = intent.qty ?? this.sizeFromStop(intent, ctx);
    const maxNotionalQty = (ctx.account.equity * this.config.maxLeverage) / (intent.price * inst.pointValue);
    qty = floorToStep(Math.min(qty, maxNotionalQty), inst.qtyStep);
    if (!(qty >= inst.minQty)) {
      return { ok: false, code: 'sizing', reason: `sizing: quantity ${qty} below minimum ${inst.minQty} for ${inst.symbol}` };
    }
    return { ok: true, qty };
  }

  /** qty = equity * riskPerTrade / (|entry - stop| * pointValue) */
  sizeFromStop(intent: EntryIntent, ctx: RiskContext): number {
    if (intent.stopPrice == null) return 0;
    const perUnit = Math.abs(intent.price - intent.stopPrice) * ctx.instrument.pointValue;
    if (!(perUnit > 0)) return 0;
    return (ctx.account.equity * this.config.riskPerTrade) / perUnit;
  }
}
