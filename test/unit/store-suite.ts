import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ingest } from '../../src/adapters/importers/ingest.js';
import type { NewBridgeOrder } from '../../src/core/bridge.js';
import { SimClock } from '../../src/core/clock.js';
import type { ManagedStop } from '../../src/core/managed-stops.js';
import type { Bar, Tick } from '../../src/core/market.js';
import type { Account, ClosedTrade, Position } from '../../src/core/portfolio-types.js';
import type { FillRecord } from '../../src/core/ports.js';
import type { RenkoBar } from '../../src/core/renko.js';
import { PaperBroker } from '../../src/adapters/broker-paper.js';
import { ScheduleFeeModel, TickSlippage } from '../../src/sim/fees.js';
import { Kernel } from '../../src/engine/kernel.js';
import { repoRoot } from '../helpers/server.js';
import type { StoreEngine } from '../helpers/store-engines.js';
import { AccountHaltedError } from '../../src/engine/execution-engine.js';
import { CRYPTO_FEES, FUTURES_FEES, makeFill, makeOrder, registry, ScriptedBroker, tempDir, OPEN_LIMITS, referencePrice } from './support.js';

const account = (balance: number, ts = 0): Account => ({
  id: 'acc',
  currency: 'USD',
  leverage: 10,
  startingBalance: 100_000,
  balance,
  realizedPnl: 0,
  fees: 100_000 - balance,
  dayStartEquity: 100_000,
  day: '1970-01-01',
  updatedAt: ts,
});

const position = (id: string, qty: number): Position => ({
  id,
  accountId: 'acc',
  botId: 'bot',
  symbol: 'BTC/USDT',
  side: 'long',
  qty,
  avgPrice: 100,
  openedAt: 1,
  stopPrice: null,
  takeProfit: null,
  initialRisk: null,
  realizedPnl: 0,
  fees: 1,
  markPrice: 100,
  unrealizedPnl: 0,
  mode: 'm',
});

const trade = (id: string): ClosedTrade => ({
  id,
  positionId: 'P-00000001',
  accountId: 'acc',
  botId: 'bot',
  symbol: 'BTC/USDT',
  side: 'long',
  qty: 1,
  entryPrice: 100,
  exitPrice: 110,
  openedAt: 1,
  closedAt: 2,
  grossPnl: 10,
  fees: 2,
  netPnl: 8,
  pnlR: null,
  mode: 'm',
});

function openFillRecord(): FillRecord {
  const order = makeOrder({ id: 'O-00000001', symbol: 'BTC/USDT', side: 'buy', type: 'market', status: 'filled', filledQty: 1, avgFillPrice: 100, fees: 1, filledAt: 5 });
  return {
    fill: makeFill({ id: 'O-00000001-F1', symbol: 'BTC/USDT', side: 'buy', qty: 1, price: 100, fee: 1, ts: 5 }),
    order,
    position: position('P-00000001', 1),
    positionClosed: null,
    closedTrade: null,
    account: account(99_999, 5),
  };
}

const queued = (id: string, createdAt = 1_000): NewBridgeOrder => ({
  id,
  accountId: 'bridge',
  symbol: 'ES',
  contract: 'MESM6',
  exchange: 'CME',
  side: 'BUY',
  qty: 1,
  kind: 'ENTRY',
  mode: 'm',
  env: 'DEMO',
  refPrice: 6000.25,
  createdAt,
});

const LEASE = 30_000;

/**
 * The store contract, run against every engine (test/unit/store-sqlite.test.ts and
 * store-postgres.test.ts): the journal, sessions, meta, Renko bars, managed stops, the bridge
 * queue and market data behave the same whichever database holds them.
 */
export function storeSuite(engine: StoreEngine): void {
  const skip = engine.skip;
  after(() => engine.cleanup());

  describe(`${engine.name} store: trading journal`, { skip }, () => {
    it('records the schema version; reopening applies nothing again and keeps the data', () => {
      const { store, open } = engine.fresh();
      assert.equal(store.schemaVersion(), engine.latestVersion);
      store.saveAccount(account(123));
      store.close();
      const again = open();
      assert.equal(again.schemaVersion(), engine.latestVersion);
      assert.equal(again.restore('acc').account?.balance, 123);
      again.close();
    });

    it('recordFill writes everything once and returns false for a duplicate fill id, changing nothing', () => {
      const { store: s } = engine.fresh();
      const rec = openFillRecord();
      s.saveOrder({ ...rec.order, status: 'accepted', filledQty: 0, avgFillPrice: null, fees: 0, filledAt: null });
      assert.equal(s.hasFill(rec.fill.id), false);
      assert.equal(s.recordFill(rec), true);
      assert.equal(s.hasFill(rec.fill.id), true);
      assert.equal(s.getOrder('O-00000001')?.status, 'filled');
      assert.deepEqual(s.recentFills(10), [rec.fill]);
      assert.deepEqual(s.restore('acc').positions, [rec.position]);
      assert.equal(s.restore('acc').account?.balance, 99_999);
      assert.equal(engine.count(s, 'account_snapshots'), 1);
      const replay: FillRecord = {
        ...rec,
        fill: { ...rec.fill, price: 1 },
        order: { ...rec.order, status: 'cancelled' },
        position: position('P-00000001', 99),
        closedTrade: trade('T-00000001'),
        account: account(1, 6),
      };
      assert.equal(s.recordFill(replay), false);
      assert.equal(s.getOrder('O-00000001')?.status, 'filled');
      assert.deepEqual(s.recentFills(10), [rec.fill]);
      assert.deepEqual(s.restore('acc').positions, [rec.position]);
      assert.equal(s.restore('acc').account?.balance, 99_999);
      assert.equal(engine.count(s, 'closed_trades'), 0);
      assert.equal(engine.count(s, 'account_snapshots'), 1);
      s.close();
    });

    it('recordFill is one transaction: a failure half-way leaves nothing behind', () => {
      const { store: s } = engine.fresh();
      const rec = openFillRecord();
      s.saveOrder({ ...rec.order, status: 'accepted' });
      assert.equal(s.recordFill({ ...rec, closedTrade: trade('T-00000001') }), true);
      const order2 = makeOrder({ id: 'O-00000002', symbol: 'BTC/USDT', side: 'sell', type: 'market', status: 'accepted' });
      s.saveOrder(order2);
      const bad: FillRecord = {
        fill: makeFill({ id: 'O-00000002-F1', symbol: 'BTC/USDT', side: 'sell', qty: 1, price: 110, fee: 1, ts: 9 }),
        order: { ...order2, status: 'filled' },
        position: null,
        positionClosed: { ...position('P-00000001', 0) },
        closedTrade: trade('T-00000001'),
        account: account(50, 9),
      };
      assert.throws(() => s.recordFill(bad), /UNIQUE|constraint/i);
      assert.equal(s.getOrder('O-00000002')?.status, 'accepted');
      assert.deepEqual(s.recentFills(10).map((f) => f.id), ['O-00000001-F1']);
      assert.deepEqual(s.restore('acc').positions.map((p) => p.id), ['P-00000001'], 'position still open');
      assert.equal(s.restore('acc').account?.balance, 99_999);
      assert.equal(s.hasFill('O-00000002-F1'), false);
      s.close();
    });

    it('restore returns open orders by sequence, open positions and the highest ids', () => {
      const { store: s } = engine.fresh();
      for (const [id, status] of [['O-00000003', 'accepted'], ['O-00000001', 'pending_submit'], ['O-00000002', 'filled'], ['O-00000004', 'cancel_pending'], ['O-00000005', 'rejected']] as const) {
        s.saveOrder(makeOrder({ id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 1, status }));
      }
      s.saveOrder(makeOrder({ id: 'O-00000009', accountId: 'other', symbol: 'BTC/USDT', side: 'buy', type: 'market' }));
      s.savePosition(position('P-00000007', 1));
      const r = s.restore('acc');
      assert.deepEqual(r.openOrders.map((o) => o.id), ['O-00000001', 'O-00000003', 'O-00000004']);
      assert.deepEqual(r.positions.map((p) => p.id), ['P-00000007']);
      assert.equal(r.account, null);
      assert.equal(r.lastOrderSeq, 9);
      assert.equal(r.lastPositionSeq, 7);
      assert.equal(r.lastTradeSeq, 0);
      assert.deepEqual(s.listOrders({ limit: 2, accountId: 'acc' }).map((o) => o.id), ['O-00000005', 'O-00000004']);
      assert.deepEqual(s.listOrders({ limit: 10, openOnly: true }).map((o) => o.id), ['O-00000009', 'O-00000004', 'O-00000003', 'O-00000001']);
      assert.equal(s.getOrder('O-00000404'), null);
      s.close();
    });

    it('recentFills and recentTrades: the newest, oldest first, per account when asked', () => {
      const { store: s } = engine.fresh();
      for (let i = 1; i <= 4; i++) {
        const id = `O-0000000${i}`;
        const accountId = i % 2 === 0 ? 'acc' : 'other';
        const order = makeOrder({ id, accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', status: 'filled' });
        s.saveOrder({ ...order, status: 'accepted' });
        const t = { ...trade(`T-0000000${i}`), accountId, netPnl: i };
        assert.equal(s.recordFill({ fill: { ...makeFill({ id: `${id}-F1`, symbol: 'BTC/USDT', side: 'buy', qty: 1, price: 100, ts: 10 }), accountId }, order, position: null, positionClosed: null, closedTrade: t, account: { ...account(100_000 - i), id: accountId } }), true);
      }
      assert.deepEqual(s.recentFills(3).map((f) => f.id), ['O-00000002-F1', 'O-00000003-F1', 'O-00000004-F1'], 'same ts: insertion order');
      assert.deepEqual(s.recentFills(10, 'acc').map((f) => f.id), ['O-00000002-F1', 'O-00000004-F1']);
      assert.deepEqual(s.recentTrades(2).map((t) => t.id), ['T-00000003', 'T-00000004']);
      assert.deepEqual(s.recentTrades(10, 'other').map((t) => t.netPnl), [1, 3]);
      s.close();
    });

    it('tradeHistory: newest first by close time, filtered by account, bot, symbol and time, paged with the total', () => {
      const { store: s } = engine.fresh();
      for (let i = 1; i <= 6; i++) {
        const id = `O-0000000${i}`;
        const accountId = i % 2 === 0 ? 'acc' : 'other';
        const order = makeOrder({ id, accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', status: 'filled' });
        s.saveOrder({ ...order, status: 'accepted' });
        // Closed out of id order (trade 3 closes last) so the sort by close time shows.
        const t = { ...trade(`T-0000000${i}`), accountId, botId: i <= 4 ? 'sma' : 'max-1', symbol: i === 6 ? 'ETH/USDT' : 'BTC/USDT', closedAt: i === 3 ? 1_000 : i * 100, netPnl: i, exitReason: 'stop loss' };
        assert.equal(s.recordFill({ fill: { ...makeFill({ id: `${id}-F1`, symbol: 'BTC/USDT', side: 'buy', qty: 1, price: 100, ts: 10 }), accountId }, order, position: null, positionClosed: null, closedTrade: t, account: { ...account(100_000 - i), id: accountId } }), true);
      }
      const all = s.tradeHistory({ limit: 4, offset: 0 });
      assert.equal(all.total, 6);
      assert.deepEqual(all.trades.map((t) => t.id), ['T-00000003', 'T-00000006', 'T-00000005', 'T-00000004']);
      assert.equal(all.trades[0]?.exitReason, 'stop loss', 'the exit reason is kept');
      assert.deepEqual(s.tradeHistory({ limit: 4, offset: 4 }).trades.map((t) => t.id), ['T-00000002', 'T-00000001']);
      assert.deepEqual(s.tradeHistory({ accountId: 'acc', limit: 10, offset: 0 }).trades.map((t) => t.id), ['T-00000006', 'T-00000004', 'T-00000002']);
      const bot = s.tradeHistory({ botId: 'max-1', limit: 1, offset: 0 });
      assert.deepEqual([bot.total, bot.trades.map((t) => t.id)], [2, ['T-00000006']]);
      assert.deepEqual(s.tradeHistory({ symbol: 'ETH/USDT', limit: 10, offset: 0 }).trades.map((t) => t.id), ['T-00000006']);
      assert.deepEqual(s.tradeHistory({ from: 200, to: 500, limit: 10, offset: 0 }).trades.map((t) => t.id), ['T-00000004', 'T-00000002']);
      assert.deepEqual(s.tradeHistory({ accountId: 'nobody', limit: 10, offset: 0 }), { total: 0, trades: [] });
      s.close();
    });

    it('appendEvents keeps order; recentEvents returns the newest, oldest first; old events are pruned', () => {
      const { store: s } = engine.fresh();
      s.appendEvents([
        { type: 'a', ts: 1, payload: { n: 1 } },
        { type: 'b', ts: 2, payload: [2] },
      ]);
      s.appendEvents([]);
      s.appendEvents([{ type: 'c', ts: 2, payload: 'three' }]);
      assert.deepEqual(s.recentEvents(10), [
        { type: 'a', ts: 1, payload: { n: 1 } },
        { type: 'b', ts: 2, payload: [2] },
        { type: 'c', ts: 2, payload: 'three' },
      ]);
      assert.deepEqual(s.recentEvents(2).map((e) => e.type), ['b', 'c']);
      s.close();
      const { store: small } = engine.fresh({ maxEvents: 10 });
      small.appendEvents(Array.from({ length: 1_000 }, (_, i) => ({ type: 'e', ts: i, payload: i })));
      assert.deepEqual(small.recentEvents(5_000).map((e) => e.payload), [990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
      small.close();
    });

    it('keeps meta values across a reopen and closes idempotently', () => {
      const { store: s, open } = engine.fresh();
      assert.equal(s.getMeta('k'), null);
      s.setMeta('k', '1');
      s.setMeta('k', '2');
      assert.equal(s.getMeta('k'), '2');
      s.close();
      s.close();
      const t = open();
      assert.equal(t.getMeta('k'), '2');
      t.close();
    });

    it('atomically: one transaction; a nested failure undoes only the inner writes, an outer failure everything', () => {
      const { store: s, open } = engine.fresh();
      assert.equal(s.inTransaction, false);
      s.atomically(() => {
        assert.equal(s.inTransaction, true);
        s.setMeta('outer', '1');
        assert.throws(() =>
          s.atomically(() => {
            s.setMeta('inner', '1');
            throw new Error('inner fails');
          }),
        );
        s.setMeta('after', '1');
        // Not visible to another connection before the commit.
        const other = open();
        assert.equal(other.getMeta('outer'), null);
        other.close();
      });
      assert.equal(s.inTransaction, false);
      assert.deepEqual([s.getMeta('outer'), s.getMeta('inner'), s.getMeta('after')], ['1', null, '1']);
      assert.throws(() =>
        s.atomically(() => {
          s.setMeta('gone', '1');
          s.saveOrder(makeOrder({ id: 'O-00000001', symbol: 'ES', side: 'buy', type: 'market' }));
          throw new Error('outer fails');
        }),
      );
      assert.equal(s.getMeta('gone'), null);
      assert.equal(s.getOrder('O-00000001'), null);
      // A failed statement inside a transaction the caller goes on with leaves it usable.
      s.atomically(() => {
        assert.throws(() => s.recordFill({ ...openFillRecord() }), /foreign key|FOREIGN KEY/i);
        s.setMeta('still', 'ok');
      });
      assert.equal(s.getMeta('still'), 'ok');
      s.close();
    });
  });

  describe(`${engine.name} store: sessions, Renko bars, managed stops`, { skip }, () => {
    it('finds a session until it expires; delete and purge remove them', () => {
      const { store: s } = engine.fresh();
      s.createSession({ tokenHash: 'h1', createdAt: 10, expiresAt: 100, client: 'a' });
      s.createSession({ tokenHash: 'h2', createdAt: 10, expiresAt: 50, client: 'b' });
      assert.deepEqual(s.findSession('h1', 99), { createdAt: 10, expiresAt: 100, client: 'a' });
      assert.equal(s.findSession('h1', 100), null, 'expired at expiresAt');
      assert.throws(() => s.createSession({ tokenHash: 'h1', createdAt: 1, expiresAt: 2, client: 'x' }), /UNIQUE|duplicate|constraint/i);
      assert.equal(s.purgeSessions(60), 1);
      assert.equal(s.findSession('h2', 0), null);
      s.deleteSession('h1');
      assert.equal(s.findSession('h1', 0), null);
      s.close();
    });

    it('stores a Renko bar once and returns the newest bars oldest first', () => {
      const { store: s } = engine.fresh();
      const bar = (barId: string, ts: number, size: 1 | 2.5 = 2.5): RenkoBar => ({ asset: 'ES', size, color: 'green', barId, open: null, close: null, ts, source: 'tradingview' });
      assert.equal(s.recordRenkoBar(bar('1', 10)), true);
      assert.equal(s.recordRenkoBar(bar('1', 99)), false);
      s.recordRenkoBar(bar('2', 20));
      s.recordRenkoBar(bar('3', 20));
      s.recordRenkoBar(bar('4', 5, 1));
      assert.deepEqual(s.recentRenkoBars('ES', 2.5, 2).map((b) => b.barId), ['2', '3']);
      assert.deepEqual(s.recentRenkoBars('ES', 2.5, 10).map((b) => b.ts), [10, 20, 20]);
      assert.deepEqual(s.recentRenkoBars('ES', 1, 10).map((b) => b.barId), ['4']);
      s.close();
    });

    it('keeps managed stops by id, in creation order, without the cancelled ones', () => {
      const { store: s } = engine.fresh();
      const stop = (purpose: 'stop_loss' | 'take_profit', status: ManagedStop['status'], triggerPrice: number): ManagedStop => ({
        id: `acc:ES:${purpose}`,
        accountId: 'acc',
        botId: 'b',
        symbol: 'ES',
        positionId: 'P-00000001',
        purpose,
        side: 'sell',
        triggerPrice,
        qty: 1,
        status,
        exitOrderId: null,
        activeFrom: 0,
        retryAt: null,
        tag: null,
        createdAt: 1,
        updatedAt: 1,
      });
      s.saveManagedStop(stop('take_profit', 'active', 6100));
      s.saveManagedStop(stop('stop_loss', 'active', 5900));
      s.saveManagedStop(stop('take_profit', 'triggered', 6101));
      assert.deepEqual(s.managedStops('acc').map((m) => [m.purpose, m.status, m.triggerPrice]), [
        ['take_profit', 'triggered', 6101],
        ['stop_loss', 'active', 5900],
      ]);
      s.saveManagedStop(stop('stop_loss', 'cancelled', 5900));
      assert.deepEqual(s.managedStops('acc').map((m) => m.purpose), ['take_profit']);
      assert.deepEqual(s.managedStops('other'), []);
      s.close();
    });
  });

  describe(`${engine.name} store: bridge queue`, { skip }, () => {
    it('queues once, leases to one claimant, hands on an expired claim, and records each step', () => {
      const { store, queue: queueOf } = engine.fresh();
      const q = queueOf(store);
      assert.equal(q.enqueue(queued('B-1')), true);
      assert.equal(q.enqueue(queued('B-1')), false, 'a resubmit changes nothing');
      q.enqueue(queued('B-2'));
      const a = q.claim('bridge', 'A', 1, 2_000, LEASE);
      assert.deepEqual(a.claimed.map((o) => [o.id, o.status, o.leaseOwner, o.leaseExpiresAt]), [['B-1', 'CLAIMED', 'A', 2_000 + LEASE]]);
      assert.deepEqual(q.claim('bridge', 'B', 5, 2_001, LEASE).claimed.map((o) => o.id), ['B-2'], 'B gets only what A does not hold');
      assert.deepEqual(q.claim('bridge', 'B', 5, 2_002, LEASE).claimed, []);
      assert.deepEqual(q.claim('bridge', 'B', 5, 2_000 + LEASE, LEASE).claimed.map((o) => o.id), ['B-1'], 'an expired claim is claimable again');
      assert.equal(q.report('B-1', { status: 'WORKING', owner: 'A' }, 40_000, LEASE).outcome, 'conflict');
      const working = q.report('B-1', { status: 'WORKING', owner: 'B', brokerOrderId: 'X1' }, 40_000, LEASE);
      assert.equal(working.outcome, 'applied');
      const filled = q.report('B-1', { status: 'FILLED', owner: 'B', fillPrice: 6001.5, qty: 1, fee: 0.5 }, 41_000, LEASE);
      assert.equal(filled.outcome, 'applied');
      const row = q.get('B-1');
      assert.deepEqual([row?.status, row?.fillPrice, row?.fillQty, row?.fillFee, row?.fillTs, row?.brokerOrderId, row?.leaseOwner], ['FILLED', 6001.5, 1, 0.5, 41_000, 'X1', 'B']);
      assert.deepEqual(q.history('B-1').map((h) => [h.owner, h.status, h.outcome]), [
        ['A', 'CLAIMED', 'claimed'],
        ['B', 'CLAIMED', 'claimed'],
        ['A', 'WORKING', 'conflict'],
        ['B', 'WORKING', 'applied'],
        ['B', 'FILLED', 'applied'],
      ]);
      assert.equal(q.report('B-404', { status: 'FILLED', owner: 'B' }, 1, LEASE).outcome, 'not_found');
      assert.deepEqual(q.list({ accountId: 'bridge', limit: 10, openOnly: true }).map((o) => o.id), ['B-2']);
      assert.deepEqual(q.list({ accountId: 'bridge', limit: 10 }).map((o) => o.id), ['B-2', 'B-1']);
      store.close();
    });

    it('PARTIAL keeps the row WORKING with the cumulative fill and renews the lease; a repeat is ignored; FILLED completes it', () => {
      const { store, queue: queueOf } = engine.fresh();
      const q = queueOf(store);
      q.enqueue({ ...queued('P-1'), qty: 3 });
      q.claim('bridge', 'A', 1, 2_000, LEASE);
      const first = q.report('P-1', { status: 'PARTIAL', owner: 'A', fillPrice: 6001, qty: 1, fee: 0.5 }, 3_000, LEASE);
      assert.equal(first.outcome, 'applied');
      assert.equal(first.outcome === 'applied' && first.previous.fillQty, null, 'the row before the report');
      let row = q.get('P-1');
      assert.deepEqual([row?.status, row?.fillQty, row?.fillPrice, row?.fillFee, row?.leaseExpiresAt], ['WORKING', 1, 6001, 0.5, 3_000 + LEASE]);
      assert.equal(q.report('P-1', { status: 'PARTIAL', owner: 'A', fillPrice: 6001, qty: 1 }, 3_500, LEASE).outcome, 'ignored');
      const second = q.report('P-1', { status: 'PARTIAL', owner: 'A', fillPrice: 6001.5, qty: 2, fee: 1 }, 4_000, LEASE);
      assert.equal(second.outcome === 'applied' && second.previous.fillQty, 1);
      const done = q.report('P-1', { status: 'FILLED', owner: 'A', fillPrice: 6002, qty: 3, fee: 1.5 }, 5_000, LEASE);
      assert.equal(done.outcome, 'applied');
      row = q.get('P-1');
      assert.deepEqual([row?.status, row?.fillQty, row?.fillPrice, row?.fillFee, row?.leaseExpiresAt], ['FILLED', 3, 6002, 1.5, null]);
      store.close();
    });

    it('cancels a pending order at once, asks the owner of a claimed one, and cancels an abandoned claim on the next poll', () => {
      const { store, queue: queueOf } = engine.fresh();
      const q = queueOf(store);
      q.enqueue(queued('C-1'));
      assert.equal(q.requestCancel('C-1', 'operator', 1_500).outcome, 'cancelled');
      assert.equal(q.requestCancel('C-1', 'operator', 1_501).outcome, 'terminal');
      q.enqueue(queued('C-2'));
      q.claim('bridge', 'A', 5, 2_000, LEASE);
      assert.equal(q.requestCancel('C-2', 'flatten', 2_100).outcome, 'requested');
      assert.equal(q.requestCancel('C-2', 'flatten', 2_200).outcome, 'already_requested');
      assert.deepEqual(q.claim('bridge', 'A', 5, 2_300, LEASE).cancelRequests.map((o) => o.id), ['C-2'], 'the owner is asked');
      const expired = q.claim('bridge', 'B', 5, 2_000 + LEASE + 1, LEASE);
      assert.deepEqual([expired.claimed, expired.cancelledOnExpiry.map((o) => [o.id, o.status])], [[], [['C-2', 'CANCELLED']]]);
      assert.equal(q.requestCancel('C-404', 'x', 1).outcome, 'not_found');
      store.close();
    });

    it('keeps the last heartbeat and the last P&L snapshot per account', () => {
      const { store, queue: queueOf } = engine.fresh();
      const q = queueOf(store);
      assert.equal(q.lastHeartbeat('bridge'), null);
      q.saveHeartbeat('bridge', { ts: 1, data: { a: 1 } });
      q.saveHeartbeat('bridge', { ts: 2, data: { a: 2 } });
      q.savePnlSnapshot('bridge', { ts: 3, data: { pnl: -1 } });
      q.savePnlSnapshot('bridge', { ts: 4, data: { pnl: 5 } });
      assert.deepEqual(q.lastHeartbeat('bridge'), { ts: 2, data: { a: 2 } });
      assert.deepEqual(q.lastPnlSnapshot('bridge'), { ts: 4, data: { pnl: 5 } });
      assert.equal(q.lastPnlSnapshot('other'), null);
      store.close();
    });

    it('a queue row written in the journal transaction is rolled back with it', () => {
      const { store, queue: queueOf } = engine.fresh();
      const q = queueOf(store);
      assert.throws(() =>
        store.atomically(() => {
          store.saveOrder(makeOrder({ id: 'O-00000001', symbol: 'ES', side: 'buy', type: 'market' }));
          q.enqueue(queued('O-00000001'));
          assert.equal(q.inTransaction?.(), true);
          throw new Error('crash between the writes');
        }),
      );
      assert.equal(q.get('O-00000001'), null);
      assert.equal(store.getOrder('O-00000001'), null);
      store.atomically(() => {
        store.saveOrder(makeOrder({ id: 'O-00000002', symbol: 'ES', side: 'buy', type: 'market' }));
        q.enqueue(queued('O-00000002'));
      });
      assert.equal(q.get('O-00000002')?.status, 'PENDING');
      store.close();
    });

    it('two connections claiming in turn never take the same order', () => {
      const { store, open, queue: queueOf } = engine.fresh();
      const other = open();
      const qa = queueOf(store);
      const qb = queueOf(other);
      const ids = Array.from({ length: 20 }, (_, i) => `Q-${String(i).padStart(2, '0')}`);
      ids.forEach((id, i) => (i % 2 === 0 ? qa : qb).enqueue(queued(id, 1_000 + i)));
      const got: string[] = [];
      for (let i = 0; got.length < ids.length && i < 50; i++) got.push(...(i % 2 === 0 ? qa : qb).claim('bridge', i % 2 === 0 ? 'A' : 'B', 3, 5_000, LEASE).claimed.map((o) => o.id));
      assert.equal(new Set(got).size, got.length);
      assert.deepEqual([...got].sort(), ids);
      store.close();
      other.close();
    });
  });

  describe(`${engine.name} store: the kernel on it`, { skip }, () => {
    it('a write the database refuses halts the account; memory and journal stay as they were', () => {
      const { store } = engine.fresh();
      const clock = new SimClock(1_000);
      const broker = new ScriptedBroker();
      const events: string[] = [];
      const kernel = new Kernel({
        // Mechanics, not limits: sizes beyond the live limits, priced at the reference prices.
        limits: OPEN_LIMITS,
        lastPrice: referencePrice,
        clock,
        store,
        broker,
        instruments: registry(),
        account: { id: 'b', currency: 'USD', startingBalance: 50_000, leverage: 10 },
        risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
      });
      kernel.bus.onAny((e) => events.push(e.type === 'account-halted' ? `halted: ${e.reason}` : e.type));
      const o = kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 2 });
      broker.report({ kind: 'accepted', orderId: o.id, brokerOrderId: 'X', ts: 1_100 });
      engine.readOnly(store, true);
      broker.report({ kind: 'filled', orderId: o.id, fill: { id: 'T1', orderId: o.id, accountId: 'b', symbol: 'ES', side: 'buy', qty: 2, price: 6_000, fee: 0, ts: 1_500 } });
      assert.ok(events.some((e) => /^halted: .*read-?only/i.test(e)), events.join(', '));
      assert.equal(kernel.portfolio.position('ES'), undefined, 'the fill was not applied in memory');
      assert.equal(kernel.execution.openOrders()[0]?.status, 'accepted');
      engine.readOnly(store, false);
      assert.equal(store.getOrder(o.id)?.status, 'accepted', 'nor in the journal');
      assert.equal(store.hasFill('T1'), false);
      assert.throws(() => kernel.placeOrder('test', { accountId: 'b', botId: 't', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1 }), AccountHaltedError);
      store.close();
    });

    it('an entry filled on the paper broker is journaled; a restart restores the position and continues the ids', () => {
      const { store, open } = engine.fresh();
      const run = (s: typeof store, clock: SimClock) => {
        const instruments = registry();
        const broker = new PaperBroker({ clock, instruments, fees: new ScheduleFeeModel({ spot: CRYPTO_FEES, perpetual: CRYPTO_FEES, future: FUTURES_FEES }), slippage: new TickSlippage(0), maxVolumeShare: null });
        const errors: string[] = [];
        const kernel = new Kernel({
          // Mechanics, not limits: sizes beyond the live limits, priced at the reference prices.
          limits: OPEN_LIMITS,
          lastPrice: referencePrice,
          clock,
          store: s,
          broker,
          instruments,
          account: { id: 'paper', currency: 'USD', startingBalance: 100_000, leverage: 10 },
          risk: { riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5 },
          onError: (e, c) => errors.push(`${c}: ${(e as Error).message}`),
        });
        kernel.bus.on('tick', ({ tick }) => broker.onPrice({ symbol: tick.symbol, ts: tick.ts, open: tick.price, high: tick.price, low: tick.price, volume: tick.size }));
        return { kernel, errors };
      };
      const clock = new SimClock(1_000);
      const a = run(store, clock);
      a.kernel.onTick({ symbol: 'BTC/USDT', ts: 1_000, price: 50_000, size: 1, trades: 1 });
      const order = a.kernel.placeOrder('test', { accountId: 'paper', botId: 'b', symbol: 'BTC/USDT', side: 'buy', type: 'market', purpose: 'entry', qty: 0.1 });
      clock.set(2_000);
      a.kernel.onTick({ symbol: 'BTC/USDT', ts: 2_000, price: 50_010, size: 1, trades: 1 });
      assert.equal(store.getOrder(order.id)?.status, 'filled');
      assert.deepEqual(a.errors, []);
      store.close();
      const again = open();
      const b = run(again, clock);
      assert.deepEqual(b.kernel.portfolio.openPositions().map((p) => [p.symbol, p.qty]), [['BTC/USDT', 0.1]]);
      const next = b.kernel.placeOrder('test', { accountId: 'paper', botId: 'b', symbol: 'BTC/USDT', side: 'sell', type: 'market', purpose: 'exit', qty: 0.1 });
      assert.notEqual(next.id, order.id);
      assert.equal(again.getOrder(next.id)?.status, next.status, 'journaled before it was sent');
      again.close();
    });
  });

  describe(`${engine.name} store: market data`, { skip }, () => {
    const dir = tempDir('tw-market-');
    after(() => dir.cleanup());
    const all = async <T>(it: AsyncIterable<T[]>): Promise<T[]> => {
      const out: T[] = [];
      for await (const b of it) out.push(...b);
      return out;
    };

    it('re-import counts duplicates exactly; identical prints in one file are kept, in source order', async () => {
      const store = await engine.market();
      try {
        const lines = ['1735828200000,100,1', '1735828200000,100,1', '1735828200000,99.75,1', '1735828200001,100,2'];
        const path = join(dir.dir, 'dups.csv');
        writeFileSync(path, `${lines.join('\n')}\n`);
        const first = await ingest(path, store, 'tick', { symbol: 'NQ', batchSize: 3 });
        assert.deepEqual([first.inserted, first.skipped], [4, 0]);
        const again = await ingest(path, store, 'tick', { symbol: 'NQ', batchSize: 2 });
        assert.deepEqual([again.inserted, again.skipped], [0, 4]);
        const ov = join(dir.dir, 'ov.csv');
        writeFileSync(ov, '1735828200000,100,1\n1735828200000,100,1\n1735828200000,100,1\n1735828200002,101,1\n');
        const overlap = await ingest(ov, store, 'tick', { symbol: 'NQ' });
        assert.deepEqual([overlap.inserted, overlap.skipped], [2, 2]);
        const stored = await all(store.readTicks('NQ', {}, 2));
        assert.equal(stored.length, 6);
        assert.deepEqual(stored.slice(0, 3).map((t) => t.price), [100, 100, 99.75]);
        assert.deepEqual(await store.tickRange('NQ'), { symbol: 'NQ', kind: 'tick', count: 6, first: 1735828200000, last: 1735828200002 });
        assert.equal(await store.tickRange('ES'), null);
      } finally {
        await (store.closeAsync?.() ?? store.close());
      }
    });

    it('insertTicks numbers identical prints; ranges and paging read them back in order', async () => {
      const store = await engine.market();
      try {
        const ticks: Tick[] = [];
        // Four prints per millisecond, two pairs of identical ones: all kept (numbered apart).
        for (let i = 0; i < 51; i++) ticks.push({ symbol: 'ES', ts: 1_000 + Math.floor(i / 4), price: 6000 + (i % 2), size: 1, trades: 1 + (i % 3) });
        assert.deepEqual(await store.insertTicks(ticks), { inserted: 51, skipped: 0 });
        assert.deepEqual(await store.insertTicks(ticks), { inserted: 0, skipped: 51 });
        const back = await all(store.readTicks('ES', { from: 1_002, to: 1_010 }, 4));
        assert.deepEqual(back, ticks.filter((t) => t.ts >= 1_002 && t.ts < 1_010));
        assert.deepEqual(await all(store.readTicks('ES', {}, 7)), ticks);
      } finally {
        await (store.closeAsync?.() ?? store.close());
      }
    });

    it('a batch touching the stored ticks at its first or last timestamp, and an unsorted batch repeating a print, count duplicates exactly', async () => {
      const store = await engine.market();
      const tick = (ts: number, price: number, size = 1): Tick => ({ symbol: 'ES', ts, price, size, trades: 1 });
      try {
        assert.deepEqual(await store.insertTicks([tick(1_000, 1), tick(1_000, 2), tick(1_001, 3)]), { inserted: 3, skipped: 0 });
        // Starts in the millisecond the stored ticks end: the print at 1_001 is already there, the other one is new.
        assert.deepEqual(await store.insertTicks([tick(1_001, 3), tick(1_001, 4), tick(1_002, 5)]), { inserted: 2, skipped: 1 });
        // Ends in the millisecond the stored ticks start.
        assert.deepEqual(await store.insertTicks([tick(999, 6), tick(1_000, 1)]), { inserted: 1, skipped: 1 });
        // Touches without colliding: a different size at 1_002.
        assert.deepEqual(await store.insertTicks([tick(1_002, 5, 2), tick(1_003, 5)]), { inserted: 2, skipped: 0 });
        // 2_000 comes back after 2_001: its numbering restarts, so the third print is the first one again.
        assert.deepEqual(await store.insertTicks([tick(2_000, 7), tick(2_001, 8), tick(2_000, 7)]), { inserted: 2, skipped: 1 });
        const stored = await all(store.readTicks('ES', {}, 3));
        assert.deepEqual(
          stored.map((t) => [t.ts, t.price, t.size]),
          [[999, 6, 1], [1_000, 1, 1], [1_000, 2, 1], [1_001, 3, 1], [1_001, 4, 1], [1_002, 5, 1], [1_002, 5, 2], [1_003, 5, 1], [2_000, 7, 1], [2_001, 8, 1]],
        );
        assert.deepEqual(await store.tickRange('ES'), { symbol: 'ES', kind: 'tick', count: 10, first: 999, last: 2_001 });
      } finally {
        await (store.closeAsync?.() ?? store.close());
      }
    });

    it('bars: a duplicate is skipped, or overwritten when asked; series lists what is stored', async () => {
      const store = await engine.market();
      try {
        const bar: Bar = { symbol: 'ES', start: 0, intervalMs: 60_000, open: 1, high: 1, low: 1, close: 1, volume: 1, trades: 1 };
        assert.deepEqual(await store.insertBars([bar, { ...bar, start: 60_000 }]), { inserted: 2, skipped: 0 });
        assert.deepEqual(await store.insertBars([bar, { ...bar, start: 120_000 }]), { inserted: 1, skipped: 1 });
        assert.deepEqual(await store.insertBars([{ ...bar, close: 2 }], { skipDuplicates: false }), { inserted: 1, skipped: 0 });
        const bars = await all(store.readBars('ES', 60_000, {}, 2));
        assert.deepEqual(bars.map((b) => [b.start, b.close]), [[0, 2], [60_000, 1], [120_000, 1]]);
        assert.deepEqual(await store.barRange('ES', 60_000), { symbol: 'ES', kind: 'bar', intervalMs: 60_000, count: 3, first: 0, last: 120_000 });
        await store.insertTicks([{ symbol: 'NQ', ts: 5, price: 1, size: 1, trades: 2 }]);
        assert.deepEqual(
          (await store.series()).map((s) => [s.symbol, s.kind, s.count]).sort(),
          [['ES', 'bar', 3], ['NQ', 'tick', 1]],
        );
      } finally {
        await (store.closeAsync?.() ?? store.close());
      }
    });

    it('a whole Binance file: every row stored, then all skipped on re-import', async () => {
      const store = await engine.market();
      try {
        const path = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2025-01.csv.gz');
        const a = await ingest(path, store, 'bar', {});
        assert.deepEqual([a.totalRows, a.inserted, a.skipped], [44_640, 44_640, 0]);
        const b = await ingest(path, store, 'bar', {});
        assert.deepEqual([b.inserted, b.skipped], [0, 44_640]);
        let n = 0;
        for await (const batch of store.readBars('BTC/USDT', 60_000, { from: Date.UTC(2025, 0, 2), to: Date.UTC(2025, 0, 3) }, 500)) n += batch.length;
        assert.equal(n, 1440);
      } finally {
        await (store.closeAsync?.() ?? store.close());
      }
    });
  });
}
