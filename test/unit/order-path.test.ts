// The one order path: every source through Kernel.submit, refused by each risk check, on a real
// kernel with a real SQLite journal. A refusal is a code, a `risk-rejected` event, a counter, and
// nothing in the journal; an order that only reduces a position passes every limit.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ORDER_SOURCES, type AccountRiskLimits, type OrderSource, type RiskCode } from '../../src/engine/account-risk.js';
import { RiskEngine, type RiskConfig } from '../../src/engine/risk-engine.js';
import type { OrderIntent, SubmitOptions } from '../../src/engine/kernel.js';
import type { KernelEvent } from '../../src/core/events.js';
import { buildHarness, tempDir, type Harness } from './support.js';

const dirs = tempDir('tw-order-path-');
after(() => dirs.cleanup());
let n = 0;

const ENTRY_SOURCES = ORDER_SOURCES.filter((s) => s !== 'close' && s !== 'emergency');
/** Sources whose entries carry a bot's own risk engine (its gates, sizing, slots and daily R). */
const BOT_SOURCES: readonly OrderSource[] = ['bot', 'max'];

const entry = (over: Partial<OrderIntent> = {}): OrderIntent => ({ botId: 'b1', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1, reason: 'test', ...over });
const botRisk = (over: Partial<RiskConfig> = {}) => new RiskEngine({ riskPerTrade: 0.005, maxOpenPositions: 3, maxLeverage: 5, ...over });

interface Case {
  code: RiskCode;
  limits?: Partial<AccountRiskLimits>;
  noPrice?: boolean;
  /** What happens before the refused order (with the live limits of the case). */
  arrange?: (h: Harness, source: OrderSource) => void;
  order?: Partial<OrderIntent>;
  options?: () => SubmitOptions;
  botOnly?: boolean;
}

/** Opens 1 ES at 6 000 (300 000, 3x the 100 000 equity) for bot b1 and fills it. */
const openEs = (h: Harness, botId = 'b1') => {
  h.tick('ES', 6_000, 1_000);
  const r = h.kernel.submit(entry({ botId }), 'test');
  assert.ok(r.ok, JSON.stringify(r));
  h.tick('ES', 6_000, 2_000);
  assert.equal(h.kernel.portfolio.openPositions().length, 1);
};

const CASES: Case[] = [
  { code: 'kill_switch', arrange: (h) => h.kernel.killSwitch.engage('operator test') },
  { code: 'instrument_not_allowed', limits: { allowedInstruments: ['BTC/USDT'] } },
  {
    code: 'order_rate',
    limits: { maxOrdersPerMinute: 2 },
    // Two resting limit entries far from the market use the minute's budget.
    arrange: (h, source) => {
      for (let i = 0; i < 2; i += 1) assert.ok(h.kernel.submit(entry({ symbol: 'BTC/USDT', type: 'limit', price: 10_000, qty: 0.01 }), source).ok);
    },
    order: { symbol: 'ETH/USDT', qty: 0.1 },
  },
  {
    code: 'daily_loss_limit',
    limits: { dailyLossLimitPct: 1 },
    // 1 ES long from 6 000 marked at 5 970: -1 500 and fees, beyond 1% of the day's 100 000.
    arrange: (h) => {
      openEs(h);
      h.tick('ES', 5_970, 3_000);
    },
    order: { symbol: 'BTC/USDT', qty: 0.01 },
  },
  {
    code: 'max_positions_account',
    limits: { maxOpenPositionsPerAccount: 1 },
    // A working entry counts as a slot taken.
    arrange: (h, source) => assert.ok(h.kernel.submit(entry({ symbol: 'BTC/USDT', type: 'limit', price: 10_000, qty: 0.01 }), source).ok),
    order: { symbol: 'ETH/USDT', qty: 0.1 },
  },
  // 2 ES at 6 000 = 600 000 = 6x the equity (limit 5x).
  { code: 'gross_exposure', order: { qty: 2 } },
  {
    code: 'gross_exposure',
    // Open positions and working entries count: 3x held + a working 1.5x BTC entry + 1 more ES.
    arrange: (h, source) => {
      openEs(h);
      assert.ok(h.kernel.submit(entry({ symbol: 'BTC/USDT', type: 'limit', price: 50_000, qty: 3 }), source).ok);
    },
  },
  {
    code: 'gross_exposure',
    // A working market entry on another symbol counts at that symbol's price: 1 NQ at 21 000 x 20 = 4.2x, + 1 ES.
    arrange: (h, source) => assert.ok(h.kernel.submit(entry({ symbol: 'NQ', qty: 1 }), source).ok),
  },
  { code: 'net_exposure', limits: { maxNetLeverage: 2 } },
  // 4 ES = 1 200 000: within a 50x gross limit, but 120 000 of margin at 10x on 100 000 of equity.
  { code: 'margin', limits: { maxGrossLeverage: 50, maxNetLeverage: 50 }, order: { qty: 4 } },
  { code: 'no_price', noPrice: true },
  {
    code: 'max_positions_bot',
    botOnly: true,
    arrange: (h) => openEs(h),
    order: { symbol: 'BTC/USDT', qty: 0.01 },
    options: () => ({ risk: botRisk({ maxOpenPositions: 1 }) }),
  },
  {
    code: 'bot_daily_loss_limit',
    botOnly: true,
    // -1 500 over R = 100 000 x 0.5% = 500 is -3 R (and fees) against a 2 R limit.
    arrange: (h) => {
      openEs(h, 'other');
      h.tick('ES', 5_970, 3_000);
    },
    order: { symbol: 'BTC/USDT', qty: 0.01 },
    options: () => ({ risk: botRisk({ dailyLossLimitR: 2 }) }),
  },
  { code: 'stop_side', botOnly: true, order: { stopLoss: 6_010, refPrice: 6_000 }, options: () => ({ risk: botRisk() }) },
  { code: 'symbol_owner', botOnly: true, arrange: (h) => openEs(h, 'someone-else'), options: () => ({ risk: botRisk() }) },
  { code: 'sizing', botOnly: true, order: { qty: undefined, stopLoss: null }, options: () => ({ risk: botRisk() }) },
];

function refusals(events: KernelEvent[]) {
  return events.filter((e): e is Extract<KernelEvent, { type: 'risk-rejected' }> => e.type === 'risk-rejected');
}

describe('Kernel.submit: every source refused by every risk check (real kernel, real SQLite)', () => {
  for (const c of CASES) {
    for (const source of c.botOnly ? BOT_SOURCES : ENTRY_SOURCES) {
      it(`${source}: ${c.code}${c.arrange && c.code === 'gross_exposure' ? ' (open positions and working orders count)' : ''}`, () => {
        const h = buildHarness({ file: dirs.file(`case-${(n += 1)}.db`), limits: c.limits, lastPrice: c.noPrice ? () => undefined : undefined });
        try {
          c.arrange?.(h, source);
          const ordersBefore = h.store.listOrders({ accountId: 'paper', limit: 1000 }).length;
          const before = h.kernel.accountRisk.refusals();
          const r = h.kernel.submit(entry(c.order), source, c.options?.());
          assert.ok(!r.ok, `refused: ${JSON.stringify(r)}`);
          assert.equal(r.code, c.code, r.message);
          assert.ok(r.message.length > 0);
          const [event] = refusals(h.events).slice(-1);
          assert.deepEqual([event?.code, event?.source, event?.accountId, event?.reason], [c.code, source, 'paper', r.message]);
          const after = h.kernel.accountRisk.refusals();
          assert.equal(after.total, before.total + 1);
          assert.equal(after.by_code[c.code], (before.by_code[c.code] ?? 0) + 1);
          assert.equal(after.by_source[source], (before.by_source[source] ?? 0) + 1);
          assert.equal(h.store.listOrders({ accountId: 'paper', limit: 1000 }).length, ordersBefore, 'nothing reached the journal');
          assert.throws(() => h.kernel.placeOrder(source, entry(c.order), c.options?.()), (e: unknown) => (e as { code?: string }).code === c.code);
        } finally {
          h.store.close();
        }
      });
    }
  }

  for (const source of ORDER_SOURCES) {
    it(`${source}: an order that only reduces a position passes every limit (a trader can always exit)`, () => {
      const h = buildHarness({ file: dirs.file(`exit-${(n += 1)}.db`) });
      try {
        openEs(h);
        h.tick('ES', 5_000, 3_000); // a day loss of 50 000: every loss limit breached
        Object.assign(h.kernel.accountRisk.limits, { allowedInstruments: ['BTC/USDT'], maxOrdersPerMinute: 1, dailyLossLimitPct: 1, maxGrossLeverage: 0.01, maxNetLeverage: 0.01, maxOpenPositionsPerAccount: 1 });
        h.kernel.killSwitch.engage('test');
        h.kernel.submit(entry({ symbol: 'BTC/USDT', qty: 0.01 }), source); // uses the rate budget (refused anyway)
        // More than the position is not only reducing (it would open a short): refused like an entry.
        const flip = h.kernel.submit(entry({ side: 'sell', purpose: 'exit', qty: 2 }), source);
        assert.ok(!flip.ok && flip.code === 'kill_switch', JSON.stringify(flip));
        const r = h.kernel.submit(entry({ side: 'sell', purpose: 'exit', qty: 1 }), source);
        assert.ok(r.ok, JSON.stringify(r));
        h.tick('ES', 5_000, 4_000);
        assert.equal(h.kernel.portfolio.openPositions().length, 0, 'flat');
      } finally {
        h.store.close();
      }
    });
  }

  it('validation refusals are coded too: unknown symbol, 1e308, a halted account', () => {
    const h = buildHarness({ file: dirs.file(`invalid-${(n += 1)}.db`) });
    try {
      const unknown = h.kernel.submit(entry({ symbol: 'NOPE' }), 'manual');
      assert.ok(!unknown.ok && unknown.code === 'invalid');
      const huge = h.kernel.submit(entry({ qty: 1e308 }), 'test');
      assert.ok(!huge.ok && huge.code === 'invalid' && /maximum/.test(huge.message), JSON.stringify(huge));
      const other = h.kernel.submit({ ...entry(), accountId: 'demo' }, 'manual');
      assert.ok(!other.ok && other.code === 'invalid' && /account demo/.test(other.message));
      assert.equal(h.kernel.accountRisk.refusals().by_code.invalid, 3);
    } finally {
      h.store.close();
    }
  });
});
