import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SequenceIds } from '../../src/core/ids.js';
import type { Order, OrderSide } from '../../src/core/orders.js';
import type { Account } from '../../src/core/portfolio-types.js';
import { Portfolio } from '../../src/engine/portfolio.js';
import { makeFill, makeOrder, near, registry } from './support.js';

const DAY1 = Date.UTC(2024, 0, 1, 10, 0, 0);

function account(balance = 100_000): Account {
  return {
    id: 'acc',
    currency: 'USD',
    leverage: 10,
    startingBalance: balance,
    balance,
    realizedPnl: 0,
    fees: 0,
    dayStartEquity: balance,
    day: '2024-01-01',
    updatedAt: DAY1,
  };
}

const newPortfolio = () => new Portfolio(account(), registry(), new SequenceIds('P-'), new SequenceIds('T-'));

let seq = 0;
/** Applies a fill of a fresh order to the portfolio. */
function trade(p: Portfolio, symbol: string, side: OrderSide, qty: number, price: number, fee: number, ts: number, extra: Partial<Order> = {}) {
  seq += 1;
  const id = `O-${seq}`;
  const order = makeOrder({ id, symbol, side, type: 'market', qty, tag: 'test', ...extra });
  return p.applyFill(makeFill({ id: `${id}-F1`, orderId: id, symbol, side, qty, price, fee, ts }), order);
}

describe('Portfolio', () => {
  it('opens a position from a fill and pays the fee from the balance', () => {
    const p = newPortfolio();
    const out = trade(p, 'BTC/USDT', 'buy', 2, 100, 1, DAY1, { stopLoss: 90, takeProfit: 130 });
    assert.equal(out.change, 'opened');
    assert.equal(out.closedTrade, null);
    const pos = p.position('BTC/USDT');
    assert.ok(pos);
    assert.equal(out.position, pos);
    assert.equal(pos.id, 'P-00000001');
    assert.equal(pos.side, 'long');
    assert.equal(pos.qty, 2);
    assert.equal(pos.avgPrice, 100);
    assert.equal(pos.stopPrice, 90);
    assert.equal(pos.takeProfit, 130);
    assert.equal(pos.initialRisk, 20); // |100 - 90| * 2 * pointValue 1
    assert.equal(pos.fees, 1);
    assert.equal(pos.openedAt, DAY1);
    assert.equal(pos.mode, 'test');
    const view = p.view();
    assert.equal(view.balance, 99_999);
    assert.equal(view.fees, 1);
    assert.equal(view.equity, 99_999);
    assert.equal(view.unrealizedPnl, 0);
    assert.equal(view.openPositions, 1);
  });

  it('increases at a weighted average price, then reduces partly and closes with full PnL accounting', () => {
    const p = newPortfolio();
    trade(p, 'BTC/USDT', 'buy', 2, 100, 1, DAY1, { stopLoss: 90 });

    const inc = trade(p, 'BTC/USDT', 'buy', 1, 130, 0.5, DAY1 + 1);
    assert.equal(inc.change, 'increased');
    const pos = p.position('BTC/USDT');
    assert.ok(pos);
    assert.equal(pos.qty, 3);
    assert.ok(near(pos.avgPrice, 110), `avg ${pos.avgPrice}`); // (2*100 + 1*130) / 3
    assert.equal(pos.fees, 1.5);
    assert.equal(pos.stopPrice, 90, 'an add without a stop keeps the stop');
    assert.ok(near(pos.initialRisk, 60)); // |110 - 90| * 3
    assert.ok(near(pos.unrealizedPnl, 60)); // marked at the add's price: (130 - 110) * 3
    assert.ok(near(p.view().equity, 100_000 - 1.5 + 60));

    const red = trade(p, 'BTC/USDT', 'sell', 1, 140, 0.5, DAY1 + 2);
    assert.equal(red.change, 'reduced');
    assert.equal(red.closedTrade, null);
    assert.equal(pos.qty, 2);
    assert.ok(near(pos.realizedPnl, 30)); // (140 - 110) * 1
    assert.ok(near(pos.fees, 2));
    assert.ok(near(pos.avgPrice, 110), 'a reduction keeps the average price');
    let acct = p.accountState();
    assert.ok(near(acct.realizedPnl, 30));
    assert.ok(near(acct.balance, 100_000 - 2 + 30));
    assert.ok(near(p.view().unrealizedPnl, 60)); // (140 - 110) * 2

    const close = trade(p, 'BTC/USDT', 'sell', 2, 120, 1, DAY1 + 3);
    assert.equal(close.change, 'closed');
    assert.equal(close.position, null);
    assert.equal(p.position('BTC/USDT'), undefined);
    const t = close.closedTrade;
    assert.ok(t);
    assert.equal(t.id, 'T-00000001');
    assert.equal(t.positionId, 'P-00000001');
    assert.equal(t.side, 'long');
    // The whole round trip: 3 entered at (2*100 + 130) / 3 = 110, 3 exited at (140 + 2*120) / 3.
    assert.equal(t.qty, 3);
    assert.ok(near(t.entryPrice, 110));
    assert.ok(near(t.exitPrice, 380 / 3), `exit ${t.exitPrice}`);
    assert.ok(near((t.exitPrice - t.entryPrice) * t.qty, t.grossPnl), 'gross = (exit - entry) * qty');
    assert.equal(t.openedAt, DAY1);
    assert.equal(t.closedAt, DAY1 + 3);
    assert.ok(near(t.grossPnl, 50)); // 30 realised on the reduction + (120 - 110) * 2
    assert.ok(near(t.fees, 3)); // 1 + 0.5 + 0.5 + 1
    assert.ok(near(t.netPnl, 47));
    assert.ok(near(t.pnlR, 47 / 60), `pnlR ${t.pnlR}`);
    assert.equal(close.positionClosed?.qty, 0);
    assert.equal(close.positionClosed?.unrealizedPnl, 0);
    acct = p.accountState();
    assert.ok(near(acct.balance, 100_047), `balance ${acct.balance}`); // start + net PnL
    assert.ok(near(acct.realizedPnl, 50));
    assert.ok(near(acct.fees, 3));
    const view = p.view();
    assert.equal(view.openPositions, 0);
    assert.equal(view.unrealizedPnl, 0);
    assert.ok(near(view.equity, 100_047));
  });

  it('a closed trade carries the total quantity and the volume-weighted entry and exit (the issue example)', () => {
    const p = newPortfolio();
    trade(p, 'BTC/USDT', 'buy', 2, 100, 0, DAY1);
    const first = trade(p, 'BTC/USDT', 'sell', 1, 110, 0, DAY1 + 1);
    assert.equal(first.closedTrade, null);
    assert.equal(first.position?.exitedQty, 1);
    assert.equal(first.position?.avgExitPrice, 110);
    const t = trade(p, 'BTC/USDT', 'sell', 1, 120, 0, DAY1 + 2).closedTrade;
    assert.ok(t);
    assert.deepEqual([t.qty, t.entryPrice, t.exitPrice, t.grossPnl], [2, 100, 115, 30]);
  });

  it('adds after a partial exit count in the entry VWAP; a short round trip too', () => {
    const p = newPortfolio();
    trade(p, 'ES', 'sell', 2, 5_000, 0, DAY1);
    trade(p, 'ES', 'buy', 1, 4_990, 0, DAY1 + 1); // +10 points * 50
    trade(p, 'ES', 'sell', 1, 5_010, 0, DAY1 + 2); // avg (5000 + 5010) / 2 = 5005 on 2
    const t = trade(p, 'ES', 'buy', 2, 4_995, 0, DAY1 + 3).closedTrade; // +10 points * 2 * 50
    assert.ok(t);
    assert.equal(t.side, 'short');
    assert.equal(t.qty, 3);
    assert.ok(near(t.entryPrice, 15_010 / 3));
    assert.ok(near(t.exitPrice, (4_990 + 2 * 4_995) / 3));
    assert.equal(t.grossPnl, 500 + 1_000);
    assert.ok(near((t.entryPrice - t.exitPrice) * t.qty * 50, t.grossPnl));
  });

  it('previewFill changes nothing until commit; commit applies exactly the preview', () => {
    const p = newPortfolio();
    trade(p, 'BTC/USDT', 'buy', 2, 100, 1, DAY1, { stopLoss: 90 });
    const before = { account: p.accountState(), position: { ...p.position('BTC/USDT') } };
    const live = p.position('BTC/USDT');
    const order = makeOrder({ id: 'O-x', symbol: 'BTC/USDT', side: 'sell', type: 'market', qty: 2 });
    const preview = p.previewFill(makeFill({ id: 'O-x-F1', symbol: 'BTC/USDT', side: 'sell', qty: 2, price: 120, fee: 1, ts: DAY1 + 5 }), order);
    assert.equal(preview.change, 'closed');
    assert.equal(preview.closedTrade?.id, 'T-00000001');
    assert.equal(preview.account.balance, 100_000 - 2 + 40);
    // Nothing moved: account, position (same object, same fields), id sequences.
    assert.deepEqual(p.accountState(), before.account);
    assert.equal(p.position('BTC/USDT'), live);
    assert.deepEqual({ ...p.position('BTC/USDT') }, before.position);
    const again = p.previewFill(makeFill({ id: 'O-x-F1', symbol: 'BTC/USDT', side: 'sell', qty: 2, price: 120, fee: 1, ts: DAY1 + 5 }), order);
    assert.equal(again.closedTrade?.id, 'T-00000001', 'a dropped preview takes no trade id');

    const out = p.commit(preview);
    assert.equal(p.position('BTC/USDT'), undefined);
    assert.deepEqual(out.closedTrade, preview.closedTrade);
    assert.deepEqual(p.accountState(), preview.account);
    // The next trade takes the next id.
    trade(p, 'BTC/USDT', 'buy', 1, 100, 0, DAY1 + 6);
    assert.equal(trade(p, 'BTC/USDT', 'sell', 1, 100, 0, DAY1 + 7).closedTrade?.id, 'T-00000002');
  });

  it('previewProtection and commitPosition move a stop on the live position', () => {
    const p = newPortfolio();
    trade(p, 'BTC/USDT', 'buy', 1, 100, 0, DAY1, { stopLoss: 90 });
    const live = p.position('BTC/USDT');
    const next = p.previewProtection('BTC/USDT', { stopPrice: 95 });
    assert.equal(live?.stopPrice, 90, 'preview changes nothing');
    assert.equal(next?.stopPrice, 95);
    assert.equal(next?.initialRisk, 10, 'R stays the risk taken at entry');
    assert.ok(next);
    assert.equal(p.commitPosition(next), live);
    assert.equal(live?.stopPrice, 95);
    assert.equal(p.previewProtection('ETH/USDT', { stopPrice: 1 }), null);
  });

  it('values ES at 50 per point and reports pnlR against the initial risk', () => {
    const p = newPortfolio();
    trade(p, 'ES', 'buy', 2, 5_000, 4.5, DAY1, { stopLoss: 4_990 });
    const pos = p.position('ES');
    assert.equal(pos?.initialRisk, 1_000); // 10 points * 2 contracts * 50
    p.mark('ES', 5_012.25);
    assert.ok(near(p.position('ES')?.unrealizedPnl, 12.25 * 2 * 50)); // 1225
    assert.ok(near(p.view().equity, 100_000 - 4.5 + 1_225));

    const out = trade(p, 'ES', 'sell', 2, 5_030, 4.5, DAY1 + 60_000);
    const t = out.closedTrade;
    assert.ok(t);
    assert.equal(t.grossPnl, 3_000); // 30 points * 2 * 50
    assert.equal(t.fees, 9);
    assert.equal(t.netPnl, 2_991);
    assert.equal(t.pnlR, 2.991);
    assert.equal(p.accountState().balance, 102_991);
  });

  it('values NQ at 20 per point on a short', () => {
    const p = newPortfolio();
    trade(p, 'NQ', 'sell', 1, 20_000, 2.25, DAY1, { stopLoss: 20_050 });
    const pos = p.position('NQ');
    assert.equal(pos?.side, 'short');
    assert.equal(pos?.initialRisk, 1_000); // 50 points * 1 * 20
    p.mark('NQ', 19_950);
    assert.equal(p.position('NQ')?.unrealizedPnl, 1_000); // short gains as price falls
    p.mark('NQ', 20_010);
    assert.equal(p.position('NQ')?.unrealizedPnl, -200);

    const t = trade(p, 'NQ', 'buy', 1, 19_900, 2.25, DAY1 + 1).closedTrade;
    assert.ok(t);
    assert.equal(t.side, 'short');
    assert.equal(t.grossPnl, 2_000); // 100 points * 20
    assert.equal(t.netPnl, 1_995.5);
    assert.equal(t.pnlR, 1.9955);
    assert.equal(p.accountState().balance, 101_995.5);
  });

  it('has no pnlR when the position had no stop', () => {
    const p = newPortfolio();
    trade(p, 'BTC/USDT', 'buy', 1, 100, 0, DAY1);
    assert.equal(p.position('BTC/USDT')?.initialRisk, null);
    const t = trade(p, 'BTC/USDT', 'sell', 1, 105, 0, DAY1 + 1).closedTrade;
    assert.equal(t?.grossPnl, 5);
    assert.equal(t?.pnlR, null);
  });

  it('flips through flat: closes the old side and opens the rest on the other side', () => {
    const p = newPortfolio();
    trade(p, 'BTC/USDT', 'buy', 1, 100, 0, DAY1);
    const out = trade(p, 'BTC/USDT', 'sell', 3, 90, 0.3, DAY1 + 1);
    assert.equal(out.change, 'closed');
    const t = out.closedTrade;
    assert.ok(t);
    assert.equal(t.side, 'long');
    assert.equal(t.grossPnl, -10);
    assert.ok(near(t.fees, 0.1), 'the closing third of the fee belongs to the closed trade');
    assert.ok(near(t.netPnl, -10.1));
    const pos = out.position;
    assert.ok(pos);
    assert.equal(p.position('BTC/USDT'), pos);
    assert.equal(pos.id, 'P-00000002');
    assert.equal(pos.side, 'short');
    assert.equal(pos.qty, 2);
    assert.equal(pos.avgPrice, 90);
    assert.ok(near(pos.fees, 0.2));
    assert.ok(near(p.accountState().balance, 100_000 - 0.3 - 10));
  });

  it('mark() reports only real changes', () => {
    const p = newPortfolio();
    assert.equal(p.mark('BTC/USDT', 100), undefined, 'no position, nothing to mark');
    trade(p, 'BTC/USDT', 'buy', 1, 100, 0, DAY1);
    assert.equal(p.mark('BTC/USDT', 100), undefined, 'same price, no change');
    assert.equal(p.mark('BTC/USDT', 101)?.unrealizedPnl, 1);
  });

  it('rolls the P/L day at UTC midnight and only then', () => {
    const p = newPortfolio();
    trade(p, 'ES', 'buy', 1, 5_000, 0, DAY1);
    p.mark('ES', 5_010);
    assert.equal(p.view().dayPnl, 500);

    assert.equal(p.rollDay(Date.UTC(2024, 0, 1, 23, 59, 59, 999)), false);
    assert.equal(p.view().dayPnl, 500);
    assert.equal(p.accountState().day, '2024-01-01');

    const midnight = Date.UTC(2024, 0, 2, 0, 0, 0, 0);
    assert.equal(p.rollDay(midnight), true);
    const acct = p.accountState();
    assert.equal(acct.day, '2024-01-02');
    assert.equal(acct.dayStartEquity, 100_500);
    assert.equal(acct.updatedAt, midnight);
    assert.equal(p.view().dayPnl, 0);
    assert.equal(p.rollDay(midnight + 1_000), false, 'same day again');

    p.mark('ES', 5_000);
    assert.equal(p.view().dayPnl, -500);
    assert.equal(p.view().equity, 100_000);
  });

  it('restore() puts positions back by symbol', () => {
    const a = newPortfolio();
    trade(a, 'ES', 'buy', 1, 5_000, 0, DAY1, { stopLoss: 4_990 });
    const saved = a.openPositions().map((x) => ({ ...x }));
    const b = newPortfolio();
    b.restore(saved);
    assert.deepEqual(b.openPositions(), saved);
    assert.equal(b.view().openPositions, 1);
  });
});
