import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RenkoDesk, type DeskResult, type RenkoDeskDeps } from '../../src/app/renko-desk/desk.js';
import type { RenkoDeskConfig } from '../../src/app/renko-desk/state.js';
import { SimClock } from '../../src/core/clock.js';
import type { RenkoColor, RenkoSize } from '../../src/core/renko.js';
import { buildHarness, tempDir, type Harness } from './support.js';

const T0 = Date.UTC(2026, 0, 5, 14, 31, 37); // 14:31:37 UTC: the 5-minute candle ends at 14:35:00
const CONFIG: RenkoDeskConfig = {
  assets: { ES: { symbol: 'MES', contract: 'MESM6' }, NQ: { symbol: 'MNQ', contract: 'MNQM6' } },
  dailyStopUsd: 500,
  dailyTradeLimit: 6,
  cooldownMinutes: 3,
  exitLockSeconds: 30,
  heartbeatMaxAgeMinutes: 10,
  sizes: { '6pt': 5, '9pt': 3 },
  scalpTargetPoints: 6,
  signalTpTarget: 3,
  maxScaleIns: 1,
  pnlSnapshotIncludesUnrealized: true,
};

type Obj = Record<string, unknown>;
interface Ctx {
  h: Harness;
  desk: RenkoDesk;
  beats: Map<string, number>;
  bar(size: RenkoSize, color: RenkoColor, asset?: string): void;
  tick(price: number, advanceMs?: number): void;
  view(asset?: string): Obj;
  close(): void;
}

const dir = tempDir('tw-renko-');
let n = 0;
function setup(opts: { state?: Obj; file?: string; config?: Partial<RenkoDeskConfig>; envAccount?: RenkoDeskDeps['envAccount'] } = {}): Ctx {
  const file = opts.file ?? dir.file(`desk-${(n += 1)}.db`);
  const h = buildHarness({ file, clock: new SimClock(T0), slippageTicks: 0 });
  if (opts.state) h.store.setMeta('renkoDesk.state', JSON.stringify(opts.state));
  const beats = new Map<string, number>([['ES', T0], ['NQ', T0]]);
  const desk = new RenkoDesk({ clock: h.clock, kernel: h.kernel, signals: h.kernel.bus, store: h.store, config: { ...CONFIG, ...opts.config }, heartbeat: (a) => beats.get(a) ?? null, ...(opts.envAccount ? { envAccount: opts.envAccount } : {}) });
  let seq = 0;
  return {
    h,
    desk,
    beats,
    bar: (size, color, asset = 'ES') => h.kernel.bus.publish({ type: 'renko', bar: { asset, size, color, barId: `${asset}-${size}-${(seq += 1)}`, open: null, close: null, ts: h.clock.now(), source: 'tradingview' } }),
    tick: (price, advanceMs = 100) => {
      const ts = h.clock.now() + advanceMs;
      beats.set('ES', ts);
      h.tick('MES', price, ts);
    },
    view: (asset = 'ES') => (desk.stateView().assets as Record<string, Obj>)[asset] as Obj,
    close: () => h.store.close(),
  };
}
after(() => dir.cleanup());

const err = (r: DeskResult): string => (r.ok ? `ok: ${JSON.stringify(r.body)}` : r.error);
/** NORMAL BUY zone and a READY tempo token. */
const ready = (c: Ctx) => {
  c.bar(8, 'green');
  c.bar(12, 'green');
  c.bar(6, 'green');
};
/** A filled SCALP BUY of 5 MES at `price` (no slippage). */
function openLong(c: Ctx, price = 6000, body: Obj = {}): Obj {
  ready(c);
  const r = c.desk.order({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt', ...body });
  assert.ok(r.ok, err(r));
  c.tick(price);
  const p = c.view().position as Obj;
  assert.equal(p?.qty, 5);
  return r.body;
}
/** The exit rule closed the position: an exit order was placed and filled, the trade closed. */
function assertClosedBy(c: Ctx, reason: RegExp, fillPrice: number): void {
  const last = c.view().last_exit as Obj;
  assert.match(String(last?.reason), reason);
  const pending = c.view().pending_order as Obj;
  assert.equal(pending?.kind, 'EXIT', 'the exit order is working');
  c.tick(fillPrice);
  assert.equal(c.view().position, null, 'the position is closed');
  const exit = c.h.store.getOrder(String(last.order_id));
  assert.deepEqual([exit?.purpose, exit?.status, exit?.side], ['exit', 'filled', 'sell']);
  assert.ok(c.h.events.some((e) => e.type === 'trade-closed'));
  assert.equal(c.view().pending_order, null);
}

describe('Renko desk: the eight entry checks in order (seed 003)', () => {
  const cases: { name: string; state?: Obj; setup: (c: Ctx) => void; check: number; error: string }[] = [
    { name: '1 daily stop (realised P&L)', state: { day: '2026-01-05', realized_pnl: -520 }, setup: ready, check: 1, error: 'DAILY STOP HIT — realised P&L -520.00 USD reached the -500.00 USD limit (09:28:23 remaining)' },
    { name: '1 daily trade limit', state: { day: '2026-01-05', trades_used: 6 }, setup: ready, check: 1, error: 'DAILY TRADE LIMIT REACHED — 6 of 6 trades used today (09:28:23 remaining)' },
    { name: '2 post-exit cooldown', state: { assets: { ES: { cooldown_until: T0 + 161_000 } } }, setup: ready, check: 2, error: 'COOLDOWN ACTIVE — post-exit cooldown (02:41 remaining)' },
    { name: '3 five-minute candle lock', state: { assets: { ES: { candle_lock_until: Date.UTC(2026, 0, 5, 14, 35) } } }, setup: ready, check: 3, error: '5 MIN LOCK ACTIVE — one trade already used this candle (03:23 remaining)' },
    {
      name: '4 pending pre-order',
      setup: (c) => {
        ready(c);
        assert.ok(c.desk.order({ asset: 'ES', order_type: 'preorder' }).ok);
      },
      check: 4,
      error: 'PENDING ORDER EXISTS — a structure-direction pre-order waits for the next 6pt bar; cancel it first',
    },
    {
      name: '4 pending working order',
      setup: (c) => {
        ready(c);
        assert.ok(c.desk.order({ asset: 'ES', direction: 'BUY' }).ok);
        c.h.clock.set(Date.UTC(2026, 0, 5, 14, 36)); // past the candle lock; no tick, so the order still works
        c.beats.set('ES', c.h.clock.now());
      },
      check: 4,
      error: 'PENDING ORDER EXISTS — ENTRY BUY 5 MESM6 (order O-00000001) is still working',
    },
    {
      name: '5 open position',
      setup: (c) => {
        openLong(c);
        c.h.clock.set(Date.UTC(2026, 0, 5, 14, 36));
        c.beats.set('ES', c.h.clock.now());
      },
      check: 5,
      error: 'POSITION OPEN — no pyramiding: LONG 5 MESM6 (use scale-in)',
    },
    {
      name: '6 stale heartbeat',
      setup: (c) => {
        ready(c);
        c.beats.set('ES', T0 - 725_000);
      },
      check: 6,
      error: 'HEARTBEAT STALE — last price 12:05 ago (limit 10:00)',
    },
    {
      name: '6 no heartbeat',
      setup: (c) => {
        ready(c);
        c.beats.delete('ES');
      },
      check: 6,
      error: 'NO HEARTBEAT — no price received for ES yet',
    },
    { name: '7 tempo token not ready', setup: (c) => (c.bar(8, 'green'), c.bar(12, 'green')), check: 7, error: 'TEMPO TOKEN NOT READY — no 6pt bar received yet' },
    { name: '7 tempo token spent', state: { assets: { ES: { tempo: 'SPENT' } } }, setup: (c) => (c.bar(8, 'green'), c.bar(12, 'green')), check: 7, error: 'TEMPO TOKEN SPENT — already used on this 6pt bar; wait for the next 6pt bar' },
    {
      name: '8 FREE zone without direction',
      setup: (c) => {
        c.bar(8, 'green');
        c.bar(12, 'red');
        c.bar(6, 'green');
      },
      check: 8,
      error: 'ZONE GATE — FREE zone (8pt and 12pt disagree or missing): send an explicit direction BUY or SELL',
    },
  ];
  for (const tc of cases) {
    it(`check ${tc.name} answers first with its message`, () => {
      const c = setup({ state: tc.state });
      try {
        tc.setup(c);
        const r = c.desk.order({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' });
        assert.equal(err(r), tc.error);
        assert.ok(!r.ok && r.status === 409);
      } finally {
        c.close();
      }
    });
  }

  it('8: NORMAL zone refuses the counter-structure direction unless entry_override', () => {
    const c = setup();
    try {
      ready(c);
      assert.equal(err(c.desk.order({ asset: 'ES', direction: 'SELL' })), 'ZONE GATE — NORMAL zone structure is BUY (8pt green, 12pt green); SELL refused (entry_override bypasses)');
      const r = c.desk.order({ asset: 'ES', direction: 'SELL', entry_override: true, entry_size_mode: '9pt' });
      assert.ok(r.ok, err(r));
      assert.deepEqual([(r.body.order as Obj).side, (r.body.order as Obj).qty, (r.body.order as Obj).symbol], ['SELL', 3, 'MESM6']);
    } finally {
      c.close();
    }
  });

  it('the earliest failing check wins when several fail', () => {
    const c = setup({ state: { day: '2026-01-05', realized_pnl: -600, assets: { ES: { cooldown_until: T0 + 60_000, candle_lock_until: T0 + 60_000 } } } });
    try {
      c.beats.delete('ES');
      assert.match(err(c.desk.order({ asset: 'ES' })), /^DAILY STOP HIT/);
    } finally {
      c.close();
    }
  });

  it('a successful entry spends the tempo token, sets the 5-minute lock and counts a trade', () => {
    const c = setup();
    try {
      const body = openLong(c);
      assert.deepEqual(body.order, { id: 'O-00000001', symbol: 'MESM6', instrument: 'MES', side: 'BUY', qty: 5, type: 'market', status: 'accepted', env: 'DEMO' });
      const v = c.view();
      assert.deepEqual(v.tempo, { token: 'SPENT', last_6pt_bar_id: 'ES-6-3' });
      assert.deepEqual(v.locks && (v.locks as Obj).candle_5min, { active: true, until: Date.UTC(2026, 0, 5, 14, 35), remaining_s: 203 });
      assert.equal((c.desk.stateView().daily as Obj).trades_used, 1);
      assert.equal(v.zone, 'NORMAL');
      assert.equal(v.trade_mode, 'SCALP');
      assert.deepEqual((v.exits as Obj).points_tp, { enabled: true, target: 6 }, 'SCALP switches the points take-profit on');
    } finally {
      c.close();
    }
  });
});

describe('Renko desk: every exit rule closes the position when its condition occurs', () => {
  const rules: { name: string; arm: (c: Ctx) => void; trigger: (c: Ctx) => void; reason: RegExp }[] = [
    { name: 'protect -2.0', arm: (c) => assert.ok(c.desk.protect({ asset: 'ES', enabled: true, threshold: -2.0 }).ok), trigger: (c) => c.tick(5997.75), reason: /^protect: open points -2.25/ },
    {
      name: 'protect +0.5 (after passing it)',
      arm: (c) => assert.ok(c.desk.protect({ asset: 'ES', enabled: true, threshold: 0.5 }).ok),
      trigger: (c) => {
        c.tick(6000.25);
        assert.equal(c.view().pending_order, null, 'not live before open points passed +0.5');
        c.tick(6001.5);
        c.tick(6000.5);
      },
      reason: /^protect: open points 0.5/,
    },
    { name: 'points take-profit', arm: (c) => assert.ok(c.desk.pointsTakeProfit({ asset: 'ES', enabled: true, target: 3 }).ok), trigger: (c) => c.tick(6003), reason: /^points take-profit/ },
    {
      name: 'signal-count take-profit',
      arm: (c) => assert.ok(c.desk.takeProfit({ asset: 'ES', tp_arm: 'toggle', tp_target: 2 }).ok),
      trigger: (c) => {
        c.bar(6, 'red');
        assert.equal(c.view().pending_order, null, 'one opposite bar of two');
        c.bar(6, 'red');
      },
      reason: /^signal-count take-profit: 2 opposite 6pt bars/,
    },
    { name: '8pt next-bar exit', arm: (c) => assert.ok(c.desk.highNextBarExit({ asset: 'ES' }).ok), trigger: (c) => c.bar(8, 'green'), reason: /^8pt next-bar exit/ },
    { name: '6pt flip exit', arm: (c) => assert.ok(c.desk.mainFlipExit({ asset: 'ES' }).ok), trigger: (c) => c.bar(6, 'red'), reason: /^6pt flip exit/ },
    {
      name: '4pt invalidation',
      arm: (c) => assert.ok(c.desk.fourPtInvalidation({ asset: 'ES' }).ok),
      trigger: (c) => {
        c.bar(4, 'green');
        assert.equal(c.view().pending_order, null);
        c.bar(4, 'red');
      },
      reason: /^4pt invalidation/,
    },
    {
      name: 'auto-exit (day P&L at the daily stop, on a 6pt bar)',
      arm: (c) => assert.ok(c.desk.autoExit({ asset: 'ES', timeframe: '6pt' }).ok),
      trigger: (c) => {
        c.tick(5979); // -21 points x 5 MES x $5 = -525 open
        assert.equal(c.view().pending_order, null, 'evaluated on 6pt bars only');
        c.bar(6, 'green');
      },
      reason: /^auto-exit \(6pt\): day P&L -525.00/,
    },
    { name: 'level exit', arm: () => {}, trigger: (c) => c.h.kernel.bus.publish({ type: 'level-exit', asset: 'ES', ts: c.h.clock.now() }), reason: /^level exit/ },
    {
      name: '2.5pt lock (automatic: breakeven after +2.5)',
      arm: () => {},
      trigger: (c) => {
        c.tick(6002.5);
        assert.equal(((c.view().exits as Obj).two_half_lock as Obj).engaged, true);
        c.tick(6000);
      },
      reason: /^2.5pt lock/,
    },
  ];
  for (const rule of rules) {
    it(rule.name, () => {
      const c = setup();
      try {
        openLong(c, 6000, { entry_size_mode: '6pt' });
        // SCALP's automatic points TP would interfere with some triggers: target far away.
        assert.ok(c.desk.pointsTakeProfit({ asset: 'ES', enabled: rule.name === 'points take-profit', target: rule.name === 'points take-profit' ? 3 : 100 }).ok);
        rule.arm(c);
        rule.trigger(c);
        assertClosedBy(c, rule.reason, 6001);
        const v = c.view();
        assert.equal((v.locks as Obj & { cooldown: Obj }).cooldown.active, true, 'post-exit cooldown starts');
        assert.equal((v.tempo as Obj).token, 'SPENT');
      } finally {
        c.close();
      }
    });
  }

  it('RUNNER switches the 6pt flip exit on', () => {
    const c = setup();
    try {
      openLong(c, 6000, { trade_mode: 'RUNNER' });
      c.bar(6, 'red');
      assertClosedBy(c, /^6pt flip exit/, 5999);
    } finally {
      c.close();
    }
  });
});

describe('Renko desk controls', () => {
  it('exit honours the exit lock unless forced; exit-all; scale-in', () => {
    const c = setup();
    try {
      openLong(c);
      assert.equal(err(c.desk.exit({ asset: 'ES' })), 'EXIT LOCK ACTIVE — position just opened (00:30 remaining); send force: true to override');
      assert.match(err(c.desk.scaleIn({ asset: 'ES' })), /not in profit/);
      c.tick(6002, 1_000);
      assert.equal(c.view().scale_in_available, true);
      const s = c.desk.scaleIn({ asset: 'ES' });
      assert.ok(s.ok, err(s));
      c.tick(6002);
      assert.equal((c.view().position as Obj).qty, 10);
      assert.match(err(c.desk.scaleIn({ asset: 'ES' })), /1 of 1 scale-ins used/);
      const forced = c.desk.exit({ asset: 'ES', force: true });
      assert.ok(forced.ok, err(forced));
      assert.deepEqual([(forced.body.order as Obj).side, (forced.body.order as Obj).qty], ['SELL', 10]);
      assert.match(err(c.desk.exit({ asset: 'ES', force: true })), /^EXIT ALREADY PENDING/);
      c.tick(6003);
      assert.equal(c.view().position, null);
      assert.equal(err(c.desk.exit({ asset: 'ES' })), 'NO OPEN POSITION — ES is flat');
      const all = c.desk.exitAll({ force: true });
      assert.deepEqual(all.ok && all.body, { ok: true, orders: [], skipped: [] });
    } finally {
      c.close();
    }
  });

  it('exit-all closes every open position and reports what it skipped', () => {
    const c = setup();
    try {
      openLong(c);
      c.h.clock.advance(31_000);
      const r = c.desk.exitAll({});
      assert.ok(r.ok);
      assert.deepEqual((r.body.orders as Obj[]).map((o) => [o.asset, o.side, o.qty]), [['ES', 'SELL', 5]]);
      c.tick(6001);
      assert.equal(c.view().position, null);
    } finally {
      c.close();
    }
  });

  it('exit-all lists each position it skipped (exit lock, with the seconds left) and answers ok: false while one stays open', () => {
    const c = setup();
    try {
      openLong(c);
      c.h.clock.advance(31_000);
      // NQ opens now: its exit lock runs; ES's has expired.
      c.bar(8, 'green', 'NQ');
      c.bar(12, 'green', 'NQ');
      c.bar(6, 'green', 'NQ');
      c.beats.set('NQ', c.h.clock.now());
      assert.ok(c.desk.order({ asset: 'NQ', trade_mode: 'SCALP', entry_size_mode: '9pt' }).ok);
      c.h.tick('MNQ', 21000, c.h.clock.now() + 100);
      c.h.tick('MES', 6000, c.h.clock.now() + 100);
      assert.equal((c.view('NQ').position as Obj).qty, 3);
      const r = c.desk.exitAll({});
      assert.ok(r.ok, 'answered 200 with the orders it placed');
      assert.equal(r.body.ok, false);
      assert.deepEqual((r.body.orders as Obj[]).map((o) => [o.asset, o.side, o.qty]), [['ES', 'SELL', 5]]);
      const skipped = r.body.skipped as Obj[];
      assert.equal(skipped.length, 1);
      assert.deepEqual(
        { ...skipped[0], position_id: typeof skipped[0]?.position_id },
        { asset: 'NQ', symbol: 'MNQM6', position_id: 'string', side: 'BUY', qty: 3, code: 'exit_lock', reason: 'EXIT LOCK ACTIVE — position just opened (00:30 remaining); send force: true to override', retry_after_s: 30 },
      );
      assert.equal(r.body.error, '1 position(s) NOT exited — NQ: EXIT LOCK ACTIVE — position just opened (00:30 remaining); send force: true to override');
      c.h.tick('MNQ', 21001, c.h.clock.now() + 100);
      c.h.tick('MES', 6001, c.h.clock.now() + 100);
      assert.equal(c.view('ES').position, null);
      assert.equal((c.view('NQ').position as Obj).qty, 3, 'NQ stays open');
      // A second exit-all: ES is flat (not listed), NQ still locked.
      assert.deepEqual(((c.desk.exitAll({}) as { body: Obj }).body.skipped as Obj[]).map((x) => x.asset), ['NQ']);
      const forced = c.desk.exitAll({ force: true });
      assert.ok(forced.ok && forced.body.ok === true, JSON.stringify(forced));
      assert.deepEqual((forced.body.orders as Obj[]).map((o) => [o.asset, o.side, o.qty]), [['NQ', 'SELL', 3]]);
    } finally {
      c.close();
    }
  });

  it('protect accepts only -2.0 or 0.5; points TP, signal TP toggles, target and reset', () => {
    const c = setup();
    try {
      assert.equal(err(c.desk.protect({ asset: 'ES', enabled: true, threshold: 1 })), 'PROTECT THRESHOLD REFUSED — allowed thresholds are -2.0 or 0.5 points');
      assert.deepEqual(c.desk.protect({ asset: 'ES', enabled: true, threshold: 0.5 }).ok && true, true);
      assert.deepEqual(((c.view().exits as Obj).protect as Obj), { enabled: true, threshold: 0.5 });
      assert.equal(err(c.desk.pointsTakeProfit({ asset: 'ES', target: -1 })), 'target must be a positive number of points');
      const tp = c.desk.takeProfit({ asset: 'ES', tp_arm: 'toggle' });
      assert.deepEqual(tp.ok && tp.body.signal_tp, { armed: true, target: 3, count: 0 });
      const t2 = c.desk.takeProfit({ asset: 'ES', tp_target: 5, reset: true });
      assert.deepEqual(t2.ok && t2.body.signal_tp, { armed: true, target: 5, count: 0 });
      const t3 = c.desk.takeProfit({ asset: 'ES', tp_arm: 'toggle' });
      assert.equal(t3.ok && (t3.body.signal_tp as Obj).armed, false);
      for (const [fn, key, field] of [['highNextBarExit', 'high_next_bar_exit', 'armed'], ['mainFlipExit', 'main_flip_exit', 'enabled'], ['fourPtInvalidation', 'four_pt_invalidation', 'enabled']] as const) {
        const on = c.desk[fn]({ asset: 'ES' });
        assert.equal(on.ok && (on.body[key] as Obj)[field], true, fn);
        const off = c.desk[fn]({ asset: 'ES' });
        assert.equal(off.ok && (off.body[key] as Obj)[field], false, fn);
      }
      assert.equal(err(c.desk.autoExit({ asset: 'ES', timeframe: '8pt' })), 'AUTO-EXIT TIMEFRAME LOCKED — the auto-exit timeframe is 6pt');
      const ae = c.desk.autoExit({ asset: 'ES' });
      assert.deepEqual(ae.ok && ae.body.auto_exit, { enabled: true, timeframe: '6pt' });
      assert.match(err(c.desk.protect({ asset: 'CL' })), /^unknown asset CL: expected one of ES, NQ/);
    } finally {
      c.close();
    }
  });

  it('intent: READY on the next 6pt bar, expires one bar later; cancel', () => {
    const c = setup();
    try {
      assert.ok(c.desk.intent({ asset: 'ES' }).ok);
      assert.match(err(c.desk.intent({ asset: 'ES' })), /^INTENT ALREADY ACTIVE — ARMED/);
      assert.equal((c.view().intent as Obj).state, 'ARMED');
      c.bar(6, 'green');
      assert.equal((c.view().intent as Obj).state, 'READY');
      c.bar(6, 'green');
      assert.deepEqual([(c.view().intent as Obj).state, (c.view().intent as Obj).last_outcome], ['NONE', 'expired unused']);
      assert.equal(err(c.desk.intentCancel({ asset: 'ES' })), 'NO ACTIVE INTENT');
      assert.ok(c.desk.intent({ asset: 'ES' }).ok);
      const cancelled = c.desk.intentCancel({ asset: 'ES' });
      assert.equal(cancelled.ok && (cancelled.body.intent as Obj).state, 'NONE');
    } finally {
      c.close();
    }
  });

  it('pre-order fires on the next 6pt bar in the structure direction; cancel', () => {
    const c = setup();
    try {
      ready(c);
      const pre = c.desk.order({ asset: 'ES', order_type: 'preorder', trade_mode: 'RUNNER', entry_size_mode: '9pt' });
      assert.ok(pre.ok, err(pre));
      assert.ok(c.desk.preorderCancel({ asset: 'ES' }).ok);
      assert.equal(err(c.desk.preorderCancel({ asset: 'ES' })), 'NO ACTIVE PRE-ORDER');
      assert.ok(c.desk.order({ asset: 'ES', order_type: 'preorder', trade_mode: 'RUNNER', entry_size_mode: '9pt' }).ok);
      c.bar(6, 'green');
      assert.match(String(c.view().preorder_last), /^fired: order O-00000001/);
      c.tick(6000);
      assert.deepEqual([(c.view().position as Obj).side, (c.view().position as Obj).qty, c.view().trade_mode], ['BUY', 3, 'RUNNER']);
    } finally {
      c.close();
    }
  });

  it('POST /api/env LIVE moves the desk to the environment account; refused with the reason, or while a position is open', () => {
    const live = buildHarness({ file: dir.file(`desk-live-${(n += 1)}.db`), clock: new SimClock(T0), slippageTicks: 0 });
    let refusal: string | null = 'no mainnet exchange account with credentials trades MES, MNQ';
    const c = setup({ envAccount: (env) => (env === 'DEMO' ? { ok: true, kernel: null } : refusal ? { ok: false, reason: refusal } : { ok: true, kernel: live.kernel }) });
    try {
      const refused = c.desk.setEnv({ env: 'LIVE' });
      assert.equal(err(refused), 'LIVE REFUSED — no mainnet exchange account with credentials trades MES, MNQ; staying in DEMO');
      assert.ok(!refused.ok && refused.status === 403);
      refusal = null;
      const switched = c.desk.setEnv({ env: 'LIVE' });
      assert.ok(switched.ok, err(switched));
      assert.equal(c.desk.account, live.kernel);
      assert.equal(c.desk.stateView().env, 'LIVE');
      // The desk's entry goes to the LIVE account, not its own.
      ready(c);
      const r = c.desk.order({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' });
      assert.ok(r.ok, err(r));
      assert.equal(c.h.kernel.execution.openOrders().length, 0);
      assert.equal(live.kernel.execution.openOrders().length, 1);
      live.tick('MES', 6000, T0 + 100);
      assert.equal((c.view().position as Obj)?.qty, 5);
      // Leaving the account with its position open would orphan it.
      const back = c.desk.setEnv({ env: 'DEMO' });
      assert.ok(!back.ok && back.status === 409, err(back));
      assert.match(err(back), /^DEMO REFUSED — ES has an open position or a pending order on paper: close it first; staying in LIVE$/);
      assert.equal(c.desk.account, live.kernel);
    } finally {
      c.close();
      live.store.close();
    }
  });

  it('2.5pt lock route is 423; trade-limit consume; DEMO/LIVE', () => {
    const c = setup({ config: { dailyTradeLimit: 2 } });
    try {
      const lock = c.desk.twoHalfLock();
      assert.ok(!lock.ok && lock.status === 423);
      assert.ok(c.desk.consumeTrade().ok);
      const second = c.desk.consumeTrade();
      assert.deepEqual(second.ok && second.body, { ok: true, trades_used: 2, trade_limit: 2, trades_remaining: 0 });
      assert.equal(err(c.desk.consumeTrade()), 'DAILY TRADE LIMIT REACHED — 2 of 2 trades used today');
      ready(c);
      assert.match(err(c.desk.order({ asset: 'ES' })), /^DAILY TRADE LIMIT REACHED — 2 of 2 trades used today \(09:28:23 remaining\)$/);
      const live = c.desk.setEnv({ env: 'LIVE' });
      assert.ok(!live.ok && live.status === 403 && /^LIVE REFUSED/.test(live.error));
      assert.ok(c.desk.setEnv({ env: 'DEMO' }).ok);
      // A new UTC day clears the count.
      c.h.clock.set(Date.UTC(2026, 0, 6, 0, 0, 1));
      assert.equal((c.desk.stateView().daily as Obj).trades_used, 0);
    } finally {
      c.close();
    }
  });

  it('a realised loss past the limit triggers the daily stop', () => {
    const c = setup({ config: { dailyStopUsd: 100 } });
    try {
      openLong(c);
      c.desk.protect({ asset: 'ES', enabled: true, threshold: -2 });
      c.desk.pointsTakeProfit({ asset: 'ES', enabled: false });
      c.tick(5990); // protect fires at -10 points
      c.tick(5990); // filled: 5 x 5 x -10 = -250 (+ fees)
      const daily = c.desk.stateView().daily as Obj;
      assert.equal(daily.daily_stop_triggered, true);
      assert.match(err(c.desk.order({ asset: 'ES' })), /^DAILY STOP HIT — realised P&L -2\d\d\.\d\d USD reached the -100.00 USD limit/);
    } finally {
      c.close();
    }
  });

  it('a broker P&L snapshot at or below the daily stop triggers it, blocks entries and flattens (auto-exit on)', () => {
    const c = setup();
    try {
      openLong(c);
      // Above the stop: recorded, nothing else.
      let r = c.desk.pnlSnapshot({ realized: -300, unrealized: -150, accountBalance: 49550, symbols: [] });
      assert.deepEqual(r, { daily_stop_triggered: false, day_pnl: -450, exits: [] });
      assert.deepEqual((c.desk.stateView().daily as Obj).broker_pnl, { realized: -300, unrealized: -150, account_balance: 49550, day_pnl: -450, at: c.h.clock.now() });
      // Realized plus unrealized reach -500: the stop triggers and the open position is exited.
      r = c.desk.pnlSnapshot({ realized: -300, unrealized: -200, accountBalance: 49500, symbols: [{ symbol: 'MESM6', position: 5, openPnl: -200 }] });
      assert.equal(r.daily_stop_triggered, true);
      assert.deepEqual(r.exits.map((e) => [e.asset, e.side, e.qty]), [['ES', 'SELL', 5]]);
      const daily = c.desk.stateView().daily as Obj;
      assert.deepEqual([daily.daily_stop_triggered, daily.daily_stop_by], [true, { source: 'broker', pnl: -500 }]);
      assert.match(String((c.view().last_exit as Obj).reason), /^auto-exit: broker day P&L -500.00 reached the -500.00 daily stop/);
      c.tick(6000);
      assert.equal(c.view().position, null);
      c.h.clock.advance(10 * 60_000);
      c.beats.set('ES', c.h.clock.now());
      ready(c);
      assert.match(err(c.desk.order({ asset: 'ES' })), /^DAILY STOP HIT — broker day P&L -500.00 USD \(P&L snapshot\) reached the -500.00 USD limit/);
      // A later, better snapshot does not lift the stop for the day.
      assert.equal(c.desk.pnlSnapshot({ realized: 100, unrealized: 0 }).daily_stop_triggered, true);
      // The next UTC day starts clean.
      c.h.clock.set(Date.UTC(2026, 0, 6, 0, 0, 1));
      assert.equal((c.desk.stateView().daily as Obj).daily_stop_triggered, false);
      assert.equal((c.desk.stateView().daily as Obj).broker_pnl, null);
    } finally {
      c.close();
    }
  });

  it('a snapshot counts unrealized P&L only as configured, and never exits while auto-exit is off', () => {
    const c = setup({ config: { pnlSnapshotIncludesUnrealized: false } });
    try {
      openLong(c);
      assert.equal(c.desk.pnlSnapshot({ realized: -100, unrealized: -900 }).daily_stop_triggered, false, 'realized only: -100');
      assert.equal(c.desk.autoExit({ asset: 'ES', enabled: false }).ok, true);
      const r = c.desk.pnlSnapshot({ realized: -520, unrealized: 0 });
      assert.deepEqual([r.daily_stop_triggered, r.exits], [true, []]);
      assert.equal((c.view().position as Obj).qty, 5, 'auto-exit off: the position stays');
      assert.equal(c.desk.pnlSnapshot({ unrealized: 5 }).day_pnl, 0, 'no realized figure: 0 (unrealized not counted)');
      assert.deepEqual(c.desk.pnlSnapshot({ symbols: [] }), { daily_stop_triggered: true, day_pnl: null, exits: [] }, 'no P&L figures: nothing to compare');
    } finally {
      c.close();
    }
  });

  it('restores its state after a restart, backfills missing fields and releases expired locks', () => {
    const file = dir.file('restart.db');
    const c = setup({ file });
    openLong(c);
    c.desk.mainFlipExit({ asset: 'ES' });
    c.desk.takeProfit({ asset: 'ES', tp_target: 4 });
    c.close();
    const again = setup({ file });
    try {
      const v = again.view();
      assert.equal((v.position as Obj).qty, 5, 'the kernel restored the position');
      assert.equal(((v.exits as Obj).main_flip_exit as Obj).enabled, true);
      assert.equal(((v.exits as Obj).signal_tp as Obj).target, 4);
      assert.equal((again.desk.stateView().daily as Obj).trades_used, 1);
      assert.equal((v.locks as { candle_5min: Obj }).candle_5min.active, true);
      again.h.clock.set(Date.UTC(2026, 0, 5, 14, 35));
      again.desk.stateView();
      const stored = JSON.parse(again.h.store.getMeta('renkoDesk.state') ?? '{}') as { assets: Record<string, Obj> };
      assert.equal(stored.assets.ES?.candle_lock_until, null, 'GET /api/state released the expired lock');
      // An older snapshot without the exit rules is backfilled.
      assert.deepEqual((stored.assets.NQ?.exits as Obj).auto_exit, { enabled: true, timeframe: '6pt' });
    } finally {
      again.close();
    }
  });
});

describe('Renko desk: pricing an entry before the kernel has a tick', () => {
  it("uses TradingView's last price for the exposure check; without any price the entry is refused (no_price)", () => {
    const attempt = (assetPrice?: (asset: string) => number | null) => {
      const h = buildHarness({ file: dir.file(`desk-${(n += 1)}.db`), clock: new SimClock(T0), slippageTicks: 0, lastPrice: () => undefined });
      const desk = new RenkoDesk({ clock: h.clock, kernel: h.kernel, signals: h.kernel.bus, store: h.store, config: CONFIG, heartbeat: () => T0, ...(assetPrice ? { lastPrice: assetPrice } : {}) });
      let seq = 0;
      for (const [size, color] of [[8, 'green'], [12, 'green'], [6, 'green']] as const) {
        h.kernel.bus.publish({ type: 'renko', bar: { asset: 'ES', size, color, barId: `ES-${size}-${(seq += 1)}`, open: null, close: null, ts: h.clock.now(), source: 'tradingview' } });
      }
      const r = desk.order({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' });
      h.store.close();
      return r;
    };
    const blind = attempt();
    assert.equal(blind.ok, false);
    assert.match(err(blind), /no_price/);
    const priced = attempt((asset) => (asset === 'ES' ? 6000 : null));
    assert.ok(priced.ok, err(priced));
  });
});
