import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OrdersPanel } from '../src/components/AccountSwitcher';
import { deferred, jsonResponse, mount, type Deferred } from './harness';

const order = (id: string) => ({ id, symbol: 'BTCUSDT', side: 'buy', type: 'market', qty: 1, price: 100, status: 'filled', createdAt: '2026-12-02T10:00:00.000Z', botId: null });

// Each GET /api/orders?account=X waits until the test answers it.
const pending = new Map<string, Deferred<Response>>();
let cleanup: (() => Promise<void>) | null = null;

beforeEach(() => {
  pending.clear();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string) => {
      const account = new URL(path, 'http://x').searchParams.get('account') ?? '';
      const d = deferred<Response>();
      pending.set(account, d);
      return d.promise;
    }),
  );
});
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
  vi.unstubAllGlobals();
});

const rows = (c: HTMLElement) => [...c.querySelectorAll('[data-testid=orders] tbody tr')].map((tr) => tr.getAttribute('title'));

describe('OrdersPanel: the Live tab account switch', () => {
  it("an answer for the previous account that arrives after the switch never fills the new account's table", async () => {
    const m = await mount(<OrdersPanel account="paper" active offline={false} />);
    cleanup = m.unmount;
    await vi.waitFor(() => expect(pending.has('paper')).toBe(true));
    // The switch happens while paper's poll is still under way.
    await act(async () => m.root.render(<OrdersPanel account="binance" active offline={false} />));
    await vi.waitFor(() => expect(pending.has('binance')).toBe(true));
    await act(async () => pending.get('paper')?.resolve(jsonResponse([order('paper-O-1')])));
    expect(m.container.querySelector('[data-testid=orders]')?.getAttribute('data-account')).toBe('binance');
    expect(rows(m.container)).toEqual([]);
    await act(async () => pending.get('binance')?.resolve(jsonResponse([order('binance-O-1')])));
    await vi.waitFor(() => expect(rows(m.container)).toEqual(['binance-O-1']));
  });
});
