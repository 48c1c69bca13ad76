import type { Instrument, InstrumentKind } from '../core/instruments.js';
import { roundToStep } from '../core/instruments.js';
import type { OrderSide } from '../core/orders.js';

export interface FeeModel {
  /** Fee in account currency for a fill. */
  fee(instrument: Instrument, qty: number, price: number, liquidity: 'maker' | 'taker'): number;
}

export interface FeeSchedule {
  /** Fraction of notional, e.g. 0.0004 = 4 bps (Binance USD-M taker). */
  takerRate: number;
  makerRate: number;
  /** Fixed fee per contract, for futures (e.g. 2.25 per side). */
  perContract: number;
}

export const ZERO_FEES: FeeSchedule = { takerRate: 0, makerRate: 0, perContract: 0 };

/** Fees by instrument kind: crypto pays a share of notional, futures a fee per contract. */
export class ScheduleFeeModel implements FeeModel {
  constructor(private readonly schedules: Readonly<Record<InstrumentKind, FeeSchedule>>) {}

  static uniform(schedule: FeeSchedule): ScheduleFeeModel {
    return new ScheduleFeeModel({ spot: schedule, perpetual: schedule, future: schedule });
  }

  fee(instrument: Instrument, qty: number, price: number, liquidity: 'maker' | 'taker'): number {
    const schedule = this.schedules[instrument.kind];
    const rate = liquidity === 'maker' ? schedule.makerRate : schedule.takerRate;
    const notional = qty * price * instrument.pointValue;
    return Math.round((notional * rate + qty * schedule.perContract) * 1e8) / 1e8;
  }
}

export interface SlippageModel {
  /** The price actually paid by a market-like fill, worse than `price` for the taker. */
  apply(instrument: Instrument, side: OrderSide, price: number): number;
}

/** Fixed slippage in ticks against the taker. */
export class TickSlippage implements SlippageModel {
  constructor(private readonly ticks: number) {}

  apply(instrument: Instrument, side: OrderSide, price: number): number {
    if (this.ticks === 0) return price;
    const shift = this.ticks * instrument.tickSize;
    return roundToStep(side === 'buy' ? price + shift : price - shift, instrument.tickSize);
  }
}
