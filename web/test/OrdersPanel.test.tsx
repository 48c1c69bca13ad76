import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OrdersPanel } from '../src/components/AccountSwitcher';
import { holdFetches, jsonResponse, mount, type Deferred } from './harness';

const order = (id: string) => ({ id, symbol: 'BTCUSDT', side: 'buy', type: 'market', qty: 1, price: 100, status: 'filled', createdAt: '2026-12-02T10:00:00.000Z', botId: null });

// Each GET /api/orders?account=X waits until the test answers it.
let pending: Map<string, Deferred<Response>>;
const ordersOf = (account: string) => pending.get(`/api/orders?account=${account}&limit=50`);
let cleanup: (() => Promise<void>) | null = null;

beforeEach(() => {
  pending = holdFetches();
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
    await vi.waitFor(() => expect(ordersOf('paper')).toBeDefined());
    // The switch happens while paper's poll is still under way.
    await act(async () => m.root.render(<OrdersPanel account="binance" active offline={false} />));
    await vi.waitFor(() => expect(ordersOf('binance')).toBeDefined());
    await act(async () => ordersOf('paper')?.resolve(jsonResponse([order('paper-O-1')])));
    expect(m.container.querySelector('[data-testid=orders]')?.getAttribute('data-account')).toBe('binance');
    expect(rows(m.container)).toEqual([]);
    await act(async () => ordersOf('binance')?.resolve(jsonResponse([order('binance-O-1')])));
    await vi.waitFor(() => expect(rows(m.container)).toEqual(['binance-O-1']));
  });

  it("a failure of the previous account's poll after the switch is not shown under the new account", async () => {
    const m = await mount(<OrdersPanel account="paper" active offline={false} />);
    cleanup = m.unmount;
    await vi.waitFor(() => expect(ordersOf('paper')).toBeDefined());
    await act(async () => m.root.render(<OrdersPanel account="binance" active offline={false} />));
    await vi.waitFor(() => expect(ordersOf('binance')).toBeDefined());
    await act(async () => ordersOf('paper')?.resolve(jsonResponse({ statusCode: 500, error: 'Internal Server Error', message: 'paper journal unavailable' }, 500)));
    expect(m.container.querySelector('[data-testid=orders] .error')).toBeNull();
    await act(async () => ordersOf('binance')?.resolve(jsonResponse([order('binance-O-1')])));
    await vi.waitFor(() => expect(rows(m.container)).toEqual(['binance-O-1']));
    expect(m.container.querySelector('[data-testid=orders] .error')).toBeNull();
  });
});
