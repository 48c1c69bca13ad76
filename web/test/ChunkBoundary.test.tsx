// A chunk that fails to load (the server gone mid-download) stays in its own panel with a retry;
// the rest of the page keeps rendering, and the retry (by hand or when the server is back) loads it.
import { act, Suspense, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChunkBoundary, useRetryableLazy } from '../src/components/ChunkBoundary';
import { mount } from './harness';

function Part() {
  return <p data-testid="part">the chart</p>;
}

/** An import that fails as a dropped download does `failures` times, then loads. */
function flakyImport(failures: number) {
  const calls = { n: 0 };
  const load = vi.fn(async () => {
    calls.n += 1;
    if (calls.n <= failures) throw new TypeError('Failed to fetch dynamically imported module: /assets/CandleChart.js');
    return { default: Part };
  });
  return { load, calls };
}

function Page({ load, retryKey }: { load: () => Promise<{ default: typeof Part }>; retryKey: unknown }) {
  const [Lazy, retry] = useRetryableLazy(load);
  return (
    <div>
      <header data-testid="header">still here</header>
      <ChunkBoundary what="The charts" retryKey={retryKey} onRetry={retry}>
        <Suspense fallback={<p>loading…</p>}>
          <Lazy />
        </Suspense>
      </ChunkBoundary>
    </div>
  );
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});
const settle = () => act(async () => new Promise((r) => setTimeout(r, 0)));

describe('ChunkBoundary', () => {
  it('keeps a failed chunk to its panel, and the retry button loads it', async () => {
    const { load } = flakyImport(1);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const m = await mount(<Page load={load} retryKey={false} />);
    cleanup = m.unmount;
    await settle();
    expect(m.container.querySelector('[data-testid=header]')?.textContent).toBe('still here');
    const panel = m.container.querySelector('[data-testid=chunk-error]');
    expect(panel?.textContent).toMatch(/The charts could not be loaded \(Failed to fetch dynamically imported module/);
    expect(m.container.querySelector('[data-testid=part]')).toBeNull();
    await act(async () => (m.container.querySelector('[data-testid=chunk-retry]') as HTMLButtonElement).click());
    await settle();
    expect(m.container.querySelector('[data-testid=part]')?.textContent).toBe('the chart');
    expect(m.container.querySelector('[data-testid=chunk-error]')).toBeNull();
    expect(load).toHaveBeenCalledTimes(2);
    errors.mockRestore();
  });

  it('retries by itself when its retry key changes (the server reachable again)', async () => {
    const { load } = flakyImport(1);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let setKey: (k: boolean) => void = () => undefined;
    function Host() {
      const [key, set] = useState(true);
      setKey = set;
      return <Page load={load} retryKey={key} />;
    }
    const m = await mount(<Host />);
    cleanup = m.unmount;
    await settle();
    expect(m.container.querySelector('[data-testid=chunk-error]')).not.toBeNull();
    await act(async () => setKey(false));
    await settle();
    expect(m.container.querySelector('[data-testid=part]')?.textContent).toBe('the chart');
    errors.mockRestore();
  });
});
