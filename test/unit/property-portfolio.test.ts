import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SequenceIds } from '../../src/core/ids.js';
import type { ClosedTrade } from '../../src/core/portfolio-types.js';
import { Portfolio } from '../../src/engine/portfolio.js';
import { makeFill, makeOrder, registry } from './support.js';
import { propertyOptions } from './property-support.js';

const T0 = Date.UTC(2024, 0, 2, 10);
const START = 100_000;
const instruments = registry();

interface FillStep {
  kind: 'fill';
  symbol: string;
  side: 'buy' | 'sell';
  /** Quantity in steps of the instrument. */
  steps: number;
  /** Price in ticks of the instrument. */
  ticks: number;
  fee: number;
}
interface MarkStep {
  kind: 'mark';
  symbol: string;
  ticks: number;
}


const SYMBOLS = ['BTC/USDT', 'ES', 'NQ'] as const;
const ticksOf = fc.integer({ min: 1, max: 600_000 });
const fillStep: fc.Arbitrary<FillStep> = fc.record({
  kind: fc.constant('fill' as const),
  symbol: fc.constantFrom(...SYMBOLS),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  steps: fc.integer({ min: 1, max: 5_000 }),
  ticks: ticksOf,
  fee: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }).map((c) => c / 100)),
});
const markStep: fc.Arbitrary<MarkStep> = fc.record({ kind: fc.constant('mark' as const), symbol: fc.constantFrom(...SYMBOLS), ticks: ticksOf });
const steps = fc.array(fc.oneof({ weight: 4, arbitrary: fillStep }, { weight: 1, arbitrary: markStep }), { minLength: 1, maxLength: 40 });

const qtyOf = (s: { symbol: string; steps: number }) => {
  const inst = instruments.get(s.symbol);
  // ES/NQ: whole contracts (1..50); BTC: 0.001 steps.
  return inst.qtyStep >= 1 ? 1 + (s.steps % 50) : Number((s.steps * inst.qtyStep).toFixed(3));
};
const priceOf = (s: { symbol: string; ticks: number }) => {
  const inst = instruments.get(s.symbol);
  return Number((s.ticks * inst.tickSize).toFixed(2));
};

/** Tolerance for sums of up to 40 fills of values up to ~1e9, each rounded to 1e-8. */
const close = (a: number, b: number, scale: number): boolean => Math.abs(a - b) <= 1e-6 + 1e-12 * scale;

function run() {
  const p = new Portfolio(
    { id: 'acc', currency: 'USD', leverage: 10, startingBalance: START, balance: START, realizedPnl: 0, fees: 0, dayStartEquity: START, day: '2024-01-02', updatedAt: T0 },
    instruments,
    new SequenceIds('P-'),
    new SequenceIds('T-'),
  );
  return p;
}

describe('property: portfolio accounting', () => {
  it('any sequence of fills and marks: cash = start + realised - fees, fees and realised PnL additive, realised + unrealised = the cash flows of the fills valued at the marks', () => {
    fc.assert(
      fc.property(steps, (seq) => {
        const p = run();
        let feeSum = 0;
        /** -Σ signed qty x price x pointValue: what the fills paid and received. */
        let cashFlow = 0;
        const net = new Map<string, number>();
        const mark = new Map<string, number>();
        const trades: ClosedTrade[] = [];
        let scale = START;
        for (const [i, s] of seq.entries()) {
          const inst = instruments.get(s.symbol);
          const price = priceOf(s);
          scale = Math.max(scale, price * 5_000 * inst.pointValue);
          if (s.kind === 'mark') {
            p.mark(s.symbol, price);
            if (p.position(s.symbol)) mark.set(s.symbol, price);
          } else {
            const qty = qtyOf(s);
            const id = `O-${i}`;
            const out = p.applyFill(makeFill({ id: `${id}-F1`, orderId: id, accountId: 'acc', symbol: s.symbol, side: s.side, qty, price, fee: s.fee, ts: T0 + i }), makeOrder({ id, symbol: s.symbol, side: s.side, type: 'market', qty, accountId: 'acc' }));
            if (out.closedTrade) trades.push(out.closedTrade);
            feeSum += s.fee;
            const signed = s.side === 'buy' ? qty : -qty;
            cashFlow -= signed * price * inst.pointValue;
            net.set(s.symbol, Number(((net.get(s.symbol) ?? 0) + signed).toFixed(3)));
            mark.set(s.symbol, price);
          }

          const a = p.accountState();
          const v = p.view();
          assert.ok(close(a.fees, feeSum, scale), `fees ${a.fees} = Σ fill fees ${feeSum}`);
          assert.ok(close(a.balance, START + a.realizedPnl - a.fees, scale), `balance ${a.balance} = start + realised ${a.realizedPnl} - fees ${a.fees}`);
          // Realised PnL is additive: the closed trades' gross plus what open positions realised so far.
          const openRealised = p.openPositions().reduce((sum, pos) => sum + pos.realizedPnl, 0);
          const closedGross = trades.reduce((sum, t) => sum + t.grossPnl, 0);
          assert.ok(close(a.realizedPnl, closedGross + openRealised, scale), `realised ${a.realizedPnl} = closed ${closedGross} + open ${openRealised}`);
          for (const t of trades) assert.ok(close(t.netPnl, t.grossPnl - t.fees, scale));
          // Positions are the net of the fills, on the right side.
          for (const sym of SYMBOLS) {
            const n = net.get(sym) ?? 0;
            const pos = p.position(sym);
            if (Math.abs(n) < 1e-9) assert.equal(pos, undefined, `${sym} flat`);
            else {
              assert.ok(pos, `${sym} open with ${n}`);
              assert.equal(pos.side, n > 0 ? 'long' : 'short');
              assert.ok(Math.abs(pos.qty - Math.abs(n)) < 1e-9, `${sym} qty ${pos.qty} = |${n}|`);
              assert.ok(close(pos.unrealizedPnl, (pos.markPrice - pos.avgPrice) * pos.qty * instruments.get(sym).pointValue * (pos.side === 'long' ? 1 : -1), scale));
            }
          }
          // The identity of the ledger: realised + unrealised = the fills' cash flows plus the open
          // quantities valued at their marks; so equity - start = that minus the fees.
          let valued = 0;
          for (const pos of p.openPositions()) valued += (pos.side === 'long' ? pos.qty : -pos.qty) * (mark.get(pos.symbol) as number) * instruments.get(pos.symbol).pointValue;
          assert.ok(close(a.realizedPnl + v.unrealizedPnl, cashFlow + valued, scale), `realised ${a.realizedPnl} + unrealised ${v.unrealizedPnl} = cash flows ${cashFlow} + open value ${valued}`);
          assert.ok(close(v.equity - START, a.realizedPnl + v.unrealizedPnl - a.fees, scale), 'equity change = realised + unrealised - fees');
        }
      }),
      propertyOptions({ numRuns: 600 }),
    );
  });

  it('splitting a fill changes nothing: q1 + q2 at one price books as q at that price', () => {
    fc.assert(
      fc.property(fc.array(fillStep, { maxLength: 10 }), fillStep, fc.integer({ min: 1, max: 49 }), (before, s, cut) => {
        const whole = run();
        const split = run();
        const apply = (p: Portfolio, st: FillStep, qty: number, fee: number, id: string) =>
          p.applyFill(makeFill({ id: `${id}-F1`, orderId: id, accountId: 'acc', symbol: st.symbol, side: st.side, qty, price: priceOf(st), fee, ts: T0 }), makeOrder({ id, symbol: st.symbol, side: st.side, type: 'market', qty, accountId: 'acc' }));
        for (const [i, b] of before.entries()) {
          apply(whole, b, qtyOf(b), b.fee, `B${i}`);
          apply(split, b, qtyOf(b), b.fee, `B${i}`);
        }
        const inst = instruments.get(s.symbol);
        const q = qtyOf(s);
        const units = Math.round(q / inst.qtyStep);
        fc.pre(units >= 2);
        const q1 = Number(((1 + (cut % (units - 1))) * inst.qtyStep).toFixed(3));
        const q2 = Number((q - q1).toFixed(3));
        apply(whole, s, q, 0, 'W');
        apply(split, s, q1, 0, 'S1');
        apply(split, s, q2, 0, 'S2');
        const a = whole.accountState();
        const b = split.accountState();
        const scale = priceOf(s) * 5_000 * inst.pointValue + START;
        assert.ok(close(a.balance, b.balance, scale) && close(a.realizedPnl, b.realizedPnl, scale), `whole ${JSON.stringify(a)} vs split ${JSON.stringify(b)}`);
        const pw = whole.position(s.symbol);
        const ps = split.position(s.symbol);
        assert.equal(pw?.side, ps?.side);
        assert.ok(Math.abs((pw?.qty ?? 0) - (ps?.qty ?? 0)) < 1e-9);
        if (pw && ps) assert.ok(Math.abs(pw.avgPrice - ps.avgPrice) <= 1e-9 * pw.avgPrice, `avg ${pw.avgPrice} vs ${ps.avgPrice}`);
      }),
      propertyOptions({ numRuns: 400 }),
    );
  });
});
