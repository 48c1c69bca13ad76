// A read the server never answers (a silent connection) must not hold the dashboard's polls: it
// fails after READ_TIMEOUT_MS as "unreachable", so the page marks its figures stale. State changes
// are never timed out (an order that may still be processed must not invite a second one).
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, READ_TIMEOUT_MS } from '../src/api';
import { unreachable } from '../src/polling';
import { useDashboardData, type DashboardData } from '../src/useDashboardData';
import { FakeWebSocket, mount } from './harness';

/** fetch as a silent connection behaves: no answer, ever; a rejection only when its signal aborts. */
function silentFetch(): { calls: { path: string; init: RequestInit }[] } {
  const calls: { path: string; init: RequestInit }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((path: string, init: RequestInit = {}) => {
      calls.push({ path, init });
      return new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('The user aborted a request.', 'AbortError')));
      });
    }),
  );
  return { calls };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('reads that get no answer', () => {
  beforeEach(() => {
    FakeWebSocket.instances = [];
    vi.stubGlobal('WebSocket', FakeWebSocket);
  });

  it('api() gives a silent read up as a network failure that names the wait and the path', async () => {
    silentFetch();
    const err = await api('/api/account', { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(String((err as Error).message)).toMatch(/no answer from the server within 0\.03 s \(\/api\/account\)/);
    expect(unreachable(err)).toBe(true);
  });

  it('a state change is sent without a time-out', async () => {
    const { calls } = silentFetch();
    let settled = false;
    void api('/api/orders', { method: 'POST', json: { symbol: 'BTCUSDT' }, timeoutMs: 10 }).finally(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 80));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init.signal ?? null).toBeNull();
    expect(settled).toBe(false);
  });

  it('the dashboard marks itself offline when its polls hang, although the stream still looks open', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    silentFetch();
    const out = { current: null as DashboardData | null };
    function Probe() {
      out.current = useDashboardData(true);
      return null;
    }
    const m = await mount(<Probe />);
    try {
      await act(async () => FakeWebSocket.instances[0]!.open());
      expect(out.current?.status).toBe('open');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(READ_TIMEOUT_MS - 1000);
      });
      expect(out.current?.offline).toBe(false);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(2000);
      });
      expect(out.current?.offline).toBe(true);
    } finally {
      await m.unmount();
    }
  });
});
