import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DESK_POLL_MS, DeskPage } from '../src/components/DeskPage';
import { jsonResponse, mount } from './harness';

// The desk's part of GET /api/state, as the server sends it (README, Renko operator desk).
const lock = { active: false, until: null, remaining_s: 0 };
const asset = (name: string, position: Record<string, unknown> | null) => ({
  asset: name,
  symbol: `M${name}`,
  contract: `M${name}M6`,
  zone: 'NORMAL',
  zone_direction: 'BUY',
  tempo: { token: 'READY', last_6pt_bar_id: 'b6' },
  bars: { '1': null, '2.5': null, '4': null, '6': null, '8': null, '12': null },
  heartbeat: { last_ts: 1, age_s: 3, fresh: true, source: 'tradingview' },
  locks: { candle_5min: lock, cooldown: lock, exit: position ? { active: true, until: 2, remaining_s: 25 } : lock, two_half: { automatic: true, engaged: false } },
  entry_allowed: false,
  entry_block: 'POSITION OPEN',
  intent: { state: 'NONE' },
  pending_order: null,
  preorder: null,
  position,
  trade_mode: 'SCALP',
  entry_size_mode: '6pt',
  scale_in_available: false,
  scale_ins: 0,
  exits: {
    protect: { enabled: false, threshold: -2 },
    points_tp: { enabled: false, target: 6 },
    signal_tp: { armed: false, target: 3, count: 0 },
    high_next_bar_exit: { armed: false },
    main_flip_exit: { enabled: false },
    four_pt_invalidation: { enabled: false },
    auto_exit: { enabled: true, timeframe: '6pt' },
    two_half_lock: { engaged: false },
  },
  last_exit: null,
});
const state = (esOpen: boolean, nqOpen: boolean) => ({
  env: 'DEMO',
  daily: { day: '2026-01-01', realized_pnl: 0, daily_stop_usd: 500, daily_stop_triggered: false, trades_used: 2, trade_limit: 6, trades_remaining: 4, resets_in_s: 3600 },
  assets: {
    ES: asset('ES', esOpen ? { side: 'BUY', qty: 5, avg_price: 5000, opened_at: Date.UTC(2026, 0, 1, 14, 30, 5), unrealized_pnl: 12.5, id: 'renko-P-00000001' } : null),
    NQ: asset('NQ', nqOpen ? { side: 'SELL', qty: 3, avg_price: 21000, id: 'renko-P-00000002' } : null),
  },
});

let current = state(true, true);
let exitAllAnswer: unknown = null;
const posted: { path: string; body: unknown }[] = [];
let cleanup: (() => Promise<void>) | null = null;

beforeEach(() => {
  current = state(true, true);
  posted.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string, init?: RequestInit) => {
      if (path === '/api/state') return jsonResponse(current);
      posted.push({ path, body: init?.body ? JSON.parse(String(init.body)) : null });
      if (path === '/api/exit-all') return jsonResponse(exitAllAnswer);
      return jsonResponse({ ok: true });
    }),
  );
});
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
  vi.unstubAllGlobals();
});

const settle = () => act(async () => new Promise((r) => setTimeout(r, 0)));
const click = (el: Element | null) => act(async () => (el as HTMLButtonElement).click());

describe('DeskPage: exit all', () => {
  it('lists each position the server skipped with why, offers a forced exit, and drops entries once flat', async () => {
    exitAllAnswer = {
      ok: false,
      error: '1 position(s) NOT exited — ES: EXIT LOCK ACTIVE — position just opened (00:25 remaining); send force: true to override',
      orders: [{ asset: 'NQ', order_id: 'renko-O-00000009', side: 'BUY', qty: 3 }],
      skipped: [{ asset: 'ES', symbol: 'MESM6', position_id: 'renko-P-00000001', side: 'BUY', qty: 5, code: 'exit_lock', reason: 'EXIT LOCK ACTIVE — position just opened (00:25 remaining); send force: true to override', retry_after_s: 25 }],
    };
    const m = await mount(<DeskPage />);
    cleanup = m.unmount;
    await settle();
    await click(m.container.querySelector('[data-testid=desk-exit-all]'));
    await click(m.container.querySelector('[data-testid=confirm]'));
    await settle();
    expect(posted).toEqual([{ path: '/api/exit-all', body: {} }]);

    const message = m.container.querySelector('[data-testid=desk-message]');
    expect(message?.className).toContain('error');
    expect(message?.textContent).toBe('exit all: 1 exit(s) placed (NQ); 1 NOT exited');
    const items = [...m.container.querySelectorAll('[data-testid=desk-skipped] li')];
    expect(items.map((li) => li.getAttribute('data-asset'))).toEqual(['ES']);
    expect(items[0]?.getAttribute('data-code')).toBe('exit_lock');
    expect(items[0]?.textContent).toContain('ES BUY 5 MESM6: EXIT LOCK ACTIVE');

    // Force: confirmed, then exit-all with force: true.
    exitAllAnswer = { ok: true, orders: [{ asset: 'ES', order_id: 'renko-O-00000010', side: 'SELL', qty: 5 }], skipped: [] };
    await click(m.container.querySelector('[data-testid=desk-exit-all-force]'));
    expect(m.container.querySelector('[role=dialog]')?.textContent).toContain('Override the exit lock');
    await click(m.container.querySelector('[data-testid=confirm]'));
    await settle();
    expect(posted[1]).toEqual({ path: '/api/exit-all', body: { force: true } });
    expect(m.container.querySelector('[data-testid=desk-skipped]')).toBeNull();
    expect(m.container.querySelector('[data-testid=desk-message]')?.textContent).toBe('exit all: 1 exit(s) placed (ES)');
  });

  it('a skipped entry disappears when its position is flat at the next poll', async () => {
    exitAllAnswer = { ok: false, error: 'x', orders: [], skipped: [{ asset: 'ES', code: 'exit_pending', reason: 'EXIT ALREADY PENDING — order renko-O-00000003 is still working' }] };
    const m = await mount(<DeskPage />);
    cleanup = m.unmount;
    await settle();
    await click(m.container.querySelector('[data-testid=desk-exit-all]'));
    await click(m.container.querySelector('[data-testid=confirm]'));
    await settle();
    expect(m.container.querySelectorAll('[data-testid=desk-skipped] li')).toHaveLength(1);
    current = state(false, true);
    // The desk's next poll (usePoll, every DESK_POLL_MS) brings the flat position; waited for
    // inside act() so the poll's state updates land as a user would see them.
    await vi.waitFor(
      async () => {
        await act(async () => new Promise((r) => setTimeout(r, DESK_POLL_MS / 4)));
        expect(m.container.querySelector('[data-testid=desk-skipped]')).toBeNull();
      },
      { timeout: 10_000, interval: 10 },
    );
  });
});

describe('DeskPage: position panel (issue 16 item 7)', () => {
  it('labels the fields in words and prints the open time as a time, not a raw number', async () => {
    const m = await mount(<DeskPage />);
    cleanup = m.unmount;
    await settle();
    const panel = m.container.querySelector('[data-testid=desk-ES] [data-testid=desk-position]');
    expect(panel).not.toBeNull();
    const labels = [...panel!.querySelectorAll('dt')].map((d) => d.textContent);
    expect(labels).toContain('opened');
    expect(labels).toContain('average price');
    expect(labels.filter((l) => l?.includes('_'))).toEqual([]);
    const opened = panel!.querySelector('dd[data-field=opened_at]')!.textContent!;
    expect(opened).not.toMatch(/^\d[\d,]*$/);
    expect(opened).toMatch(/\b\d{2}:\d{2}:05\b/);
  });
});
