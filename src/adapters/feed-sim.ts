import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Clock } from '../core/clock.js';
import type { Instrument, InstrumentRegistry } from '../core/instruments.js';
import { floorToStep, roundToStep } from '../core/instruments.js';
import type { Tick } from '../core/market.js';
import type { Cancel, MarketFeed, Scheduler } from '../core/ports.js';

export interface SimInstrumentConfig {
  symbol: string;
  startPrice: number;
  /** Annualised volatility, e.g. 0.55 for 55%. */
  annualVol: number;
  /** Mean traded size per print, in units or contracts. */
  meanSize: number;
  /** Mean number of exchange trades per print. */
  meanTrades: number;
}

export interface SimFeedConfig {
  seed: number;
  tickIntervalMs: number;
  instruments: SimInstrumentConfig[];
  /**
   * Each step moves prices by one nominal tick interval, whatever the timer's jitter: the same
   * seed then gives the same prices on every run (TRADEWIND_SEED). Default: the clock's elapsed time.
   */
  fixedStep?: boolean;
}

const YEAR_SECONDS_24_7 = 365 * 24 * 3600;
// Futures volatility is quoted over trading time: 252 sessions of 6.5 hours.
const YEAR_SECONDS_SESSIONS = 252 * 6.5 * 3600;
/** Volatility clusters: the regime's standard deviation (log scale) and its time constant. */
const REGIME_SPREAD = 0.3;
const REGIME_HALF_LIFE_S = 120;

interface WalkState {
  inst: Instrument;
  cfg: SimInstrumentConfig;
  /** Unrounded price; prints are rounded to the tick size. */
  price: number;
  /** Log of the volatility regime multiplier, mean-reverting (volatility clusters). */
  regime: number;
  sigmaPerSqrtSecond: number;
}

/**
 * Seeded random-walk market: geometric Brownian motion with clustered volatility, lognormal
 * print sizes and exponentially distributed trade counts. The same seed gives the same path.
 */
export class SimulatedFeed implements MarketFeed {
  private readonly rng;
  private readonly walks: WalkState[];
  private cancel: Cancel | null = null;
  private lastTs = 0;

  constructor(
    private readonly config: SimFeedConfig,
    private readonly registry: InstrumentRegistry,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    startPrices: Readonly<Record<string, number>> = {},
  ) {
    this.rng = xoroshiro128plus(config.seed);
    this.walks = config.instruments.map((cfg) => {
      const inst = registry.get(cfg.symbol);
      const year = inst.kind === 'future' ? YEAR_SECONDS_SESSIONS : YEAR_SECONDS_24_7;
      return {
        inst,
        cfg,
        price: startPrices[cfg.symbol] ?? cfg.startPrice,
        regime: 0,
        sigmaPerSqrtSecond: cfg.annualVol / Math.sqrt(year),
      };
    });
  }

  instruments(): Instrument[] {
    return this.walks.map((w) => w.inst);
  }

  start(onTick: (tick: Tick) => void): void {
    if (this.cancel) return;
    this.lastTs = this.clock.now();
    this.cancel = this.scheduler.every(this.config.tickIntervalMs, () => {
      for (const t of this.step()) onTick(t);
    });
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  /** Advances every instrument to the clock's time; most instruments print on most steps. */
  step(): Tick[] {
    const now = this.clock.now();
    const dt = this.config.fixedStep ? this.config.tickIntervalMs / 1000 : Math.max(0.001, (now - this.lastTs) / 1000);
    this.lastTs = now;
    const ticks: Tick[] = [];
    for (const w of this.walks) {
      // Log-volatility is an Ornstein-Uhlenbeck process sampled exactly at any step size;
      // exp(regime - s^2) has mean square 1, so the long-run variance is annualVol^2.
      const phi = Math.exp(-dt / REGIME_HALF_LIFE_S);
      w.regime = phi * w.regime + REGIME_SPREAD * Math.sqrt(1 - phi * phi) * this.gaussian();
      const sigma = w.sigmaPerSqrtSecond * Math.exp(w.regime - REGIME_SPREAD * REGIME_SPREAD) * Math.sqrt(dt);
      w.price *= Math.exp(sigma * this.gaussian() - 0.5 * sigma * sigma);
      if (this.uniform() > 0.85) continue; // no print this step
      const size = Math.max(w.inst.qtyStep, floorToStep(w.cfg.meanSize * Math.exp(0.8 * this.gaussian() - 0.32), w.inst.qtyStep));
      const trades = 1 + Math.floor(-Math.log(1 - this.uniform()) * Math.max(0, w.cfg.meanTrades - 1));
      ticks.push({ symbol: w.inst.symbol, ts: now, price: roundToStep(w.price, w.inst.tickSize), size, trades });
    }
    return ticks;
  }

  private uniform(): number {
    return uniformFloat64(this.rng);
  }

  /** Box-Muller: no library offers a seeded normal variate on top of pure-rand. */
  private gaussian(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

export const DEFAULT_SIM_INSTRUMENTS: SimInstrumentConfig[] = [
  { symbol: 'BTC/USDT', startPrice: 95_000, annualVol: 0.55, meanSize: 0.08, meanTrades: 6 },
  { symbol: 'ETH/USDT', startPrice: 3_300, annualVol: 0.7, meanSize: 1.5, meanTrades: 5 },
  { symbol: 'ES', startPrice: 6_000, annualVol: 0.16, meanSize: 4, meanTrades: 3 },
  { symbol: 'NQ', startPrice: 21_500, annualVol: 0.22, meanSize: 2, meanTrades: 2 },
];
