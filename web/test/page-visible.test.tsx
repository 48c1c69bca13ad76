// Polls run only while the browser tab is visible, and the page must see every change of that,
// including one that comes between the first paint and the effects that run after it.
import { useLayoutEffect } from 'react';
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { usePageVisible, usePoll } from '../src/polling';
import { mount } from './harness';

let visibility: DocumentVisibilityState = 'visible';
Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
const setVisibility = (v: DocumentVisibilityState) => {
  visibility = v;
  document.dispatchEvent(new Event('visibilitychange'));
};

afterEach(() => {
  visibility = 'visible';
});

function Shown() {
  return <span data-visible={String(usePageVisible())} />;
}

/** Runs `during` in a layout effect: after the first render, before any passive effect. */
function BeforeEffects({ during }: { during: () => void }) {
  useLayoutEffect(during, [during]);
  return null;
}

describe('the tab visibility the polls follow', () => {
  it('sees a tab hidden between the first paint and the effects', async () => {
    const hide = () => setVisibility('hidden');
    const m = await mount(
      <>
        <Shown />
        <BeforeEffects during={hide} />
      </>,
    );
    expect(m.container.querySelector('span')?.dataset.visible).toBe('false');
    await act(async () => setVisibility('visible'));
    expect(m.container.querySelector('span')?.dataset.visible).toBe('true');
    await m.unmount();
  });

  it('a poll stops while the tab is hidden and asks again at once when it is shown', async () => {
    const load = vi.fn(async () => undefined);
    function Poller() {
      usePoll(load, 60_000);
      return null;
    }
    const m = await mount(<Poller />);
    expect(load).toHaveBeenCalledTimes(1);
    await act(async () => setVisibility('hidden'));
    await act(async () => setVisibility('hidden'));
    expect(load).toHaveBeenCalledTimes(1);
    await act(async () => setVisibility('visible'));
    expect(load).toHaveBeenCalledTimes(2);
    await m.unmount();
  });
});
