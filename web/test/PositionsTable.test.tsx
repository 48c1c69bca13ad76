import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Position } from '../src/api';
import { POSITION_MESSAGE_MS, PositionsTable } from '../src/components/PositionsTable';
import { mount } from './harness';

// Seed 000's field set (the stream's) and seed 001's alone (id, side, entry, size, pnlUsd...).
const seed000: Position = {
  ticket: 7,
  symbol: 'BTC/USDT',
  type: 'BUY',
  direction: 'LONG',
  volume: 0.5,
  entry_price: 100,
  price_current: 110,
  sl_price: 95,
  tp_price: 120,
  profit: 5,
  pnlR: 1,
};
const seed001: Position = { id: 'P-00000009', symbol: 'ETH/USDT', side: 'short', entry: 50, sl: 55, tp: 40, size: 2, pnlUsd: -3.5, unrealizedPnlUsd: -3.5, unrealizedPnlR: -0.35, openedAt: '2026-01-01T00:00:00.000Z' };

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('PositionsTable', () => {
  it('renders both field sets with P/L colours', async () => {
    const m = await mount(<PositionsTable positions={[seed000, seed001]} />);
    cleanup = m.unmount;
    const rows = [...m.container.querySelectorAll('tbody tr[data-symbol]')];
    expect(rows.map((r) => r.getAttribute('data-symbol'))).toEqual(['BTC/USDT', 'ETH/USDT']);
    const [btc, eth] = rows as [Element, Element];
    expect(btc.getAttribute('data-position')).toBe('7');
    expect(btc.textContent).toContain('LONG');
    expect(btc.querySelector('[data-col=size]')?.textContent).toBe('0.5');
    expect(btc.querySelector('[data-col=profit]')?.className).toContain('pos');
    expect(btc.querySelector('[data-col=profit]')?.textContent).toBe('5.00');
    expect(eth.getAttribute('data-position')).toBe('P-00000009');
    expect(eth.textContent).toContain('SHORT');
    expect(eth.textContent).toContain('50.00');
    expect(eth.querySelector('[data-col=size]')?.textContent).toBe('2');
    expect(eth.querySelector('[data-col=profit]')?.className).toContain('neg');
    expect(eth.querySelector('[data-col=profit]')?.textContent).toBe('-3.50');
    expect(eth.querySelector('[data-col=r]')?.className).toContain('neg');
  });

  it('shows an empty row without positions', async () => {
    const m = await mount(<PositionsTable positions={[]} />);
    cleanup = m.unmount;
    expect(m.container.textContent).toContain('no open positions');
    expect(m.container.querySelector('[data-testid=close-position]')).toBeNull();
  });

  it('Close asks for confirmation; Cancel does nothing, confirming closes by id', async () => {
    const onClose = vi.fn(async (id: string) => ({ message: `Closing position ${id} at market` }));
    const m = await mount(<PositionsTable positions={[seed001]} onClose={onClose} />);
    cleanup = m.unmount;
    const close = m.container.querySelector<HTMLButtonElement>('[data-testid=close-position]');
    expect(close).not.toBeNull();
    await act(async () => close!.click());
    const dialog = m.container.querySelector('[role=dialog]');
    expect(dialog?.textContent).toContain('ETH/USDT');
    const cancel = [...dialog!.querySelectorAll('button')].find((b) => b.textContent === 'Cancel')!;
    await act(async () => cancel.click());
    expect(m.container.querySelector('[role=dialog]')).toBeNull();
    expect(onClose).not.toHaveBeenCalled();

    await act(async () => close!.click());
    await act(async () => m.container.querySelector<HTMLButtonElement>('[data-testid=confirm]')!.click());
    expect(onClose).toHaveBeenCalledWith('P-00000009');
    expect(m.container.querySelector('[data-testid=positions-message]')?.textContent).toBe('Closing position P-00000009 at market');
  });

  it('shows the server refusal when closing fails', async () => {
    const onClose = vi.fn(async () => {
      throw new Error('Position P-00000009 already has an exit order working');
    });
    const m = await mount(<PositionsTable positions={[seed001]} onClose={onClose} />);
    cleanup = m.unmount;
    await act(async () => m.container.querySelector<HTMLButtonElement>('[data-testid=close-position]')!.click());
    await act(async () => m.container.querySelector<HTMLButtonElement>('[data-testid=confirm]')!.click());
    const msg = m.container.querySelector('[data-testid=positions-message]');
    expect(msg?.className).toContain('error');
    expect(msg?.textContent).toMatch(/already has an exit/);
    expect(m.container.querySelector<HTMLButtonElement>('[data-testid=close-position]')!.disabled).toBe(false);
  });

  it('a confirmation whose position closed meanwhile (its bot exited) goes away without closing anything', async () => {
    const onClose = vi.fn(async (id: string) => ({ message: `Closing position ${id} at market` }));
    const m = await mount(<PositionsTable positions={[seed001, seed000]} onClose={onClose} />);
    cleanup = m.unmount;
    await act(async () => m.container.querySelector<HTMLButtonElement>('tr[data-position=P-00000009] [data-testid=close-position]')!.click());
    expect(m.container.querySelector('[role=dialog]')?.textContent).toContain('ETH/USDT');
    // Another position changing keeps the dialog; its own disappearing removes it.
    await act(async () => m.root.render(<PositionsTable positions={[seed001]} onClose={onClose} />));
    expect(m.container.querySelector('[role=dialog]')).not.toBeNull();
    await act(async () => m.root.render(<PositionsTable positions={[seed000]} onClose={onClose} />));
    expect(m.container.querySelector('[role=dialog]')).toBeNull();
    expect(m.container.querySelector('[data-testid=positions-message]')?.textContent).toMatch(/P-00000009 was closed meanwhile/);
    expect(onClose).not.toHaveBeenCalled();
  });

  it('the answer to a close is cleared after POSITION_MESSAGE_MS', async () => {
    vi.useFakeTimers();
    try {
      let n = 0;
      const onClose = vi.fn(async (id: string) => ({ message: `answer ${++n} for ${id}` }));
      const m = await mount(<PositionsTable positions={[seed001]} onClose={onClose} />);
      cleanup = m.unmount;
      const closeOnce = async () => {
        await act(async () => m.container.querySelector<HTMLButtonElement>('[data-testid=close-position]')!.click());
        await act(async () => m.container.querySelector<HTMLButtonElement>('[data-testid=confirm]')!.click());
      };
      await closeOnce();
      expect(m.container.querySelector('[data-testid=positions-message]')?.textContent).toBe('answer 1 for P-00000009');
      await act(async () => vi.advanceTimersByTime(POSITION_MESSAGE_MS - 100));
      expect(m.container.querySelector('[data-testid=positions-message]')).not.toBeNull();
      await act(async () => vi.advanceTimersByTime(200));
      expect(m.container.querySelector('[data-testid=positions-message]')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
