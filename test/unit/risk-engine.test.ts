import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccountView, Position } from '../../src/core/portfolio-types.js';
import { KillSwitchGate, RiskEngine, type EntryIntent, type RiskConfig, type RiskContext, type RiskGate } from '../../src/engine/risk-engine.js';
import { registry } from './support.js';

const instruments = registry();

function view(equity: number): AccountView {
  return {
    id: 'acc',
    currency: 'USD',
    leverage: 10,
    startingBalance: equity,
    balance: equity,
    realizedPnl: 0,
    fees: 0,
    dayStartEquity: equity,
    day: '2024-01-01',
    updatedAt: 0,
    equity,
    unrealizedPnl: 0,
    dayPnl: 0,
    openPositions: 0,
  };
}

function position(symbol: string): Position {
  return {
    id: `P-${symbol}`,
    accountId: 'acc',
    botId: 'bot',
    symbol,
    side: 'long',
    qty: 1,
    avgPrice: 1,
    openedAt: 0,
    stopPrice: null,
    takeProfit: null,
    initialRisk: null,
    realizedPnl: 0,
    fees: 0,
    markPrice: 1,
    unrealizedPnl: 0,
    mode: 'x',
  };
}

function ctx(symbol: string, equity = 100_000, open: Position[] = []): RiskContext {
  return { botId: 'bot', account: view(equity), instrument: instruments.get(symbol), openPositions: open, position: open.find((p) => p.symbol === symbol) };
}

const intent = (symbol: string, side: 'long' | 'short', price: number, stopPrice: number, qty?: number): EntryIntent => ({
  symbol,
  side,
  price,
  stopPrice,
  reason: 'test',
  ...(qty === undefined ? {} : { qty }),
});

const config = (over: Partial<RiskConfig> = {}): RiskConfig => ({ riskPerTrade: 0.01, maxOpenPositions: 3, maxLeverage: 5, ...over });

describe('RiskEngine sizing', () => {
  it('qty = equity * riskPerTrade / (|entry - stop| * pointValue) for crypto', () => {
    const r = new RiskEngine(config());
    // 100 000 * 1% = 1 000 at risk; 1 000 / (1 000 * 1) = 1 BTC.
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000), ctx('BTC/USDT')), { ok: true, qty: 1 });
    // 1 000 / 700 = 1.42857...: floored to the 0.001 step (rounding would give 1.429).
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_300), ctx('BTC/USDT')), { ok: true, qty: 1.428 });
    // A short with its stop above: 1 000 / 400 = 2.5 BTC.
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'short', 50_000, 50_400), ctx('BTC/USDT')), { ok: true, qty: 2.5 });
  });

  it('uses the futures point value (ES 50, NQ 20) and whole contracts', () => {
    // Leverage high enough that only the stop distance decides here.
    const r = new RiskEngine(config({ maxLeverage: 20 }));
    // ES: 10 points * 50 = 500 per contract; 1 000 / 500 = 2.
    assert.deepEqual(r.evaluate(intent('ES', 'long', 5_000, 4_990), ctx('ES')), { ok: true, qty: 2 });
    // ES: 15 points * 50 = 750; 1 000 / 750 = 1.33 -> 1.
    assert.deepEqual(r.evaluate(intent('ES', 'long', 5_000, 4_985), ctx('ES')), { ok: true, qty: 1 });
    // NQ: 20 points * 20 = 400; 1 000 / 400 = 2.5 -> 2.
    assert.deepEqual(r.evaluate(intent('NQ', 'short', 20_000, 20_020), ctx('NQ')), { ok: true, qty: 2 });
    assert.equal(r.sizeFromStop(intent('NQ', 'short', 20_000, 20_020), ctx('NQ')), 2.5);
    // With leverage 5 the NQ notional (20 000 * 20 = 400 000 a contract) caps it: 500 000 / 400 000 = 1.25 -> 1.
    assert.deepEqual(new RiskEngine(config()).evaluate(intent('NQ', 'short', 20_000, 20_020), ctx('NQ')), { ok: true, qty: 1 });
  });

  it('caps the notional at maxLeverage times equity', () => {
    const r = new RiskEngine(config({ maxLeverage: 2 }));
    // Sizing alone says 1 000 / 10 = 100 BTC; 2 * 100 000 / 50 000 = 4 BTC is the cap.
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_990), ctx('BTC/USDT')), { ok: true, qty: 4 });
    // The cap also applies to a fixed quantity.
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000, 10), ctx('BTC/USDT')), { ok: true, qty: 4 });
  });

  it('uses a fixed quantity when the intent gives one, floored to the step', () => {
    const r = new RiskEngine(config());
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000, 0.0259), ctx('BTC/USDT')), { ok: true, qty: 0.025 });
  });

  it('refuses below the instrument minimum quantity', () => {
    const r = new RiskEngine(config());
    // 50 * 1% = 0.5 at risk; 0.5 / 1 000 = 0.0005 BTC < 0.001.
    const small = r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000), ctx('BTC/USDT', 50));
    assert.equal(small.ok, false);
    assert.ok(!small.ok && small.reason.startsWith('sizing:') && small.reason.includes('below minimum 0.001'), JSON.stringify(small));
    // One ES contract is 5 000 * 50 = 250 000 notional: leverage 1 on 100 000 allows 0.4 of one.
    const capped = new RiskEngine(config({ maxLeverage: 1 })).evaluate(intent('ES', 'long', 5_000, 4_999), ctx('ES'));
    assert.equal(capped.ok, false);
    // The boundary: exactly the minimum passes (100 * 1% / 1 000 = 0.001).
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000), ctx('BTC/USDT', 100)), { ok: true, qty: 0.001 });
  });
});

describe('RiskEngine gates', () => {
  it('refuses a new position at the max open positions, but allows adding to an open one', () => {
    const r = new RiskEngine(config({ maxOpenPositions: 2 }));
    const open = [position('ETH/USDT'), position('ES')];
    const refused = r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000), ctx('BTC/USDT', 100_000, open));
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.reason.startsWith('max_open_positions:') && refused.reason.includes('(2/2)'), JSON.stringify(refused));
    const add = r.evaluate(intent('ES', 'long', 5_000, 4_990), ctx('ES', 100_000, open));
    assert.deepEqual(add, { ok: true, qty: 2 });
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000), ctx('BTC/USDT', 100_000, [position('ES')])), { ok: true, qty: 1 });
  });

  it('refuses a stop on the wrong side of the entry (or at it)', () => {
    const r = new RiskEngine(config());
    for (const [side, stop] of [['long', 50_100], ['long', 50_000], ['short', 49_900], ['short', 50_000]] as const) {
      const d = r.evaluate(intent('BTC/USDT', side, 50_000, stop), ctx('BTC/USDT'));
      assert.equal(d.ok, false, `${side} with stop ${stop}`);
      assert.ok(!d.ok && d.reason.startsWith('stop_side:'), JSON.stringify(d));
    }
  });

  it('runs a custom pluggable gate with the intent and context; the first refusal wins', () => {
    const seen: { intent: EntryIntent; ctx: RiskContext }[] = [];
    const noShorts: RiskGate = {
      name: 'no_shorts',
      check(i, c) {
        seen.push({ intent: i, ctx: c });
        return i.side === 'short' ? 'shorts disabled' : null;
      },
    };
    const r = new RiskEngine(config(), [noShorts]);
    const c = ctx('BTC/USDT');
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'short', 50_000, 51_000), c), { ok: false, reason: 'no_shorts: shorts disabled' });
    assert.equal(seen.at(-1)?.ctx, c);
    assert.deepEqual(r.evaluate(intent('BTC/USDT', 'long', 50_000, 49_000), c), { ok: true, qty: 1 });
    // A wrong-side stop is refused by the built-in gate before the custom one runs.
    const before = seen.length;
    const d = r.evaluate(intent('BTC/USDT', 'short', 50_000, 49_000), c);
    assert.ok(!d.ok && d.reason.startsWith('stop_side:'));
    assert.equal(seen.length, before);

    const later = new RiskEngine(config());
    later.addGate({ name: 'weekend', check: () => 'market closed' });
    assert.deepEqual(later.evaluate(intent('ES', 'long', 5_000, 4_990), ctx('ES')), { ok: false, reason: 'weekend: market closed' });
  });

  it('kill switch halts every entry until released', () => {
    const kill = new KillSwitchGate();
    const r = new RiskEngine(config(), [kill]);
    const i = intent('BTC/USDT', 'long', 50_000, 49_000);
    assert.equal(r.evaluate(i, ctx('BTC/USDT')).ok, true);
    kill.engage('daily loss limit');
    assert.deepEqual(r.evaluate(i, ctx('BTC/USDT')), { ok: false, reason: 'kill_switch: trading halted: daily loss limit' });
    kill.release();
    assert.deepEqual(r.evaluate(i, ctx('BTC/USDT')), { ok: true, qty: 1 });
  });

  it('rejects a riskPerTrade outside (0, 10%]', () => {
    assert.throws(() => new RiskEngine(config({ riskPerTrade: 0 })), /riskPerTrade/);
    assert.throws(() => new RiskEngine(config({ riskPerTrade: 0.2 })), /riskPerTrade/);
    assert.doesNotThrow(() => new RiskEngine(config({ riskPerTrade: 0.1 })));
  });
});
