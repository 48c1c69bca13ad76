export type InstrumentKind = 'spot' | 'perpetual' | 'future';

export interface Instrument {
  symbol: string;
  kind: InstrumentKind;
  description: string;
  /** Smallest price increment. */
  tickSize: number;
  /** Currency value of a one-point move for one unit (contract multiplier); 1 for crypto. */
  pointValue: number;
  /** Quantity increment and minimum order quantity. */
  qtyStep: number;
  minQty: number;
  /** Largest quantity of one order or fill (a fat-finger and overflow guard, see money-checks.ts). */
  maxQty: number;
  currency: string;
}

export const BUILTIN_INSTRUMENTS: readonly Instrument[] = Object.freeze([
  { symbol: 'BTC/USDT', kind: 'perpetual', description: 'Bitcoin / Tether', tickSize: 0.1, pointValue: 1, qtyStep: 0.001, minQty: 0.001, maxQty: 1_000, currency: 'USDT' },
  { symbol: 'ETH/USDT', kind: 'perpetual', description: 'Ether / Tether', tickSize: 0.01, pointValue: 1, qtyStep: 0.001, minQty: 0.001, maxQty: 10_000, currency: 'USDT' },
  { symbol: 'ES', kind: 'future', description: 'E-mini S&P 500', tickSize: 0.25, pointValue: 50, qtyStep: 1, minQty: 1, maxQty: 2_000, currency: 'USD' },
  { symbol: 'NQ', kind: 'future', description: 'E-mini Nasdaq-100', tickSize: 0.25, pointValue: 20, qtyStep: 1, minQty: 1, maxQty: 2_000, currency: 'USD' },
  { symbol: 'MES', kind: 'future', description: 'Micro E-mini S&P 500', tickSize: 0.25, pointValue: 5, qtyStep: 1, minQty: 1, maxQty: 10_000, currency: 'USD' },
  { symbol: 'MNQ', kind: 'future', description: 'Micro E-mini Nasdaq-100', tickSize: 0.25, pointValue: 2, qtyStep: 1, minQty: 1, maxQty: 10_000, currency: 'USD' },
] satisfies Instrument[]);

export class InstrumentRegistry {
  private readonly bySymbol = new Map<string, Instrument>();

  constructor(instruments: readonly Instrument[]) {
    for (const i of instruments) this.bySymbol.set(i.symbol, i);
  }

  get(symbol: string): Instrument {
    const found = this.bySymbol.get(symbol);
    if (!found) throw new Error(`Unknown instrument ${symbol}`);
    return found;
  }

  find(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  all(): Instrument[] {
    return [...this.bySymbol.values()];
  }
}

/** Number of decimals needed to print multiples of `step` exactly. */
export function decimalsOf(step: number): number {
  const text = step.toString();
  if (text.includes('e-')) return Number(text.split('e-')[1]);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Steps that are powers of ten (1, 0.1 ... 1e-8): the index is their number of decimals. */
const DECIMAL_STEPS: readonly number[] = [1, 0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8];
const POWERS_OF_TEN: readonly number[] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
/** Below this many steps, k x step is within far less than half a step of k / 10^d. */
const EXACT_STEPS = 2 ** 46;

/**
 * k steps as a number. For a power-of-ten step, k / 10^d is the double nearest to the decimal
 * k x 10^-d, exactly what printing k x step with d decimals and parsing it gives, without the
 * strings (prices and quantities are rounded on every order and fill). Other steps print.
 */
function stepsToNumber(k: number, step: number): number {
  for (let d = 0; d < DECIMAL_STEPS.length; d += 1) {
    if (step === DECIMAL_STEPS[d]) {
      if (Math.abs(k) < EXACT_STEPS) return k / (POWERS_OF_TEN[d] as number) + 0; // + 0: no -0
      break;
    }
  }
  return Number((k * step).toFixed(decimalsOf(step)));
}

export function roundToStep(value: number, step: number): number {
  return stepsToNumber(Math.round(value / step), step);
}

export function floorToStep(value: number, step: number): number {
  // The epsilon keeps 0.3/0.1 from flooring to 2.
  return stepsToNumber(Math.floor(value / step + 1e-9), step);
}
