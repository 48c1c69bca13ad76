import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CandleChart } from '../src/components/CandleChart';
import type { BarListener } from '../src/useDashboardData';
import { jsonResponse, mount } from './harness';

// happy-dom has no canvas: lightweight-charts is replaced by a recorder of what the chart was given.
const drawn = vi.hoisted(() => ({ setData: [] as unknown[][], updates: [] as { time: number; close: number }[] }));
vi.mock('lightweight-charts', () => ({
  ColorType: { Solid: 'solid' },
  CandlestickSeries: {},
  createChart: () => ({
    addSeries: () => ({
      setData: (bars: unknown[]) => void drawn.setData.push(bars),
      update: (bar: { time: number; close: number }) => void drawn.updates.push(bar),
    }),
    applyOptions: () => undefined,
    timeScale: () => ({ fitContent: () => undefined }),
    remove: () => undefined,
  }),
  createSeriesMarkers: () => ({ setMarkers: () => undefined }),
}));

let cleanup: (() => Promise<void>) | null = null;
let history: { time: number; open: number; high: number; low: number; close: number; volume: number }[] = [];
beforeEach(() => {
  drawn.setData.length = 0;
  drawn.updates.length = 0;
  history = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string) => (String(path).startsWith('/api/bars?') ? jsonResponse({ symbol: 'ES', interval_ms: 5000, intervals: [5000], bars: history }) : jsonResponse({}, 404))),
  );
});
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
  vi.unstubAllGlobals();
});

const bar = (t: number, close: number) => ({ time: t * 1000, open: close, high: close, low: close, close, volume: 1 });

describe('CandleChart: streamed bars', () => {
  it('draws streamed bars when the history was empty at load (a chart opened right after the server started)', async () => {
    const listeners: BarListener[] = [];
    const subscribe = (l: BarListener) => {
      listeners.push(l);
      return () => listeners.splice(listeners.indexOf(l), 1);
    };
    const m = await mount(<CandleChart symbol="ES" intervals={[5000]} subscribeBars={subscribe} />);
    cleanup = m.unmount;
    await vi.waitFor(() => expect(drawn.setData).toHaveLength(1));
    const last = () => m.container.querySelector('[data-testid=chart-last]')?.textContent;
    expect(last()).toBe('no bars yet');
    expect(listeners.length).toBeGreaterThan(0);
    await act(async () => {
      for (const l of listeners) l({ symbol: 'ES', interval_ms: 5000, bar: bar(1_800_000_000, 6000.25) });
      for (const l of listeners) l({ symbol: 'ES', interval_ms: 5000, bar: bar(1_800_000_005, 6001) });
      // Another interval's bar and an older one are not drawn.
      for (const l of listeners) l({ symbol: 'ES', interval_ms: 60000, bar: bar(1_800_000_005, 1) });
      for (const l of listeners) l({ symbol: 'ES', interval_ms: 5000, bar: bar(1_799_999_990, 2) });
    });
    expect(drawn.updates.map((b) => [b.time, b.close])).toEqual([
      [1_800_000_000, 6000.25],
      [1_800_000_005, 6001],
    ]);
    expect(last()).toMatch(/^6,?001\.00 · 2 bars$/);
  });

  it('draws nothing streamed before the history has been read', async () => {
    let answer: (r: Response) => void = () => undefined;
    vi.stubGlobal('fetch', vi.fn(() => new Promise<Response>((r) => (answer = r))));
    const listeners: BarListener[] = [];
    const m = await mount(<CandleChart symbol="ES" intervals={[5000]} subscribeBars={(l) => (listeners.push(l), () => undefined)} />);
    cleanup = m.unmount;
    await act(async () => {
      for (const l of listeners) l({ symbol: 'ES', interval_ms: 5000, bar: bar(1_800_000_000, 6000) });
    });
    expect(drawn.updates).toEqual([]);
    history = [bar(1_800_000_000, 6000), bar(1_800_000_005, 6002)];
    await act(async () => {
      answer(jsonResponse({ symbol: 'ES', interval_ms: 5000, intervals: [5000], bars: history }));
      await new Promise((r) => setTimeout(r, 0));
    });
    await vi.waitFor(() => expect(drawn.setData).toHaveLength(1));
    expect(m.container.querySelector('[data-testid=chart-last]')?.textContent).toMatch(/· 2 bars$/);
  });
});
