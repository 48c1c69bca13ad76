// Server-managed stops on the bridge account, wired as the server wires it (createBridgeAccount:
// the real BridgeBroker and its queue on the real SQLite journal). The bridge executes market
// orders only, so the kernel keeps the stop and target and sends a market exit when the price
// crosses; the stops follow the position and survive restarts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { defaultConfig } from '../../src/cli/config-defaults.js';
import { createBridgeAccount, type BridgeAccount } from '../../src/cli/bridge-account.js';
import { SimClock } from '../../src/core/clock.js';
import type { KernelEvent } from '../../src/core/events.js';
import { crossed, MANAGED_STOP_TRANSITIONS, managedStopTransition, type ManagedStopEvent, type ManagedStopStatus } from '../../src/core/managed-stops.js';
import { registry, tempDir, OPEN_LIMITS } from './support.js';

const dirs = tempDir('tw-managed-');
after(() => dirs.cleanup());

const T0 = Date.UTC(2026, 0, 5, 14, 30);

interface Rig {
  clock: SimClock;
  store: SqliteStore;
  account: BridgeAccount;
  events: KernelEvent[];
  errors: string[];
  /** Sets the clock and feeds an ES print to the bridge kernel. */
  tick(price: number, at: number): void;
  /** Plays the bridge: claims every pending order and fills it (qty: all of it by default). */
  fillPending(price: number, qty?: number): string[];
  queueRows(): { id: string; side: string; qty: number; kind: string; status: string }[];
  stopRows(): { id: string; status: string; data: string }[];
  close(): void;
}

function rig(file: string, clock = new SimClock(T0)): Rig {
  const config = defaultConfig();
  config.bridge = { ...config.bridge, enabled: true, secret: 'test-secret' };
  // Stop mechanics, not limits: 2 ES on 50 000 is beyond the live leverage and margin limits.
  config.risk.accounts.bridge = { ...OPEN_LIMITS };
  const store = new SqliteStore({ file });
  const errors: string[] = [];
  // Kernel errors are logged by the wiring: collected here, and none is expected.
  const log = pino({ level: 'error' }, { write: (line: string) => errors.push(line) });
  const { account } = createBridgeAccount({ config, store, clock, instruments: registry(), log, lastPrice: () => 6_000 });
  assert.ok(account);
  // The wiring logs kernel errors; the test collects what the kernel reports on its bus too.
  const events: KernelEvent[] = [];
  account.kernel.bus.onAny((e) => events.push(e));
  account.broker.heartbeat({ tsConnected: true });
  return {
    clock,
    store,
    account,
    events,
    errors,
    tick: (price, at) => {
      clock.set(at);
      account.kernel.onTick({ symbol: 'ES', ts: at, price, size: 1, trades: 1 });
    },
    fillPending: (price, qty) => {
      const ids: string[] = [];
      for (const o of account.broker.claim('A', 10)) {
        if (o.cancel) continue;
        assert.equal(account.broker.report(o.id, { status: 'WORKING', owner: 'A' }).status, 200);
        const r = account.broker.report(o.id, { status: 'FILLED', owner: 'A', fill_price: price, qty: qty ?? o.qty, side: o.side, symbol: o.asset });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        ids.push(o.id);
      }
      return ids;
    },
    queueRows: () => store.db.prepare(`SELECT id, side, qty, kind, status FROM bridge_orders ORDER BY seq`).all() as { id: string; side: string; qty: number; kind: string; status: string }[],
    stopRows: () => store.db.prepare(`SELECT id, status, data FROM managed_stops ORDER BY rowid`).all() as { id: string; status: string; data: string }[],
    close: () => {
      store.close();
      assert.deepEqual(errors, [], 'no kernel error was logged');
    },
  };
}

const enter = (r: Rig, qty = 2, side: 'buy' | 'sell' = 'buy', levels = { stopLoss: 5_990, takeProfit: 6_030 }) =>
  r.account.kernel.placeOrder('test', { accountId: 'bridge', botId: 'desk', symbol: 'ES', side, type: 'market', purpose: 'entry', qty, ...levels, tag: 'A' });

const stopsOf = (r: Rig) => r.account.kernel.execution.managedStops().map((s) => [s.purpose, s.status, s.side, s.triggerPrice, s.qty]);

describe('server-managed stops on the bridge account', () => {
  it('keeps the stop and target itself and closes the position with a market exit when the price crosses', () => {
    const r = rig(dirs.file('cross.db'));
    assert.equal(r.account.broker.supportsProtectiveOrders, false);
    enter(r);
    r.clock.set(T0 + 1_000);
    r.fillPending(6_000);
    const k = r.account.kernel;
    assert.equal(k.portfolio.position('ES')?.qty, 2);
    assert.deepEqual(stopsOf(r), [
      ['stop_loss', 'active', 'sell', 5_990, 2],
      ['take_profit', 'active', 'sell', 6_030, 2],
    ]);
    assert.deepEqual(r.stopRows().map((x) => [x.id, x.status]), [
      ['bridge:ES:stop_loss', 'active'],
      ['bridge:ES:take_profit', 'active'],
    ]);
    // No stop or limit order was sent to (and refused by) the bridge: the entry is its only order.
    assert.equal(r.queueRows().length, 1);
    assert.ok(!r.store.listOrders({ limit: 10, accountId: 'bridge' }).some((o: { status: string }) => o.status === 'rejected'));

    r.tick(5_995, T0 + 2_000);
    r.tick(6_029.75, T0 + 3_000);
    assert.equal(r.queueRows().length, 1, 'no level crossed yet');
    r.tick(5_989.75, T0 + 4_000);
    const rows = r.queueRows();
    assert.equal(rows.length, 2);
    assert.deepEqual([rows[1]?.side, rows[1]?.qty, rows[1]?.kind, rows[1]?.status], ['SELL', 2, 'EXIT', 'PENDING']);
    const exit = r.store.getOrder(rows[1]?.id ?? '');
    assert.deepEqual([exit?.type, exit?.purpose, exit?.status], ['market', 'stop_loss', 'pending_submit']);
    assert.match(exit?.reason ?? '', /server-managed stop loss at 5990/);
    assert.deepEqual(stopsOf(r)[0], ['stop_loss', 'triggered', 'sell', 5_990, 2]);
    r.tick(5_980, T0 + 5_000);
    assert.equal(r.queueRows().length, 2, 'one exit at a time');

    r.clock.set(T0 + 6_000);
    r.fillPending(5_989.5);
    assert.equal(k.portfolio.position('ES'), undefined);
    assert.deepEqual(stopsOf(r), []);
    assert.deepEqual(r.stopRows().map((x) => x.status), ['cancelled', 'cancelled']);
    const [t] = r.store.recentTrades(5, 'bridge');
    assert.deepEqual([t?.qty, t?.entryPrice, t?.exitPrice, t?.grossPnl], [2, 6_000, 5_989.5, -10.5 * 2 * 50]);
    const changes = r.events.flatMap((e) => (e.type === 'managed-stop' ? [`${e.stop.purpose}:${e.change}`] : []));
    assert.deepEqual(changes, ['stop_loss:armed', 'take_profit:armed', 'stop_loss:triggered', 'stop_loss:cancelled', 'take_profit:cancelled']);
    r.close();
  });

  it('survives a restart: restored stops close the position; a triggered stop is not sent twice after a restart', () => {
    const file = dirs.file('restart.db');
    const a = rig(file);
    enter(a, 1, 'sell', { stopLoss: 6_010, takeProfit: 5_950 });
    a.clock.set(T0 + 1_000);
    a.fillPending(6_000);
    const before = a.account.kernel.execution.managedStops();
    assert.deepEqual(before.map((s) => [s.purpose, s.side, s.triggerPrice]), [
      ['stop_loss', 'buy', 6_010],
      ['take_profit', 'buy', 5_950],
    ]);
    a.close();

    // Restart 1: the stops come back from the journal and work.
    const b = rig(file, new SimClock(T0 + 60_000));
    assert.deepEqual(b.account.kernel.execution.managedStops(), before);
    assert.equal(b.account.kernel.portfolio.position('ES')?.side, 'short');
    b.tick(5_949.75, T0 + 61_000); // the short's target
    const exitRow = b.queueRows().at(-1);
    assert.deepEqual([exitRow?.side, exitRow?.qty, exitRow?.status], ['BUY', 1, 'PENDING']);
    assert.equal(b.store.getOrder(exitRow?.id ?? '')?.purpose, 'take_profit');
    b.close();

    // Restart 2, with the exit still queued: the target is still triggered, nothing is resent.
    const c = rig(file, new SimClock(T0 + 120_000));
    assert.deepEqual(stopsOf(c).find((s) => s[0] === 'take_profit'), ['take_profit', 'triggered', 'buy', 5_950, 1]);
    c.tick(5_940, T0 + 121_000);
    assert.equal(c.queueRows().length, 2, 'the entry and the one exit');
    c.clock.set(T0 + 122_000);
    c.fillPending(5_949.5);
    assert.equal(c.account.kernel.portfolio.position('ES'), undefined);
    assert.deepEqual(stopsOf(c), []);
    c.close();

    // Restart 3: nothing is left to manage.
    const d = rig(file, new SimClock(T0 + 180_000));
    assert.deepEqual(stopsOf(d), []);
    d.close();
  });

  it('follows the position: resized after partial exits (a FILLED for less), moved by a trailing update', () => {
    const r = rig(dirs.file('resize.db'));
    const k = r.account.kernel;
    enter(r, 3, 'buy', { stopLoss: 5_990, takeProfit: null as unknown as number });
    r.clock.set(T0 + 1_000);
    r.fillPending(6_000);
    assert.deepEqual(stopsOf(r), [['stop_loss', 'active', 'sell', 5_990, 3]]);

    k.placeOrder('test', { accountId: 'bridge', botId: 'desk', symbol: 'ES', side: 'sell', type: 'market', purpose: 'exit', qty: 2, reason: 'scale out' });
    r.clock.set(T0 + 2_000);
    r.fillPending(6_005, 1); // the bridge fills 1 of the 2 and is done
    const exit = r.store.listOrders({ limit: 1, accountId: 'bridge' })[0];
    assert.deepEqual([exit?.status, exit?.filledQty, exit?.qty], ['cancelled', 1, 2], 'the remainder is cancelled, not lost');
    assert.equal(k.portfolio.position('ES')?.qty, 2);
    assert.deepEqual(stopsOf(r), [['stop_loss', 'active', 'sell', 5_990, 2]]);

    // Trailing: the stop moves up; the old level no longer matters, the new one does.
    const moved = k.execution.updateProtection('ES', { stopPrice: 5_998 });
    assert.equal(moved?.stopPrice, 5_998);
    assert.equal(r.store.restore('bridge').positions[0]?.stopPrice, 5_998, 'journaled with the position');
    assert.deepEqual(stopsOf(r), [['stop_loss', 'active', 'sell', 5_998, 2]]);
    r.tick(5_998.25, T0 + 3_000);
    assert.equal(r.queueRows().length, 2, 'above the moved stop');
    r.tick(5_997.75, T0 + 4_000);
    const last = r.queueRows().at(-1);
    assert.deepEqual([last?.side, last?.qty, last?.kind], ['SELL', 2, 'EXIT']);
    r.clock.set(T0 + 5_000);
    r.fillPending(5_997.5);
    assert.equal(k.portfolio.position('ES'), undefined);
    const [t] = r.store.recentTrades(1, 'bridge');
    assert.deepEqual([t?.qty, t?.entryPrice], [3, 6_000]);
    assert.ok(Math.abs((t?.exitPrice ?? 0) - (6_005 + 2 * 5_997.5) / 3) < 1e-9, `VWAP exit ${t?.exitPrice}`);
    r.close();
  });

  it('never sends a second exit next to one already working (a bot’s exit, or its own)', () => {
    const r = rig(dirs.file('one-exit.db'));
    const k = r.account.kernel;
    enter(r, 2);
    r.clock.set(T0 + 1_000);
    r.fillPending(6_000);
    k.placeOrder('test', { accountId: 'bridge', botId: 'desk', symbol: 'ES', side: 'sell', type: 'market', purpose: 'exit', qty: 2, reason: 'bot exit' });
    r.tick(5_985, T0 + 2_000); // crosses the stop while the bot's exit is queued
    assert.equal(r.queueRows().length, 2, 'only the bot exit');
    assert.deepEqual(stopsOf(r)[0], ['stop_loss', 'active', 'sell', 5_990, 2]);
    r.clock.set(T0 + 3_000);
    r.fillPending(5_985);
    assert.equal(k.portfolio.position('ES'), undefined);

    // The other way round: the managed exit counts as an exit for anyone asking before sending one.
    enter(r, 1);
    r.clock.set(T0 + 4_000);
    r.fillPending(6_000);
    r.tick(5_980, T0 + 5_000);
    assert.equal(k.execution.hasOpenOrder('ES', ['exit']), true, 'the managed stop-loss exit is an exit in flight');
    assert.equal(k.execution.hasOpenOrder('ES', ['entry']), false);
    r.close();
  });

  it('an exit the bridge refuses (offline) leaves the stop armed; it fires again after the retry delay', () => {
    const r = rig(dirs.file('offline.db'));
    const k = r.account.kernel;
    enter(r, 1);
    r.clock.set(T0 + 1_000);
    r.fillPending(6_000);
    r.tick(5_985, T0 + 120_000); // heartbeat 2 minutes old: the bridge refuses the exit
    const refused = r.store.listOrders({ limit: 1, accountId: 'bridge' })[0];
    assert.deepEqual([refused?.purpose, refused?.status], ['stop_loss', 'rejected']);
    assert.match(refused?.reason ?? '', /offline/);
    const stop = k.execution.managedStops().find((s) => s.purpose === 'stop_loss');
    assert.deepEqual([stop?.status, stop?.retryAt], ['active', T0 + 125_000]);
    r.tick(5_984, T0 + 121_000);
    assert.equal(r.store.listOrders({ limit: 10, accountId: 'bridge' }).length, 2, 'no new exit before the retry time');
    r.account.broker.heartbeat({ tsConnected: true }, T0 + 125_000);
    r.tick(5_983, T0 + 125_000);
    const rows = r.queueRows();
    assert.deepEqual([rows.length, rows.at(-1)?.kind, rows.at(-1)?.qty], [2, 'EXIT', 1]);
    r.clock.set(T0 + 126_000);
    r.fillPending(5_983);
    assert.equal(k.portfolio.position('ES'), undefined);
    r.close();
  });
});

describe('managed stop transition table and crossing rule (core/managed-stops)', () => {
  const STATUSES: ManagedStopStatus[] = ['active', 'triggered', 'cancelled'];
  const EVENTS: ManagedStopEvent[] = ['arm', 'trigger', 'fail', 'cancel'];
  const EXPECTED: Record<ManagedStopStatus, Partial<Record<ManagedStopEvent, ManagedStopStatus>>> = {
    active: { arm: 'active', trigger: 'triggered', cancel: 'cancelled' },
    triggered: { arm: 'triggered', fail: 'active', cancel: 'cancelled' },
    cancelled: { arm: 'active' },
  };

  it('every (status, event) pair', () => {
    assert.deepEqual(Object.keys(MANAGED_STOP_TRANSITIONS).sort(), [...STATUSES].sort());
    for (const s of STATUSES) {
      for (const e of EVENTS) {
        const to = EXPECTED[s][e];
        if (to) assert.equal(managedStopTransition(s, e), to, `${s} --${e}`);
        else assert.throws(() => managedStopTransition(s, e), /Invalid managed stop transition/, `${s} --${e}`);
      }
    }
  });

  it('a sell stop crosses at or below, a sell target at or above; the other way round for buys', () => {
    assert.equal(crossed({ side: 'sell', purpose: 'stop_loss', triggerPrice: 100 }, 101, 100), true);
    assert.equal(crossed({ side: 'sell', purpose: 'stop_loss', triggerPrice: 100 }, 101, 100.25), false);
    assert.equal(crossed({ side: 'sell', purpose: 'take_profit', triggerPrice: 110 }, 110, 105), true);
    assert.equal(crossed({ side: 'sell', purpose: 'take_profit', triggerPrice: 110 }, 109.75, 105), false);
    assert.equal(crossed({ side: 'buy', purpose: 'stop_loss', triggerPrice: 110 }, 110, 105), true);
    assert.equal(crossed({ side: 'buy', purpose: 'stop_loss', triggerPrice: 110 }, 109, 105), false);
    assert.equal(crossed({ side: 'buy', purpose: 'take_profit', triggerPrice: 100 }, 105, 100), true);
    assert.equal(crossed({ side: 'buy', purpose: 'take_profit', triggerPrice: 100 }, 105, 100.5), false);
  });
});
