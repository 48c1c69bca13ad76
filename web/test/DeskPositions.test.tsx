import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeskPositions, ORDERS_POLL_MS } from '../src/components/AccountSwitcher';
import { holdFetches, jsonResponse, mount, type Deferred } from './harness';

const accounts = { accounts: [{ id: 'paper', role: 'engine' }, { id: 'renko', role: 'desk' }] };
const position = { id: 'renko-P-1', symbol: 'MNQ', side: 'long', qty: 1, entryPrice: 21_000, markPrice: 21_010, unrealizedPnl: 20, openedAt: 1_764_000_000_000 };

let pending: Map<string, Deferred<Response>>;
let cleanup: (() => Promise<void>) | null = null;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  pending = holdFetches();
});
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const answer = async (path: string, body: unknown, status = 200) => {
  await vi.waitFor(() => expect(pending.get(path)).toBeDefined());
  const d = pending.get(path) as Deferred<Response>;
  pending.delete(path);
  await act(async () => d.resolve(jsonResponse(body, status)));
};
const panel = (c: HTMLElement) => c.querySelector('[data-testid=desk-positions]');

describe('DeskPositions: the operator desk panel on the Live tab', () => {
  it('finds the desk account and shows its positions', async () => {
    const m = await mount(<DeskPositions account="paper" active offline={false} />);
    cleanup = m.unmount;
    await answer('/api/accounts', accounts);
    await answer('/api/positions?account=renko', [position]);
    await vi.waitFor(() => expect(panel(m.container)?.textContent).toContain('MNQ'));
  });

  it('a failed first /api/accounts answer does not hide the panel: the account is asked again at the next poll', async () => {
    const m = await mount(<DeskPositions account="paper" active offline={false} />);
    cleanup = m.unmount;
    await answer('/api/accounts', { statusCode: 503, error: 'Service Unavailable', message: 'starting' }, 503);
    expect(panel(m.container)).toBeNull();
    await act(async () => vi.advanceTimersByTimeAsync(ORDERS_POLL_MS * 8));
    await answer('/api/accounts', accounts);
    await answer('/api/positions?account=renko', [position]);
    await vi.waitFor(() => expect(panel(m.container)?.textContent).toContain('MNQ'));
  });

  it('without a desk account nothing is drawn and nothing more is asked', async () => {
    const m = await mount(<DeskPositions account="paper" active offline={false} />);
    cleanup = m.unmount;
    await answer('/api/accounts', { accounts: [{ id: 'paper', role: 'engine' }] });
    await act(async () => vi.advanceTimersByTimeAsync(ORDERS_POLL_MS * 3));
    expect(panel(m.container)).toBeNull();
    expect([...pending.keys()]).toEqual([]);
  });
});
